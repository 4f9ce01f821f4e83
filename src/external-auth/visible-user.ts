import { User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';

/**
 * Whether the user exists in one of the tenants the request may see. Upstream checks neither on the
 * per-user external auth routes; here a user of another tenant is treated as unknown (tenant isolation).
 */
export async function isVisibleUser(
  orm: Database,
  hierarchy: TenantHierarchy,
  uuid: string,
  scopingTenant: string,
): Promise<boolean> {
  const user = await orm.em.fork().findOne(User, { uuid }, { fields: ['tenant'] });
  return user !== null && (await hierarchy.visibleTenants(scopingTenant)).includes(user.tenant.uuid);
}
