import { scopedSteps } from '../authz/scoped.js';
import { errors, LegacyError } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import { assertMayRemove } from '../policies/escalation.js';
import { aclOf, policyJson } from '../policies/format.js';
import { addPolicyLink } from '../policies/link.js';
import { findPolicy } from '../policies/lookup.js';
import { noSuchPolicy, policyParamSteps, policyRef } from '../policies/reference.js';
import { PolicyRepository } from '../policies/repository.js';
import { policyScope } from '../policies/scope.js';
import type { GroupSubRouteDependencies } from './member-routes.js';
import { GROUP_POLICY_LIST } from './schemas.js';
import { visibleGroupOrFail } from './visible.js';

const LINK = '/groups/{group_uuid:uuid}/policies/{policy}';

/**
 * The group↔policy links (groups.md §2), under the escalation guard (acl.md §4). They work on
 * system-managed groups too. Upstream does not check that the policy and the group share a tenant.
 */
export function groupPolicyRoutes({
  orm,
  tokens,
  hierarchy,
  groups,
  scopingTenant,
  visibleGroup,
}: GroupSubRouteDependencies): Route[] {
  const policies = new PolicyRepository(orm);
  const lookup = { policies, hierarchy };
  const scoped = scopedSteps(tokens, scopingTenant);
  const linkSteps = policyParamSteps(scoped, 'auth.groups.{group_uuid}.policies.{policy}');

  /**
   * The group and the policy of a link path, in upstream's order: a slug is resolved first (in the
   * scoping tenant, with what it inherits), then the group must be visible, then a UUID is looked up
   * among the policies visible from the whole subtree.
   */
  const resolve = async (request: HttpRequest) => {
    const value = request.params.policy!;
    const tenant = request.locals.tenantUuid!;
    const bySlug = 'slug' in policyRef(value);
    const early = bySlug ? await findPolicy(lookup, value, tenant) : undefined;
    const group = await visibleGroupOrFail(groups, hierarchy, request.params.group_uuid!, tenant);
    const { ref, policy } = early ?? (await findPolicy(lookup, value, tenant));
    return { group, ref, policy };
  };

  return [
    {
      method: 'GET',
      path: '/groups/{group_uuid:uuid}/policies',
      steps: scoped('auth.groups.{group_uuid}.policies.read', visibleGroup),
      async handle(request) {
        const uuid = request.locals.group!.uuid;
        const params = listQuery(request.query, GROUP_POLICY_LIST);
        // Items: the linked policies visible from the subtree, with their exposed fields; counts: every link.
        const scope = await policyScope(hierarchy, request.locals.tenantUuid!, true);
        const queried = params.filters.group_uuid;
        const [page, total, filtered] = await Promise.all([
          queried !== undefined && queried !== uuid
            ? { items: [] }
            : policies.list(
                scope,
                { ...params, filters: { ...params.filters, group_uuid: uuid } },
                undefined,
              ),
          groups.countPolicies(uuid),
          groups.countPolicies(uuid, params),
        ]);
        return json({ items: page.items.map((policy) => policyJson(policy, scope)), total, filtered });
      },
    },
    {
      method: 'PUT',
      path: LINK,
      steps: linkSteps('create'),
      async handle(request) {
        const { group, ...found } = await resolve(request);
        return addPolicyLink(
          request.locals.token!,
          found,
          { resource: 'groups', uuid: group.uuid },
          (policy) => groups.linkPolicy(group.uuid, policy),
        );
      },
    },
    {
      method: 'DELETE',
      path: LINK,
      steps: linkSteps('delete'),
      async handle(request) {
        const { group, ref, policy } = await resolve(request);
        assertMayRemove(request.locals.token!, aclOf(policy));
        if (await groups.unlinkPolicy(group.uuid, policy.uuid)) return empty(204);
        // Nothing removed: a group or policy deleted meanwhile is reported, a link that was not there is not.
        if (!(await groups.exists(group.uuid))) throw errors.unknown('groups', group.uuid);
        await policies.get({ uuid: policy.uuid }, null).catch((error: unknown) => {
          throw error instanceof LegacyError ? noSuchPolicy(ref) : error;
        });
        return empty(204);
      },
    },
  ];
}
