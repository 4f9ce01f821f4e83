import { BlobType, type Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import { ownedByTenant, uuidPrimaryKey } from './common.js';
import type { Group } from './group.js';
import type { Policy } from './policy.js';
import type { Tenant } from './tenant.js';

export const USER_PURPOSES = ['user', 'internal', 'external_api'] as const;
export type UserPurpose = (typeof USER_PURPOSES)[number];

/**
 * `auth_user`. `username` is unique case-insensitively (index on `lower(username)`, created by the
 * migrations since the ORM cannot express it).
 */
export interface User {
  [OptionalProps]?: 'uuid' | 'authenticationMethod';
  uuid: string;
  username: string | null;
  /** argon2id PHC string, or upstream's hex PBKDF2-SHA512 digest (see src/passwords). */
  passwordHash: string | null;
  /** Only upstream PBKDF2 hashes have a salt (64 random bytes). */
  passwordSalt: Buffer | null;
  firstname: string | null;
  lastname: string | null;
  /** Nullable upstream, database default true. */
  enabled: boolean | null;
  tenant: Tenant;
  purpose: UserPurpose;
  authenticationMethod: string;
  emails: Collection<Email>;
  /** Inverse side of `Group.users` (pivot `auth_user_group`). */
  groups: Collection<Group>;
  /** Owning side of the pivot `auth_user_policy`. */
  policies: Collection<Policy>;
}

export const User = new EntitySchema<User>({
  name: 'User',
  tableName: 'auth_user',
  // Case-insensitive uniqueness: an expression index, written out for both dialects.
  uniques: [
    {
      name: 'auth_user_username_key',
      expression: 'create unique index "auth_user_username_key" on "auth_user" (lower("username"))',
    },
  ],
  properties: {
    uuid: uuidPrimaryKey(38),
    username: { type: 'string', length: 256, nullable: true },
    passwordHash: { type: 'text', fieldName: 'password_hash', nullable: true },
    // The type class (not the 'blob' string) makes MikroORM convert what libsql returns (an ArrayBuffer)
    // into a Buffer; PostgreSQL returns a Buffer either way.
    passwordSalt: { type: BlobType, fieldName: 'password_salt', nullable: true },
    firstname: { type: 'text', nullable: true },
    lastname: { type: 'text', nullable: true },
    enabled: { type: 'boolean', nullable: true, default: true },
    tenant: ownedByTenant('auth_user__idx__tenant_uuid'),
    purpose: { enum: true, items: () => [...USER_PURPOSES], type: 'text' },
    authenticationMethod: { type: 'text', fieldName: 'authentication_method', default: 'default' },
    emails: { kind: '1:m', entity: 'Email', mappedBy: 'user' },
    groups: { kind: 'm:n', entity: 'Group', mappedBy: 'users' },
    policies: {
      kind: 'm:n',
      entity: 'Policy',
      owner: true,
      inversedBy: 'users',
      pivotTable: 'auth_user_policy',
      joinColumn: 'user_uuid',
      inverseJoinColumn: 'policy_uuid',
    },
  },
});

/** `auth_email`. `address` is unique case-insensitively (index on `lower(address)`, in the migrations). */
export interface Email {
  [OptionalProps]?: 'uuid' | 'confirmed' | 'main';
  uuid: string;
  address: string;
  /** No database default upstream; the application writes false. */
  confirmed: boolean;
  main: boolean;
  user: User;
}

export const Email = new EntitySchema<Email>({
  name: 'Email',
  tableName: 'auth_email',
  uniques: [
    {
      name: 'auth_email_address_key',
      expression: 'create unique index "auth_email_address_key" on "auth_email" (lower("address"))',
    },
  ],
  properties: {
    uuid: uuidPrimaryKey(38),
    address: { type: 'text' },
    confirmed: { type: 'boolean', onCreate: () => false },
    main: { type: 'boolean', onCreate: () => false },
    user: {
      kind: 'm:1',
      entity: 'User',
      fieldName: 'user_uuid',
      deleteRule: 'cascade',
      index: 'auth_email__idx__user_uuid',
    },
  },
});
