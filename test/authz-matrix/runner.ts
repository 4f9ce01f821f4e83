// Runs the authorization matrix for the routes of parts of the table: every route × caller × target ×
// Wazo-Tenant, the expected answer computed (oracle.ts) and the answer checked. Around every request the
// change journal (test/helpers/db-snapshot.ts: row triggers on every auth_* table) tells which tables it
// changed: nothing for a refusal, something for an allowed write; per route, full-row digests taken
// before and after its cases check that the journal missed no table. Allowed answers are also scanned
// for the UUIDs of objects of tenants the caller may not see.

import { randomUUID } from 'node:crypto';
import type { Test as Tap } from 'tap';
import { parse } from 'yaml';
import type { TestApp } from '../helpers/app.js';
import {
  type ChangeJournal,
  changeJournal,
  type DatabaseDigest,
  databaseDigest,
} from '../helpers/db-snapshot.js';
import type { ClientResponse } from '../helpers/http.js';
import {
  answerScope,
  type HeaderValue,
  inSubtree,
  relation,
  type TenantName,
  type Verdict,
  verdict,
} from './oracle.js';
import { type At, type Built, type CaseInfo, type Entry, keysOf, type Part, TABLE } from './table.js';
import { type MatrixCaller, TARGET_LABEL, TENANTS, World } from './world.js';

export interface ServerRoute {
  /** `METHOD path`, the path as the API document writes it (`/users/{user_uuid}`). */
  key: string;
  method: string;
  path: string;
  /** The required ACL template (`x-required-acl`), null for a route without token. */
  acl: string | null;
}

type Operation = { 'x-required-acl'?: string };

/** The server's route table, from the API document it builds from the very routes it serves. */
export async function serverRoutes(server: TestApp): Promise<ServerRoute[]> {
  const res = await server.call({ method: 'GET', path: '/0.1/api/api.yml' });
  if (res.status !== 200) throw new Error(`GET /api/api.yml: ${res.status}`);
  const document = parse(res.text) as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      acl: operation['x-required-acl'] ?? null,
    })),
  );
}

interface Target {
  t: TenantName;
  header: HeaderValue | null;
  self: boolean;
}

/** The callers that also send a `Wazo-Tenant` no tenant has (those the ACL lets through to the header). */
const UNKNOWN_HEADER_CALLERS = ['master-admin', 'sub-admin'];

/**
 * The targets and `Wazo-Tenant` values of a route's cases for a caller: every target tenant (and the
 * caller's own user, on GET routes of one user), each without the header, with the target tenant in it
 * and with `grandchild`; a request without token is refused before the header means anything, it is sent
 * without. The callers of UNKNOWN_HEADER_CALLERS also send an unknown tenant.
 */
function targetsOf(entry: Entry, caller: MatrixCaller | null): Target[] {
  const home = caller?.tenant ?? 'child';
  const all = allTargetsOf(entry, home, caller !== null);
  if (!caller) return all.filter((target) => target.header === null);
  if (UNKNOWN_HEADER_CALLERS.includes(caller.name) && entry.rule !== 'public')
    all.push({ t: home, header: 'unknown', self: entry.rule === 'self' });
  return all;
}

function allTargetsOf(entry: Entry, home: TenantName, hasToken: boolean): Target[] {
  const plain = (t: TenantName, header: TenantName | null): Target => ({ t, header, self: false });
  switch (entry.rule) {
    case 'public':
      return entry.tenants ? TENANTS.map((t) => plain(t, null)) : [plain(home, null)];
    case 'scope':
    case 'global':
    case 'master-only':
      // Without the header the route acts in the caller's own tenant; with it, in the tenant it names.
      return [plain(home, null), ...TENANTS.map((t) => plain(t, t))];
    case 'self':
      return [null, ...TENANTS].map((header) => ({ t: home, header, self: true }));
    default: {
      const targets: Target[] = [];
      // `grandchild` narrows the scope of callers above it; for the others it is their own tenant (no
      // header) or outside their tree (as the target tenants already are).
      const narrowing = home !== 'grandchild' && inSubtree('grandchild', home);
      for (const t of TENANTS) {
        for (const header of narrowing ? ([null, t, 'grandchild'] as const) : ([null, t] as const)) {
          if (!targets.some((other) => other.t === t && other.header === header))
            targets.push(plain(t, header));
        }
      }
      if (entry.self && hasToken) {
        for (const header of [null, ...TENANTS]) targets.push({ t: home, header, self: true });
      }
      return targets;
    }
  }
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const short = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

function body(res: ClientResponse): Record<string, unknown> | null {
  try {
    const parsed = res.json<unknown>();
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export interface PartReport {
  cases: number;
  allowed: number;
  refused: number;
  todo: number;
  failures: string[];
}

/** The matrix of the routes of `parts`, on a server of their own (one world for them all). */
export async function runParts(t: Tap, parts: readonly Part[]): Promise<PartReport> {
  const started = Date.now();
  const world = await World.create(t, { saml: parts.includes('backends-misc') });
  t.comment(`world made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const routes = new Map((await serverRoutes(world.server)).map((route) => [route.key, route]));
  const digest = await databaseDigest(world.server.orm);
  const journal = await changeJournal(world.server.orm);
  const runner = new PartRunner(world, digest, journal, await journal.mark());
  // MATRIX_ROUTES=<substring>: only the routes whose key holds it (while working on the table).
  const only = process.env.MATRIX_ROUTES;
  for (const part of parts) {
    const before = { ...runner.report };
    const partStarted = Date.now();
    for (const key of keysOf(part)) {
      if (only && !key.includes(only)) continue;
      const route = routes.get(key);
      // checks.ts fails on an entry without route; here it is only skipped.
      if (!route) continue;
      await t.test(key, (t) => runner.route(t, route, TABLE[key]!));
    }
    const { report } = runner;
    t.comment(
      `${part}: ${report.cases - before.cases} cases (${report.allowed - before.allowed} allowed, ${report.refused - before.refused} refused, ${report.todo - before.todo} todo) in ${((Date.now() - partStarted) / 1000).toFixed(1)} s`,
    );
  }
  const { report } = runner;
  t.comment(
    `all: ${report.cases} cases (${report.allowed} allowed, ${report.refused} refused, ${report.todo} todo) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const spent = Object.entries(runner.spent).map(([what, ms]) => `${what} ${(ms / 1000).toFixed(1)} s`);
  t.comment(`time spent: ${spent.join(', ')}`);
  for (const failure of report.failures) t.comment(`failing: ${failure}`);
  return report;
}

class PartRunner {
  readonly report: PartReport = { cases: 0, allowed: 0, refused: 0, todo: 0, failures: [] };
  /** Milliseconds spent making objects, in requests, in database digests. */
  readonly spent = { build: 0, request: 0, journal: 0, digest: 0 };
  /** The tables the journal saw changed during the current route's cases and makings. */
  private journaled = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly digest: DatabaseDigest,
    private readonly journal: ChangeJournal,
    private mark: number,
  ) {}

  /** The tables changed since the last look (by a case, or by making objects). */
  private async changes(): Promise<string[]> {
    const start = performance.now();
    const { tables, mark } = await this.journal.since(this.mark);
    this.mark = mark;
    for (const table of tables) this.journaled.add(table);
    this.spent.journal += performance.now() - start;
    return tables;
  }

  async route(t: Tap, route: ServerRoute, entry: Entry): Promise<void> {
    // The journal's completeness, checked per route: every table whose rows differ (full-row digest)
    // between the start and the end of the route's cases must be one the journal saw changing.
    let start = performance.now();
    const first = await this.digest.take();
    this.spent.digest += performance.now() - start;
    await this.changes();
    this.journaled = new Set();
    await this.cases(t, route, entry);
    await this.changes();
    start = performance.now();
    const last = await this.digest.take();
    this.spent.digest += performance.now() - start;
    const missed = this.digest.changed(first, last).filter((table) => !this.journaled.has(table));
    t.strictSame(missed, [], 'the change journal saw every table the cases changed (full-row digests)');
  }

  private async cases(t: Tap, route: ServerRoute, entry: Entry): Promise<void> {
    const built = new Map<string, Built>();
    const callers: Array<MatrixCaller | null> = [...this.world.callers, null];
    for (const caller of callers) {
      const home = caller?.tenant ?? 'child';
      for (const target of targetsOf(entry, caller)) {
        for (const [index, variant] of entry.variants.entries()) {
          // Objects placed in the caller's tenant are the same for the other target tenants' cases.
          if (variant.cross && target.t === home) continue;
          if (variant.noSelf && target.self) continue;
          if (variant.anonymousOnly && caller) continue;
          const at: At = { w: this.world, t: target.t, home, caller, self: target.self };
          const perCaller = target.self || entry.rule === 'self';
          const homed = variant.home || variant.cross;
          const cacheKey = `${index}|${target.t}|${homed ? home : ''}|${perCaller ? (caller?.name ?? '-') : ''}`;
          let made = built.get(cacheKey);
          if (!made) {
            const start = performance.now();
            made = await variant.build(at);
            this.spent.build += performance.now() - start;
            built.set(cacheKey, made);
            await this.changes();
          }
          // The ACL is checked before Wazo-Tenant means anything, and the required access names no tenant:
          // a caller the ACL refuses keeps its cases without the header and with the target's, not more.
          if (target.header === 'grandchild' && this.refusedByAcl(entry, made, caller)) continue;
          const info: CaseInfo = {
            method: route.method,
            caller,
            t: target.t,
            header: target.header,
            variant: variant.name,
            self: target.self,
          };
          const spent = await this.case(t, route, entry, at, made, info);
          if (spent) built.delete(cacheKey);
        }
      }
    }
  }

  private refusedByAcl(entry: Entry, made: Built, caller: MatrixCaller | null): boolean {
    const plain = verdict({
      entry,
      caller: asSeenByOracle(caller),
      params: made.params,
      header: null,
      objects: made.objects,
    });
    return !plain.allowed && (plain.reason === 'acl' || plain.reason === 'no-token');
  }

  /** One case; whether its objects were spent (to be made again). */
  private async case(t: Tap, route: ServerRoute, entry: Entry, at: At, made: Built, info: CaseInfo) {
    const { caller, header } = info;
    const expected = verdict({
      entry,
      caller: asSeenByOracle(caller),
      params: made.params,
      header,
      objects: made.objects,
      ...(made.publicAnswer ? { publicAnswer: made.publicAnswer } : {}),
    });
    const start = performance.now();
    const res = await this.send(route, made, made.params, caller, header);
    this.spent.request += performance.now() - start;
    const changed = await this.changes();
    const problems = this.judge(expected, res, changed, entry, at, info);
    if (!expected.allowed && expected.deny.asUnknown && res.status === expected.deny.status) {
      problems.push(...(await this.likeUnknown(route, made, header, res)));
    }
    const name = this.name(entry, info, expected);
    const todo = entry.todo?.find((known) => known.when(info));
    this.report.cases++;
    if (expected.allowed) this.report.allowed++;
    else this.report.refused++;
    if (todo) this.report.todo++;
    if (problems.length > 0 && !todo)
      this.report.failures.push(`${route.key}: ${name}: ${problems.join('; ')}`);
    t.ok(problems.length === 0, name, {
      ...(todo ? { todo: todo.reason } : {}),
      ...(problems.length > 0 ? { problems } : {}),
    });
    const mutates = entry.mutates ?? !['GET', 'HEAD'].includes(route.method);
    return mutates && changed.length > 0;
  }

  private name(entry: Entry, info: CaseInfo, expected: Verdict): string {
    const who = info.caller ? `${info.caller.name}@${info.caller.tenant}` : 'no token';
    const home = info.caller?.tenant ?? 'child';
    const where = info.self
      ? 'self'
      : entry.rule === 'public' && !entry.tenants
        ? '-'
        : `${TARGET_LABEL[info.t]} [${relation(info.t, home)}]`;
    const header = info.header ? `Wazo-Tenant: ${info.header}` : 'no Wazo-Tenant';
    const variant = info.variant ? ` (${info.variant})` : '';
    const outcome = expected.allowed
      ? `allow ${expected.statuses.join('/')}`
      : `deny ${expected.deny.status} (${expected.reason})`;
    return `${who} → ${where}${variant}, ${header}: ${outcome}`;
  }

  private send(
    route: ServerRoute,
    made: Built,
    params: Record<string, string>,
    caller: MatrixCaller | null,
    header: HeaderValue | null,
  ): Promise<ClientResponse> {
    let path = `/0.1${route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!))}`;
    if (made.query) path += `?${new URLSearchParams(made.query)}`;
    const headers: Record<string, string> = {};
    if (caller) headers['X-Auth-Token'] = caller.token;
    if (header)
      headers['Wazo-Tenant'] = header === 'unknown' ? this.world.unknownTenant : this.world.tree[header];
    let payload: string | Buffer | undefined;
    if (made.raw) {
      const raw = made.raw();
      payload = raw.body;
      headers['Content-Type'] = raw.contentType;
    } else if (made.body) {
      payload = JSON.stringify(made.body());
      headers['Content-Type'] = 'application/json';
    }
    return this.world.server.call({
      method: route.method,
      path,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
  }

  private judge(
    expected: Verdict,
    res: ClientResponse,
    changed: string[],
    entry: Entry,
    at: At,
    info: CaseInfo,
  ): string[] {
    const problems: string[] = [];
    const success = res.status >= 200 && res.status < 300;
    if (expected.allowed) {
      if (!expected.statuses.includes(res.status)) {
        problems.push(`expected ${expected.statuses.join('/')}, got ${res.status} ${short(res.text)}`);
      } else if (success) {
        const writes = !['GET', 'HEAD'].includes(info.method) && entry.rule !== 'public';
        if ((entry.effect ?? writes) && changed.length === 0)
          problems.push('allowed and answered, but nothing changed (a refusal could not be told apart)');
        const wrong = entry.check?.(res, at);
        if (wrong) problems.push(wrong);
      }
    } else {
      const { deny, reason } = expected;
      const answer = body(res);
      if (res.status !== deny.status) {
        problems.push(
          `${success ? 'LEAK: ' : ''}expected ${deny.status} (${reason}), got ${res.status} ${short(res.text)}`,
        );
      } else if (deny.errorId && answer?.error_id !== deny.errorId) {
        problems.push(`expected error_id ${deny.errorId}, got ${short(res.text)}`);
      } else if (deny.legacy && !Array.isArray(answer?.reason)) {
        problems.push(`expected the legacy envelope, got ${short(res.text)}`);
      } else if (reason === 'no-token' || reason === 'acl') {
        const why = (answer?.details as Record<string, unknown> | undefined)?.reason;
        const wanted =
          reason === 'no-token' ? 'not_found_or_expired' : 'missing_permission_or_invalid_tenant';
        if (why !== wanted) problems.push(`expected details.reason ${wanted}, got ${short(res.text)}`);
      }
      if (changed.length > 0) problems.push(`LEAK: refused, but the request changed ${changed.join(', ')}`);
    }
    if (success && !['public', 'global', 'master-only'].includes(entry.rule) && info.caller) {
      const scope = answerScope(entry, info.caller.tenant, info.header);
      const foreign = [...new Set(res.text.match(UUID) ?? [])].filter((uuid) => {
        const owner = this.world.owner.get(uuid.toLowerCase());
        return owner !== undefined && !inSubtree(owner, scope);
      });
      if (foreign.length > 0)
        problems.push(
          `LEAK: the answer shows objects of tenants outside ${scope}'s subtree: ${foreign
            .map((uuid) => `${uuid}@${this.world.owner.get(uuid.toLowerCase())}`)
            .join(', ')}`,
        );
    }
    return problems;
  }

  /** A refusal answered 2xx must be the very answer an unknown object gets, and change nothing either. */
  private async likeUnknown(
    route: ServerRoute,
    made: Built,
    header: HeaderValue | null,
    refused: ClientResponse,
  ): Promise<string[]> {
    const swapped: Record<string, string> = {};
    const back = new Map<string, string>();
    for (const [name, value] of Object.entries(made.params)) {
      if (/^[0-9a-f-]{36}$/i.test(value)) {
        const unknown = randomUUID();
        back.set(unknown, value);
        swapped[name] = unknown;
      } else swapped[name] = value;
    }
    // As the master administrator: an unknown object's answer does not depend on who asks, and the
    // caller's own ACL may grant its own user only (`me`).
    const res = await this.send(route, made, swapped, this.world.setupCaller, header);
    const changed = await this.changes();
    let text = res.text;
    for (const [unknown, value] of back) text = text.replaceAll(unknown, value);
    const problems: string[] = [];
    if (res.status !== refused.status || text !== refused.text)
      problems.push(
        `LEAK: refused as ${refused.status} ${short(refused.text)}, but an unknown object gets ${res.status} ${short(text)}`,
      );
    if (changed.length > 0) problems.push(`the unknown object's request changed ${changed.join(', ')}`);
    return problems;
  }
}

/** A caller as the oracle knows it: its ACL and what the ACL's reserved words and the tenant rules read. */
function asSeenByOracle(caller: MatrixCaller | null) {
  return caller && { acl: caller.acl, authId: caller.uuid, session: caller.session, tenant: caller.tenant };
}
