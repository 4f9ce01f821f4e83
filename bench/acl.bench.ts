/**
 * ACL engine benchmark: `npx tsx bench/acl.bench.ts`.
 *
 * Compares the compiled AclMatcher with a naive engine that, like upstream, compiles every entry of the
 * token ACL to a RegExp on every check.
 */
import { Bench } from 'tinybench';
import { type AclContext, AclMatcher, allows, clearCompileCache, escapeRegExp } from '../src/acl/index.js';

/** A typical service token: literals, `*`, `#`, `me`, `my_session`, `edit`, one negative. */
const ACL: readonly string[] = [
  'auth.users.me.read',
  'auth.users.me.password.edit',
  'auth.users.me.tokens.#',
  'auth.sessions.my_session.delete',
  'auth.tenants.read',
  'confd.users.*.read',
  'confd.users.*.lines.*.read',
  'confd.lines.*.read',
  'confd.extensions.read',
  'amid.action.*.create',
  'amid.action.Ping.create',
  'calld.#',
  'chatd.users.me.#',
  'dird.directories.lookup.*.read',
  'webhookd.subscriptions.read',
  'websocketd',
  'agentd.agents.by-id.*.read',
  'call-logd.cdr.read',
  'plugind.plugins.read',
  '!confd.users.*.delete',
];
const USER = '3f0c8a2e-5b1d-4c7e-9a6f-0d2b4e6f81e1';
const OTHER = '9b1e7c44-2d3a-4f5b-8c6d-7e8f9a0b1c2d';
const SESSION = 'c0ffee00-1111-4222-8333-944455556666';
const CTX: AclContext = { authId: USER, sessionUuid: SESSION };

/** Hits spread over the entry kinds (literal, prefix `#`, `*` regex, `me` regex, `edit` alias). */
const HITS = [
  'confd.extensions.read',
  'calld.calls.42.answer.update',
  'confd.users.42.lines.7.read',
  `auth.users.${USER}.read`,
  `auth.users.${USER}.password.update`,
  'amid.action.QueueStatus.create',
];
/** Misses must go through every entry: the worst case. */
const MISSES = ['confd.users.42.delete', 'confd.users.42.update', `auth.users.${OTHER}.read`, 'foo.bar'];

/** Distinct users so that matcher construction cannot reuse a previous token's `me` regexes. */
const USERS = Array.from(
  { length: 64 },
  (_, i) => `${i.toString(16).padStart(8, '0')}-5b1d-4c7e-9a6f-0d2b4e6f81e1`,
);
let nextUser = 0;
function newTokenContext(): AclContext {
  nextUser = (nextUser + 1) % USERS.length;
  return { authId: USERS[nextUser]!, sessionUuid: SESSION };
}

function naiveToRegex(entry: string, ctx: AclContext): RegExp {
  const words = escapeRegExp(entry).replaceAll('#', '.*?').replaceAll('\\*', '[^.#]*?').split('\\.');
  for (let i = 0; i < words.length; i++) {
    if (words[i] === 'me') words[i] = `(me|${ctx.authId})`;
    else if (words[i] === 'my_session') words[i] = `(my_session|${ctx.sessionUuid})`;
    else if (words[i] === 'edit') words[i] = '(edit|update)';
  }
  return new RegExp(`^${words.join('\\.')}$`, 's');
}

/**
 * Upstream's algorithm: every entry compiled on every call. Plain loops rather than filter/map callbacks,
 * so that tsx's per-closure overhead does not flatter the optimized engine.
 */
function naiveAllows(acl: readonly string[], ctx: AclContext, required: string): boolean {
  const negatives: RegExp[] = [];
  const positives: RegExp[] = [];
  for (const entry of acl) {
    if (entry.startsWith('!')) negatives.push(naiveToRegex(entry.slice(1), ctx));
    else positives.push(naiveToRegex(entry, ctx));
  }
  for (const regex of negatives) if (regex.test(required)) return false;
  for (const regex of positives) if (regex.test(required)) return true;
  return false;
}

// Each task function performs BATCH operations: single sub-microsecond calls would mostly time the timer.
const BATCH = 100;
let sink = 0;
/** Keeps the last built matcher reachable so that construction cannot be optimized away. */
let built: AclMatcher | undefined;

function batchOver(inputs: readonly string[], check: (required: string) => boolean): () => void {
  return () => {
    for (let i = 0; i < BATCH; i++) if (check(inputs[i % inputs.length]!)) sink++;
  };
}

const matcher = new AclMatcher(ACL, CTX);
for (const required of [...HITS, ...MISSES]) {
  const expected = HITS.includes(required);
  if (matcher.allows(required) !== expected || naiveAllows(ACL, CTX, required) !== expected) {
    throw new Error(`benchmark inputs are wrong for ${required}`);
  }
}

const bench = new Bench({ time: 800, warmupTime: 200 });
bench
  .add(
    'check hit: AclMatcher',
    batchOver(HITS, (r) => matcher.allows(r)),
  )
  .add(
    'check hit: compile-per-check',
    batchOver(HITS, (r) => naiveAllows(ACL, CTX, r)),
  )
  .add(
    'check miss: AclMatcher',
    batchOver(MISSES, (r) => matcher.allows(r)),
  )
  .add(
    'check miss: compile-per-check',
    batchOver(MISSES, (r) => naiveAllows(ACL, CTX, r)),
  )
  .add('new AclMatcher (cached entries)', () => {
    for (let i = 0; i < BATCH; i++) {
      built = new AclMatcher(ACL, newTokenContext());
    }
  })
  .add('new AclMatcher (cold cache)', () => {
    for (let i = 0; i < BATCH; i++) {
      clearCompileCache();
      built = new AclMatcher(ACL, newTokenContext());
    }
  })
  .add(
    'one-off allows() hit (new token)',
    batchOver(HITS, (r) => allows(ACL, newTokenContext(), r)),
  );

await bench.run();

const opsPerSecond = new Map<string, number>();
const rows = bench.tasks.map((task) => {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
  const ops = (BATCH * 1000) / result.period;
  opsPerSecond.set(task.name, ops);
  return {
    task: task.name,
    'ops/s': Math.round(ops).toLocaleString('en-US'),
    'ns/op': ((result.period * 1e6) / BATCH).toFixed(1),
    'rme %': result.latency.rme.toFixed(2),
    samples: result.latency.samplesCount,
  };
});
console.table(rows);

function ratio(label: string, optimized: string, naive: string): void {
  const factor = opsPerSecond.get(optimized)! / opsPerSecond.get(naive)!;
  console.log(`${label}: ${factor.toFixed(1)}x faster than compile-per-check`);
}
ratio('acl check (hit)', 'check hit: AclMatcher', 'check hit: compile-per-check');
ratio('acl check (miss)', 'check miss: AclMatcher', 'check miss: compile-per-check');
ratio('one-off allows (build + check)', 'one-off allows() hit (new token)', 'check hit: compile-per-check');
// Keeps the checks observable so that the JIT cannot drop them.
if (sink < 0 || built === undefined) console.log(sink);
