// Shared by the external-auth tests (external-auth.md §3, §5, §8, §9): the server they run against, the
// exact upstream error bodies, the mobile blob and direct looks at the tables.
import type { Test as Tap } from 'tap';
import type { Config } from '../../src/config/index.js';
import type { Database } from '../../src/entities/orm.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { apiError, unknownError, userCaller } from '../helpers/callers.js';
import type { ClientResponse } from '../helpers/http.js';
import type { OAuth2Provider } from '../helpers/oauth2-provider.js';
import type { OAuth2Relay } from '../helpers/oauth2-relay.js';

export const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** The framework 400 of a missing, empty or unparseable JSON body (conventions.md §6.3). */
export const BAD_BODY = {
  message: 'The browser (or proxy) sent a request that this server could not understand.',
};

/** The six fields of a mobile blob (external-auth.md §5.2). */
export const MOBILE_FIELDS = [
  'token',
  'apns_token',
  'apns_voip_token',
  'apns_notification_token',
  'apns_call_topic',
  'apns_default_topic',
] as const;
export type MobileBlob = Record<(typeof MOBILE_FIELDS)[number], string | null>;

/** A mobile blob as the API answers it: the given fields, every other one `null`. */
export function mobileBlob(fields: Partial<MobileBlob> = {}): MobileBlob {
  return Object.fromEntries(MOBILE_FIELDS.map((field) => [field, fields[field] ?? null])) as MobileBlob;
}

/** A server whose answers are all watched: `serverErrors` lists every request that got a 5xx. */
export type WatchedApp = TestApp & { serverErrors: string[] };

export async function startExternalApp(
  t: Tap,
  configure: (config: Config) => void = () => {},
): Promise<WatchedApp> {
  const server = await startTestApp(t, configure);
  const serverErrors: string[] = [];
  const call = server.call;
  const watched: WatchedApp = {
    ...server,
    serverErrors,
    call: async (req) => {
      const res = await call(req);
      if (res.status >= 500)
        serverErrors.push(`${req.method ?? 'GET'} ${req.path}: ${res.status} ${res.text}`);
      return res;
    },
  };
  return watched;
}

/** Sets `enabled_external_auth_plugins` (a key the config schema may not name yet). */
export function enablePlugins(plugins: Record<string, boolean>): (config: Config) => void {
  return (config) => {
    (config as Record<string, unknown>).enabled_external_auth_plugins = plugins;
  };
}

/** The last subtest of a test: no request answered 5xx and nothing was logged as an unhandled error. */
export function expectNoServerError(t: Tap, server: WatchedApp): void {
  t.test('no 5xx answer and no unexpected server error', async (t) => {
    t.strictSame(server.serverErrors, [], 'no 5xx');
    t.strictSame(
      server.logs.lines.filter((line) => line.includes('unhandled error')),
      [],
      'no unhandled error logged',
    );
  });
}

/**
 * Points the Google and Microsoft settings at a test provider: Google's redirects come back to this
 * server at `googleRedirect`, Microsoft's go through `relay`; `microsoft` adds to Microsoft's settings.
 */
export function useProvider(
  config: Config,
  provider: OAuth2Provider,
  { googleRedirect, relay }: { googleRedirect: string; relay: OAuth2Relay },
  microsoft: Partial<Config['microsoft']> = {},
): void {
  const endpoints = {
    authorization_base_url: provider.authorizationEndpoint,
    token_url: provider.tokenEndpoint,
    issuer: provider.issuer,
  };
  Object.assign(config.google, endpoints, { redirect_uri: googleRedirect, websocket_host: null });
  Object.assign(config.microsoft, endpoints, {
    redirect_uri: relay.redirectUri('microsoft'),
    websocket_host: relay.wsBase,
    ...microsoft,
  });
}

export { setUp, type Tree } from '../helpers/tenant-tree.js';

/** A logged-in user of `tenant` (the master tenant by default) with its own ACL. */
export const loggedIn = (server: TestApp, username: string, acl: string[] = [], tenant?: string) =>
  userCaller(server, username, acl, tenant);

/** API error bodies, as `apiError` gives them (no `timestamp`). */
export const errors = {
  /** GET config of a type name never registered. */
  unknownConfig: (type: string) => ({
    message: `Configuration for this external auth type "${type}" is not defined.`,
    error_id: 'unknown-config',
    details: { type },
    resource: type,
  }),
  /** The tenant has no config for the type. */
  noConfig: (type: string) => ({
    message: `No config found for this external auth type: "${type}"`,
    error_id: 'unknown-external-auth',
    details: { type },
    resource: type,
  }),
  /** The user has no blob for the type. */
  noBlob: (type: string) => ({
    message: `No such external auth: "${type}"`,
    error_id: 'unknown-external-auth',
    details: { type },
    resource: type,
  }),
  /** A type name that is not registered. */
  unknownType: (type: string) => ({
    message: `No such auth type: "${type}"`,
    error_id: 'unknown-external-auth-type',
    details: { type },
    resource: 'external',
  }),
  configConflict: (type: string) => ({
    message: `This external authentication config has already been set: "${type}"`,
    error_id: 'conflict',
    details: { type },
    resource: type,
  }),
  blobConflict: (type: string) => ({
    message: `This external authentication method has already been set: "${type}"`,
    error_id: 'conflict',
    details: { type },
    resource: type,
  }),
  unknownUser: (uuid: string) => unknownError('user', uuid),
  unauthorizedTenant: (tenant: string) => ({
    message: 'Unauthorized tenant',
    error_id: 'unauthorized-tenant',
    details: { tenant_uuid: tenant },
  }),
  /** A token without the required access. */
  missingAccess: (token: string, access: string, tenant: string | null = null) => ({
    message: 'Unauthorized',
    error_id: 'unauthorized',
    details: {
      invalid_token: token,
      reason: 'missing_permission_or_invalid_tenant',
      required_access: access,
      tenant_uuid: tenant,
    },
  }),
  /** No `X-Auth-Token` at all. */
  noToken: (access: string) => ({
    message: 'Unauthorized',
    error_id: 'unauthorized',
    details: { invalid_token: '', reason: 'not_found_or_expired', required_access: access },
  }),
};

/**
 * `apiError` that never throws: an answer that is not an API error (a 200, an HTML page) comes back as
 * `{status, text}`, so the comparison fails with what was received instead of aborting the subtest.
 */
export function errorBody(res: ClientResponse): Record<string, unknown> {
  try {
    return apiError(res);
  } catch {
    return { status: res.status, text: res.text };
  }
}

/** The JSON body of an answer with `status`; anything else throws (a setup step, not an assertion). */
export function expectStatus<T = unknown>(res: ClientResponse, status: number, what = ''): T {
  if (res.status !== status) throw new Error(`${what} expected ${status}, got ${res.status} ${res.text}`);
  return (res.text === '' ? undefined : res.json()) as T;
}

/** Rows of `auth_external_auth_config` (owner: tenant) or `auth_user_external_auth` (owner: user), data parsed. */
async function storedRows(
  orm: Database,
  table: 'auth_external_auth_config' | 'auth_user_external_auth',
  owner: { column: string; value?: string },
): Promise<{ owner: string; type: string; data: unknown }[]> {
  const typeColumn = table === 'auth_external_auth_config' ? 'type_uuid' : 'external_auth_type_uuid';
  const rows = await orm.em.fork().execute<{ owner: string; type: string; data: string }[]>(
    `select r."${owner.column}" as "owner", t."name" as "type", r."data" as "data"
       from "${table}" r join "auth_external_auth_type" t on t."uuid" = r."${typeColumn}"
      ${owner.value === undefined ? '' : `where r."${owner.column}" = ?`}
      order by t."name", r."${owner.column}"`,
    owner.value === undefined ? [] : [owner.value],
  );
  return rows.map((row) => ({ owner: row.owner, type: row.type, data: JSON.parse(row.data) }));
}

/** The rows of `auth_external_auth_config`, data parsed, optionally of one tenant. */
export async function storedConfigs(orm: Database, tenant?: string) {
  const rows = await storedRows(orm, 'auth_external_auth_config', { column: 'tenant_uuid', value: tenant });
  return rows.map(({ owner, ...row }) => ({ tenant: owner, ...row }));
}

/** The rows of `auth_user_external_auth`, data parsed, optionally of one user. */
export async function storedBlobs(orm: Database, user?: string) {
  const rows = await storedRows(orm, 'auth_user_external_auth', { column: 'user_uuid', value: user });
  return rows.map(({ owner, ...row }) => ({ user: owner, ...row }));
}

/** The names in `auth_external_auth_type`, sorted. */
export async function storedTypes(orm: Database): Promise<string[]> {
  const rows = await orm.em
    .fork()
    .execute<{ name: string }[]>('select "name" from "auth_external_auth_type" order by "name"');
  return rows.map((row) => row.name);
}
