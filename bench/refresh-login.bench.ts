// Tokens minted from refresh tokens (`POST /0.1/token` with `refresh_token` + `client_id`, no password
// hash to verify) on one server process over PostgreSQL with its default durability (synchronous_commit
// on: every answered login is on disk), and the p99 of token checks answered while that load runs.
//
// Each login connection has a user of its own: a user's logins are serialised by its actor, so the
// throughput across users is what shows whether commits are shared. BENCH_REFRESH_USERS sets that count
// (default 128), BENCH_DURATION the seconds of each measure (default 10), BENCH_CHECK_RATE the token
// checks per second sent alongside (default 2,000), BENCH_CPU_PROF=<dir> writes the server's CPU profile.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { knex } from '@mikro-orm/postgresql';
import type autocannon from 'autocannon';
import { createScratchDatabase } from './support/pg-database.js';
import { serverTrouble as troubleOf } from './support/server-log.js';
import { type LoadFigures, load, startTarget, stopTargetAndWait, type Target } from './support/targets.js';

const TARGET_PER_S = 3_000;
const USERS = Number(process.env.BENCH_REFRESH_USERS ?? 128);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CHECK_RATE = Number(process.env.BENCH_CHECK_RATE ?? 2_000);
const CLIENT_ID = 'refresh-login-bench';
/** Argon2id verifications in flight while the refresh tokens are obtained (one per user). */
const SETUP_IN_FLIGHT = 8;

const load1 = () => loadavg()[0]!.toFixed(2);

/** CPU milliseconds (user + system) a process has used: with other work on the machine, steadier than rates. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The PostgreSQL backends serving the scratch database (the server's pool): same machine, same /proc. */
async function backendPids(uri: string): Promise<number[]> {
  const admin = knex({ client: 'pg', connection: uri, pool: { min: 0, max: 1 } });
  try {
    const { rows } = await admin.raw(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return (rows as { pid: number }[]).map((row) => row.pid);
  } finally {
    await admin.destroy();
  }
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

/** Runs `measure` and adds the CPU time per answered request of the server and of its database. */
async function withCpu(server: Target, dbUri: string, measure: () => Promise<LoadFigures>) {
  const backends = await backendPids(dbUri);
  const before = { server: cpuMs(server.child.pid!), db: cpuOf(backends) };
  const figures = await measure();
  const requests = figures['req/s'] * DURATION_S;
  const perRequest = (ms: number) => Number((ms / requests).toFixed(3));
  return {
    ...figures,
    'server CPU ms/req': perRequest(cpuMs(server.child.pid!) - before.server),
    'PostgreSQL CPU ms/req': perRequest(cpuOf(backends) - before.db),
  };
}

async function call<T>(target: Target, path: string, init: RequestInit): Promise<T> {
  const response = await fetch(`${target.base}/0.1${path}`, {
    ...init,
    headers: { 'Content-Type': 'application/json', ...init.headers },
  });
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const basic = (login: string, password: string) =>
  `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

/** Creates the users and one refresh token each (offline password logins, a few at a time). */
async function refreshTokens(server: Target, adminToken: string): Promise<string[]> {
  const names = Array.from({ length: USERS }, (_, i) => `bench-user-${i}`);
  const tokens: string[] = [];
  for (let start = 0; start < names.length; start += SETUP_IN_FLIGHT) {
    const batch = names.slice(start, start + SETUP_IN_FLIGHT);
    tokens.push(
      ...(await Promise.all(
        batch.map(async (username) => {
          await call(server, '/users', {
            method: 'POST',
            headers: { 'X-Auth-Token': adminToken },
            body: JSON.stringify({ username, password: 'bench-password' }),
          });
          const { data } = await call<{ data: { refresh_token: string } }>(server, '/token', {
            method: 'POST',
            headers: { Authorization: basic(username, 'bench-password') },
            body: JSON.stringify({ access_type: 'offline', client_id: CLIENT_ID, expiration: 3600 }),
          });
          return data.refresh_token;
        }),
      )),
    );
  }
  return tokens;
}

/** One refresh token per connection, so that no two connections queue on the same user's actor. */
function refreshLogins(tokens: string[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      setupRequest: (request, context: { body?: string }) => {
        context.body ??= JSON.stringify({
          backend: 'wazo_user',
          expiration: 3600,
          refresh_token: tokens[next++ % tokens.length],
          client_id: CLIENT_ID,
        });
        return { ...request, body: context.body };
      },
    },
  ];
}

const db = await createScratchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-bench-'));
const config = join(dir, 'config.yml');
// The session limit counts every session of a user; each bench user holds thousands.
writeFileSync(config, 'max_user_concurrent_sessions: 10000000\n');
const profile = process.env.BENCH_CPU_PROF;
const server = await startTarget(
  'wazo-auth-ts',
  [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), '--import', 'tsx', 'src/main.ts'],
  {
    WAZO_AUTH_PORT: '0',
    WAZO_AUTH_DB_URI: db.uri,
    WAZO_AUTH_CONFIG: config,
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'bench-admin',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'bench-password',
  },
);
try {
  const admin = await call<{ data: { token: string } }>(server, '/token', {
    method: 'POST',
    headers: { Authorization: basic('bench-admin', 'bench-password') },
    body: '{"expiration": 3600}',
  });
  const tokens = await refreshTokens(server, admin.data.token);
  const logins = (durationS: number) =>
    load(server, '/0.1/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      requests: refreshLogins(tokens),
      connections: tokens.length,
      pipelining: 1,
      durationS,
    });
  // Compilation and pool warm-up, not measured.
  await logins(2);

  const alone = await withCpu(server, db.uri, () => logins(DURATION_S));
  const loadAlone = load1();
  const checkPath = `/0.1/token/${admin.data.token}?scope=confd.users.read`;
  const [underChecks, checks] = await Promise.all([
    logins(DURATION_S),
    load(server, checkPath, {
      connections: 20,
      pipelining: 1,
      overallRate: CHECK_RATE,
      durationS: DURATION_S,
    }),
  ]);
  const loadBoth = load1();
  const rows = knex({ client: 'pg', connection: db.uri, pool: { min: 0, max: 1 } });
  const [{ count }] = (await rows('auth_token').count({ count: '*' })) as [{ count: string }];
  await rows.destroy();

  const label = (figures: LoadFigures, what: string) => ({ ...figures, request: what });
  const perLogin = alone['server CPU ms/req'];
  console.table([
    label(alone, 'POST /0.1/token (refresh token)'),
    label(underChecks, 'POST /0.1/token (refresh token), checks alongside'),
    label(checks, `GET /0.1/token/{token}?scope=… at ${CHECK_RATE}/s`),
  ]);
  console.log(
    `refresh-token logins: ${alone['req/s']} tokens/s (p50 ${alone['p50 ms']} ms, p99 ${alone['p99 ms']} ms), ` +
      `${underChecks['req/s']} tokens/s with ${checks['req/s']} checks/s alongside; ` +
      `${(alone['req/s'] / TARGET_PER_S).toFixed(2)} of the ${TARGET_PER_S}/s target (${USERS} users, ` +
      `synchronous_commit on, ${count} tokens stored)`,
  );
  console.log(
    `CPU per login: server ${perLogin} ms (one core bounds it to ${Math.round(1000 / perLogin)}/s), ` +
      `PostgreSQL ${alone['PostgreSQL CPU ms/req']} ms`,
  );
  console.log(`token checks under login load: p99 ${checks['p99 ms']} ms (p50 ${checks['p50 ms']} ms)`);
  console.log(`load average (1 min): ${loadAlone} after logins alone, ${loadBoth} after both`);
} finally {
  await stopTargetAndWait(server);
  for (const line of troubleOf(server)) console.log(`server: ${line}`);
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
