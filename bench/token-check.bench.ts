// The hottest path of the platform: `GET /0.1/token/{t}?scope=…` as every Wazo daemon asks it, on one
// server process, against this machine's raw uWS answering a fixed body (the ceiling), in one run; then
// the same with two worker processes (WAZO_AUTH_WORKERS=2, PostgreSQL). Then login throughput, with the
// password-hash cost that bounds it printed beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, verifyPassword } from '../src/passwords/index.js';
import { createScratchDatabase } from './support/pg-database.js';
import { load, startTarget, stopTargets, type Target } from './support/targets.js';

const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-bench-'));
const credentials = `Basic ${Buffer.from('bench-admin:bench-password').toString('base64')}`;
const server = await startTarget('wazo-auth-ts', ['--import', 'tsx', 'src/main.ts'], {
  WAZO_AUTH_PORT: '0',
  WAZO_AUTH_DB_URI: `sqlite:${join(dir, 'bench.db')}`,
  WAZO_AUTH_BOOTSTRAP_USERNAME: 'bench-admin',
  WAZO_AUTH_BOOTSTRAP_PASSWORD: 'bench-password',
  // The benchmark logs in far more often than any user would.
  WAZO_AUTH_CONFIG: '',
});
const ceiling = await startTarget('raw uWS, fixed body', ['bench/support/raw-uws.mjs'], {});
const scratch = await createScratchDatabase();
let workers: Target | undefined;

/** A token check path with a fresh token of `target`. */
async function checkPath(target: Target): Promise<string> {
  const login = await fetch(`${target.base}/0.1/token`, {
    method: 'POST',
    headers: { Authorization: credentials, 'Content-Type': 'application/json' },
    body: '{"expiration": 3600}',
  });
  const { data } = (await login.json()) as { data: { token: string } };
  return `/0.1/token/${data.token}?scope=confd.users.read`;
}

try {
  const path = await checkPath(server);
  const ours = await load(server, path);
  const raw = await load(ceiling, path);
  // Stopped before the next run: the two servers would share the cores.
  stopTargets(server);
  workers = await startTarget('wazo-auth-ts, 2 workers', ['--import', 'tsx', 'src/main.ts'], {
    WAZO_AUTH_PORT: '0',
    WAZO_AUTH_WORKERS: '2',
    WAZO_AUTH_DB_URI: scratch.uri,
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'bench-admin',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'bench-password',
    WAZO_AUTH_CONFIG: '',
  });
  // More connections than workers, so that the kernel spreads them over both.
  const two = await load(workers, await checkPath(workers), { connections: 100 });
  console.table([ours, two, raw]);
  console.log(
    `token check: ${(ours['req/s'] / raw['req/s']).toFixed(2)} of raw uWS's requests/s (target >= 0.5)`,
  );
  console.log(
    `token check, 2 workers: ${two['req/s']} req/s = ${(two['req/s'] / ours['req/s']).toFixed(2)}x one worker ` +
      `(${((two['req/s'] / 2 / ours['req/s']) * 100).toFixed(0)}% per-core efficiency; the load generator ` +
      'runs on the same 2 cores, so this bounds the workers from below)',
  );

  const logins = await load(workers!, '/0.1/token', {
    method: 'POST',
    headers: { Authorization: credentials, 'Content-Type': 'application/json' },
    body: '{"expiration": 60}',
    connections: 8,
    pipelining: 1,
  });
  const stored = await hashPassword('bench-password');
  const rounds = 10;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await verifyPassword('bench-password', stored);
  const verifyMs = (performance.now() - started) / rounds;
  console.table([logins]);
  console.log(
    `login: ${logins['req/s']} logins/s; one argon2id verification costs ${verifyMs.toFixed(1)} ms ` +
      `(the hash alone bounds 2 cores to about ${Math.round(2000 / verifyMs)} logins/s)`,
  );
} finally {
  stopTargets(server, ceiling, ...(workers ? [workers] : []));
  rmSync(dir, { recursive: true, force: true });
  // The workers close their connections as they stop.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await scratch.drop();
}
