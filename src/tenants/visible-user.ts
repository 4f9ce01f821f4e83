import { User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import type { TenantHierarchy } from './hierarchy.js';

/** The user `uuid` if it belongs to one of the visible tenants of `scopingTenant`, else null. */
export async function visibleUser(
  orm: Database,
  hierarchy: TenantHierarchy,
  uuid: string,
  scopingTenant: string,
): Promise<User | null> {
  const user = await orm.em.fork().findOne(User, { uuid }, { populate: ['tenant'] });
  if (!user || !(await hierarchy.visibleTenants(scopingTenant)).includes(user.tenant.uuid)) return null;
  return user;
}

/**
 * The visible user, or the `404 unknown-user` every per-user endpoint answers (a resource outside the
 * caller's tenants is not found, never forbidden).
 */
export async function visibleUserOrFail(
  orm: Database,
  hierarchy: TenantHierarchy,
  uuid: string,
  scopingTenant: string,
): Promise<User> {
  const user = await visibleUser(orm, hierarchy, uuid, scopingTenant);
  if (!user) throw errors.unknown('users', uuid);
  return user;
}
