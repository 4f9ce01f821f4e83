import { EntitySchema, type PrimaryKeyProp } from '@mikro-orm/core';
import type { Tenant } from './tenant.js';

export const LDAP_PROTOCOL_SECURITIES = ['ldaps', 'tls'] as const;
export type LdapProtocolSecurity = (typeof LDAP_PROTOCOL_SECURITIES)[number];

/** `auth_ldap_config`: at most one LDAP server per tenant (the tenant is the primary key). */
export interface LdapConfig {
  [PrimaryKeyProp]?: 'tenant';
  tenant: Tenant;
  host: string;
  port: number;
  protocolVersion: number | null;
  /** null means plain LDAP. */
  protocolSecurity: LdapProtocolSecurity | null;
  bindDn: string | null;
  bindPassword: string | null;
  userBaseDn: string;
  userLoginAttribute: string | null;
  /** Nullable in the deployed baseline (the upstream ORM model says NOT NULL). */
  userEmailAttribute: string | null;
  searchFilters: string | null;
}

export const LdapConfig = new EntitySchema<LdapConfig>({
  name: 'LdapConfig',
  tableName: 'auth_ldap_config',
  properties: {
    tenant: { kind: 'm:1', entity: 'Tenant', fieldName: 'tenant_uuid', primary: true, deleteRule: 'cascade' },
    host: { type: 'string', length: 512 },
    port: { type: 'integer' },
    protocolVersion: { type: 'smallint', fieldName: 'protocol_version', nullable: true },
    protocolSecurity: {
      enum: true,
      items: () => [...LDAP_PROTOCOL_SECURITIES],
      type: 'text',
      fieldName: 'protocol_security',
      nullable: true,
    },
    bindDn: { type: 'string', length: 256, fieldName: 'bind_dn', nullable: true },
    bindPassword: { type: 'text', fieldName: 'bind_password', nullable: true },
    userBaseDn: { type: 'string', length: 256, fieldName: 'user_base_dn' },
    userLoginAttribute: { type: 'string', length: 64, fieldName: 'user_login_attribute', nullable: true },
    userEmailAttribute: { type: 'string', length: 64, fieldName: 'user_email_attribute', nullable: true },
    searchFilters: { type: 'text', fieldName: 'search_filters', nullable: true },
  },
});
