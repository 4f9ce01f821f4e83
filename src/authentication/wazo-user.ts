import { raw } from '@mikro-orm/core';
import { Email, User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { hashPassword, verifyNothing, verifyPassword } from '../passwords/index.js';

/**
 * The `wazo_user` backend: native logins against the users table (tokens.md §3.1). A login names an
 * enabled user by a confirmed email address first, then by username, case-insensitively.
 */
export class WazoUserBackend {
  readonly name = 'wazo_user';

  constructor(private readonly orm: Database) {}

  /** The enabled user that `login` names, if any. */
  async findByLogin(login: string): Promise<User | null> {
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
   * The user when `password` is right. Unknown logins cost a verification too, so that timing does not
   * tell which logins exist. A correct password stored as upstream's PBKDF2 is re-hashed with argon2id.
   */
  async authenticate(login: string, password: string): Promise<User | null> {
    const user = await this.findByLogin(login);
    if (!user) return verifyNothing(password).then(() => null);
    const { ok, needsUpgrade } = await verifyPassword(password, {
      hash: user.passwordHash,
      salt: user.passwordSalt,
    });
    if (!ok) return null;
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

/** The method a user must log in with: its own, or its tenant's default when it says `default`. */
export function authorizedMethod(user: User): string {
  return user.authenticationMethod === 'default'
    ? user.tenant.defaultAuthenticationMethod
    : user.authenticationMethod;
}
