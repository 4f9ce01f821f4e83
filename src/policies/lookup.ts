import type { Policy } from '../entities/index.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { type PolicyRef, policyRef } from './reference.js';
import type { PolicyRepository } from './repository.js';
import { type PolicyScope, policyScope } from './scope.js';

export interface PolicyLookup {
  policies: PolicyRepository;
  hierarchy: TenantHierarchy;
}

export interface FoundPolicy {
  ref: PolicyRef;
  policy: Policy;
  /** The tenant context the policy was looked up in, for its exposed fields and read-only state. */
  scope: PolicyScope;
}

/**
 * The policy a `{policy}` path value names, seen from `tenant` (policies.md §4): a UUID among the
 * policies visible from its whole subtree, a slug among those of the tenant itself (with what it
 * inherits). Unknown or invisible: the legacy 404.
 */
export async function findPolicy(
  { policies, hierarchy }: PolicyLookup,
  value: string,
  tenant: string,
  /**
   * For upstream's user↔policy link, which looks a UUID up in every tenant: the tenant whose subtree a
   * UUID is looked up in instead of `tenant`'s, the caller's own (its reach, whatever `Wazo-Tenant` says).
   */
  { uuidsFrom = tenant }: { uuidsFrom?: string } = {},
): Promise<FoundPolicy> {
  const ref = policyRef(value);
  const byUuid = 'uuid' in ref;
  const scope = await policyScope(hierarchy, byUuid ? uuidsFrom : tenant, byUuid);
  const policy = await policies.get(ref, scope);
  return { ref, policy, scope };
}
