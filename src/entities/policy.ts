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
  /** The policy's ACL, owning side of the pivot `auth_policy_access`. */
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
      inversedBy: 'policies',
      pivotTable: 'auth_policy_access',
      joinColumn: 'policy_uuid',
      inverseJoinColumn: 'access_id',
    },
    users: { kind: 'm:n', entity: 'User', mappedBy: 'policies' },
    groups: { kind: 'm:n', entity: 'Group', mappedBy: 'policies' },
  },
});

/**
 * `auth_access`: one ACL string (`confd.users.read`, `#`, `!auth.#`...), shared by all policies that
 * grant it. Rows are not removed when a policy goes away.
 */
export interface Access {
  [OptionalProps]?: 'id';
  id: number;
  access: string;
  policies: Collection<Policy>;
}

export const Access = new EntitySchema<Access>({
  name: 'Access',
  tableName: 'auth_access',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    access: { type: 'text', unique: 'auth_access_access' },
    policies: { kind: 'm:n', entity: 'Policy', mappedBy: 'accesses' },
  },
});
