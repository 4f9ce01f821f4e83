// Liveness, readiness and the graceful stop on SIGTERM, through the real server process (issue #12 part 4).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { basic } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { rootToken, startServer, withRoot } from '../helpers/process.js';
import { PushClient } from '../helpers/ws.js';
import { RawConnection } from './raw.js';

function configFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wazo-auth-lifecycle-')), 'config.yml');
  writeFileSync(file, yaml);
  return file;
}

const LOGIN_BODY = JSON.stringify({ expiration: 600 });
/** A login whose body the client has only begun to send: in flight until the rest comes. */
const loginHead = () =>
  'POST /0.1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
  `Authorization: ${basic('root', 'secret')}\r\nContent-Length: ${LOGIN_BODY.length}\r\n\r\n` +
  LOGIN_BODY.slice(0, 5);
const readyRequest = 'GET /0.1/status/ready HTTP/1.1\r\nHost: x\r\n\r\n';

async function startedClient(base: string, token: string): Promise<PushClient> {
  const client = new PushClient(base, { query: { token, version: '2' } });
  await client.opened();
  await client.frame(0);
  client.send({ op: 'start' });
  await client.frame(1);
  return client;
}

for (const workers of [1, 2]) {
  t.test(
    `SIGTERM (${workers} worker${workers > 1 ? 's' : ''}): ready flips, in-flight requests finish, WebSockets get 1001, exit 0`,
    async (t) => {
      const db = await createTestDatabase();
      t.teardown(() => db.drop());
      const SHUTDOWN_TIMEOUT = 6;
      const server = await startServer(
        withRoot({
          WAZO_AUTH_DB_URI: db.uri,
          WAZO_AUTH_WORKERS: String(workers),
          WAZO_AUTH_CONFIG: configFile(`shutdown_timeout: ${SHUTDOWN_TIMEOUT}\n`),
        }),
      );
      t.teardown(() => server.kill('SIGKILL'));
      const token = await rootToken(server);

      const live = await request(server.base, { path: '/0.1/status/live' });
      t.equal(live.status, 200);
      t.same(live.json(), { status: 'alive' });
      const ready = await request(server.base, { path: '/api/auth/0.1/status/ready' });
      t.equal(ready.status, 200);
      t.same(ready.json(), {
        status: 'ready',
        checks: { database: 'ok', rest_api: 'ok', process: 'ok' },
      });

      const clients = await Promise.all(Array.from({ length: 4 }, () => startedClient(server.base, token)));
      // Per worker (told apart by the prefix of the request ids it generates), two connections opened
      // before the signal: one carries a login in flight across it, the other probes readiness meanwhile.
      const byWorker = new Map<string, RawConnection[]>();
      for (let i = 0; i < 100 && [...byWorker.values()].filter((c) => c.length === 2).length < workers; i++) {
        const connection = await RawConnection.open(server.base);
        connection.write(readyRequest);
        const answer = await connection.response();
        t.equal(answer.status, 200, 'ready before the signal');
        const worker = answer.headers['x-request-id']!.split('-')[0]!;
        const pair = byWorker.get(worker) ?? [];
        if (pair.length < 2) byWorker.set(worker, [...pair, connection]);
        else connection.close();
      }
      const pairs = [...byWorker.values()];
      t.equal(pairs.length, workers, 'connections on every worker');
      for (const [slow] of pairs) slow!.write(loginHead());
      // The in-flight requests are received before the signal is sent.
      await new Promise((resolve) => setTimeout(resolve, 200));

      const began = Date.now();
      const exit = server.kill('SIGTERM');
      const closes = await Promise.all(clients.map((client) => client.closing()));
      t.same(
        closes.map(({ code }) => code),
        clients.map(() => 1001),
        'every WebSocket client gets a close frame with 1001 (going away)',
      );

      for (const [, probe] of pairs) {
        probe!.write(readyRequest);
        const notReady = await probe!.response();
        t.equal(notReady.status, 503, 'readiness fails at once');
        t.match(JSON.parse(notReady.body), { status: 'not_ready', checks: { process: 'shutting_down' } });
      }

      await t.rejects(request(server.base, { path: '/0.1/status/live' }), 'new connections are refused');

      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const [slow] of pairs) {
        slow!.write(LOGIN_BODY.slice(5));
        const login = await slow!.response();
        t.equal(login.status, 200, 'the in-flight login completes, on an open database');
        t.match(JSON.parse(login.body), { data: { token: /^[0-9a-f-]{36}$/ } });
      }

      t.equal(await exit, 0, 'exit status 0');
      const took = Date.now() - began;
      t.ok(took < SHUTDOWN_TIMEOUT * 1000, `within shutdown_timeout (${took} ms)`);
      for (const connection of pairs.flat()) connection.close();
    },
  );
}

t.test('past shutdown_timeout the process exits anyway, with status 1', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const server = await startServer(
    withRoot({ WAZO_AUTH_DB_URI: db.uri, WAZO_AUTH_CONFIG: configFile('shutdown_timeout: 1\n') }),
  );
  t.teardown(() => server.kill('SIGKILL'));
  const stuck = await RawConnection.open(server.base);
  stuck.write(loginHead());
  await new Promise((resolve) => setTimeout(resolve, 200));
  const began = Date.now();
  t.equal(await server.kill('SIGTERM'), 1, 'a request never finished: status 1');
  const took = Date.now() - began;
  t.ok(took >= 900 && took < 3000, `at the deadline (${took} ms)`);
  t.match(server.output(), /requests still running at shutdown_timeout/);
  stuck.close();
});
