import { EntitySchema, type PrimaryKeyProp } from '@mikro-orm/core';
import type { Tenant, TenantDomain } from './tenant.js';
import type { RefreshToken } from './token.js';

/*
 * Upstream's `auth_saml_pysaml2_cache` is not mapped: it is pysaml2's private identity cache, which
 * this implementation (not pysaml2) never reads or writes.
 */

/** `auth_saml_config`: a tenant's SAML identity provider, per login domain. */
export interface SamlConfig {
  [PrimaryKeyProp]?: ['tenant', 'domain'];
  tenant: Tenant;
  domain: TenantDomain;
  entityId: string;
  /** IdP metadata XML. Upstream's column type is `xml`; text here so both dialects agree. */
  idpMetadata: string;
  acsUrl: string;
}

export const SamlConfig = new EntitySchema<SamlConfig>({
  name: 'SamlConfig',
  tableName: 'auth_saml_config',
  properties: {
    tenant: { kind: 'm:1', entity: 'Tenant', fieldName: 'tenant_uuid', primary: true, deleteRule: 'cascade' },
    domain: {
      kind: 'm:1',
      entity: 'TenantDomain',
      fieldName: 'domain_uuid',
      columnType: 'varchar(38)',
      primary: true,
      deleteRule: 'cascade',
    },
    entityId: { type: 'string', length: 512, fieldName: 'entity_id' },
    idpMetadata: { type: 'text', fieldName: 'idp_metadata' },
    acsUrl: { type: 'string', length: 512, fieldName: 'acs_url' },
  },
});

/** `auth_saml_session`: a SAML login in progress or completed, until its token is fetched. */
export interface SamlSession {
  [PrimaryKeyProp]?: ['requestId', 'sessionId'];
  requestId: string;
  sessionId: string;
  redirectUrl: string;
  domain: string;
  relayState: string;
  login: string | null;
  startTime: Date | null;
  samlNameId: string | null;
  /** Set to null by the database when the refresh token is deleted. */
  refreshToken: RefreshToken | null;
}

export const SamlSession = new EntitySchema<SamlSession>({
  name: 'SamlSession',
  tableName: 'auth_saml_session',
  properties: {
    requestId: { type: 'string', length: 40, fieldName: 'request_id', primary: true },
    sessionId: { type: 'string', length: 22, fieldName: 'session_id', primary: true },
    redirectUrl: { type: 'string', length: 512, fieldName: 'redirect_url' },
    domain: { type: 'string', length: 512 },
    relayState: { type: 'string', length: 100, fieldName: 'relay_state' },
    login: { type: 'string', length: 512, nullable: true },
    startTime: {
      type: 'datetime',
      fieldName: 'start_time',
      nullable: true,
      defaultRaw: 'current_timestamp',
      onCreate: () => new Date(),
    },
    samlNameId: { type: 'text', fieldName: 'saml_name_id', nullable: true },
    refreshToken: {
      kind: 'm:1',
      entity: 'RefreshToken',
      fieldName: 'refresh_token_uuid',
      nullable: true,
      deleteRule: 'set null',
    },
  },
});
