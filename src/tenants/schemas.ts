import { errors, type Json } from '../http/errors.js';
import {
  field,
  type ListEndpoint,
  loadOrInvalidData,
  optionalSlug,
  optionalText,
  regexp,
  type Schema,
  schema,
  type Validator,
} from '../validation/index.js';

/** Upstream's `DOMAIN_RE` (tenants.md §2), reported as is in `regex` errors. */
export const DOMAIN_PATTERN = '^(?=.{1,253}\\.?$)(?:(?!(-|_)|[^.]+_)[A-Za-z0-9-_]{1,}(?<!-)(?:\\.|$)){2,63}$';

/** Tenant slugs: no hyphen, unlike policy and group slugs. */
export const SLUG_PATTERN = '^[a-zA-Z0-9_]+$';

/** `auth_tenant_domain.name` is a `varchar(253)`. */
const DOMAIN_COLUMN_LENGTH = 253;

const domainRegex = regexp(DOMAIN_PATTERN);
/**
 * The pattern lets a 253-character name through with its trailing dot (254 characters), which the column
 * cannot hold (upstream then fails with a 500): such a name is reported as not matching the pattern.
 */
const domainName: Validator<string> = (value) =>
  // The empty text never matches the pattern.
  domainRegex([...value].length > DOMAIN_COLUMN_LENGTH ? '' : value);

/** `address` (tenants.md §2): six optional strings, in upstream's schema order. */
const addressSchema = schema({
  line_1: optionalText(256),
  line_2: optionalText(256),
  city: optionalText(128),
  state: optionalText(128),
  country: optionalText(128),
  zip_code: optionalText(16),
});

export type TenantAddressInput = typeof addressSchema extends Schema<infer O> ? O : never;

export const EMPTY_ADDRESS: TenantAddressInput = {
  line_1: null,
  line_2: null,
  city: null,
  state: null,
  country: null,
  zip_code: null,
};

/** The fields POST and PUT share, in upstream's schema order (which decides the field an error names). */
const common = {
  name: optionalText(128),
  contact: field.uuid().default(null),
  phone: optionalText(32),
  // Any string here; the value is checked after the body (tenants.md §3).
  default_authentication_method: field.string().default('native'),
  domain_names: field.list(field.string().validate(domainName)).default([]),
  address: field.nested(addressSchema).default(EMPTY_ADDRESS),
};

/** `POST /tenants`: `parent_uuid` is output only (ignored when sent). */
export const tenantPostSchema = schema({
  uuid: field.uuid().default(null),
  name: common.name,
  slug: optionalSlug(10, SLUG_PATTERN),
  contact: common.contact,
  phone: common.phone,
  default_authentication_method: common.default_authentication_method,
  domain_names: common.domain_names,
  address: common.address,
});

/** `PUT /tenants/{tenant_uuid}`: a full replacement; `uuid`, `slug` and `parent_uuid` are ignored. */
export const tenantPutSchema = schema(common);

export type TenantPost = typeof tenantPostSchema extends Schema<infer O> ? O : never;
export type TenantPut = typeof tenantPutSchema extends Schema<infer O> ? O : never;

/** Upstream stores a list with a repeated name once (sorted, as its schema does). */
const unique = (names: readonly string[]): string[] => [...new Set(names)].sort();

function load<O extends { domain_names: string[] }>(schemaOf: Schema<O>, body: Json | undefined): O {
  const value = loadOrInvalidData('tenants', schemaOf, body);
  return { ...value, domain_names: unique(value.domain_names) };
}

/** The body of `POST /tenants`, or the `invalid-data` 400 of its first failing field. */
export const parseTenantPost = (body: Json | undefined): TenantPost => load(tenantPostSchema, body);

/** The body of `PUT /tenants/{tenant_uuid}`, or the `invalid-data` 400 of its first failing field. */
export const parseTenantPut = (body: Json | undefined): TenantPut => load(tenantPutSchema, body);

/**
 * The check of `default_authentication_method` that follows body validation: `native`, `default` or an
 * enabled identity provider, case-sensitively; else a 400 whose details hold the raw value.
 */
export function authenticationMethodCheck(accepted: ReadonlySet<string>): (method: string) => void {
  return (method) => {
    if (!accepted.has(method)) {
      throw errors.invalidData(
        'tenants',
        { default_authentication_method: method },
        `Invalid default authentication method ${method}`,
      );
    }
  };
}

/** `GET /tenants` (conventions.md §5). */
export const TENANT_LIST: ListEndpoint = {
  sortable: ['name', 'slug'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'slug', 'domain_name'],
  multi: { uuids: { max: 25 } },
};
