import { raw } from '@mikro-orm/core';
import { Email, User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { hashPassword } from '../passwords/index.js';
import { Batcher } from '../tokens/batching.js';
import { EvenTiming } from './even-timing.js';

interface NamedRow {
  login: string;
  uuid: string;
  /** 0: a confirmed email address, 1: a username. */
  rank: number;
}

/**
 * The `wazo_user` backend: native logins against the users table (tokens.md §3.1). A login names an
 * enabled user by a confirmed email address first, then by username, case-insensitively.
 */
export class WazoUserBackend {
  readonly name = 'wazo_user';

  /** The logins of concurrent refresh-token logins, resolved by one query. */
  private readonly named = new Batcher<string, string | null>((logins) => this.namedBatch(logins));

  /** Failed verifications all take as long, whatever made them fail. */
  private readonly timing = new EvenTiming();

  constructor(private readonly orm: Database) {}

  /** The uuid of the enabled user that `login` names, if any: `findByLogin` without loading the user. */
  userUuidOf(login: string): Promise<string | null> {
    if (!nameable(login)) return Promise.resolve(null);
    return this.named.submit(login.toLowerCase());
  }

  private async namedBatch(lowered: string[]): Promise<(string | null)[]> {
    const knex = this.orm.em.getKnex();
    const logins = [...new Set(lowered)];
    const among = `in (${logins.map(() => '?').join(', ')})`;
    // The same rules as findByLogin: a confirmed address of an enabled user first, then a username.
    const rows: NamedRow[] = await knex
      .select(knex.raw('lower(e.address) as login'), 'e.user_uuid as uuid', knex.raw('0 as rank'))
      .from('auth_email as e')
      .join('auth_user as u', 'u.uuid', 'e.user_uuid')
      .whereRaw(`lower(e.address) ${among}`, logins)
      .andWhere('e.confirmed', true)
      .andWhere('u.enabled', true)
      .unionAll((union) =>
        union
          .select(knex.raw('lower(username) as login'), 'uuid', knex.raw('1 as rank'))
          .from('auth_user')
          .whereRaw(`lower(username) ${among}`, logins)
          .andWhere('enabled', true),
      );
    const found = new Map<string, NamedRow>();
    for (const row of rows) {
      const known = found.get(row.login);
      if (!known || Number(row.rank) < Number(known.rank)) found.set(row.login, row);
    }
    return lowered.map((login) => found.get(login)?.uuid ?? null);
  }

  /** The enabled user that `login` names, if any. */
  async findByLogin(login: string): Promise<User | null> {
    if (!nameable(login)) return null;
    const em = this.orm.em.fork();
    const lowered = login.toLowerCase();
    const email = await em.findOne(
      Email,
      { [raw('lower(address)')]: lowered, confirmed: true },
      { populate: ['user', 'user.tenant'] },
    );
    if (email && email.user.enabled === true) return email.user;
    return em.findOne(User, { [raw('lower(username)')]: lowered, enabled: true }, { populate: ['tenant'] });
  }

  /**
   * Whether `password` is the user's (null: nobody), at the cost of every other failed verification:
   * the password change checks the old password this way.
   */
  async passwordMatches(user: User | null, password: string): Promise<boolean> {
    const stored = user?.passwordHash ? { hash: user.passwordHash, salt: user.passwordSalt } : null;
    return (await this.timing.verify(password, stored)).ok && user !== null;
  }

  /**
   * The user when `password` is right. Unknown logins, users without a password and wrong passwords all
   * cost the same (see EvenTiming), so that timing does not tell which logins exist. A correct password
   * stored as upstream's PBKDF2 is re-hashed with argon2id.
   */
  async authenticate(login: string, password: string): Promise<User | null> {
    const user = await this.findByLogin(login);
    const stored = user?.passwordHash ? { hash: user.passwordHash, salt: user.passwordSalt } : null;
    const { ok, needsUpgrade } = await this.timing.verify(password, stored);
    if (!ok || !user) return null;
    if (needsUpgrade) {
      const upgraded = await hashPassword(password);
      await this.orm.em
        .fork()
        .nativeUpdate(
          User,
          { uuid: user.uuid },
          { passwordHash: upgraded.hash, passwordSalt: upgraded.salt },
        );
      // The returned user reflects what is stored now: a login re-checks the stored hash before issuing.
      user.passwordHash = upgraded.hash;
      user.passwordSalt = upgraded.salt;
    }
    return user;
  }
}

/** PostgreSQL text cannot hold U+0000: such a login names nobody, and must not reach a query. */
const nameable = (login: string): boolean => !login.includes('\0');

/** The method a user must log in with: its own, or its tenant's default when it says `default`. */
export function authorizedMethod(user: User): string {
  return user.authenticationMethod === 'default'
    ? user.tenant.defaultAuthenticationMethod
    : user.authenticationMethod;
}

/** Methods whose passwords live elsewhere (idp.md §5); identity-provider plugins' own methods are not. */
const EXTERNAL_METHODS: ReadonlySet<string> = new Set(['ldap', 'saml']);

/** The user's password is managed by its directory or IdP: it cannot be set here (idp.md §5). */
export const passwordManagedExternally = (user: User): boolean =>
  EXTERNAL_METHODS.has(authorizedMethod(user));
