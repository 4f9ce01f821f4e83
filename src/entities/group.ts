import { type Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import { ownedByTenant, uuidPrimaryKey } from './common.js';
import type { Policy } from './policy.js';
import type { Tenant } from './tenant.js';
import type { User } from './user.js';

/** Name of the group every user of a tenant belongs to (created with the tenant, system-managed). */
export function allUsersGroupName(tenantUuid: string): string {
  return `wazo-all-users-tenant-${tenantUuid}`;
}

/**
 * `auth_group`. `name` is unique per tenant (`auth_group_name_tenant`) and `slug` is unique per
 * tenant case-insensitively (`auth_group__idx__slug`, in the migrations).
 */
export interface Group {
  [OptionalProps]?: 'uuid' | 'systemManaged';
  uuid: string;
  name: string;
  slug: string;
  tenant: Tenant;
  systemManaged: boolean;
  /** Owning side of the pivot `auth_user_group` (group_uuid, user_uuid). */
  users: Collection<User>;
  /** Owning side of the pivot `auth_group_policy`. */
  policies: Collection<Policy>;
}

export const Group = new EntitySchema<Group>({
  name: 'Group',
  tableName: 'auth_group',
  uniques: [
    { name: 'auth_group_name_tenant', properties: ['name', 'tenant'] },
    {
      name: 'auth_group__idx__slug',
      expression:
        'create unique index "auth_group__idx__slug" on "auth_group" (lower("slug"), "tenant_uuid")',
    },
  ],
  properties: {
    uuid: uuidPrimaryKey(38),
    name: { type: 'text' },
    slug: { type: 'string', length: 80 },
    tenant: ownedByTenant('auth_group__idx__tenant_uuid'),
    systemManaged: { type: 'boolean', fieldName: 'system_managed', default: false },
    users: {
      kind: 'm:n',
      entity: 'User',
      owner: true,
      inversedBy: 'groups',
      pivotTable: 'auth_user_group',
      joinColumn: 'group_uuid',
      inverseJoinColumn: 'user_uuid',
    },
    policies: {
      kind: 'm:n',
      entity: 'Policy',
      owner: true,
      inversedBy: 'groups',
      pivotTable: 'auth_group_policy',
      joinColumn: 'group_uuid',
      inverseJoinColumn: 'policy_uuid',
    },
  },
});
