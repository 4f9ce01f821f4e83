import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import type { Database } from '../entities/orm.js';
import type { HttpRequest } from '../http/request.js';
import type { Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { visibleUserOrFail } from '../tenants/visible-user.js';
import type { TokenService } from '../tokens/service.js';

/** What the routes of one external auth type (`/users/{user_uuid}/external/<type>`) share. */
export interface TypeRouteKit {
  /** The route's steps: the ACL `auth.users.{user_uuid}.external.<type>.<action>`, then the scoping tenant. */
  steps(action: string): Step[];
  /** The target user if the scoping tenant may see it, else `404 unknown-user`. */
  visibleUser(request: HttpRequest): Promise<string>;
  path: string;
}

export function typeRouteKit(
  type: string,
  deps: { orm: Database; tokens: TokenService; hierarchy: TenantHierarchy },
): TypeRouteKit {
  const scoped = scopedSteps(deps.tokens, resolveScopingTenant(deps.orm, deps.hierarchy));
  return {
    path: `/users/{user_uuid:uuid}/external/${type}`,
    steps: (action) => scoped(`auth.users.{user_uuid}.external.${type}.${action}`),
    async visibleUser(request) {
      const uuid = request.params.user_uuid!;
      await visibleUserOrFail(deps.orm, deps.hierarchy, uuid, request.locals.tenantUuid!);
      return uuid;
    },
  };
}
