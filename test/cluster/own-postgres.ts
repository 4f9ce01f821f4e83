// A PostgreSQL server of the test's own (initdb in a temp dir, on a free port), which the test may stop
// and start without disturbing the shared one the other tests use.

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/net/free-port.js';

const BIN = process.env.WAZO_AUTH_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface OwnPostgres {
  port: number;
  /** `postgresql://<user>@127.0.0.1:<port>/<database>`. */
  uri(database: string, user?: string): string;
  /** Runs one statement as the superuser; answers its rows. */
  sql<T = Record<string, unknown>>(database: string, text: string, params?: unknown[]): Promise<T[]>;
  /** `pg_ctl stop -m fast`: every connection is closed at once, as an operator's restart does. */
  stop(): void;
  start(): void;
  /** Stops the server (if running) and removes its files. */
  destroy(): void;
}

/** initdb refuses to run as root: the server's files then belong to the `postgres` account. */
function runAs(): { prefix: string[]; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-pg-'));
  const data = join(dir, 'data');
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  /** Runs a PostgreSQL program (as `postgres` when root); throws with its output when it fails. */
  const run = (binary: string, args: string[]) => {
    const [command, ...rest] = [...(user?.prefix ?? []), join(BIN, binary), ...args];
    const result = spawnSync(command!, rest, { encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(`${binary} ${args.join(' ')}: ${result.status}\n${result.stdout}${result.stderr}`);
  };
  const port = await freePort();
  let running = false;
  const ctl = (...args: string[]) => run('pg_ctl', ['-D', data, '-w', ...args]);
  const destroy = () => {
    try {
      if (running) ctl('-m', 'immediate', 'stop');
    } finally {
      running = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // Even when the test process dies before its teardown, the server does not outlive it.
  process.once('exit', destroy);
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const options = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`;
    const start = () => {
      ctl('-l', join(dir, 'server.log'), '-o', options, 'start');
      running = true;
    };
    start();
    const uri = (database: string, as = 'postgres') => `postgresql://${as}@127.0.0.1:${port}/${database}`;
    return {
      port,
      uri,
      async sql<T>(database: string, text: string, params: unknown[] = []) {
        const client = new pg.Client({ connectionString: uri(database) });
        await client.connect();
        try {
          return (await client.query(text, params)).rows as T[];
        } finally {
          await client.end();
        }
      },
      stop() {
        ctl('-m', 'fast', 'stop');
        running = false;
      },
      start,
      destroy() {
        process.removeListener('exit', destroy);
        destroy();
      },
    };
  } catch (error) {
    destroy();
    throw error;
  }
}
