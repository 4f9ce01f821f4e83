import { empty, json } from '../http/request.js';
import type { Route } from '../http/route.js';

/** A part of the server whose health `HEAD /status` reports. */
export interface StatusComponent {
  name: string;
  ok(): boolean;
}

/** One condition of readiness: null when met, else a word saying why not (`unreachable`). */
export interface ReadinessCheck {
  name: string;
  check(): string | null | Promise<string | null>;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

/**
 * `HEAD /status`: 200 when every component is ok, 503 otherwise; no GET, as upstream.
 *
 * Ours, for orchestrators (unauthenticated, JSON, beside upstream's `/status` so that they are reached
 * through the same prefixes and proxy): `GET /status/live` answers 200 as long as the process can answer
 * at all (a failure means restart it); `GET /status/ready` answers 200 only when every readiness check
 * passes (database reachable, HTTP listening, not shutting down), else 503 (send no traffic, but do not
 * restart). Each check shows `"ok"` or why it fails.
 */
export function statusRoutes(
  components: readonly StatusComponent[],
  readiness: readonly ReadinessCheck[] = [],
): Route[] {
  return [
    {
      method: 'HEAD',
      path: '/status',
      handle: () => empty(components.every((component) => component.ok()) ? 200 : 503),
    },
    {
      method: 'GET',
      path: '/status/live',
      summary: 'Liveness: the process answers',
      handle: () => json({ status: 'alive' }, 200, NO_STORE),
    },
    {
      method: 'GET',
      path: '/status/ready',
      summary: 'Readiness: database reachable, HTTP listening, not shutting down',
      async handle() {
        const results = await Promise.all(
          readiness.map(async ({ name, check }) => {
            const failure = await Promise.resolve()
              .then(check)
              .catch(() => 'error');
            return [name, failure ?? 'ok'] as const;
          }),
        );
        const checks = Object.fromEntries(results);
        const ready = results.every(([, state]) => state === 'ok');
        return json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503, NO_STORE);
      },
    },
  ];
}
