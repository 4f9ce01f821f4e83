import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, json } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import { assertMayRemove } from '../policies/escalation.js';
import { aclOf, policyJson } from '../policies/format.js';
import { addPolicyLink } from '../policies/link.js';
import { findPolicy, type PolicyLookup } from '../policies/lookup.js';
import { policyParamSteps } from '../policies/reference.js';
import type { TokenService } from '../tokens/service.js';
import type { UserRepository } from './repository.js';
import { USER_POLICY_LIST } from './schemas.js';

export interface UserPolicyRouteDependencies extends PolicyLookup {
  tokens: TokenService;
  users: UserRepository;
  /** The `resolveScopingTenant` step of the user routes. */
  scopingTenant: Step;
}

const LINK = '/users/{user_uuid:uuid}/policies/{policy}';

/**
 * The user↔policy links (users.md §3). Upstream scopes them only partly: the list and the link ignore the
 * user's tenant, the link looks a UUID up in every tenant, the unlink scopes the policy but not the user.
 */
export function userPolicyRoutes({
  tokens,
  users,
  policies,
  hierarchy,
  scopingTenant,
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
        const { items, total, filtered } = await policies.listForUser(request.params.user_uuid!, params);
        return json({ items: items.map((policy) => policyJson(policy)), total, filtered });
      },
    },
    {
      method: 'PUT',
      path: LINK,
      steps: linkSteps('create'),
      async handle(request) {
        const userUuid = request.params.user_uuid!;
        const found = await findPolicy(
          lookup,
          request.params.policy!,
          request.locals.tenantUuid!,
          'anywhere',
        );
        return addPolicyLink(request.locals.token!, found, { resource: 'users', uuid: userUuid }, (policy) =>
          users.linkPolicy(userUuid, policy),
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
        // Nothing removed: an unknown user is a 404, a policy that was not linked is not.
        if (!(await users.unlinkPolicy(userUuid, policy.uuid)) && !(await users.exists(userUuid)))
          throw errors.unknown('users', userUuid);
        return empty(204);
      },
    },
  ];
}
