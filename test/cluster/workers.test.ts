import { execFileSync } from 'node:child_process';
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { rootToken, type ServerProcess, startServer, withRoot } from '../helpers/process.js';

/** The worker processes of a primary. */
const workersOf = (primary: number): number[] =>
  execFileSync('pgrep', ['-P', String(primary)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);

/**
 * `GET /token/{t}` over `times` fresh connections: the kernel spreads new connections over the workers,
 * so every worker answers some of them. Returns the statuses seen.
 */
async function checks(server: ServerProcess, token: string, times = 16): Promise<number[]> {
  const statuses = await Promise.all(
    Array.from({ length: times }, () => request(server.base, { path: `/0.1/token/${token}` })),
  );
  return [...new Set(statuses.map((res) => res.status))];
}

t.test(
  'two workers on one port: coherent revocations, a killed worker replaced without losing tokens',
  async (t) => {
    const db = await createTestDatabase();
    t.teardown(() => db.drop());
    const server = await startServer(withRoot({ WAZO_AUTH_WORKERS: '2', WAZO_AUTH_DB_URI: db.uri }));
    t.teardown(() => server.kill('SIGKILL'));
    const workers = workersOf(server.pid);
    t.equal(workers.length, 2, 'the primary runs two worker processes');

    // Tokens whose actors are spread over both shards, each checked through both workers.
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        rootToken(server, { access_type: 'offline', client_id: `client-${i}` }),
      ),
    );
    for (const token of tokens) t.same(await checks(server, token), [200]);

    await t.test('a revocation is visible on every worker when the request returns', async (t) => {
      for (const token of tokens.slice(0, 4)) {
        await request(server.base, { method: 'DELETE', path: `/0.1/token/${token}` });
        t.same(await checks(server, token), [404]);
      }
    });

    await t.test(
      'a worker killed with SIGKILL: replaced, nothing lost, nothing revoked comes back',
      async (t) => {
        process.kill(workers[0]!, 'SIGKILL');
        // Connections the kernel queued on the dying worker's socket are reset: wait until it is gone.
        while (workersOf(server.pid).includes(workers[0]!)) await new Promise((r) => setTimeout(r, 10));
        // Meanwhile the other worker answers, and logins whose user lives on the dead one wait for its successor.
        const began = Date.now();
        const revoked = await request(server.base, { method: 'DELETE', path: `/0.1/token/${tokens[4]}` });
        t.equal(revoked.status, 200, `a revocation meanwhile (${Date.now() - began} ms)`);
        const during = await Promise.all([rootToken(server), checks(server, tokens[5]!)]);
        t.same(during[1], [200]);
        for (let i = 0; i < 100 && workersOf(server.pid).length < 2; i++)
          await new Promise((r) => setTimeout(r, 100));
        const replaced = workersOf(server.pid);
        t.equal(replaced.length, 2, 'back to two workers');
        t.notOk(replaced.includes(workers[0]!), 'with a new process');
        for (const token of tokens.slice(0, 5))
          t.same(await checks(server, token), [404], 'revoked stays revoked');
        for (const token of [...tokens.slice(5), during[0]])
          t.same(await checks(server, token), [200], 'issued stays valid');
      },
    );

    t.equal(await server.stop(), 0, 'SIGTERM stops the primary and its workers');
  },
);
