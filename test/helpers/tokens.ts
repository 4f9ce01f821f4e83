import { basic, JSON_HEADERS, type TestApp } from './app.js';
import type { ClientResponse } from './http.js';

export interface IssuedToken {
  token: string;
  session_uuid: string;
  /** Naive UTC ISO time, microseconds. */
  utc_expires_at: string;
  refresh_token?: string;
  metadata: Record<string, unknown>;
}

/** `POST /0.1/token` with Basic credentials: the answer, whatever it is. */
export function attemptLogin(
  server: TestApp,
  username: string,
  password: string,
  body: object = {},
  headers: Record<string, string> = {},
): Promise<ClientResponse> {
  return server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic(username, password), ...headers },
    body: JSON.stringify(body),
  });
}

/** Logs in through `POST /0.1/token` and returns the token object; any failure throws. */
export async function tokenFor(
  server: TestApp,
  username: string,
  password: string,
  body: object = {},
  headers: Record<string, string> = {},
): Promise<IssuedToken> {
  const res = await attemptLogin(server, username, password, body, headers);
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  return res.json<{ data: IssuedToken }>().data;
}
