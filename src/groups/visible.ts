import type { Group } from '../entities/index.js';
import { errors } from '../http/errors.js';
import type { Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { GroupRepository } from './repository.js';

declare module '../http/request.js' {
  interface RequestLocals {
    /** The group of the path, once `visibleGroup` found it among the visible tenants. */
    group: Group;
  }
}

/**
 * The group if it belongs to one of the visible tenants of `scopingTenant` (the implicit recurse of
 * single-resource endpoints); otherwise the `404 unknown-group` (conventions.md §3: never a 403).
 */
export async function visibleGroupOrFail(
  groups: GroupRepository,
  hierarchy: TenantHierarchy,
  uuid: string,
  scopingTenant: string,
): Promise<Group> {
  const group = await groups.findIn(uuid, await hierarchy.visibleTenants(scopingTenant));
  if (!group) throw errors.unknown('groups', uuid);
  return group;
}

/** The step after `resolveScopingTenant` of the routes on one group: its `{group_uuid}` must be visible. */
export function visibleGroup(groups: GroupRepository, hierarchy: TenantHierarchy): Step {
  return async (request) => {
    request.locals.group = await visibleGroupOrFail(
      groups,
      hierarchy,
      request.params.group_uuid!,
      request.locals.tenantUuid!,
    );
  };
}
