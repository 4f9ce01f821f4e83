import type { TenantHierarchy } from '../tenants/hierarchy.js';

/** The tenant context a policy request runs in (policies.md §2). */
export interface PolicyScope {
  /** T, the scoping tenant: inherited and config-managed policies of other tenants are shown as its. */
  readonly requested: string;
  /** O, the tenants whose policies are the caller's own: T, or T's visible tenants when recursive. */
  readonly own: ReadonlySet<string>;
  /** T and its ancestors: the owners of the shared policies T inherits. */
  readonly lineage: readonly string[];
  readonly master: string;
}

/**
 * Policies by UUID and recursive lists see the whole subtree as their own; policies by slug and plain
 * lists only the scoping tenant (policies.md §4).
 */
export async function policyScope(
  hierarchy: TenantHierarchy,
  tenant: string,
  recursive: boolean,
): Promise<PolicyScope> {
  const [own, lineage, master] = await Promise.all([
    recursive ? hierarchy.visibleTenants(tenant) : [tenant],
    hierarchy.ancestors(tenant),
    hierarchy.masterUuid(),
  ]);
  return { requested: tenant, own: new Set(own), lineage, master };
}
