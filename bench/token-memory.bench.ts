// Memory per live token on one server process run as `npm start` runs it: N user tokens written straight
// into a fresh SQLite database, each checked once with `GET /0.1/token/{t}?scope=confd.users.me.read`
// (which loads it into the read model and builds whatever a check builds), and the growth of the
// server's resident memory divided by N. Target: at most 1.5 KiB per token at 100,000 tokens.
//
// `npm run bench -- token-memory` runs 100,000 tokens; BENCH_TOKEN_MEMORY_TOKENS=1000000 (or a first
// argument when run with tsx directly) the stretch, given up with a line saying so when its checks would
// not end within BENCH_TOKEN_MEMORY_BUDGET_S seconds (default 1800). BENCH_TOKEN_MEMORY_DB=postgresql
// uses a throw-away PostgreSQL database (BENCH_DB_URI's server) instead of a SQLite file.
//
// The server runs with `--inspect` so that the bench can force full collections through the inspector:
// the raw growth counts garbage V8 has not collected yet, the collected one only what the tokens keep.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BulkToken, insertTokens } from './support/bulk-tokens.js';
import { createScratchDatabase } from './support/pg-database.js';
import { freePort, Inspector, residentKiB } from './support/process-memory.js';
import { serverTrouble as troubleOf } from './support/server-log.js';
import { startTarget, stopTargets } from './support/targets.js';

const STRETCH = 1_000_000;
const TARGET_KIB = 1.5;
const count = Number(process.argv[2] ?? process.env.BENCH_TOKEN_MEMORY_TOKENS ?? 100_000);
const budgetS = Number(process.env.BENCH_TOKEN_MEMORY_BUDGET_S ?? 1800);
/**
 * Checked before the first reading: the first checks also compile code, fill the ORM's metadata and
 * connection caches and the ACL template cache, none of which grows with the number of tokens.
 */
const WARM_UP = Math.min(2_000, Math.floor(count / 10));
const CONCURRENCY = 32;
/**
 * The server drops a token left unused for 15 minutes (TokenCache's idle time). A run longer than that
 * checks the tokens checked so far again every 10 minutes, so that all of them are live at the end.
 */
const REFRESH_MS = 10 * 60_000;
/** Tokens checked between two looks at the clock (refresh, budget). */
const CHUNK = 20_000;
/** Long enough for V8's memory reducer, which runs once the process has been idle for a few seconds. */
const SETTLE_MS = 10_000;
const SCOPE = 'confd.users.me.read';

/**
 * A Wazo user's ACL, as its default user policy and a group policy or two make it: mostly `me` entries
 * (which depend on the token), a few literal and wildcard ones, one `my_session`, and users of three
 * kinds of groups.
 */
const USER_POLICY = [
  'auth.users.me.read',
  'auth.users.me.password.edit',
  'auth.users.me.tokens.#',
  'auth.users.me.external.#',
  'auth.users.me.sessions.read',
  'auth.users.me.sessions.my_session.delete',
  'calld.users.me.#',
  'chatd.users.me.#',
  'confd.users.me.read',
  'confd.users.me.funckeys.#',
  'confd.users.me.forwards.*.read',
  'dird.directories.favorites.#',
  'dird.directories.lookup.*.read',
  'dird.personal.#',
  'events.users.me.#',
  'events.chatd.users.me.#',
  'webhookd.users.me.subscriptions.#',
  'websocketd',
];
const GROUP_POLICIES = [
  [],
  ['amid.action.QueueStatus.create', 'calld.switchboards.#'],
  ['confd.users.me.services.#', '!confd.users.me.services.dnd.update'],
];
const aclOf = (index: number) => [...USER_POLICY, ...GROUP_POLICIES[index % GROUP_POLICIES.length]!];
const USER_AGENTS = [
  'Wazo Desktop 3.4.1 (Electron)',
  'WazoMobile/2.9.0 (Android 14)',
  'WazoMobile/2.9.0 (iOS 17.5)',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
];
/** One address per login: phones and desktops come from everywhere. */
const clientOf = (index: number) => ({
  remoteAddr: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
  userAgent: USER_AGENTS[index % USER_AGENTS.length]!,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
/** Other benchmarks or test suites running meanwhile share the 2 cores: printed with the figures. */
const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Checks `tokens` once each over keep-alive connections; resolves with the first failure, if any. */
async function checkAll(base: string, tokens: readonly BulkToken[]): Promise<string | null> {
  const { hostname, port } = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  let failure: string | null = null;
  const checkOne = (token: string) =>
    new Promise<void>((resolve, reject) => {
      const path = `/0.1/token/${token}?scope=${SCOPE}`;
      request({ agent, hostname, port, path }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => {
          if (response.statusCode !== 200 || !body.includes(token))
            failure ??= `${response.statusCode} for ${path}: ${body.slice(0, 200)}`;
          resolve();
        });
      })
        .on('error', reject)
        .end();
    });
  const lane = async () => {
    while (next < tokens.length && failure === null) await checkOne(tokens[next++]!.token);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  agent.destroy();
  return failure;
}

class OverBudget extends Error {}

/**
 * Checks `tokens` once each, and `warmedUp` with the ones done so far again whenever REFRESH_MS has
 * passed (they are in memory then: those checks add nothing). Returns the time spent on refreshing.
 */
async function checkKeepingLive(
  base: string,
  warmedUp: readonly BulkToken[],
  tokens: readonly BulkToken[],
  deadline: number,
): Promise<{ refreshMs: number; refreshed: number }> {
  let touched = Date.now();
  let refreshMs = 0;
  let refreshed = 0;
  for (let done = 0; done < tokens.length; done += CHUNK) {
    if (Date.now() > deadline) throw new OverBudget(`${done} of ${tokens.length} checked`);
    if (Date.now() - touched > REFRESH_MS) {
      const started = Date.now();
      const again = [...warmedUp, ...tokens.slice(0, done)];
      const failure = await checkAll(base, again);
      if (failure) throw new Error(`check failed: ${failure}`);
      touched = started;
      refreshMs += Date.now() - started;
      refreshed += again.length;
    }
    const failure = await checkAll(base, tokens.slice(done, done + CHUNK));
    if (failure) throw new Error(`check failed: ${failure}`);
  }
  return { refreshMs, refreshed };
}

interface Reading {
  /** VmRSS as it is, KiB. */
  rss: number;
  /** VmRSS right after a full collection, KiB. */
  rssCollected: number;
  /** Bytes of the JavaScript heap still reachable after that collection. */
  heap: number;
}

/** RSS as it is, then after a forced full collection (in that order: the first must not be disturbed). */
async function read(pid: number, inspector: Inspector): Promise<Reading> {
  const rss = residentKiB(pid);
  await inspector.collectGarbage();
  await sleep(500);
  return { rss, rssCollected: residentKiB(pid), heap: await inspector.heapUsed() };
}

console.log(`token memory: ${count} user tokens of ${USER_POLICY.length}-${aclOf(2).length} ACL entries`);
console.log(`load average before the start: ${loadAverage()}`);
const benchStart = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-bench-'));
const scratch = process.env.BENCH_TOKEN_MEMORY_DB === 'postgresql' ? await createScratchDatabase() : null;
const dbUri = scratch?.uri ?? `sqlite:${join(dir, 'bench.db')}`;
console.log(`database: ${scratch ? 'PostgreSQL' : 'SQLite'}`);
const expireT = Math.trunc(Date.now() / 1000) + 4 * 3600;
const tokens = await insertTokens(
  dbUri,
  Array.from({ length: count }, () => expireT),
  { acl: aclOf, tenant: 'sub', client: clientOf, xivoUuid: randomUUID() },
);
console.log(`tokens inserted: ${count} in ${seconds(Date.now() - benchStart)}`);

const inspectPort = await freePort();
const server = await startTarget(
  'wazo-auth-ts',
  [`--inspect=127.0.0.1:${inspectPort}`, '--import', 'tsx', 'src/main.ts'],
  { WAZO_AUTH_PORT: '0', WAZO_AUTH_DB_URI: dbUri, WAZO_AUTH_CONFIG: '' },
);
const pid = server.child.pid!;
const inspector = await Inspector.connect(inspectPort);
let skipped = false;
try {
  await sleep(1_000);
  const started = residentKiB(pid);
  const warmUpStart = Date.now();
  const warmUpFailure = await checkAll(server.base, tokens.slice(0, WARM_UP));
  if (warmUpFailure) throw new Error(`check failed: ${warmUpFailure}`);
  const warmUpMs = Date.now() - warmUpStart;
  const measured = tokens.slice(WARM_UP);
  const projectedMs = (measured.length * warmUpMs) / Math.max(WARM_UP, 1);
  if (Date.now() - benchStart + projectedMs > budgetS * 1000) {
    skipped = true;
    console.log(
      `token memory: ${count} tokens skipped: checking them would take about ${seconds(projectedMs)} ` +
        `at the warm-up's rate, past the ${budgetS} s budget (BENCH_TOKEN_MEMORY_BUDGET_S)`,
    );
  } else {
    await sleep(2_000);
    const before = await read(pid, inspector);
    const checkStart = Date.now();
    const { refreshMs, refreshed } = await checkKeepingLive(
      server.base,
      tokens.slice(0, WARM_UP),
      measured,
      benchStart + budgetS * 1000,
    );
    const checkMs = Date.now() - checkStart - refreshMs;
    const rssRightAfter = residentKiB(pid);
    await sleep(SETTLE_MS);
    const after = await read(pid, inspector);
    const n = measured.length;
    const perToken = (kib: number) => kib / n;
    const settled = perToken(after.rss - before.rss);

    console.log(
      `checks: ${n} tokens (after ${WARM_UP} warm-up ones) in ${seconds(checkMs)}, ` +
        `${Math.round(n / (checkMs / 1000))}/s, ${CONCURRENCY} keep-alive connections, each a database load`,
    );
    if (refreshed > 0)
      console.log(
        `kept live: ${refreshed} checks of tokens already checked, ${seconds(refreshMs)} (not counted above)`,
      );
    console.log(`load average after the checks: ${loadAverage()}`);
    console.table([
      {
        reading: 'RSS right after the checks',
        before: mib(before.rss),
        after: mib(rssRightAfter),
        'KiB per token': perToken(rssRightAfter - before.rss).toFixed(2),
      },
      {
        reading: `RSS ${SETTLE_MS / 1000} s later`,
        before: mib(before.rss),
        after: mib(after.rss),
        'KiB per token': settled.toFixed(2),
      },
      {
        reading: 'RSS after a full GC',
        before: mib(before.rssCollected),
        after: mib(after.rssCollected),
        'KiB per token': perToken(after.rssCollected - before.rssCollected).toFixed(2),
      },
      {
        reading: 'JS heap reachable',
        before: mib(before.heap / 1024),
        after: mib(after.heap / 1024),
        'KiB per token': perToken((after.heap - before.heap) / 1024).toFixed(2),
      },
    ]);
    console.log(`server RSS at start (before the warm-up): ${mib(started)}`);
    console.log(
      `memory per live token: ${settled.toFixed(2)} KiB of resident memory ${SETTLE_MS / 1000} s after ` +
        `the checks at ${count} tokens (target <= ${TARGET_KIB}): ${settled <= TARGET_KIB ? 'met' : 'NOT met'}`,
    );
  }
} catch (error) {
  if (!(error instanceof OverBudget)) throw error;
  skipped = true;
  console.log(
    `token memory: ${count} tokens given up past the ${budgetS} s budget ` +
      `(BENCH_TOKEN_MEMORY_BUDGET_S): ${error.message}`,
  );
} finally {
  inspector.close();
  stopTargets(server);
  for (const line of troubleOf(server)) console.log(`server log: ${line}`);
  rmSync(dir, { recursive: true, force: true });
  // The server closes its connections as it stops.
  await sleep(1_000);
  await scratch?.drop();
}
console.log(`total duration: ${seconds(Date.now() - benchStart)}`);
if (count < STRETCH && !skipped)
  console.log(`stretch (${STRETCH} tokens): not run, run with BENCH_TOKEN_MEMORY_TOKENS=${STRETCH}`);
