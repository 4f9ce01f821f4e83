import { requireAcl } from '../authz/require-acl.js';
import { loadedBackends } from '../backends/registry.js';
import type { ClusterPeer } from '../cluster/peer.js';
import type { Config } from '../config/index.js';
import { json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../log/logger.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { requireMasterTenant } from './master-tenant.js';
import { type ConfigPatchOperation, parseConfigPatch } from './patch.js';
import { ConfigService } from './service.js';

export interface ConfigRouteDependencies {
  config: Config;
  /** The root logger: `debug` switches its level (children follow it). */
  logger: Logger;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  platformUuid: string;
  /** The other workers of this machine, which apply every patch too. */
  peer: ClusterPeer;
}

const APPLY_PATCH = 'config.patch';

const READ = 'auth.config.read';
const UPDATE = 'auth.config.update';

/**
 * `GET|PATCH /config` (conventions.md §7): master-tenant tokens only. Absent when
 * `enabled_http_plugins.config` is false, as upstream's plugin would be.
 */
export function configRoutes({
  config,
  logger,
  tokens,
  hierarchy,
  platformUuid,
  peer,
}: ConfigRouteDependencies): Route[] {
  if (config.enabled_http_plugins.config === false) return [];
  const service = new ConfigService(config, logger, {
    uuid: platformUuid,
    loadedPlugins: loadedBackends(config),
  });
  const master = requireMasterTenant(hierarchy);
  peer.handle(APPLY_PATCH, (operations) => service.apply(operations as ConfigPatchOperation[]));
  return [
    {
      method: 'GET',
      path: '/config',
      summary: 'Show the current configuration',
      steps: [requireAcl(tokens, READ), master],
      handle: () => json(service.get()),
    },
    {
      method: 'PATCH',
      path: '/config',
      readsBody: true,
      summary: 'Update the current configuration (debug, profiling_enabled); not persistent across restarts',
      steps: [requireAcl(tokens, UPDATE), master],
      async handle(request) {
        const operations = parseConfigPatch(request.body);
        service.apply(operations);
        // Every worker answers GET /config and logs: all switch before the answer.
        await peer.broadcast(APPLY_PATCH, operations);
        return json(service.get());
      },
    },
  ];
}
