import { EntitySchema, type OptionalProps, type PrimaryKeyProp } from '@mikro-orm/core';
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
  // One configuration per tenant (saml.md §2): the primary key alone would allow one per domain.
  uniques: [{ name: 'auth_saml_config_tenant_uuid_key', properties: ['tenant'] }],
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

/**
 * `auth_saml_session`: a SAML login in progress or completed, until its token is fetched, then until
 * single logout or the purge. Columns after `refresh_token_uuid` are this implementation's: what logout
 * needs of the assertion (upstream keeps it in pysaml2's cache) and the one-time use of the session id.
 */
export interface SamlSession {
  [PrimaryKeyProp]?: ['requestId', 'sessionId'];
  [OptionalProps]?: 'used';
  requestId: string;
  sessionId: string;
  redirectUrl: string;
  domain: string;
  relayState: string;
  login: string | null;
  startTime: Date | null;
  /** The assertion's NameID value. */
  samlNameId: string | null;
  /** Set to null by the database when the refresh token is deleted. */
  refreshToken: RefreshToken | null;
  /** The session id was exchanged for a token: it cannot be again. */
  used: boolean;
  nameIdFormat: string | null;
  nameQualifier: string | null;
  spNameQualifier: string | null;
  sessionIndex: string | null;
  /** The IdP that asserted the login, whose SLO endpoint logout targets. */
  idpEntityId: string | null;
  /** The ID of the LogoutRequest sent, matched with the LogoutResponse's InResponseTo. */
  logoutRequestId: string | null;
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
    used: { type: 'boolean', default: false },
    nameIdFormat: { type: 'text', fieldName: 'name_id_format', nullable: true },
    nameQualifier: { type: 'text', fieldName: 'name_qualifier', nullable: true },
    spNameQualifier: { type: 'text', fieldName: 'sp_name_qualifier', nullable: true },
    sessionIndex: { type: 'text', fieldName: 'session_index', nullable: true },
    idpEntityId: { type: 'text', fieldName: 'idp_entity_id', nullable: true },
    logoutRequestId: { type: 'text', fieldName: 'logout_request_id', nullable: true },
  },
  // The ACS finds its session by RelayState, a token exchange by session id.
  indexes: [
    { name: 'auth_saml_session__idx__relay_state', properties: ['relayState'] },
    { name: 'auth_saml_session__idx__session_id', properties: ['sessionId'] },
  ],
});
