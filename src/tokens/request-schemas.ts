import { errors, type Json } from '../http/errors.js';
import { field, type LoadResult, length, pythonRepr, range, schema } from '../validation/index.js';
import type { TokenRequest } from './login.js';

const TEN_YEARS = 3600 * 24 * 365 * 10;

/** `POST /token` body (tokens.md §3), with upstream's cross-field rules. */
export const tokenRequestSchema = schema(
  {
    backend: field.string().default('wazo_user'),
    expiration: field.lenientInteger().validate(range({ min: 1, max: TEN_YEARS })),
    access_type: field.choice(['online', 'offline'] as const).default('online'),
    client_id: field.string().validate(length({ min: 1, max: 1024 })),
    saml_session_id: field.string().validate(length({ min: 1, max: 1024 })),
    refresh_token: field.string(),
    tenant_id: field.string(),
    domain_name: field.string(),
  },
  {
    validators: [
      (data) => {
        if (data.access_type !== 'offline') return undefined;
        if (data.refresh_token) return 'cannot use the "access_type" "offline" with a refresh token';
        if (!data.client_id) return '"client_id" must be specified when using "access_type" is "offline"';
        return undefined;
      },
      (data) =>
        data.tenant_id && data.domain_name
          ? '"tenant_id" and "domain_name" must be mutually exclusive'
          : undefined,
      (data) =>
        data.refresh_token && !data.client_id
          ? '"client_id" must be specified when using a "refresh_token"'
          : undefined,
      (data) =>
        data.saml_session_id && data.refresh_token
          ? 'Cannot use a "saml_session_id" and a "refresh_token" at the same time'
          : undefined,
    ],
  },
);

/**
 * `POST /token/{t}/scopes/check` body (tokens.md §6). Upstream answers 500 when `scopes` is absent;
 * here it is required (400), as the spec advises.
 */
export const scopesCheckSchema = schema({
  scopes: field.list(field.string()).required(),
  tenant_uuid: field.string().default(null),
});

/** Token endpoints report body errors in the legacy envelope, as the Python text of the error map. */
function loaded<O>(result: LoadResult<O>): O {
  if (!result.ok) throw errors.legacy(400, pythonRepr(result.errors as Json));
  return result.value;
}

export function parseTokenRequest(body: Json | undefined, defaultExpiration: number): TokenRequest {
  const value = loaded(tokenRequestSchema.load(body ?? null));
  return { ...value, expiration: value.expiration ?? defaultExpiration };
}

export function parseScopesCheck(body: Json | undefined): { scopes: string[]; tenant_uuid: string | null } {
  return loaded(scopesCheckSchema.load(body ?? null));
}
