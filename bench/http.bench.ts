// HTTP layer throughput: the real server (`src/main.ts`, uWS) against a bare node:http server giving
// the same answers, each in its own process, loaded by autocannon from this one. Figures are measured
// in one run, so the ratio is meaningful on this machine even though absolute numbers are not portable.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const ROOT = new URL('..', import.meta.url).pathname;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = 50;
// Pipelining keeps the load generator (one Node process) from being the bottleneck.
const PIPELINING = 10;

interface Target {
  name: string;
  child: ChildProcess;
  base: string;
}

function startTarget(name: string, args: string[], env: Record<string, string>): Promise<Target> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const found = /listening on (http:\/\/\S+?)\/0\.1/.exec(output);
      if (found) resolve({ name, child, base: found[1]! });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
  });
}

async function load(target: Target, method: 'GET', path: string) {
  const result = await autocannon({
    url: `${target.base}${path}`,
    method,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    duration: DURATION_S,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name} ${method} ${path}: errors`);
  return {
    target: target.name,
    request: `${method} ${path}`,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-bench-'));
const server = await startTarget('wazo-auth-ts (uWS)', ['--import', 'tsx', 'src/main.ts'], {
  WAZO_AUTH_PORT: '0',
  WAZO_AUTH_DB_URI: `sqlite:${join(dir, 'bench.db')}`,
  WAZO_AUTH_CONFIG: '',
});
const baseline = await startTarget('bare node:http', ['bench/support/node-http-baseline.mjs'], {});
try {
  const rows = [];
  // autocannon cannot load HEAD (it waits for a body that never comes), so GET routes only.
  for (const [method, path] of [['GET', '/0.1/backends']] as const) {
    const ours = await load(server, method, path);
    const theirs = await load(baseline, method, path);
    rows.push(ours, theirs);
  }
  console.table(rows);
  for (let i = 0; i < rows.length; i += 2) {
    const ratio = rows[i]!['req/s'] / rows[i + 1]!['req/s'];
    console.log(`http ${rows[i]!.request}: ${ratio.toFixed(2)}x the requests/s of bare node:http`);
  }
} finally {
  server.child.kill('SIGTERM');
  baseline.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
