import { scopedSteps } from '../authz/scoped.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { visibleUserOrFail } from '../tenants/visible-user.js';
import type { TokenService } from '../tokens/service.js';
import { userJson } from '../users/format.js';
import { UserRepository } from '../users/repository.js';
import { groupJson } from './format.js';
import type { GroupRepository, MemberOutcome } from './repository.js';
import { GROUP_USER_LIST, USER_GROUP_LIST } from './schemas.js';
import { visibleGroupOrFail } from './visible.js';

export interface GroupSubRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  groups: GroupRepository;
  /** The `resolveScopingTenant` step of the group routes. */
  scopingTenant: Step;
  /** The `visibleGroup` step of the group routes. */
  visibleGroup: Step;
}

const MEMBER = '/groups/{group_uuid:uuid}/users/{user_uuid:uuid}';

const memberPath = (request: HttpRequest) => ({
  groupUuid: request.params.group_uuid!,
  userUuid: request.params.user_uuid!,
});

function failOn(outcome: MemberOutcome, groupUuid: string, userUuid: string): void {
  if (outcome === 'unknown-group') throw errors.unknown('groups', groupUuid);
  if (outcome === 'unknown-user') throw errors.unknown('users', userUuid);
}

/**
 * Group members (groups.md §2) and `GET /users/{user_uuid}/groups` (users.md §3). Upstream scopes them
 * unevenly (conventions.md §3): the removal scopes the group but not the user, the addition both, and the
 * member list neither, which this server does not follow: it lists only a group visible from the scoping
 * tenant (an unknown or invisible group has no members, as an unknown one has upstream).
 */
export function memberRoutes({
  orm,
  tokens,
  hierarchy,
  groups,
  scopingTenant,
  visibleGroup,
}: GroupSubRouteDependencies): Route[] {
  const users = new UserRepository(orm);
  const scoped = scopedSteps(tokens, scopingTenant);

  return [
    {
      method: 'GET',
      path: '/groups/{group_uuid:uuid}/users',
      // Upstream scopes nothing here: anyone with the ACL lists the members of any tenant's group. Here a
      // group outside the scoping tenant's subtree is like an unknown one (no members).
      steps: scoped('auth.groups.{group_uuid}.users.read'),
      async handle(request) {
        const params = listQuery(request.query, GROUP_USER_LIST);
        const uuid = request.params.group_uuid!;
        const visible = await hierarchy.visibleTenants(request.locals.tenantUuid!);
        if (!(await groups.findIn(uuid, visible))) return json({ items: [], total: 0, filtered: 0 });
        const [total, tenants] = await Promise.all([groups.countMembers(uuid), groups.memberTenants(uuid)]);
        // A `group_uuid` filter naming another group leaves nobody (upstream compares the membership row).
        const queried = params.filters.group_uuid;
        if (tenants.length === 0 || (queried !== undefined && queried !== uuid))
          return json({ items: [], total, filtered: 0 });
        // The user list, narrowed to the group's members, with the filters, search and sort of users.
        const { items, filtered } = await users.list(tenants, {
          ...params,
          filters: { ...params.filters, group_uuid: uuid },
        });
        return json({ items: items.map(userJson), total, filtered });
      },
    },
    {
      method: 'PUT',
      path: MEMBER,
      steps: scoped('auth.groups.{group_uuid}.users.{user_uuid}.create'),
      async handle(request) {
        const { groupUuid, userUuid } = memberPath(request);
        const tenant = request.locals.tenantUuid!;
        const user = await visibleUserOrFail(orm, hierarchy, userUuid, tenant);
        const group = await visibleGroupOrFail(groups, hierarchy, groupUuid, tenant);
        if (user.tenant.uuid !== group.tenant.uuid)
          throw errors.mismatchingTenant(user.tenant.uuid, group.tenant.uuid);
        // Also when the user is already a member (every user is one of its tenant's all-users group).
        if (group.systemManaged) throw errors.forbiddenGroup(groupUuid);
        failOn(await groups.addMember(groupUuid, userUuid), groupUuid, userUuid);
        return empty(204);
      },
    },
    {
      method: 'DELETE',
      path: MEMBER,
      steps: scoped('auth.groups.{group_uuid}.users.{user_uuid}.delete', visibleGroup),
      async handle(request) {
        const { groupUuid, userUuid } = memberPath(request);
        if (request.locals.group!.systemManaged) throw errors.forbiddenGroup(groupUuid);
        failOn(await groups.removeMember(groupUuid, userUuid), groupUuid, userUuid);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}/groups',
      steps: scoped('auth.users.{user_uuid}.groups.read'),
      async handle(request) {
        const userUuid = request.params.user_uuid!;
        await visibleUserOrFail(orm, hierarchy, userUuid, request.locals.tenantUuid!);
        const params = listQuery(request.query, USER_GROUP_LIST);
        const { items, total, filtered } = await groups.list({ member: userUuid }, params);
        return json({ items: items.map(groupJson), total, filtered });
      },
    },
  ];
}
