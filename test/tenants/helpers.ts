// What the tenant tests share: requests with any method and body, the tenant object's shape.

import { findMasterTenant } from '../../src/entities/index.js';
import { JSON_HEADERS, type TestApp } from '../helpers/app.js';
import type { ClientResponse } from '../helpers/http.js';

export type AddressBody = {
  line_1: string | null;
  line_2: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  zip_code: string | null;
};

export type TenantBody = {
  uuid: string;
  parent_uuid: string;
  name: string | null;
  slug: string;
  contact: string | null;
  phone: string | null;
  default_authentication_method: string;
  domain_names: string[];
  address: AddressBody;
};

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

export const EMPTY_ADDRESS: AddressBody = {
  line_1: null,
  line_2: null,
  city: null,
  state: null,
  country: null,
  zip_code: null,
};

/** A string body is sent as is; anything else (but `undefined`) as its JSON. */
export type Send = (
  method: string,
  path: string,
  options?: { body?: unknown; tenant?: string },
) => Promise<ClientResponse>;

/** Requests under `/0.1` with `X-Auth-Token`, any method, with or without a body. */
export function sender(server: TestApp, token: string): Send {
  return (method, path, { body, tenant } = {}) =>
    server.call({
      method,
      path: `/0.1${path}`,
      headers: {
        'X-Auth-Token': token,
        ...(tenant === undefined ? {} : { 'Wazo-Tenant': tenant }),
        ...(body === undefined ? {} : JSON_HEADERS),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
}

/** The body of a 200 answer; anything else throws with the answer. */
export function ok<T>(res: ClientResponse): T {
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status} ${res.text}`);
  return res.json<T>();
}

export async function masterUuid(server: TestApp): Promise<string> {
  return (await findMasterTenant(server.orm.em.fork()))!.uuid;
}
