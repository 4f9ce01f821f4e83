// PUT with a JSON body, which the shared `Caller.put` does not send.
import { JSON_HEADERS, type TestApp } from '../helpers/app.js';
import type { Caller } from '../helpers/callers.js';
import type { ClientResponse } from '../helpers/http.js';

/** `PUT /0.1<path>` as `caller`; a string body is sent as is (raw bodies), anything else as its JSON. */
export function putJson(
  server: TestApp,
  caller: Caller,
  path: string,
  body: unknown,
  tenant?: string,
): Promise<ClientResponse> {
  return server.call({
    method: 'PUT',
    path: `/0.1${path}`,
    headers: {
      'X-Auth-Token': caller.token,
      ...JSON_HEADERS,
      ...(tenant === undefined ? {} : { 'Wazo-Tenant': tenant }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
