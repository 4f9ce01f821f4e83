// What the tenant tests share: the tenant object's shape.

import type { TenantJson } from '../../src/tenants/format.js';

/** The tenant object as the API answers it. */
export type TenantBody = TenantJson;

export type TenantList = { total: number; filtered: number; items: TenantBody[] };

export const TENANT_KEYS = [
  'uuid',
  'parent_uuid',
  'name',
  'slug',
  'contact',
  'phone',
  'default_authentication_method',
  'domain_names',
  'address',
];

/**
 * The address of a tenant that has none, as the API must answer it: written out here rather than taken
 * from src/tenants/schemas.ts, so that it stays an expectation the server is checked against.
 */
export const EMPTY_ADDRESS: TenantBody['address'] = {
  line_1: null,
  line_2: null,
  city: null,
  state: null,
  country: null,
  zip_code: null,
};

/** Domain names upstream's `DOMAIN_RE` refuses (tenants.md §2), in POST and PUT bodies alike. */
export const INVALID_DOMAINS = [
  '-wazo.io',
  ' wazo.io',
  '#',
  '123',
  'wazo .io',
  'wazo.io-',
  'wazo',
  '=wazo.io',
  '+wazo.io',
  '_wazo.io',
  'wazo_io',
];

/** The 409 of domain names another tenant has; `names` is the submitted list as Python prints it. */
export const domainConflict = (names: string) => ({
  message: 'Conflict detected',
  error_id: 'conflict',
  details: {
    domain_names: {
      'constraint-id': 'unique',
      message: `Domain name : "${names}" is already in use, no duplicates allowed`,
    },
  },
  resource: 'tenants',
});
