import { raw, UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  allUsersGroupName,
  findMasterTenant,
  Group,
  Policy,
  User,
  type UserPurpose,
} from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { hashPassword, verifyPassword } from '../passwords/index.js';

export interface InitialUserInput {
  username: string;
  password: string;
  purpose: UserPurpose;
  policySlug: string;
}

export type InitialUserResult =
  | { outcome: 'created'; uuid: string }
  /** The user exists and the password matches: nothing to do (start-up bootstrap is idempotent). */
  | { outcome: 'unchanged'; uuid: string }
  /** A user with that username exists with another password (upstream: fatal at start-up). */
  | { outcome: 'conflict'; uuid: string };

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

async function findByUsername(orm: Database, username: string): Promise<User | null> {
  // Usernames share one case-insensitive namespace (the unique index is on lower(username)).
  return orm.em.fork().findOne(User, { [raw('lower(username)')]: username.toLowerCase() });
}

async function existing(orm: Database, input: InitialUserInput): Promise<InitialUserResult | null> {
  const user = await findByUsername(orm, input.username);
  if (!user) return null;
  const { ok } = await verifyPassword(input.password, { hash: user.passwordHash, salt: user.passwordSalt });
  return { outcome: ok ? 'unchanged' : 'conflict', uuid: user.uuid };
}

/**
 * Upstream's "create initial user" (bootstrap.md §2.1): an enabled, natively authenticated user in the
 * master tenant, member of its all-users group, holding the policy found by slug. Written in one
 * transaction: either the user exists with its group and policy, or nothing was written.
 */
export async function createInitialUser(orm: Database, input: InitialUserInput): Promise<InitialUserResult> {
  if (!input.username) throw new BootstrapError('the username must not be empty');
  if (!input.password) throw new BootstrapError('the password must not be empty');
  const found = await existing(orm, input);
  if (found) return found;

  const hashed = await hashPassword(input.password);
  try {
    return await orm.em.fork().transactional(async (em) => {
      const master = await findMasterTenant(em);
      if (!master)
        throw new BootstrapError('the database has no master tenant: were the migrations applied?');
      // "First match, any tenant", as upstream looks it up.
      const policy = await em.findOne(Policy, { slug: input.policySlug }, { orderBy: { uuid: 'asc' } });
      if (!policy) throw new BootstrapError(`no policy with slug "${input.policySlug}"`);
      const allUsers = await em.findOne(Group, { tenant: master, name: allUsersGroupName(master.uuid) });
      const user = em.create(User, {
        username: input.username,
        passwordHash: hashed.hash,
        passwordSalt: hashed.salt,
        enabled: true,
        tenant: master,
        purpose: input.purpose,
        authenticationMethod: 'native',
      });
      user.policies.add(policy);
      allUsers?.users.add(user);
      return { outcome: 'created' as const, uuid: user.uuid };
    });
  } catch (error) {
    // Another process created the same username meanwhile: report what is there now.
    if (error instanceof UniqueConstraintViolationException) {
      const now = await existing(orm, input);
      if (now) return now;
    }
    throw error;
  }
}

export async function countUsers(orm: Database): Promise<number> {
  return orm.em.fork().count(User, {});
}
