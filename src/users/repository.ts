import {
  ForeignKeyConstraintViolationException,
  raw,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { QueryBuilder, SqlEntityManager } from '@mikro-orm/postgresql';
import { allUsersGroupName, Email, Group, RefreshToken, User, type UserPurpose } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { type ApiError, errors } from '../http/errors.js';
import { likeColumn, orderAndPage, whereSearch } from '../lists/query.js';
import type { StoredPassword } from '../passwords/index.js';
import type { ListParams } from '../validation/index.js';

const HAS_EMAIL = `exists (select 1 from "auth_email" "e"
  where "e"."user_uuid" = "u"."uuid" and "e"."address" = ?)`;
const IN_GROUP = `exists (select 1 from "auth_user_group" "ug"
  where "ug"."user_uuid" = "u"."uuid" and "ug"."group_uuid" = ?)`;
// `policy_*` filters follow direct links only, `has_policy_*` also those through a group (conventions.md §5).
const DIRECT_POLICY_UUID = `exists (select 1 from "auth_user_policy" "up"
  where "up"."user_uuid" = "u"."uuid" and "up"."policy_uuid" = ?)`;
const DIRECT_POLICY_SLUG = `exists (select 1 from "auth_user_policy" "up"
  join "auth_policy" "p" on "p"."uuid" = "up"."policy_uuid"
  where "up"."user_uuid" = "u"."uuid" and "p"."slug" = ?)`;
const GROUP_POLICY_UUID = `exists (select 1 from "auth_user_group" "ug"
  join "auth_group_policy" "gp" on "gp"."group_uuid" = "ug"."group_uuid"
  where "ug"."user_uuid" = "u"."uuid" and "gp"."policy_uuid" = ?)`;
const GROUP_POLICY_SLUG = `exists (select 1 from "auth_user_group" "ug"
  join "auth_group_policy" "gp" on "gp"."group_uuid" = "ug"."group_uuid"
  join "auth_policy" "p" on "p"."uuid" = "gp"."policy_uuid"
  where "ug"."user_uuid" = "u"."uuid" and "p"."slug" = ?)`;
const ANY_POLICY_UUID = `(${DIRECT_POLICY_UUID} or ${GROUP_POLICY_UUID})`;
const ANY_POLICY_SLUG = `(${DIRECT_POLICY_SLUG} or ${GROUP_POLICY_SLUG})`;

const SEARCH_TERMS = [
  likeColumn('"u"."firstname"'),
  likeColumn('"u"."lastname"'),
  likeColumn('"u"."username"'),
  `exists (select 1 from "auth_email" "e" where "e"."user_uuid" = "u"."uuid" and ${likeColumn('"e"."address"')})`,
];

/** The exact-match filters of `GET /users` (conventions.md §5) and the search. */
function whereFiltersAndSearch(qb: QueryBuilder<User>, params: ListParams): void {
  const { uuid, username, firstname, lastname, purpose } = params.filters;
  const { email_address, group_uuid, policy_uuid, policy_slug, has_policy_uuid, has_policy_slug } =
    params.filters;
  if (uuid !== undefined) qb.andWhere({ uuid });
  if (username !== undefined) qb.andWhere({ username });
  if (firstname !== undefined) qb.andWhere({ firstname });
  if (lastname !== undefined) qb.andWhere({ lastname });
  if (purpose !== undefined) qb.andWhere({ purpose: purpose as UserPurpose });
  if (email_address !== undefined) qb.andWhere(HAS_EMAIL, [email_address]);
  if (group_uuid !== undefined) qb.andWhere(IN_GROUP, [group_uuid]);
  if (policy_uuid !== undefined) qb.andWhere(DIRECT_POLICY_UUID, [policy_uuid]);
  if (policy_slug !== undefined) qb.andWhere(DIRECT_POLICY_SLUG, [policy_slug]);
  if (has_policy_uuid !== undefined) qb.andWhere(ANY_POLICY_UUID, [has_policy_uuid, has_policy_uuid]);
  if (has_policy_slug !== undefined) qb.andWhere(ANY_POLICY_SLUG, [has_policy_slug, has_policy_slug]);
  whereSearch(qb, SEARCH_TERMS, params.searchPattern);
}

export interface NewUser {
  /** Absent: generated. */
  uuid?: string | undefined;
  username: string | null;
  password: { hash: string | null; salt: Buffer | null };
  firstname: string | null;
  lastname: string | null;
  purpose: UserPurpose;
  authenticationMethod: string;
  enabled: boolean;
  /** Stored as the main address, confirmed unless `emailConfirmed` is false (self-registration). */
  emailAddress?: string | null | undefined;
  emailConfirmed?: boolean;
  tenant: string;
}

/** users.md §3: usernames and addresses are one login namespace; the conflict names the field sent. */
const loginTaken = (field: 'username' | 'email_address', login: string): ApiError =>
  errors.conflict('users', {
    [field]: { constraint_id: 'unique', message: `The login "${login}" is already used` },
  });

const uuidTaken = (uuid: string): ApiError =>
  errors.conflict('users', {
    uuid: { constraint_id: 'unique', message: `The uuid "${uuid}" is already used` },
  });

/**
 * Whether any user (other than `except`) logs in with `login`, as a username or as an address,
 * case-insensitively.
 */
async function isLogin(em: SqlEntityManager, login: string, except?: string): Promise<boolean> {
  const lowered = login.toLowerCase();
  const others = except === undefined ? {} : { uuid: { $ne: except } };
  if ((await em.count(User, { [raw('lower(username)')]: lowered, ...others })) > 0) return true;
  const otherUsers = except === undefined ? {} : { user: { $ne: except } };
  return (await em.count(Email, { [raw('lower(address)')]: lowered, ...otherUsers })) > 0;
}

/** Which unique index a violation names: PostgreSQL says it in `constraint`, SQLite only in its message. */
const violated = (error: UniqueConstraintViolationException, index: string): boolean =>
  `${(error as { constraint?: string }).constraint ?? ''} ${error.message}`.includes(index);

/**
 * The conflict a unique index reports when a concurrent request took the same login or uuid between the
 * checks and the insert. PostgreSQL names the index in `constraint`, SQLite only in its message.
 */
export function raceConflict(error: UniqueConstraintViolationException, input: NewUser): ApiError | null {
  if (violated(error, 'auth_user_username_key') && input.username !== null)
    return loginTaken('username', input.username);
  if (violated(error, 'auth_email_address_key') && input.emailAddress)
    return loginTaken('email_address', input.emailAddress);
  if ((violated(error, 'auth_user_pkey') || violated(error, 'auth_user.uuid')) && input.uuid)
    return uuidTaken(input.uuid);
  return null;
}

/** What `PUT /users/{user_uuid}` rewrites: every field, omitted ones already reset to their defaults. */
export interface UserChanges {
  username: string | null;
  firstname: string | null;
  lastname: string | null;
  purpose: UserPurpose;
  authenticationMethod: string;
  enabled: boolean;
}

/** One address of `PUT /users/{u}/emails`; `confirmed: null` keeps what is stored (false for a new one). */
export interface SubmittedEmail {
  address: string;
  main: boolean;
  confirmed: boolean | null;
}

/** A stored address of the new list, and whether this request created it. */
export interface ReplacedEmail {
  email: Email;
  created: boolean;
}

export type LinkOutcome = 'linked' | 'unknown-user' | 'unknown-policy';

/** Users, their addresses and their direct policy links (`auth_user`, `auth_email`, `auth_user_policy`). */
export class UserRepository {
  constructor(private readonly orm: Database) {}

  /**
   * Creates the user, its address and its membership of the tenant's all-users group in one transaction,
   * after the checks of users.md §3 in their order: username, address, uuid (409 each).
   */
  async create(input: NewUser): Promise<User> {
    try {
      return await this.orm.em.fork().transactional((em) => insertUser(em, input));
    } catch (error) {
      const conflict =
        error instanceof UniqueConstraintViolationException ? raceConflict(error, input) : null;
      throw conflict ?? error;
    }
  }

  /** `GET /users`: `total` counts the users of `tenants`, `filtered` those left by filters and search. */
  async list(
    tenants: readonly string[],
    params: ListParams,
  ): Promise<{ items: User[]; total: number; filtered: number }> {
    const em = this.orm.em.fork();
    const scoped = () => em.createQueryBuilder(User, 'u').where({ tenant: { $in: [...tenants] } });
    const total = await scoped().getCount();
    const qb = scoped();
    whereFiltersAndSearch(qb, params);
    const filtered = await qb.clone().getCount();
    orderAndPage(qb, params, 'uuid');
    const items = await qb.getResultList();
    await em.populate(items, ['emails']);
    return { items, total, filtered };
  }

  /** The user if one of `tenants` owns it, with its addresses. */
  async findIn(uuid: string, tenants: readonly string[]): Promise<User | null> {
    return this.orm.em
      .fork()
      .findOne(User, { uuid, tenant: { $in: [...tenants] } }, { populate: ['emails'] });
  }

  /**
   * Deletes the user if one of `tenants` owns it. The database cascades to its addresses, memberships,
   * policy links, refresh tokens and external-auth data; its tokens and sessions are the caller's to
   * revoke (`TokenService.revokeUserSessions`: they are not linked to the user by a foreign key).
   */
  async deleteIn(uuid: string, tenants: readonly string[]): Promise<boolean> {
    return (await this.orm.em.fork().nativeDelete(User, { uuid, tenant: { $in: [...tenants] } })) > 0;
  }

  /**
   * Rewrites the user if one of `tenants` owns it (null otherwise), in one transaction; a username that is
   * another user's login is a 409 (keeping one's own is fine). Answers the user with its addresses.
   */
  async update(uuid: string, tenants: readonly string[], changes: UserChanges): Promise<User | null> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        const user = await em.findOne(
          User,
          { uuid, tenant: { $in: [...tenants] } },
          { populate: ['emails'] },
        );
        if (!user) return null;
        if (changes.username !== null && (await isLogin(em, changes.username, uuid)))
          throw loginTaken('username', changes.username);
        em.assign(user, changes);
        return user;
      });
    } catch (error) {
      // A concurrent request took the username between the check and the write.
      if (
        error instanceof UniqueConstraintViolationException &&
        violated(error, 'auth_user_username_key') &&
        changes.username !== null
      )
        throw loginTaken('username', changes.username);
      throw error;
    }
  }

  /** The user with its addresses and its tenant (for its effective authentication method), anywhere. */
  async find(uuid: string): Promise<User | null> {
    return this.orm.em.fork().findOne(User, { uuid }, { populate: ['emails', 'tenant'] });
  }

  /**
   * Stores a new password hash and, in the same transaction, deletes the user's refresh tokens: what the
   * old password granted ends with it (upstream keeps them; no `auth_refresh_token_deleted` is published,
   * as upstream publishes none here). False when the user is no more. The caller then revokes the user's
   * sessions, those minted from the refresh tokens included (same `auth_id`).
   */
  async setPassword(uuid: string, stored: StoredPassword): Promise<boolean> {
    return this.orm.em.fork().transactional(async (em) => {
      const changed = await em.nativeUpdate(
        User,
        { uuid },
        { passwordHash: stored.hash, passwordSalt: stored.salt },
      );
      if (changed === 0) return false;
      await em.nativeDelete(RefreshToken, { user: uuid });
      return true;
    });
  }

  /**
   * Deletes the user's refresh tokens (no events), after its sessions were revoked through its actor: an
   * offline login verified with the old password just before the change may have created one meanwhile.
   */
  async dropRefreshTokens(uuid: string): Promise<void> {
    await this.orm.em.fork().nativeDelete(RefreshToken, { user: uuid });
  }

  /**
   * Replaces the user's addresses with `submitted`, in one transaction (users.md §3): an address it
   * already has (same text) keeps its uuid and, unless a `confirmed` value is given, its confirmation;
   * the others are created, unconfirmed by default; the rest is deleted. An address that is another
   * user's login is a 409 naming it as sent (the user's own username is fine). Null for an unknown user;
   * otherwise the stored addresses in the submitted order.
   */
  async replaceEmails(uuid: string, submitted: readonly SubmittedEmail[]): Promise<ReplacedEmail[] | null> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        if ((await em.count(User, { uuid })) === 0) return null;
        for (const { address } of submitted) {
          if (await isLogin(em, address, uuid)) throw loginTaken('email_address', address);
        }
        const current = new Map(
          (await em.find(Email, { user: uuid })).map((email) => [email.address, email]),
        );
        const kept = submitted.flatMap(({ address }) => current.get(address)?.uuid ?? []);
        // Deleted first, natively: a new address may differ from a dropped one only by case, and the unit
        // of work would insert before it deletes.
        await em.nativeDelete(Email, { user: uuid, ...(kept.length > 0 ? { uuid: { $nin: kept } } : {}) });
        return submitted.map(({ address, main, confirmed }) => {
          const existing = current.get(address);
          if (existing) {
            em.assign(existing, { main, confirmed: confirmed ?? existing.confirmed });
            return { email: existing, created: false };
          }
          return {
            email: em.create(Email, { address, main, confirmed: confirmed ?? false, user: uuid }),
            created: true,
          };
        });
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // A concurrent request took one of the new addresses: name the first that is now someone else's.
      const em = this.orm.em.fork();
      for (const { address } of submitted) {
        if (await isLogin(em, address, uuid)) throw loginTaken('email_address', address);
      }
      throw error;
    }
  }

  async exists(uuid: string): Promise<boolean> {
    return (await this.orm.em.fork().count(User, { uuid })) > 0;
  }

  /** Links the policy to the user; an existing link is left as it is. */
  async linkPolicy(userUuid: string, policyUuid: string): Promise<LinkOutcome> {
    try {
      await this.orm.em
        .fork()
        .execute(
          'insert into "auth_user_policy" ("user_uuid", "policy_uuid") values (?, ?) on conflict do nothing',
          [userUuid, policyUuid],
          'run',
        );
      return 'linked';
    } catch (error) {
      if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
      // The foreign key says which side is missing (the policy may have just been deleted).
      return (await this.exists(userUuid)) ? 'unknown-policy' : 'unknown-user';
    }
  }

  /** Removes the link; false when there was none. */
  async unlinkPolicy(userUuid: string, policyUuid: string): Promise<boolean> {
    const result = await this.orm.em
      .fork()
      .execute<{ affectedRows: number }>(
        'delete from "auth_user_policy" where "user_uuid" = ? and "policy_uuid" = ?',
        [userUuid, policyUuid],
        'run',
      );
    return result.affectedRows > 0;
  }
}

/**
 * The user, its address and its all-users membership, in the caller's transaction, after the login and
 * uuid checks of users.md §3 (self-registration creates its tenant in the same transaction).
 */
export async function insertUser(em: SqlEntityManager, input: NewUser): Promise<User> {
  if (input.username !== null && (await isLogin(em, input.username)))
    throw loginTaken('username', input.username);
  if (input.emailAddress && (await isLogin(em, input.emailAddress)))
    throw loginTaken('email_address', input.emailAddress);
  if (input.uuid !== undefined && (await em.count(User, { uuid: input.uuid })) > 0)
    throw uuidTaken(input.uuid);
  const user = em.create(User, {
    ...(input.uuid !== undefined ? { uuid: input.uuid } : {}),
    username: input.username,
    passwordHash: input.password.hash,
    passwordSalt: input.password.salt,
    firstname: input.firstname,
    lastname: input.lastname,
    purpose: input.purpose,
    authenticationMethod: input.authenticationMethod,
    enabled: input.enabled,
    tenant: input.tenant,
    emails: input.emailAddress
      ? [{ address: input.emailAddress, main: true, confirmed: input.emailConfirmed ?? true }]
      : [],
  });
  const allUsers = await em.findOne(Group, {
    tenant: input.tenant,
    name: allUsersGroupName(input.tenant),
  });
  allUsers?.users.add(user);
  return user;
}
