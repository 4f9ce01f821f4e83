import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import type { Database } from '../entities/orm.js';
import { empty, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { ldapConfigJson, parseLdapConfigPut } from './config.js';
import { LdapConfigRepository } from './repository.js';

export interface LdapConfigRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
}

/**
 * `GET|PUT|DELETE /backends/ldap` (ldap.md §3): the scoping tenant's LDAP server. None when
 * `enabled_http_plugins.ldap_config` is false (pass that flag as `enabled`).
 */
export function ldapConfigRoutes(
  { orm, tokens, hierarchy }: LdapConfigRouteDependencies,
  enabled = true,
): Route[] {
  if (!enabled) return [];
  const configs = new LdapConfigRepository(orm);
  const scoped = scopedSteps(tokens, resolveScopingTenant(orm, hierarchy));
  return [
    {
      method: 'GET',
      path: '/backends/ldap',
      summary: "The tenant's LDAP configuration",
      steps: scoped('auth.backends.ldap.read'),
      handle: async (request) => json(ldapConfigJson(await configs.find(request.locals.tenantUuid!))),
    },
    {
      method: 'PUT',
      path: '/backends/ldap',
      summary: "Create or update the tenant's LDAP configuration",
      readsBody: true,
      steps: scoped('auth.backends.ldap.update'),
      async handle(request) {
        const body = parseLdapConfigPut(request.body);
        return json(ldapConfigJson(await configs.put(request.locals.tenantUuid!, body)));
      },
    },
    {
      method: 'DELETE',
      path: '/backends/ldap',
      summary: "Delete the tenant's LDAP configuration",
      steps: scoped('auth.backends.ldap.delete'),
      async handle(request) {
        await configs.delete(request.locals.tenantUuid!);
        return empty(204);
      },
    },
  ];
}
