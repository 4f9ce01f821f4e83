import { requireAcl } from '../authz/require-acl.js';
import type { Route } from '../http/route.js';
import type { TokenService } from '../tokens/service.js';
import type { ClusterMetrics } from './cluster.js';
import { PROMETHEUS_CONTENT_TYPE } from './registry.js';

/** `GET /metrics`: the Prometheus text of every worker, for a token with `auth.metrics.read`. */
export function metricsRoutes(tokens: TokenService, metrics: ClusterMetrics): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics of the server (all workers)',
      steps: [requireAcl(tokens, 'auth.metrics.read')],
      handle: async () => ({
        status: 200,
        raw: { contentType: PROMETHEUS_CONTENT_TYPE, text: await metrics.text() },
      }),
    },
  ];
}
