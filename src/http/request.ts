import type { Json } from './errors.js';

/**
 * What the steps of an endpoint learn about a request (the caller's token, the scoping tenant…). Each
 * domain declares its own keys by augmenting this interface, so the HTTP layer stays ignorant of them.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the domains.
export interface RequestLocals {}

/**
 * A request as handlers see it: a plain snapshot, since uWS's own request object dies as soon as its
 * callback returns and every handler here is asynchronous.
 */
export interface HttpRequest {
  readonly id: number;
  readonly method: string;
  /** The path below the API prefix (`/status` for `/0.1/status` or `/api/auth/0.1/status`). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Client address after trusting `rest_api.num_proxies` hops of X-Forwarded-For. */
  readonly remoteAddress: string;
  /** Path parameters; UUID parameters already in canonical lower case. */
  params: Record<string, string>;
  /** The parsed JSON body, for routes that read one. */
  body: Json | undefined;
  /** The body's bytes, for routes with `rawBody` (an empty buffer when none was sent). */
  rawBody?: Buffer;
  locals: Partial<RequestLocals>;
}

export interface HttpResponse {
  status: number;
  /** A JSON value, serialised on the way out; `undefined` for an empty body. */
  body?: Json;
  /** Pre-serialised body with its own content type (YAML, HTML). */
  raw?: { contentType: string; text: string };
  headers?: Record<string, string>;
}

export const json = (body: Json, status = 200, headers?: Record<string, string>): HttpResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

export const empty = (status = 204, headers?: Record<string, string>): HttpResponse => ({
  status,
  ...(headers ? { headers } : {}),
});

/** `X-Forwarded-For` is trusted for `numProxies` hops, as upstream's ProxyFix does. */
export function clientAddress(peer: string, forwardedFor: string | undefined, numProxies: number): string {
  if (!forwardedFor || numProxies <= 0) return peer;
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  return hops.length >= numProxies ? (hops[hops.length - numProxies] ?? peer) : peer;
}
