import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import type { Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { userTenant } from '../tokens/check.js';

declare module '../http/request.js' {
  interface RequestLocals {
    /** The tenant the request acts in (conventions.md §3), after `Wazo-Tenant` was checked. */
    tenantUuid: string;
  }
}

/**
 * Resolves the scoping tenant: the caller's current tenant, or the `Wazo-Tenant` header when it names
 * that tenant or a descendant. Runs after `requireAcl`.
 */
export function resolveScopingTenant(orm: Database, hierarchy: TenantHierarchy): Step {
  return async (request) => {
    const token = request.locals.token!;
    const userUuid = token.userUuid;
    let caller: string | null;
    if (userUuid) {
      caller = await userTenant(orm, userUuid);
      if (caller === null) throw errors.unknown('users', userUuid);
    } else {
      const fromToken = token.record.metadata.tenant_uuid;
      caller = typeof fromToken === 'string' ? fromToken : await hierarchy.masterUuid();
    }
    const wanted = request.headers['wazo-tenant'];
    if (!wanted || wanted === caller) {
      request.locals.tenantUuid = caller;
      return;
    }
    if (!(await hierarchy.isSubtenant(wanted, caller))) throw errors.unauthorizedTenant(wanted);
    request.locals.tenantUuid = wanted;
  };
}
