import type { Policy } from '../entities/index.js';
import { errors } from '../http/errors.js';
import { empty, type HttpResponse } from '../http/request.js';
import type { LiveToken } from '../tokens/record.js';
import { assertMayAdd } from './escalation.js';
import { aclOf } from './format.js';
import { noSuchPolicy, type PolicyRef } from './reference.js';

/** What a repository's `linkPolicy` reports: `unknown-user` or `unknown-group` for the other side. */
export type PolicyLinkOutcome = 'linked' | 'unknown-policy' | `unknown-${string}`;

/**
 * The end of `PUT /users/{user_uuid}/policies/{policy}` and `PUT /groups/{group_uuid}/policies/{policy}`
 * once both sides are found: the escalation guard (acl.md §4: the caller must hold what the policy grants),
 * the link (an existing one is no error), and the 404 of a side deleted meanwhile.
 */
export async function addPolicyLink(
  token: LiveToken,
  { ref, policy }: { ref: PolicyRef; policy: Policy },
  owner: { resource: 'users' | 'groups'; uuid: string },
  link: (policyUuid: string) => Promise<PolicyLinkOutcome>,
): Promise<HttpResponse> {
  assertMayAdd(token, aclOf(policy));
  const outcome = await link(policy.uuid);
  if (outcome === 'unknown-policy') throw noSuchPolicy(ref);
  if (outcome !== 'linked') throw errors.unknown(owner.resource, owner.uuid);
  return empty(204);
}
