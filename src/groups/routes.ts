import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { groupJson, writtenGroupJson } from './format.js';
import { memberRoutes } from './member-routes.js';
import { groupPolicyRoutes } from './policy-routes.js';
import { GroupRepository } from './repository.js';
import { GROUP_LIST, GROUP_SORT_COLUMNS, parseGroupPost, parseGroupPut } from './schemas.js';
import { visibleGroup } from './visible.js';

export interface GroupRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
}

/**
 * The groups API (groups.md §2): `GET|POST /groups`, `GET|PUT|DELETE /groups/{group_uuid}`, the members,
 * the group↔policy links, and `GET /users/{user_uuid}/groups`.
 */
export function groupRoutes({ orm, tokens, hierarchy }: GroupRouteDependencies): Route[] {
  const groups = new GroupRepository(orm);
  const scopingTenant = resolveScopingTenant(orm, hierarchy);
  const scoped = scopedSteps(tokens, scopingTenant);
  const visible = visibleGroup(groups, hierarchy);
  /** A single group is reachable from any tenant of the scoping tenant's subtree (conventions.md §3). */
  const visibleTenants = (request: HttpRequest) => hierarchy.visibleTenants(request.locals.tenantUuid!);
  const oneGroup = (action: string): Step[] => scoped(`auth.groups.{group_uuid}.${action}`, visible);

  return [
    {
      method: 'GET',
      path: '/groups',
      steps: [requireAcl(tokens, 'auth.groups.read')],
      async handle(request) {
        // Upstream validates the list parameters before it looks at Wazo-Tenant.
        const params = listQuery(request.query, GROUP_LIST);
        await scopingTenant(request);
        // The list schema accepts them, upstream's paginator then has no such column.
        if (params.order !== null && !GROUP_SORT_COLUMNS.includes(params.order))
          throw errors.legacy(400, `Invalid sort column: ${params.order}`);
        const tenants = await hierarchy.listed(request.locals.tenantUuid!, params.recurse);
        const { items, total, filtered } = await groups.list({ tenants }, params);
        return json({ total, filtered, items: items.map(groupJson) });
      },
    },
    {
      method: 'POST',
      path: '/groups',
      readsBody: true,
      steps: [requireAcl(tokens, 'auth.groups.create')],
      async handle(request) {
        // Upstream validates the body before it looks at Wazo-Tenant.
        const body = parseGroupPost(request.body);
        await scopingTenant(request);
        // The body's `tenant_uuid` is ignored: the owner is the scoping tenant.
        const group = await groups.create({ ...body, tenant: request.locals.tenantUuid! });
        return json(writtenGroupJson(group));
      },
    },
    {
      method: 'GET',
      path: '/groups/{group_uuid:uuid}',
      steps: oneGroup('read'),
      handle: (request) => json(groupJson(request.locals.group!)),
    },
    {
      method: 'PUT',
      path: '/groups/{group_uuid:uuid}',
      readsBody: true,
      // The visibility step runs before the body is even parsed: an invisible group is a 404 whatever the body.
      steps: oneGroup('update'),
      async handle(request) {
        const { name } = parseGroupPut(request.body);
        const group = await groups.rename(request.params.group_uuid!, await visibleTenants(request), name);
        return json(writtenGroupJson(group));
      },
    },
    {
      method: 'DELETE',
      path: '/groups/{group_uuid:uuid}',
      steps: scoped('auth.groups.{group_uuid}.delete'),
      async handle(request) {
        await groups.deleteIn(request.params.group_uuid!, await visibleTenants(request));
        return empty(204);
      },
    },
    ...memberRoutes({ orm, tokens, hierarchy, groups, scopingTenant, visibleGroup: visible }),
    ...groupPolicyRoutes({ orm, tokens, hierarchy, groups, scopingTenant, visibleGroup: visible }),
  ];
}
