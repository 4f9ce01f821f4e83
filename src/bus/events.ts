import type { Json } from '../http/errors.js';
import type { TokenRecord } from '../tokens/record.js';
import { isCanonicalV4 } from '../validation/uuid.js';

/**
 * Who an event is for (bus-events.md §2): the users of its tenant, one user, or a user-level event whose
 * user is unknown (then it carries no `user_uuid:` header).
 */
export type Audience = { tenant: true } | { user: string | null };

/** One event of bus-events.md §3, before it gets its envelope (`toMessage`). */
export interface BusEvent {
  name: string;
  routingKey: string;
  tenantUuid: string;
  audience: Audience;
  /** Headers beyond the common ones (`session_uuid` of session events). */
  headers?: { [name: string]: string };
  data: { [key: string]: Json };
  /**
   * For the broker only, not for this server's WebSocket connections: the cleanup job's expire-soon
   * announcements, which connections get from their own token timers instead (`src/push/`).
   */
  busOnly?: boolean;
}

/**
 * Routing keys with their substituted values escaped as upstream does (`.` `#` `*` would otherwise be
 * topic separators and wildcards): a `client_id` of `my.app` gives `…tokens.my__DOT__app.created`.
 */
export function routingKey(parts: TemplateStringsArray, ...values: string[]): string {
  const escaped = (value: string) =>
    value.replaceAll('.', '__DOT__').replaceAll('#', '__HASH__').replaceAll('*', '__STAR__');
  return parts.reduce((key, part, i) => key + escaped(values[i - 1]!) + part);
}

const tenantEvent = (name: string, key: string, tenantUuid: string, data: BusEvent['data']): BusEvent => ({
  name,
  routingKey: key,
  tenantUuid,
  audience: { tenant: true },
  data,
});

export const tenantAdded = (tenant: {
  uuid: string;
  name: string | null;
  slug: string;
  domainNames: readonly string[];
}) =>
  tenantEvent('auth_tenant_added', routingKey`auth.tenants.${tenant.uuid}.created`, tenant.uuid, {
    uuid: tenant.uuid,
    name: tenant.name,
    slug: tenant.slug,
    domain_names: [...tenant.domainNames],
  });

export const tenantUpdated = (tenant: { uuid: string; name: string | null }) =>
  tenantEvent('auth_tenant_updated', routingKey`auth.tenants.${tenant.uuid}.updated`, tenant.uuid, {
    uuid: tenant.uuid,
    name: tenant.name,
  });

export const tenantDeleted = (uuid: string) =>
  tenantEvent('auth_tenant_deleted', routingKey`auth.tenants.${uuid}.deleted`, uuid, { uuid });

/** What a session event says about its session: the tenant and user it is reported under. */
interface SessionFacts {
  sessionUuid: string;
  tenantUuid: string;
  userUuid: string | null;
}

const sessionEvent = (
  name: string,
  key: string,
  facts: SessionFacts,
  data: BusEvent['data'],
  busOnly = false,
): BusEvent => ({
  name,
  routingKey: key,
  tenantUuid: facts.tenantUuid,
  audience: { user: facts.userUuid },
  headers: { session_uuid: facts.sessionUuid },
  data,
  ...(busOnly ? { busOnly } : {}),
});

/** `POST /token`: the user is the token's `auth_id` only when that is a canonical v4 UUID. */
export function sessionCreated(record: TokenRecord): BusEvent {
  const facts = {
    sessionUuid: record.sessionUuid,
    tenantUuid: record.sessionTenantUuid,
    userUuid: isCanonicalV4(record.authId) ? record.authId : null,
  };
  return sessionEvent('auth_session_created', routingKey`auth.sessions.${facts.sessionUuid}.created`, facts, {
    uuid: facts.sessionUuid,
    tenant_uuid: facts.tenantUuid,
    user_uuid: facts.userUuid,
    mobile: record.mobile,
  });
}

/**
 * The cleanup job reports under the token metadata's `tenant_uuid` and says nothing of tokens whose
 * metadata has none (sessions.md §3): null then.
 */
export function metadataTenant(record: TokenRecord): string | null {
  const tenant = record.metadata.tenant_uuid;
  return typeof tenant === 'string' ? tenant : null;
}

/** A revocation: reported under the session's tenant (or the cleanup's) and the token's `auth_id`. */
export function sessionDeleted(record: TokenRecord, tenantUuid = record.sessionTenantUuid): BusEvent {
  const facts = { sessionUuid: record.sessionUuid, tenantUuid, userUuid: record.authId };
  return sessionEvent('auth_session_deleted', routingKey`auth.sessions.${facts.sessionUuid}.deleted`, facts, {
    uuid: facts.sessionUuid,
    user_uuid: facts.userUuid,
    tenant_uuid: tenantUuid,
  });
}

export function sessionExpireSoon(record: TokenRecord, tenantUuid: string, busOnly = false): BusEvent {
  const facts = { sessionUuid: record.sessionUuid, tenantUuid, userUuid: record.authId };
  return sessionEvent(
    'auth_session_expire_soon',
    routingKey`auth.users.${record.authId}.sessions.${facts.sessionUuid}.expire_soon`,
    facts,
    { uuid: facts.sessionUuid, user_uuid: facts.userUuid, tenant_uuid: tenantUuid },
    busOnly,
  );
}

/** A refresh token as its events describe it. */
export interface RefreshTokenFacts {
  clientId: string;
  mobile: boolean;
  userUuid: string;
  tenantUuid: string;
}

const refreshTokenEvent = (action: 'created' | 'deleted', token: RefreshTokenFacts): BusEvent => ({
  name: `auth_refresh_token_${action}`,
  routingKey: routingKey`auth.users.${token.userUuid}.tokens.${token.clientId}.${action}`,
  tenantUuid: token.tenantUuid,
  audience: { user: token.userUuid },
  data: {
    client_id: token.clientId,
    mobile: token.mobile,
    user_uuid: token.userUuid,
    tenant_uuid: token.tenantUuid,
  },
});

export const refreshTokenCreated = (token: RefreshTokenFacts) => refreshTokenEvent('created', token);
export const refreshTokenDeleted = (token: RefreshTokenFacts) => refreshTokenEvent('deleted', token);

/** What happened to a user's external auth data (external-auth.md §8). */
export type ExternalAuthChange = 'added' | 'updated' | 'deleted' | 'authorized';

const EXTERNAL_AUTH_ROUTING: Record<ExternalAuthChange, string> = {
  added: 'created',
  updated: 'updated',
  deleted: 'deleted',
  authorized: 'authorized',
};

/** A user event, reported under the user's tenant. */
export const externalAuthChanged = (
  change: ExternalAuthChange,
  facts: { userUuid: string; tenantUuid: string; type: string },
): BusEvent => ({
  name: `auth_user_external_auth_${change}`,
  routingKey: routingKey`auth.users.${facts.userUuid}.external.${facts.type}.${EXTERNAL_AUTH_ROUTING[change]}`,
  tenantUuid: facts.tenantUuid,
  audience: { user: facts.userUuid },
  data: { user_uuid: facts.userUuid, external_auth_name: facts.type },
});
