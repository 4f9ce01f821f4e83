import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import type { UserVisibility } from '../authz/user-visibility.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import { assertMayRemove } from '../policies/escalation.js';
import { aclOf, policyJson } from '../policies/format.js';
import { addPolicyLink } from '../policies/link.js';
import { findPolicy, type PolicyLookup } from '../policies/lookup.js';
import { policyParamSteps } from '../policies/reference.js';
import { policyScope } from '../policies/scope.js';
import type { TokenService } from '../tokens/service.js';
import type { UserRepository } from './repository.js';
import { USER_POLICY_LIST } from './schemas.js';

export interface UserPolicyRouteDependencies extends PolicyLookup {
  tokens: TokenService;
  users: UserRepository;
  /** The `resolveScopingTenant` step of the user routes. */
  scopingTenant: Step;
  visible: UserVisibility;
  /** The caller's own tenant, whatever `Wazo-Tenant` says (these routes ignore it, as upstream). */
  ownTenant: (request: HttpRequest) => Promise<string>;
}

const LINK = '/users/{user_uuid:uuid}/policies/{policy}';

/**
 * The user↔policy links (users.md §3). Upstream scopes them only partly: the list and the link ignore the
 * user's tenant (its FIXME), the link looks a policy UUID up in every tenant, the unlink scopes the policy
 * but not the user. Here the user must also be within the caller's tenant subtree (`userVisibility`):
 * another tenant's user has an empty list, as an unknown user, and linking or unlinking is the 404
 * unknown-user upstream gives where it finds no user. A policy named by UUID must be within the
 * caller's own tenant subtree (upstream links a policy of any tenant); the rest of the lookups stay
 * upstream's.
 */
export function userPolicyRoutes({
  tokens,
  users,
  policies,
  hierarchy,
  scopingTenant,
  visible,
  ownTenant,
}: UserPolicyRouteDependencies): Route[] {
  const lookup = { policies, hierarchy };
  const scoped = scopedSteps(tokens, scopingTenant);
  const linkSteps = policyParamSteps(scoped, 'auth.users.{user_uuid}.policies.{policy}');

  return [
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}/policies',
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.policies.read')],
      async handle(request) {
        const params = listQuery(request.query, USER_POLICY_LIST);
        const uuid = request.params.user_uuid!;
        if (!(await visible(request, uuid))) return json({ items: [], total: 0, filtered: 0 });
        // Only the links to policies the caller can see: a user of its subtree may also hold a policy of
        // a tenant above it (linked by a master admin), which the caller may not read (upstream lists all).
        // A user reading its own list sees all of it, as upstream: its token carries those ACLs anyway.
        const self = request.locals.token!.userUuid === uuid;
        const scope = self ? null : await policyScope(hierarchy, await ownTenant(request), true);
        const { items, total, filtered } = await policies.listForUser(uuid, params, scope);
        return json({ items: items.map((policy) => policyJson(policy)), total, filtered });
      },
    },
    {
      method: 'PUT',
      path: LINK,
      steps: linkSteps('create'),
      async handle(request) {
        const userUuid = request.params.user_uuid!;
        // Upstream finds a UUID in every tenant: a sub-tenant admin could hand out any tenant's policy.
        const found = await findPolicy(lookup, request.params.policy!, request.locals.tenantUuid!, {
          uuidsFrom: request.locals.callerTenantUuid!,
        });
        return addPolicyLink(
          request.locals.token!,
          found,
          { resource: 'users', uuid: userUuid },
          async (policy) =>
            (await visible(request, userUuid)) ? users.linkPolicy(userUuid, policy) : 'unknown-user',
        );
      },
    },
    {
      method: 'DELETE',
      path: LINK,
      steps: linkSteps('delete'),
      async handle(request) {
        const userUuid = request.params.user_uuid!;
        const { policy } = await findPolicy(lookup, request.params.policy!, request.locals.tenantUuid!);
        assertMayRemove(request.locals.token!, aclOf(policy));
        if (!(await visible(request, userUuid))) throw errors.unknown('users', userUuid);
        // Nothing removed from a visible user: the policy was not linked, which is no error.
        await users.unlinkPolicy(userUuid, policy.uuid);
        return empty(204);
      },
    },
  ];
}
