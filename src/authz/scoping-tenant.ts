import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import type { Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { userTenant } from '../tokens/check.js';
import type { LiveToken } from '../tokens/record.js';

declare module '../http/request.js' {
  interface RequestLocals {
    /** The tenant the request acts in (conventions.md §3), after `Wazo-Tenant` was checked. */
    tenantUuid: string;
    /** The caller's own tenant, whatever `Wazo-Tenant` says: the root of everything it may reach. */
    callerTenantUuid: string;
  }
}

/** The caller's own tenant: its user's, else the one its token names, else the master tenant. */
export async function callerTenant(
  orm: Database,
  hierarchy: TenantHierarchy,
  token: LiveToken,
): Promise<string> {
  const userUuid = token.userUuid;
  if (userUuid) {
    const tenant = await userTenant(orm, userUuid);
    if (tenant === null) throw errors.unknown('users', userUuid);
    return tenant;
  }
  const fromToken = token.record.metadata.tenant_uuid;
  return typeof fromToken === 'string' ? fromToken : hierarchy.masterUuid();
}

/**
 * Resolves the scoping tenant: the caller's current tenant, or the `Wazo-Tenant` header when it names
 * that tenant or a descendant. Runs after `requireAcl`.
 */
export function resolveScopingTenant(orm: Database, hierarchy: TenantHierarchy): Step {
  return async (request) => {
    const caller = await callerTenant(orm, hierarchy, request.locals.token!);
    request.locals.callerTenantUuid = caller;
    const wanted = request.headers['wazo-tenant'];
    if (!wanted || wanted === caller) {
      request.locals.tenantUuid = caller;
      return;
    }
    if (!(await hierarchy.isSubtenant(wanted, caller))) throw errors.unauthorizedTenant(wanted);
    request.locals.tenantUuid = wanted;
  };
}
