// HTTP layer throughput: the real server (`src/main.ts`, uWS) against a bare node:http server giving
// the same answers, each in its own process, loaded by autocannon from this one. Figures are measured
// in one run, so the ratio is meaningful on this machine even though absolute numbers are not portable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, startTarget, stopTargets } from './support/targets.js';

const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-bench-'));
const server = await startTarget('wazo-auth-ts (uWS)', ['--import', 'tsx', 'src/main.ts'], {
  WAZO_AUTH_PORT: '0',
  WAZO_AUTH_DB_URI: `sqlite:${join(dir, 'bench.db')}`,
});
const baseline = await startTarget('bare node:http', ['bench/support/node-http-baseline.mjs'], {});
try {
  // autocannon cannot load HEAD (it waits for a body that never comes), so GET routes only.
  const ours = await load(server, '/0.1/backends');
  const theirs = await load(baseline, '/0.1/backends');
  console.table([ours, theirs]);
  console.log(
    `http ${ours.request}: ${(ours['req/s'] / theirs['req/s']).toFixed(2)}x the requests/s of bare node:http`,
  );
} finally {
  stopTargets(server, baseline);
  rmSync(dir, { recursive: true, force: true });
}
