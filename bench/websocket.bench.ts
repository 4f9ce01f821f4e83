// WebSocket push at scale, on one server process run as `npm start` runs it: how many clients one
// worker holds (connected, subscribed, started), what each costs in resident memory, and how close to
// their due times the expire-soon warnings (expire_t − token_cleanup_interval) and the 4003 closes
// (expire_t) arrive when every token expires within a short window.
//
// `npm run bench -- websocket` runs 20,000 clients; BENCH_WS_CLIENTS=50000 (or a first argument) the
// stretch. The users live in a sub-tenant, as end users do on a Wazo platform; BENCH_WS_TENANT=master
// puts them in the master tenant, whose connections are offered every event of every tenant (each warning
// is then checked against every connection's ACL: a cost that grows with the square of the count).
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertTokens } from './support/bulk-tokens.js';
import { residentKiB } from './support/process-memory.js';
import { serverTrouble as troubleOf } from './support/server-log.js';
import { startTarget } from './support/targets.js';
import type { ClientOutcome, ClientSpec, FromWorker, ToWorker } from './support/ws-clients.js';

const ROOT = new URL('..', import.meta.url).pathname;
const STRETCH = 50_000;
const count = Number(process.argv[2] ?? process.env.BENCH_WS_CLIENTS ?? 20_000);
const tenant = process.env.BENCH_WS_TENANT === 'master' ? 'master' : 'sub';
/** `token_cleanup_interval`: the warning comes this long before expiry. */
const LEAD_S = 10;
/** Expiries are spread evenly over this window, in whole seconds as the database stores them. */
const SPREAD_S = 20;
/** Clients per load-generator process and per source address (one address has ~28k ports). */
const PER_WORKER = 10_000;
/** Handshakes in flight per load-generator process. */
const IN_FLIGHT = 200;
/** Short: past the server's open-files limit, handshakes hang rather than fail. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Assumed connect rate for scheduling the first due time; checked below. Measured here: 380 to 700/s,
 * the handshake timeouts past the server's open-files limit included.
 */
const EXPECTED_CONNECTS_PER_S = 300;
/** Server start and settling: added before the first due time. */
const SETUP_S = 10;
/** How long after the last due close the bench still waits for stragglers. */
const GRACE_S = 20;
/** File descriptors the server keeps besides its clients (stdio, listener, database, epoll…). */
const SERVER_OWN_FDS = 40;
const WITHIN_MS = 1_000;

function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line
    .split(/\s+/)
    .slice(3, 5)
    .map((value) => (value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value)));
  return { soft: soft!, hard: hard! };
}

/**
 * The server process needs one descriptor per client. `ulimit -n` is per process and inherited, so
 * when the limit is short this re-runs the bench under a raised one, if the system lets it. Returns
 * about how many connections the server will have room for.
 */
function ensureOpenFiles(needed: number): number {
  const { soft, hard } = openFilesLimit();
  const room = soft - SERVER_OWN_FDS;
  if (soft >= needed || process.env.BENCH_WS_REEXEC) return room;
  const raise = `ulimit -n ${needed}`;
  if (spawnSync('bash', ['-c', raise]).status === 0) {
    const run = spawnSync(
      'bash',
      ['-c', `${raise} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      { stdio: 'inherit', env: { ...process.env, BENCH_WS_REEXEC: '1' } },
    );
    process.exit(run.status ?? 1);
  }
  console.log(
    `open files: limit ${soft} (hard ${hard}) per process, and raising it to ${needed} is not permitted ` +
      'here: the server cannot hold every client',
  );
  return room;
}

/** Unref'd: a deadline that lost its race must not keep the bench alive. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const percent = (part: number, whole: number) => `${((100 * part) / Math.max(whole, 1)).toFixed(1)} %`;

function tally(into: Record<string, number>, key: string, n = 1): void {
  into[key] = (into[key] ?? 0) + n;
}

/** One line per figure: how many arrived, how many within ±1 s of due, and the spread of lateness. */
function reportTimeliness(label: string, lateness: number[], expected: number): void {
  const sorted = [...lateness].sort((a, b) => a - b);
  const within = sorted.filter((ms) => Math.abs(ms) <= WITHIN_MS).length;
  console.log(`${label} received: ${sorted.length} of ${expected}`);
  console.log(`${label} within ±1 s of due: ${within} of ${expected} = ${percent(within, expected)}`);
  if (sorted.length === 0) return;
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  console.log(`${label} lateness: min ${at(0)} ms, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
}

interface Worker {
  child: ChildProcess;
  next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>>;
}

/**
 * A load-generator process; `next(type)` waits for its next message of that type, and fails if the
 * process dies first (the bench would otherwise wait forever).
 */
function startWorker(): Worker {
  const child = fork(join(ROOT, 'bench/support/ws-clients.ts'), [], { execArgv: ['--import', 'tsx'] });
  const waiting = new Map<
    string,
    { resolve: (message: FromWorker) => void; reject: (error: Error) => void }
  >();
  const early = new Map<string, FromWorker>();
  let died: Error | null = null;
  child.on('message', (message: FromWorker) => {
    const waiter = waiting.get(message.type);
    waiting.delete(message.type);
    if (waiter) waiter.resolve(message);
    else early.set(message.type, message);
  });
  child.once('exit', (code, signal) => {
    died = new Error(`load generator ${child.pid} exited (code ${code}, signal ${signal})`);
    for (const waiter of waiting.values()) waiter.reject(died);
    waiting.clear();
  });
  return {
    child,
    next: <T extends FromWorker['type']>(type: T) =>
      new Promise<Extract<FromWorker, { type: T }>>((resolve, reject) => {
        const message = early.get(type);
        early.delete(type);
        const deliver = resolve as (message: FromWorker) => void;
        if (message) deliver(message);
        else if (died) reject(died);
        else waiting.set(type, { resolve: deliver, reject });
      }),
  };
}

/** SIGTERM, then SIGKILL if the server has not exited after `graceMs`; says which it took. */
async function stopServer(child: ChildProcess, graceMs: number): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return 'server had already exited';
  const exited = once(child, 'exit');
  const asked = Date.now();
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]))
    return `server stopped ${seconds(Date.now() - asked)} after SIGTERM`;
  child.kill('SIGKILL');
  await exited;
  return `server still busy ${seconds(graceMs)} after SIGTERM: killed`;
}

const expectedRoom = ensureOpenFiles(count + SERVER_OWN_FDS);
/** A few clients past the limit show what the server does there; thousands more would only time out. */
const fits = (clients: number) => clients <= expectedRoom * 1.05;
if (!fits(count)) {
  console.log(`websocket: ${count} clients skipped: the server has room for about ${expectedRoom} here`);
  process.exit(0);
}
console.log(
  `websocket: ${count} clients from ${Math.ceil(count / PER_WORKER)} load-generator process(es) sharing ` +
    `the 2 cores with the server (so the figures bound the server from below); users in the ${tenant} tenant`,
);
// Anything else running (a test suite) takes cores from both sides.
console.log(`load average before the start: ${loadavg()[0]!.toFixed(2)}`);

const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-bench-'));
const dbUri = `sqlite:${join(dir, 'bench.db')}`;
const configPath = join(dir, 'config.yml');
// The server's own reserve of descriptors (512 by default) is for a production mix of HTTP and database
// traffic; this bench only needs its few, so it lets the clients have the rest.
writeFileSync(
  configPath,
  `token_cleanup_interval: ${LEAD_S}\nwebsocket:\n  max_connections: ${Math.max(expectedRoom, 64)}\n`,
);

const benchStart = Date.now();
const firstWarnS = Math.ceil(benchStart / 1000) + SETUP_S + Math.ceil(count / EXPECTED_CONNECTS_PER_S);
const expiries = Array.from(
  { length: count },
  (_, i) => firstWarnS + LEAD_S + Math.floor((i * SPREAD_S) / count),
);
const tokens = await insertTokens(dbUri, expiries, {
  acl: ['websocketd', 'events.auth.users.me.sessions.my_session.expire_soon'],
  tenant,
});
console.log(`tokens inserted: ${count} in ${seconds(Date.now() - benchStart)}`);

const server = await startTarget('wazo-auth-ts', ['--import', 'tsx', 'src/main.ts'], {
  WAZO_AUTH_PORT: '0',
  WAZO_AUTH_DB_URI: dbUri,
  WAZO_AUTH_CONFIG: configPath,
});
const pid = server.child.pid!;
const serverGone = () => server.child.exitCode !== null || server.child.signalCode !== null;
server.child.once('exit', (code, signal) =>
  console.log(`server exited (code ${code}, signal ${signal}) at +${seconds(Date.now() - benchStart)}`),
);

const openFiles = () => readdirSync(`/proc/${pid}/fd`).length;
const workers: Worker[] = [];
try {
  await sleep(1_000);
  const rssBefore = residentKiB(pid);
  const fdLimit = openFilesLimit(pid).soft;
  const fdsBefore = openFiles();
  console.log(
    `server open files: ${fdsBefore} before connecting, limit ${fdLimit}: ` +
      `room for ${fdLimit - fdsBefore} connections`,
  );
  const url = `${server.base.replace(/^http/, 'ws')}/api/websocketd/`;
  // Clients connect in expiry order, so the first to be due were connected first.
  const specs: ClientSpec[] = tokens.map((t, i) => ({
    token: t.token,
    sessionUuid: t.sessionUuid,
    localAddress: `127.0.0.${2 + Math.floor(i / PER_WORKER)}`,
  }));
  const connectStart = Date.now();
  for (let start = 0; start < count; start += PER_WORKER) {
    const worker = startWorker();
    workers.push(worker);
    worker.child.send({
      type: 'connect',
      url,
      clients: specs.slice(start, start + PER_WORKER),
      inFlight: IN_FLIGHT,
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
    } satisfies ToWorker);
  }
  const connected = await Promise.all(workers.map((w) => w.next('connected')));
  const connectMs = Date.now() - connectStart;
  const ready = connected.reduce((sum, c) => sum + c.ready, 0);
  const failures: Record<string, number> = {};
  for (const c of connected) for (const [reason, n] of Object.entries(c.failures)) tally(failures, reason, n);

  await sleep(2_000);
  console.log(
    `connections held by one worker: ${ready} of ${count} connected, subscribed and started ` +
      `in ${seconds(connectMs)} (${Math.round(ready / (connectMs / 1000))}/s)`,
  );
  if (Object.keys(failures).length > 0) console.log(`connection failures: ${JSON.stringify(failures)}`);
  if (!serverGone()) {
    const rssAfter = residentKiB(pid);
    console.log(`server open files with the clients connected: ${openFiles()}`);
    console.log(
      `server resident memory: ${(rssBefore / 1024).toFixed(0)} MiB before connecting, ` +
        `${(rssAfter / 1024).toFixed(0)} MiB with the clients connected`,
    );
    console.log(
      `memory per connection (with its token loaded): ` +
        `${((rssAfter - rssBefore) / Math.max(ready, 1)).toFixed(1)} KiB`,
    );
  }

  const firstWarnMs = firstWarnS * 1000;
  const lastCloseMs = expiries.at(-1)! * 1000;
  console.log(
    `expiries: warnings due from ${seconds(firstWarnMs - Date.now())} from now, spread over ${SPREAD_S} s, ` +
      `${LEAD_S} s before each 4003`,
  );
  if (firstWarnMs < connectStart + connectMs)
    console.log(
      'WARNING: warnings were due before every client was connected: the timing figures are skewed',
    );
  await Promise.race([
    // A worker that dies here fails the collection below, with its reason.
    Promise.all(workers.map((w) => w.next('all-closed'))).catch(() => undefined),
    sleep(lastCloseMs + GRACE_S * 1000 - Date.now()),
  ]);
  for (const worker of workers) worker.child.send({ type: 'collect' } satisfies ToWorker);
  const outcomes = (await Promise.all(workers.map((w) => w.next('results')))).flatMap((r) => r.outcomes);

  const held = outcomes
    .map((outcome: ClientOutcome, i) => ({ outcome, expireMs: expiries[i]! * 1000 }))
    .filter(({ outcome }) => outcome.readyAt > 0);
  reportTimeliness(
    'expire-soon warnings',
    held
      .filter(({ outcome }) => outcome.warnedAt > 0)
      .map(({ outcome, expireMs }) => outcome.warnedAt - (expireMs - LEAD_S * 1000)),
    held.length,
  );
  reportTimeliness(
    '4003 closes',
    held
      .filter(({ outcome }) => outcome.closeCode === 4003)
      .map(({ outcome, expireMs }) => outcome.closedAt - expireMs),
    held.length,
  );
  const otherEndings: Record<string, number> = {};
  for (const { outcome } of held)
    if (outcome.closeCode !== 4003)
      tally(otherEndings, outcome.closedAt === 0 ? 'still open at the end' : `closed ${outcome.closeCode}`);
  if (Object.keys(otherEndings).length > 0) console.log(`other endings: ${JSON.stringify(otherEndings)}`);
  console.log(`events for other sessions received: ${outcomes.reduce((sum, o) => sum + o.foreign, 0)}`);
} finally {
  for (const worker of workers) worker.child.kill();
  console.log(await stopServer(server.child, 15_000));
  for (const line of troubleOf(server)) console.log(`server log: ${line}`);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`total duration: ${seconds(Date.now() - benchStart)}`);
if (count < STRETCH) {
  const why = fits(STRETCH) ? '' : `, though the server has room for only about ${expectedRoom} here`;
  console.log(`stretch (${STRETCH} clients): skipped, run with BENCH_WS_CLIENTS=${STRETCH}${why}`);
}
