import { pythonRepr } from '../validation/python-repr.js';

/*
 * The one catalogue of errors the API answers. Upstream speaks four shapes (conventions.md §6): the API
 * error envelope, the legacy envelope, the framework `{message}` body and the framework HTML 404. Every
 * failure path of the server ends as one of these, built here and nowhere else.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Seconds since the epoch as a float, the way upstream stamps errors. */
const now = (): number => Date.now() / 1000;

export abstract class HttpError extends Error {
  /** The request's framing cannot be trusted: nothing more may be read from its connection. */
  closesConnection = false;
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
  abstract body(): string;
  readonly contentType: string = 'application/json';
}

/** `{"message", "error_id", "details", "timestamp", "resource"?}` */
export class ApiError extends HttpError {
  constructor(
    status: number,
    readonly errorId: Json,
    readonly apiMessage: Json,
    readonly details: Json = {},
    readonly resource?: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(status, typeof apiMessage === 'string' ? apiMessage : JSON.stringify(apiMessage), headers);
  }
  body(): string {
    const body: Record<string, Json> = {
      message: this.apiMessage,
      error_id: this.errorId,
      details: this.details,
      timestamp: now(),
    };
    if (this.resource !== undefined) body.resource = this.resource;
    return JSON.stringify(body);
  }
}

/** `{"reason": [msg], "timestamp": [t], "status_code": n}` (tokens, policies, some conflicts). */
export class LegacyError extends HttpError {
  body(): string {
    return JSON.stringify({ reason: [this.message], timestamp: [now()], status_code: this.status });
  }
}

/** The web framework's own `{"message"}` answers (bad body, wrong method, crash). */
export class FrameworkError extends HttpError {
  body(): string {
    return JSON.stringify({ message: this.message });
  }
}

const NOT_FOUND_PAGE =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
  '<p>The requested URL was not found on the server. If you entered the URL manually please check your ' +
  'spelling and try again.</p>\n';

/** Unmatched URL: the framework's HTML page, not JSON (conventions.md §6.4). */
export class NotFoundPage extends HttpError {
  override readonly contentType = 'text/html; charset=utf-8';
  constructor() {
    super(404, 'Not Found');
  }
  body(): string {
    return NOT_FOUND_PAGE;
  }
}

const conflict = (
  resource: string,
  details: Record<string, Json>,
  message = 'Conflict detected',
  status = 409,
) => new ApiError(status, 'conflict', message, details, resource);

/** An OAuth2 `error` (RFC 6749 §4.1.2.1, §5.2) passed on with its description. */
const oauth2Refusal = (
  status: number,
  errorId: string,
  message: string,
  type: string,
  refusal: { error: string; description: string | null },
) =>
  new ApiError(
    status,
    errorId,
    `${message}: ${refusal.error}`,
    { error: refusal.error, error_description: refusal.description },
    type,
  );

const BAD_REQUEST = 'The browser (or proxy) sent a request that this server could not understand.';

export const errors = {
  notFound: () => new NotFoundPage(),
  badRequestBody: () => new FrameworkError(400, BAD_REQUEST),
  /**
   * Two Content-Length values that disagree (RFC 9112 §6.3): where the body ends is unknown, so the
   * request is refused and its connection closed rather than acted on (a request-smuggling guard).
   */
  ambiguousFraming: () => {
    const error = new FrameworkError(400, BAD_REQUEST);
    error.closesConnection = true;
    return error;
  },
  methodNotAllowed: (allow: string) =>
    new FrameworkError(405, 'The method is not allowed for the requested URL.', { Allow: allow }),
  payloadTooLarge: () => new FrameworkError(413, 'The data value transmitted exceeds the capacity limit.'),
  internal: () => new FrameworkError(500, 'Internal Server Error'),
  /**
   * The database cannot be reached (down, restarting, out of connections): nothing that needs it can be
   * answered, but the client may try again, unlike a 500. Upstream has no such answer (its 500 says
   * nothing); the legacy envelope is the one its token API speaks.
   */
  databaseUnavailable: () =>
    new LegacyError(503, 'Database unavailable: try again later', { 'Retry-After': '5' }),
  topTenantNotInitialized: () => new ApiError(503, 'top-tenant-not-initialized', '', {}),

  unauthorized: (details: Record<string, Json>) => new ApiError(401, 'unauthorized', 'Unauthorized', details),
  unauthorizedTenant: (tenant: string) =>
    new ApiError(401, 'unauthorized-tenant', 'Unauthorized tenant', { tenant_uuid: tenant }),
  invalidData: (resource: string, details: Record<string, Json>, message: Json) =>
    new ApiError(400, 'invalid-data', message, details, resource),
  // Upstream reports every list-parameter error as a `users` resource, whatever the endpoint.
  invalidListParam: (message: Record<string, Json>) =>
    new ApiError(400, 'invalid-list-param', message, {}, 'users'),
  unknown: (resource: 'users' | 'tenants' | 'groups' | 'emails', id: string) =>
    new ApiError(
      404,
      `unknown-${resource.slice(0, -1)}`,
      `No such ${resource.slice(0, -1)}: "${id}"`,
      { uuid: id },
      resource,
    ),
  forbiddenGroup: (uuid: string) =>
    new ApiError(403, 'forbidden-group', `Forbidden group modification: "${uuid}"`, { uuid }, 'groups'),
  // Upstream's spelling, in the id and in the message.
  mismatchingTenant: (userTenant: string, groupTenant: string) =>
    new ApiError(
      400,
      'missmatching-tenant',
      'Ressources are not in the same tenant',
      { user_tenant_uuid: userTenant, group_tenant_uuid: groupTenant },
      'groups',
    ),
  conflict,

  passwordManagedExternally: (uuid: string) =>
    new ApiError(
      405,
      'password-managed-externally',
      `Unable to update externally managed password for user : "${uuid}"`,
      { uuid },
      'users',
    ),

  /** Ours: `POST /token` while the login or the client's address is throttled (src/throttle). */
  tooManyLoginFailures: (retryAfter: number) =>
    new ApiError(
      429,
      'too-many-login-failures',
      'Too many failed logins: retry later',
      { retry_after: retryAfter },
      'tokens',
      { 'Retry-After': String(retryAfter) },
    ),

  refreshTokenNotFound: (clientId: string) =>
    new ApiError(
      404,
      'cannot-find-refresh-token-matching-client-id',
      `unknown refresh_token for client_id "${clientId}"`,
      { client_id: clientId },
      'tokens',
    ),

  // Tenants (conventions.md §6.5, tenants.md §3).

  /** `POST /tenants` with the uuid of its parent: only the master may be its own parent. */
  masterTenantConflict: () =>
    conflict(
      'tenants',
      { parent_uuid: { constraint_id: 'unique', msg: 'A master tenant already exist' } },
      'Conflict detected',
      403,
    ),

  tenantIdentityConflict: (uuid: string) =>
    new ApiError(
      409,
      'tenant-identity-conflict',
      'Tenant Conflict detected',
      {
        uuid: {
          constraint_id: 'unique',
          message: `A tenant with identity uuid="${uuid}" already exists`,
        },
      },
      'tenants',
    ),

  tenantSlugConflict: (slug: string) =>
    conflict('tenants', {
      slug: { constraint_id: 'unique', message: `The slug "${slug}" is already used` },
    }),

  /** The whole submitted list is printed as Python list text, under a hyphenated `constraint-id`. */
  tenantDomainConflict: (names: readonly string[]) =>
    conflict('tenants', {
      domain_names: {
        'constraint-id': 'unique',
        message: `Domain name : "${pythonRepr([...names])}" is already in use, no duplicates allowed`,
      },
    }),

  tenantDescendantParent: (tenant: string, parent: string) =>
    conflict(
      'tenants',
      { uuid: tenant, parent_uuid: parent },
      `Parent (${parent}) is a descendent of tenant: "${tenant}"`,
    ),

  deletingOwnTenant: (uuid: string) =>
    new ApiError(
      403,
      'deleting-own-tenant-forbidden',
      `Deleting its own tenant is forbidden: "${uuid}"`,
      { tenant_uuid: uuid },
      'tenants',
    ),

  /**
   * Upstream's malformed answer to deleting a tenant that has children: `error_id` holds the details
   * object, `details` the resource name, and there is no `resource` key.
   */
  tenantHasChildren: (uuid: string) =>
    new ApiError(
      400,
      { uuid },
      `Unauthorized delete of tenant : "${uuid}" ; since it has at least one child`,
      'tenants',
    ),

  // External auth (external-auth.md §9): the resource is the type name, except for unknown types.

  externalAuthConfigNotDefined: (type: string) =>
    new ApiError(
      404,
      'unknown-config',
      `Configuration for this external auth type "${type}" is not defined.`,
      { type },
      type,
    ),
  externalAuthConfigMissing: (type: string) =>
    new ApiError(
      404,
      'unknown-external-auth',
      `No config found for this external auth type: "${type}"`,
      { type },
      type,
    ),
  externalAuthMissing: (type: string) =>
    new ApiError(404, 'unknown-external-auth', `No such external auth: "${type}"`, { type }, type),
  externalAuthTypeUnknown: (type: string) =>
    new ApiError(404, 'unknown-external-auth-type', `No such auth type: "${type}"`, { type }, 'external'),
  externalAuthExists: (type: string) =>
    conflict(type, { type }, `This external authentication method has already been set: "${type}"`),
  externalAuthConfigExists: (type: string) =>
    conflict(type, { type }, `This external authentication config has already been set: "${type}"`),

  // The OAuth2 authorization flow (ours: upstream leaves these to its relay and its logs).

  oauth2UnknownState: (type: string) =>
    new ApiError(
      400,
      'unknown-oauth2-state',
      'Unknown, expired or already used OAuth2 state: start the authorization again',
      {},
      type,
    ),
  oauth2Denied: (type: string, error: string, description: string | null) =>
    oauth2Refusal(400, 'oauth2-authorization-denied', `The ${type} authorization was not granted`, type, {
      error,
      description,
    }),
  oauth2ProviderRefused: (type: string, error: string, description: string | null) =>
    oauth2Refusal(502, 'oauth2-provider-error', `The ${type} token endpoint refused the request`, type, {
      error,
      description,
    }),
  oauth2ProviderUnreachable: (type: string) =>
    new ApiError(
      503,
      'oauth2-provider-unavailable',
      `The ${type} token endpoint could not be reached`,
      {},
      type,
    ),

  // Login methods (idp.md §3).

  unknownIdpType: (type: string) =>
    new ApiError(404, 'unknown-idp-type', `No such IDP type: "${type}"`, { idp_type: type }, 'idp'),
  /** A body validated like list parameters (upstream's `InvalidListParamException.from_errors`). */
  invalidListBody: (details: Record<string, Json>, message: Json) =>
    new ApiError(400, 'invalid-list-param', message, details, 'users'),

  // SAML (saml.md §2, §4, §5).

  samlConfigurationError: (domain: string) =>
    new ApiError(
      500,
      'configuration-error',
      'SAML client for domain not found or failed',
      { domain },
      'saml',
    ),
  /** `error` is upstream's reason text: `Context not found`, `Unexpected error`… */
  samlProcessingError: (status: number, error: string) =>
    new ApiError(status, 'processing-error', 'SAML processing failed', { error }, 'saml'),
  /** The tenant's SAML configuration is missing (404), or an upload is unusable (400, upstream's id). */
  unknownSamlConfig: (status: number, message: string, details: Record<string, Json> = {}) =>
    new ApiError(status, 'unknown-saml-config', message, details, 'saml_config'),

  // Mails (emails-and-password-reset.md): upstream answers a bare 500 when the relay fails; nothing the
  // failed request created is left behind here.

  emailNotSent: (resource: string) =>
    new ApiError(503, 'email-not-sent', 'The e-mail could not be sent; nothing was changed', {}, resource),
  emailAlreadyConfirmed: (uuid: string) =>
    conflict('emails', { uuid }, `Email "${uuid}" is already confirmed`),
  resetLoginMissing: () =>
    new ApiError(400, 'invalid-data', ['"username" or "email" or "login" should be used'], {}, 'reset'),

  legacy: (status: number, reason: string) => new LegacyError(status, reason),
  authenticationFailed: () => new LegacyError(401, 'Authentication Failed'),
  noSuchToken: () => new LegacyError(404, 'No such token'),
};
