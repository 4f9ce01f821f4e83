import type { Policy } from '../entities/index.js';
import type { Json } from '../http/errors.js';
import type { PolicyScope } from './scope.js';

/** The policy's ACL entries; `accesses` must be populated. */
export function aclOf(policy: Policy): string[] {
  return policy.accesses.getItems().map((access) => access.access);
}

/**
 * A config-managed or shared policy owned outside the caller's own tenants reaches it by inheritance
 * (policies.md §3): it is shown as the scoping tenant's, read-only and not shared.
 */
function inheritedIn(policy: Policy, scope: PolicyScope | undefined): scope is PolicyScope {
  return (
    scope !== undefined &&
    (policy.configManaged === true || policy.shared) &&
    !scope.own.has(policy.tenant.uuid)
  );
}

/** Config-managed policies and inherited ones cannot be changed or deleted from `scope` (403). */
export function isReadOnly(policy: Policy, scope?: PolicyScope): boolean {
  return policy.configManaged === true || (policy.shared && inheritedIn(policy, scope));
}

/**
 * The policy object (policies.md §1), keys in upstream's order, its exposed fields computed for `scope`;
 * without one (association lists, POST answers) the stored values are shown. `accesses` must be populated.
 */
export function policyJson(policy: Policy, scope?: PolicyScope): { [key: string]: Json } {
  const inherited = inheritedIn(policy, scope);
  return {
    uuid: policy.uuid,
    tenant_uuid: inherited ? scope.requested : policy.tenant.uuid,
    name: policy.name,
    slug: policy.slug,
    description: policy.description,
    acl: aclOf(policy),
    read_only: isReadOnly(policy, scope),
    shared: policy.shared && !inherited,
  };
}
