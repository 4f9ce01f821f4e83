import { findMasterTenant, Tenant } from '../entities/index.js';
import type { Database } from '../entities/orm.js';

/** Deepest tenant tree walked before giving up: a cycle in corrupt data must not loop forever. */
const MAX_DEPTH = 256;

/** Questions about the tenant tree (conventions.md §3), answered from the database. */
export class TenantHierarchy {
  private master: string | undefined;

  constructor(private readonly orm: Database) {}

  /** The master (top) tenant, the only one that is its own parent; it never changes once seeded. */
  async masterUuid(): Promise<string> {
    if (!this.master) {
      const master = await findMasterTenant(this.orm.em.fork());
      if (!master) throw new Error('the database has no master tenant');
      this.master = master.uuid;
    }
    return this.master;
  }

  /**
   * Upstream's `is_subtenant(child, parent)`: true if equal; false if the child does not exist; true if
   * the parent is the master tenant; otherwise walk the child's parent chain upward.
   */
  async isSubtenant(child: string, parent: string): Promise<boolean> {
    if (child === parent) return true;
    const em = this.orm.em.fork();
    const parentOf = async (uuid: string): Promise<string | null> =>
      (await em.findOne(Tenant, { uuid }, { fields: ['parent'] }))?.parent.uuid ?? null;
    let parentUuid = await parentOf(child);
    if (parentUuid === null) return false;
    if (parent === (await this.masterUuid())) return true;
    let current = child;
    for (let depth = 0; depth < MAX_DEPTH && parentUuid !== null; depth++) {
      if (parentUuid === parent) return true;
      // The master is its own parent: the top was reached without meeting `parent`.
      if (parentUuid === current) return false;
      current = parentUuid;
      parentUuid = await parentOf(current);
    }
    return false;
  }

  /**
   * The visible tenants of `tenantUuid` (conventions.md §3): itself, first, then all its descendants;
   * for the master tenant, every tenant. The tenant is listed even when it does not exist, so that the
   * result is never empty (an empty `in ()` list is not valid SQL).
   */
  async visibleTenants(tenantUuid: string): Promise<string[]> {
    const em = this.orm.em.fork();
    const rows =
      tenantUuid === (await this.masterUuid())
        ? await em.execute<{ uuid: string }[]>('select "uuid" from "auth_tenant"')
        : await em.execute<{ uuid: string }[]>(
            // `union` (not `union all`) stops on a cycle in corrupt data; the master's self-reference
            // is skipped so the walk never climbs back up.
            `with recursive "below" ("uuid") as (
               select "uuid" from "auth_tenant" where "uuid" = ?
               union
               select "t"."uuid" from "auth_tenant" "t"
                 join "below" "b" on "t"."parent_uuid" = "b"."uuid" and "t"."uuid" <> "t"."parent_uuid"
             ) select "uuid" from "below"`,
            [tenantUuid],
          );
    return [tenantUuid, ...rows.map((row) => row.uuid).filter((uuid) => uuid !== tenantUuid)];
  }

  /**
   * `tenantUuid` itself, first, then all its ancestors up to the master tenant (in no particular order):
   * the tenants whose shared policies it inherits (policies.md §2).
   */
  async ancestors(tenantUuid: string): Promise<string[]> {
    const rows = await this.orm.em.fork().execute<{ uuid: string }[]>(
      `with recursive "above" ("uuid", "parent_uuid") as (
         select "uuid", "parent_uuid" from "auth_tenant" where "uuid" = ?
         union
         select "t"."uuid", "t"."parent_uuid" from "auth_tenant" "t"
           join "above" "a" on "t"."uuid" = "a"."parent_uuid" and "a"."uuid" <> "a"."parent_uuid"
       ) select "uuid" from "above"`,
      [tenantUuid],
    );
    return [tenantUuid, ...rows.map((row) => row.uuid).filter((uuid) => uuid !== tenantUuid)];
  }

  /** The tenants a list endpoint covers (conventions.md §3): the scoping tenant, or its subtree with `recurse`. */
  async listed(scopingTenant: string, recurse: boolean): Promise<string[]> {
    return recurse ? this.visibleTenants(scopingTenant) : [scopingTenant];
  }
}
