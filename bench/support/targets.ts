import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A server under load, in its own process; it prints `listening on http://host:port/0.1`. */
export interface Target {
  name: string;
  child: ChildProcess;
  base: string;
  /** Everything the server wrote on its standard output (its log lines included). */
  logFile: string;
}

/**
 * Starts a server whose standard output goes to a file, as under systemd or pm2: a pipe to this process,
 * which also generates the load, would make the server wait on its access log whenever this process is
 * busy, and the bench would measure itself.
 */
export async function startTarget(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<Target> {
  const logFile = join(mkdtempSync(join(tmpdir(), 'wazo-auth-bench-log-')), 'stdout.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', fd, 'inherit'],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  for (;;) {
    const output = readFileSync(logFile, 'utf8');
    const found = /listening on (http:\/\/\S+?)\/0\.1/.exec(output);
    if (found) return { name, child, base: found[1]!, logFile };
    if (exited !== undefined) throw new Error(`${name} exited with ${exited}: ${output}`);
    await sleep(50);
  }
}

export interface LoadOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  /** Pipelining keeps the load generator (one Node process) from being the bottleneck. */
  pipelining?: number;
  durationS?: number;
  /** Per-request bodies and headers (autocannon's `requests`), e.g. one credential per connection. */
  requests?: autocannon.Request[];
  /** Requests per second across all connections; unset: as fast as the server answers. */
  overallRate?: number;
}

export interface LoadFigures {
  target: string;
  request: string;
  'req/s': number;
  'p50 ms': number;
  'p99 ms': number;
}

/** Loads `path` on `target` with autocannon; any non-2xx answer or error fails the benchmark. */
export async function load(target: Target, path: string, options: LoadOptions = {}): Promise<LoadFigures> {
  const method = options.method ?? 'GET';
  const result = await autocannon({
    url: `${target.base}${path}`,
    method,
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    connections: options.connections ?? 50,
    pipelining: options.pipelining ?? 10,
    duration: options.durationS ?? Number(process.env.BENCH_DURATION ?? 5),
    ...(options.requests ? { requests: options.requests } : {}),
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    const statuses = Object.entries(result.statusCodeStats ?? {})
      .map(([status, { count }]) => `${status}: ${count}`)
      .join(', ');
    throw new Error(
      `${target.name} ${method} ${path}: ${result.non2xx} non-2xx (${statuses}), ${result.errors} errors`,
    );
  }
  return {
    target: target.name,
    request: `${method} ${path.split('?')[0]!.replace(/[0-9a-f-]{36}/, '{token}')}`,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
  };
}

export function stopTargets(...targets: Target[]): void {
  for (const target of targets) target.child.kill('SIGTERM');
}

/** Stops a target and waits for its exit (a `--cpu-prof` profile is written on the way out). */
export async function stopTargetAndWait(target: Target): Promise<void> {
  if (target.child.exitCode !== null || target.child.signalCode !== null) return;
  const exited = new Promise((resolve) => target.child.once('exit', resolve));
  target.child.kill('SIGTERM');
  await exited;
}
