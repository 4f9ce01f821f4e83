// Callers for API tests: a token and the requests it makes, and the admin every test file starts with.

import { JSON_HEADERS, type TestApp } from './app.js';
import { createUser } from './fixtures.js';
import type { ClientResponse } from './http.js';
import { tokenFor } from './tokens.js';

export interface Caller {
  readonly token: string;
  get(path: string, tenant?: string): Promise<ClientResponse>;
  post(path: string, body: unknown, tenant?: string): Promise<ClientResponse>;
  /** With a body when one is given (after the tenant, as most PUT routes take none). */
  put(path: string, tenant?: string, body?: unknown): Promise<ClientResponse>;
  delete(path: string, tenant?: string): Promise<ClientResponse>;
}

/** A request as `token`, any method; a string body is sent as is (raw bodies), anything else as its JSON. */
export type Send = (
  method: string,
  path: string,
  options?: { body?: unknown; tenant?: string },
) => Promise<ClientResponse>;

/** Requests under `/0.1` with `X-Auth-Token`, and `Wazo-Tenant` when a tenant is given. */
export function sender(server: TestApp, token: string): Send {
  return (method, path, { body, tenant } = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return server.call({
      method,
      path: `/0.1${path}`,
      headers: {
        'X-Auth-Token': token,
        ...(tenant === undefined ? {} : { 'Wazo-Tenant': tenant }),
        ...(text === undefined ? {} : JSON_HEADERS),
      },
      ...(text === undefined ? {} : { body: text }),
    });
  };
}

/** The usual methods of `sender`. */
export function caller(server: TestApp, token: string): Caller {
  const send = sender(server, token);
  return {
    token,
    get: (path, tenant) => send('GET', path, { tenant }),
    post: (path, body, tenant) => send('POST', path, { body, tenant }),
    put: (path, tenant, body) => send('PUT', path, { body, tenant }),
    delete: (path, tenant) => send('DELETE', path, { tenant }),
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

/** The body of a 200 answer; anything else throws with the answer (a setup step, not an assertion). */
export function ok<T>(res: ClientResponse): T {
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status} ${res.text}`);
  return res.json<T>();
}

/** The fields every API error has; `timestamp` varies. */
export function apiError(res: ClientResponse): Record<string, unknown> {
  const { timestamp, ...rest } = res.json<Record<string, unknown>>();
  if (typeof timestamp !== 'number') throw new Error(`no numeric timestamp in ${res.text}`);
  return rest;
}

/** The 404 of an unknown user, tenant or group, as `apiError` gives it. */
export const unknownError = (kind: 'user' | 'tenant' | 'group', uuid: string) => ({
  message: `No such ${kind}: "${uuid}"`,
  error_id: `unknown-${kind}`,
  details: { uuid },
  resource: `${kind}s`,
});

/** The 409 of a login (`username` or `email_address`) another user has, as `apiError` gives it. */
export const loginTaken = (field: 'username' | 'email_address', login: string) => ({
  message: 'Conflict detected',
  error_id: 'conflict',
  details: { [field]: { constraint_id: 'unique', message: `The login "${login}" is already used` } },
  resource: 'users',
});

/** The reason and status code of a legacy error (`{"reason": [..], "timestamp": [..], "status_code"}`). */
export function legacyError(res: ClientResponse): { reason: string; status_code: number } {
  const body = res.json<{ reason: string[]; timestamp: number[]; status_code: number }>();
  if (Object.keys(body).join() !== 'reason,timestamp,status_code' || body.timestamp.length !== 1) {
    throw new Error(`not a legacy error: ${res.text}`);
  }
  return { reason: body.reason.join('|'), status_code: body.status_code };
}

/** The keys of a user object, in upstream's order (users.md §2). */
export const USER_KEYS = [
  'uuid',
  'username',
  'firstname',
  'lastname',
  'purpose',
  'authentication_method',
  'enabled',
  'tenant_uuid',
  'emails',
];

/** The keys of a policy object, in upstream's order (policies.md §1). */
export const POLICY_KEYS = [
  'uuid',
  'tenant_uuid',
  'name',
  'slug',
  'description',
  'acl',
  'read_only',
  'shared',
];

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

/** `POST /policies` as `as`, which must succeed (a setup step). */
export const createPolicy = async (as: Caller, body: unknown, tenant?: string): Promise<PolicyBody> =>
  ok<PolicyBody>(await as.post('/policies', body, tenant));
