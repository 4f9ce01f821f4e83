// The hottest path of the platform: `GET /0.1/token/{t}?scope=…` as every Wazo daemon asks it, on one
// server process, against this machine's raw uWS answering a fixed body (the ceiling), in one run.
// Then login throughput, with the password-hash cost that bounds it printed beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, verifyPassword } from '../src/passwords/index.js';
import { load, startTarget, stopTargets } from './support/targets.js';

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
try {
  const login = await fetch(`${server.base}/0.1/token`, {
    method: 'POST',
    headers: { Authorization: credentials, 'Content-Type': 'application/json' },
    body: '{"expiration": 3600}',
  });
  const { data } = (await login.json()) as { data: { token: string } };
  const path = `/0.1/token/${data.token}?scope=confd.users.read`;
  const ours = await load(server, path);
  const raw = await load(ceiling, path);
  console.table([ours, raw]);
  console.log(
    `token check: ${(ours['req/s'] / raw['req/s']).toFixed(2)} of raw uWS's requests/s (target >= 0.5)`,
  );

  const logins = await load(server, '/0.1/token', {
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
  stopTargets(server, ceiling);
  rmSync(dir, { recursive: true, force: true });
}
