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

  async exists(uuid: string): Promise<boolean> {
    return (await this.orm.em.fork().count(Tenant, { uuid })) > 0;
  }
}
