import { EntitySchema, type OptionalProps, type PrimaryKeyProp } from '@mikro-orm/core';
import { uuidPrimaryKey } from './common.js';
import type { Tenant } from './tenant.js';
import type { User } from './user.js';

/** `auth_external_auth_type`: one row per external auth plugin (`google`, `microsoft`, `mobile`...). */
export interface ExternalAuthType {
  [OptionalProps]?: 'uuid';
  uuid: string;
  name: string;
  enabled: boolean | null;
}

export const ExternalAuthType = new EntitySchema<ExternalAuthType>({
  name: 'ExternalAuthType',
  tableName: 'auth_external_auth_type',
  properties: {
    uuid: uuidPrimaryKey(38),
    name: { type: 'text', unique: 'auth_external_auth_type_name_key' },
    enabled: { type: 'boolean', nullable: true },
  },
});

/** `auth_external_auth_config`: a tenant's configuration (JSON text) of one external auth type. */
export interface ExternalAuthConfig {
  [PrimaryKeyProp]?: ['type', 'tenant'];
  type: ExternalAuthType;
  tenant: Tenant;
  data: string;
}

export const ExternalAuthConfig = new EntitySchema<ExternalAuthConfig>({
  name: 'ExternalAuthConfig',
  tableName: 'auth_external_auth_config',
  properties: {
    type: {
      kind: 'm:1',
      entity: 'ExternalAuthType',
      fieldName: 'type_uuid',
      columnType: 'varchar(36)',
      primary: true,
      deleteRule: 'cascade',
      index: 'auth_external_auth_config__idx__type_uuid',
    },
    tenant: { kind: 'm:1', entity: 'Tenant', fieldName: 'tenant_uuid', primary: true, deleteRule: 'cascade' },
    data: { type: 'text' },
  },
});

/** `auth_user_external_auth`: a user's data (JSON text, e.g. OAuth tokens) for one external auth type. */
export interface UserExternalAuth {
  [PrimaryKeyProp]?: ['user', 'externalAuthType'];
  user: User;
  externalAuthType: ExternalAuthType;
  data: string;
}

export const UserExternalAuth = new EntitySchema<UserExternalAuth>({
  name: 'UserExternalAuth',
  tableName: 'auth_user_external_auth',
  properties: {
    user: { kind: 'm:1', entity: 'User', fieldName: 'user_uuid', primary: true, deleteRule: 'cascade' },
    externalAuthType: {
      kind: 'm:1',
      entity: 'ExternalAuthType',
      fieldName: 'external_auth_type_uuid',
      primary: true,
      deleteRule: 'cascade',
    },
    data: { type: 'text' },
  },
});
