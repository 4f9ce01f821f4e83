import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { basic, JSON_HEADERS } from './app.js';
import { request } from './http.js';
import { recordLog } from './leak-watch.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    // Only what the test gives, plus PATH: the developer's own WAZO_AUTH_* must not leak in.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk) => recordLog(chunk.toString()));
  return child;
}

/** Runs a command of the project to completion (e.g. the bootstrap CLI). */
export async function run(script: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  const child = start(script, args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export interface ServerProcess {
  base: string;
  /** The server's process (the primary when it runs workers). */
  pid: number;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Sends `signal`; resolves with the exit code (null when killed by the signal). */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `src/main.ts` as `npm start` would, on an ephemeral port, and waits until it listens. */
export async function startServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = start('src/main.ts', [], { WAZO_AUTH_PORT: '0', ...env });
  let output = '';
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left behind: a primary that outlives its test keeps restarting workers on a dropped database.
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (https?:\/\/\S+?)\/0\.1/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  const exited = once(child, 'close') as Promise<[number | null]>;
  return {
    base,
    pid: child.pid!,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async kill(signal) {
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

/** Logs `root`/`secret` (the bootstrap user of these tests) in on a server process; returns the token. */
export async function rootToken(server: ServerProcess, body: object = {}): Promise<string> {
  const res = await request(server.base, {
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('root', 'secret') },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return res.json<{ data: { token: string } }>().data.token;
}

/** The environment of a server process whose bootstrap user is `root`/`secret`. */
export const withRoot = (env: Record<string, string>) => ({
  ...env,
  WAZO_AUTH_BOOTSTRAP_USERNAME: 'root',
  WAZO_AUTH_BOOTSTRAP_PASSWORD: 'secret',
});
