import { type Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import { ownedByTenant, uuidPrimaryKey } from './common.js';
import type { Group } from './group.js';
import type { Tenant } from './tenant.js';
import type { User } from './user.js';

/** Slug of the policy created by the initial migration, granting `#` to the bootstrap user. */
export const MASTER_USER_POLICY_SLUG = 'wazo_default_master_user_policy';

/**
 * `auth_policy`. `name` is unique per tenant (`auth_policy_name_tenant`) and `slug` is unique per
 * tenant case-insensitively (`auth_policy__idx__slug`, in the migrations).
 */
export interface Policy {
  [OptionalProps]?: 'uuid' | 'shared';
  uuid: string;
  name: string;
  slug: string;
  description: string | null;
  tenant: Tenant;
  /** Created from the `default_policies` configuration; nullable upstream (default false). */
  configManaged: boolean | null;
  shared: boolean;
  /**
   * The policy's ACL in the order it was given, owning side of the pivot `auth_policy_access`, whose
   * `position` keeps that order (a fixed-order collection: reordering rewrites the policy's rows).
   */
  accesses: Collection<Access>;
  users: Collection<User>;
  groups: Collection<Group>;
}

export const Policy = new EntitySchema<Policy>({
  name: 'Policy',
  tableName: 'auth_policy',
  uniques: [
    { name: 'auth_policy_name_tenant', properties: ['name', 'tenant'] },
    {
      name: 'auth_policy__idx__slug',
      expression:
        'create unique index "auth_policy__idx__slug" on "auth_policy" (lower("slug"), "tenant_uuid")',
    },
  ],
  properties: {
    uuid: uuidPrimaryKey(38),
    name: { type: 'string', length: 80 },
    slug: { type: 'string', length: 80 },
    description: { type: 'text', nullable: true },
    tenant: ownedByTenant('auth_policy__idx__tenant_uuid'),
    configManaged: { type: 'boolean', fieldName: 'config_managed', nullable: true, default: false },
    shared: { type: 'boolean', default: false },
    accesses: {
      kind: 'm:n',
      entity: 'Access',
      owner: true,
      pivotEntity: 'PolicyAccess',
    },
    users: { kind: 'm:n', entity: 'User', mappedBy: 'policies' },
    groups: { kind: 'm:n', entity: 'Group', mappedBy: 'policies' },
  },
});

/**
 * `auth_access`: one ACL string (`confd.users.read`, `#`, `!auth.#`...), shared by all policies that
 * grant it (one-way: no query goes from an access to its policies). Rows are not removed when a policy
 * goes away.
 */
export interface Access {
  [OptionalProps]?: 'id';
  id: number;
  access: string;
}

export const Access = new EntitySchema<Access>({
  name: 'Access',
  tableName: 'auth_access',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    access: { type: 'text', unique: 'auth_access_access' },
  },
});

/**
 * `auth_policy_access`: one entry of a policy's ACL. Upstream's pivot has only the pair as its key and
 * returns entries in the table's physical order; `position` (a sequence, so other writers that name only
 * the pair still append) makes that order the one given, whatever the storage does. The pair stays unique.
 */
export interface PolicyAccess {
  [OptionalProps]?: 'position';
  position: number;
  policy: Policy;
  access: Access;
}

export const PolicyAccess = new EntitySchema<PolicyAccess>({
  name: 'PolicyAccess',
  tableName: 'auth_policy_access',
  uniques: [{ name: 'auth_policy_access_policy_uuid_access_id_unique', properties: ['policy', 'access'] }],
  properties: {
    position: { type: 'integer', primary: true, autoincrement: true },
    policy: {
      kind: 'm:1',
      entity: 'Policy',
      fieldName: 'policy_uuid',
      deleteRule: 'cascade',
      updateRule: 'cascade',
    },
    access: {
      kind: 'm:1',
      entity: 'Access',
      fieldName: 'access_id',
      deleteRule: 'cascade',
      updateRule: 'cascade',
    },
  },
});
