import { requireAcl } from '../authz/require-acl.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, json } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import { assertMayAdd, assertMayRemove } from '../policies/escalation.js';
import { aclOf, policyJson } from '../policies/format.js';
import { findPolicy, type PolicyLookup } from '../policies/lookup.js';
import { noSuchPolicy, readPolicyParam } from '../policies/reference.js';
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
  const linkSteps = (action: string): Step[] => [
    readPolicyParam('policy'),
    requireAcl(tokens, `auth.users.{user_uuid}.policies.{policy}.${action}`),
    scopingTenant,
  ];

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
        const { ref, policy } = await findPolicy(
          lookup,
          request.params.policy!,
          request.locals.tenantUuid!,
          'anywhere',
        );
        assertMayAdd(request.locals.token!, aclOf(policy));
        const outcome = await users.linkPolicy(userUuid, policy.uuid);
        if (outcome === 'unknown-user') throw errors.unknown('users', userUuid);
        if (outcome === 'unknown-policy') throw noSuchPolicy(ref);
        return empty(204);
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
