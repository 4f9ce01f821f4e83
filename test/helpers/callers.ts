// Callers for API tests: a token and the requests it makes, and the admin every test file starts with.

import { JSON_HEADERS, type TestApp } from './app.js';
import { createUser } from './fixtures.js';
import type { ClientResponse } from './http.js';
import { tokenFor } from './tokens.js';

export interface Caller {
  readonly token: string;
  get(path: string, tenant?: string): Promise<ClientResponse>;
  post(path: string, body: unknown, tenant?: string): Promise<ClientResponse>;
  put(path: string, tenant?: string): Promise<ClientResponse>;
  delete(path: string, tenant?: string): Promise<ClientResponse>;
}

/** Requests under `/0.1` with `X-Auth-Token`, and `Wazo-Tenant` when a tenant is given. */
export function caller(server: TestApp, token: string): Caller {
  const send = (method: string, path: string, tenant?: string, body?: string) =>
    server.call({
      method,
      path: `/0.1${path}`,
      headers: {
        'X-Auth-Token': token,
        ...(tenant === undefined ? {} : { 'Wazo-Tenant': tenant }),
        ...(body === undefined ? {} : JSON_HEADERS),
      },
      ...(body === undefined ? {} : { body }),
    });
  return {
    token,
    get: (path, tenant) => send('GET', path, tenant),
    // A string is sent as is, to test raw bodies; anything else as its JSON.
    post: (path, body, tenant) =>
      send('POST', path, tenant, typeof body === 'string' ? body : JSON.stringify(body)),
    put: (path, tenant) => send('PUT', path, tenant),
    delete: (path, tenant) => send('DELETE', path, tenant),
  };
}

/** A user written straight to the database with its own policy, logged in through `POST /token`. */
export async function userCaller(
  server: TestApp,
  username: string,
  acl: string[],
  tenant?: string,
): Promise<Caller & { uuid: string }> {
  const uuid = await createUser(server.orm, {
    username,
    password: 'pw',
    purpose: 'internal',
    acl,
    ...(tenant === undefined ? {} : { tenant }),
  });
  const { token } = await tokenFor(server, username, 'pw');
  return { ...caller(server, token), uuid };
}

/** The master tenant's administrator (`#`). */
export const adminCaller = (server: TestApp) => userCaller(server, 'admin', ['#']);

/** The fields every API error has; `timestamp` varies. */
export function apiError(res: ClientResponse): Record<string, unknown> {
  const { timestamp, ...rest } = res.json<Record<string, unknown>>();
  if (typeof timestamp !== 'number') throw new Error(`no numeric timestamp in ${res.text}`);
  return rest;
}

/** The reason and status code of a legacy error (`{"reason": [..], "timestamp": [..], "status_code"}`). */
export function legacyError(res: ClientResponse): { reason: string; status_code: number } {
  const body = res.json<{ reason: string[]; timestamp: number[]; status_code: number }>();
  if (Object.keys(body).join() !== 'reason,timestamp,status_code' || body.timestamp.length !== 1) {
    throw new Error(`not a legacy error: ${res.text}`);
  }
  return { reason: body.reason.join('|'), status_code: body.status_code };
}

/** A policy object as the API answers it (policies.md §1). */
export type PolicyBody = {
  uuid: string;
  tenant_uuid: string;
  name: string;
  slug: string;
  description: string | null;
  acl: string[];
  read_only: boolean;
  shared: boolean;
};
