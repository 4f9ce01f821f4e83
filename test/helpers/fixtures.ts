import { randomUUID } from 'node:crypto';
import {
  Access,
  allUsersGroupName,
  Email,
  findMasterTenant,
  Group,
  Policy,
  Tenant,
  User,
  type UserPurpose,
} from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import { hashPassword, hashPasswordPbkdf2 } from '../../src/passwords/index.js';

export interface UserFixture {
  username: string;
  password?: string;
  purpose?: UserPurpose;
  /** Its own policy with these entries, attached directly. */
  acl?: string[];
  tenant?: string;
  enabled?: boolean;
  authenticationMethod?: string;
  email?: { address: string; confirmed: boolean };
  /** Store the password the way upstream does (PBKDF2), as an imported database would. */
  upstreamHash?: boolean;
}

/** Writes a user straight into the database, for tests that exercise logins and checks. */
export async function createUser(orm: Database, fixture: UserFixture): Promise<string> {
  const em = orm.em.fork();
  const tenant = fixture.tenant ?? (await findMasterTenant(em))!.uuid;
  const stored = fixture.password
    ? await (fixture.upstreamHash ? hashPasswordPbkdf2(fixture.password) : hashPassword(fixture.password))
    : { hash: null, salt: null };
  const user = em.create(User, {
    username: fixture.username,
    passwordHash: stored.hash,
    passwordSalt: stored.salt,
    enabled: fixture.enabled ?? true,
    tenant,
    purpose: fixture.purpose ?? 'user',
    authenticationMethod: fixture.authenticationMethod ?? 'native',
  });
  if (fixture.email)
    em.create(Email, {
      address: fixture.email.address,
      confirmed: fixture.email.confirmed,
      main: true,
      user,
    });
  if (fixture.acl) {
    const policy = em.create(Policy, {
      name: `policy-${user.uuid}`,
      slug: `p${randomUUID().slice(0, 8)}`,
      tenant,
    });
    for (const entry of fixture.acl) {
      const access = (await em.findOne(Access, { access: entry })) ?? em.create(Access, { access: entry });
      policy.accesses.add(access);
    }
    user.policies.add(policy);
  }
  const allUsers = await em.findOne(Group, { name: allUsersGroupName(tenant) });
  allUsers?.users.add(user);
  await em.flush();
  return user.uuid;
}

/** A tenant under `parent` (the master tenant by default). */
export async function createTenant(orm: Database, name: string, parent?: string): Promise<string> {
  const em = orm.em.fork();
  const parentUuid = parent ?? (await findMasterTenant(em))!.uuid;
  const tenant = em.create(Tenant, { name, slug: name.slice(0, 10), parent: parentUuid });
  em.create(Group, {
    name: allUsersGroupName(tenant.uuid),
    slug: `all-${tenant.uuid.slice(0, 8)}`,
    tenant,
    systemManaged: true,
  });
  await em.flush();
  return tenant.uuid;
}

/** The master tenant's UUID. */
export async function masterUuid(orm: Database): Promise<string> {
  return (await findMasterTenant(orm.em.fork()))!.uuid;
}
