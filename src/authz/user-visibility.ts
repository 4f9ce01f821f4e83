import type { Database } from '../entities/orm.js';
import type { HttpRequest } from '../http/request.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { visibleUser } from '../tenants/visible-user.js';
import { callerTenant } from './scoping-tenant.js';

/** Whether the caller may reach a user at all: the user is in the caller's tenant or below it. */
export type UserVisibility = (request: HttpRequest, uuid: string) => Promise<boolean>;

/**
 * For the per-user routes upstream leaves unscoped (the password, the address lists, the confirmation
 * mail, the user↔policy links): upstream ignores `Wazo-Tenant` there and reaches a user of any tenant.
 * Here the header stays ignored, but the user must be within the caller's own tenant's subtree, so that
 * an administrator of one tenant cannot act on another's users. Runs after `requireAcl`.
 */
export function userVisibility(orm: Database, hierarchy: TenantHierarchy): UserVisibility {
  return async (request, uuid) => {
    const tenant = await callerTenant(orm, hierarchy, request.locals.token!);
    return (await visibleUser(orm, hierarchy, uuid, tenant)) !== null;
  };
}
