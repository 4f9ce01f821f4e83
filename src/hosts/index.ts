/*
 * Which hosts the platform owns (security issue #18, items 9 and 10): mail links and redirects point only
 * there. Owned are the configured `public_hosts` and, for a tenant, its domain names.
 */
import { TenantDomain } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { PlatformHosts } from './owned-hosts.js';

export { type HostPort, parseHostPort } from './host-port.js';
export { OwnedHosts, PlatformHosts } from './owned-hosts.js';
export { isOwnedRedirect, MAX_REDIRECT_URL, redirectHost } from './redirect-url.js';

/** The platform's hosts from the configuration and the tenants' domains in `orm`. */
export function platformHosts(
  orm: Database,
  configured: readonly string[],
  machineHostname: string,
): PlatformHosts {
  return new PlatformHosts({
    configured,
    machineHostname,
    domainsOf: async (tenant) =>
      (await orm.em.fork().find(TenantDomain, { tenant }, { fields: ['name'] })).map((row) => row.name),
  });
}
