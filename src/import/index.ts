import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Database } from '../entities/orm.js';
import { lockProvisioning } from '../provisioning/provision.js';
import { applyPlan } from './apply.js';
import { type Plan, planImport, type TableSummary } from './plan.js';
import { readUpstream, type UpstreamSnapshot } from './source.js';
import { readTarget } from './target.js';

export { WriteError } from './apply.js';
export type { Plan, TableSummary } from './plan.js';
export { redactUri, SourceError } from './source.js';
export { TargetError } from './target.js';

export interface ImportOptions {
  /** `postgresql://…` of the upstream wazo-auth database. */
  from: string;
  /** The target, opened and migrated. */
  orm: Database;
  dryRun?: boolean;
  /** Epoch seconds deciding which tokens are still live (default: now). */
  now?: number;
}

export interface ImportResult {
  plan: Plan;
  /** False for a dry run and when conflicts stopped the import. */
  written: boolean;
  schemaVersion: string | null;
}

/** Conflicts found: nothing was written. */
export class ImportConflictError extends Error {
  override name = 'ImportConflictError';
  constructor(readonly result: ImportResult) {
    super(`${result.plan.conflicts.length} conflict(s) between the source and the target: nothing imported`);
  }
}

/**
 * Imports an upstream wazo-auth database into the target in one transaction: the target is read, the
 * plan made and, unless it is a dry run or there are conflicts, written — or nothing at all.
 */
export async function importUpstream(options: ImportOptions): Promise<ImportResult> {
  const snapshot = await readUpstream(options.from);
  return importSnapshot(snapshot, options);
}

export async function importSnapshot(
  snapshot: UpstreamSnapshot,
  options: ImportOptions,
): Promise<ImportResult> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  return options.orm.em.fork().transactional(async (em: SqlEntityManager) => {
    // A server starting meanwhile would provision the master tenant the import is replacing: it waits.
    await lockProvisioning(em);
    const plan = planImport(snapshot, await readTarget(em), now);
    const result: ImportResult = { plan, written: false, schemaVersion: snapshot.schemaVersion };
    if (plan.conflicts.length > 0) throw new ImportConflictError(result);
    if (options.dryRun) return result;
    await applyPlan(em, plan);
    return { ...result, written: true };
  });
}

const COLUMNS = ['source', 'imported', 'present', 'skipped'] as const;

/** The per-table summary: counts and notes, never row contents beyond uuids and names. */
export function formatReport(result: ImportResult, dryRun: boolean): string {
  const { plan } = result;
  const lines: string[] = [];
  const rows: TableSummary[] = plan.summary;
  const width = Math.max(5, ...rows.map((row) => row.table.length));
  const header = `${'table'.padEnd(width)}  ${COLUMNS.map((c) => (dryRun && c === 'imported' ? 'to import' : c).padStart(9)).join('  ')}`;
  lines.push(header, '-'.repeat(header.length));
  for (const row of rows) {
    lines.push(`${row.table.padEnd(width)}  ${COLUMNS.map((c) => String(row[c]).padStart(9)).join('  ')}`);
  }
  const notes = rows.flatMap((row) => row.notes.map((note) => `  ${row.table}: ${note}`));
  if (plan.master) {
    notes.unshift(
      `  master tenant: the seed's ${plan.master.seed} becomes upstream's ${plan.master.upstream.uuid} ("${plan.master.upstream.name ?? ''}")`,
    );
  }
  if (plan.xivoUuid) {
    notes.push(`  auth_settings: xivo_uuid ${plan.xivoUuid.from ?? '(none)'} -> ${plan.xivoUuid.to}`);
  }
  if (notes.length > 0) lines.push('', 'notes:', ...notes);
  if (plan.conflicts.length > 0) {
    lines.push('', `conflicts (${plan.conflicts.length}), nothing was imported:`);
    for (const conflict of plan.conflicts) lines.push(`  - ${conflict}`);
  }
  return lines.join('\n');
}
