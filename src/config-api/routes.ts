import { requireAcl } from '../authz/require-acl.js';
import { loadedBackends } from '../backends/registry.js';
import type { Config } from '../config/index.js';
import { json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../log/logger.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { requireMasterTenant } from './master-tenant.js';
import { parseConfigPatch } from './patch.js';
import { ConfigService } from './service.js';

export interface ConfigRouteDependencies {
  config: Config;
  /** The root logger: `debug` switches its level (children follow it). */
  logger: Logger;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  platformUuid: string;
}

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
}: ConfigRouteDependencies): Route[] {
  if (config.enabled_http_plugins.config === false) return [];
  const service = new ConfigService(config, logger, {
    uuid: platformUuid,
    loadedPlugins: loadedBackends(config),
  });
  const master = requireMasterTenant(hierarchy);
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
      handle(request) {
        service.apply(parseConfigPatch(request.body));
        return json(service.get());
      },
    },
  ];
}
