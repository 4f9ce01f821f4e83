import { LDAP_PROTOCOL_SECURITIES, type LdapConfig } from '../entities/index.js';
import { errors, type Json } from '../http/errors.js';
import { field, firstField, length, range, type Schema, schema } from '../validation/index.js';

/** The bounds of the PostgreSQL `integer` column: a port beyond them would fail the insert (a 500). */
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * `PUT /backends/ldap` (ldap.md §2–3), in upstream's schema order, which decides the field a 400 names:
 * host, port, protocol_version, protocol_security, bind_dn, bind_password, user_base_dn,
 * user_login_attribute, user_email_attribute, search_filters. The integers are marshmallow's non-strict
 * ones (`"389"` is 389, booleans are refused). `protocol_version` is 3 whenever it is absent.
 */
const ldapConfigPut = schema({
  host: field
    .string()
    .required()
    .validate(length({ max: 512 })),
  port: field.lenientInteger().required().validate(range(INT32)),
  protocol_version: field
    .lenientInteger()
    .default(3)
    .validate(range({ min: 2, max: 3 })),
  protocol_security: field.choice(LDAP_PROTOCOL_SECURITIES).nullable(),
  bind_dn: field
    .string()
    .nullable()
    .validate(length({ max: 256 })),
  bind_password: field.string().nullable(),
  user_base_dn: field
    .string()
    .required()
    .validate(length({ max: 256 })),
  user_login_attribute: field
    .string()
    .required()
    .validate(length({ max: 64 })),
  user_email_attribute: field
    .string()
    .required()
    .validate(length({ max: 64 })),
  search_filters: field.string().nullable(),
});

export type LdapConfigPut = typeof ldapConfigPut extends Schema<infer O> ? O : never;

/** The body of a PUT, or the legacy 400 naming the first failing field (`_schema` for a non-object). */
export function parseLdapConfigPut(body: Json | undefined): LdapConfigPut {
  const result = ldapConfigPut.load(body ?? null);
  if (!result.ok) throw errors.legacy(400, `Invalid value supplied for field: ${firstField(result.errors)}`);
  return result.value;
}

/** A tenant's configuration as the API shows it: never `bind_password`; all null when there is none. */
export function ldapConfigJson(config: LdapConfig | null): { [key: string]: Json } {
  return {
    tenant_uuid: config?.tenant.uuid ?? null,
    host: config?.host ?? null,
    port: config?.port ?? null,
    protocol_version: config?.protocolVersion ?? null,
    protocol_security: config?.protocolSecurity ?? null,
    bind_dn: config?.bindDn ?? null,
    user_base_dn: config?.userBaseDn ?? null,
    user_login_attribute: config?.userLoginAttribute ?? null,
    user_email_attribute: config?.userEmailAttribute ?? null,
    search_filters: config?.searchFilters ?? null,
  };
}
