import type { Config } from '../config/index.js';

const ALLOW_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

export type CorsPolicy = (
  headers: Readonly<Record<string, string>>,
  preflight: boolean,
) => Record<string, string>;

/** Upstream's CORS behaviour (conventions.md §1): any origin, a fixed list of request headers. */
export function corsPolicy(config: Config['rest_api']['cors']): CorsPolicy {
  if (!config.enabled) return () => ({});
  const allowed = new Map(config.allow_headers.map((name) => [name.toLowerCase(), name]));
  return (headers, preflight) => {
    const origin = headers.origin;
    const out: Record<string, string> = origin
      ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }
      : { 'Access-Control-Allow-Origin': '*' };
    if (preflight) {
      out['Access-Control-Allow-Methods'] = ALLOW_METHODS;
      // Only requested headers that are allowed are echoed; unknown ones are dropped silently.
      const requested = (headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => allowed.has(name.toLowerCase()));
      if (requested.length > 0) out['Access-Control-Allow-Headers'] = requested.join(', ');
    }
    return out;
  };
}
