import t, { type Test } from 'tap';
import { basic, JSON_HEADERS } from '../helpers/app.js';
import { type ClientResponse, request } from '../helpers/http.js';
import { rootToken, type ServerProcess, startServer, withRoot } from '../helpers/process.js';
import { startOwnPostgres } from './own-postgres.js';

/*
 * A database outage, on a PostgreSQL server of this test's own: two instances share it, one a single
 * process, the other a primary with two workers (each worker holds a cache of its own).
 */

const START_MS = 90_000;

/** Every answer seen, to check that none was a 500. */
const seen: { what: string; status: number }[] = [];

async function call(
  server: ServerProcess,
  what: string,
  req: Parameters<typeof request>[1],
): Promise<ClientResponse> {
  const res = await request(server.base, req);
  seen.push({ what, status: res.status });
  return res;
}

/**
 * The statuses of `GET /token/{t}` over `times` fresh connections: the kernel spreads new connections over
 * a primary's workers, so every worker answers some of them.
 */
async function checks(server: ServerProcess, token: string, query = '', times = 12): Promise<number[]> {
  const statuses = await Promise.all(
    Array.from({ length: times }, () =>
      call(server, `check ${token}${query}`, { path: `/0.1/token/${token}${query}` }),
    ),
  );
  return [...new Set(statuses.map((res) => res.status))].sort();
}

/** Polls until every answer is `status`, or `timeoutMs` passed; resolves with the last statuses. */
async function until(
  server: ServerProcess,
  token: string,
  status: number,
  timeoutMs: number,
): Promise<{ statuses: number[]; ms: number }> {
  const began = Date.now();
  for (;;) {
    const statuses = await checks(server, token);
    if ((statuses.length === 1 && statuses[0] === status) || Date.now() - began > timeoutMs)
      return { statuses, ms: Date.now() - began };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const login = (server: ServerProcess, username: string, password: string) =>
  call(server, `login ${username}`, {
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic(username, password) },
    body: '{}',
  });

/** The legacy error envelope of a 503 (conventions.md §6). */
function isUnavailable(t: Test, res: ClientResponse, what: string): void {
  t.equal(res.status, 503, `${what}: 503`);
  const body = res.json<{ reason: string[]; timestamp: number[]; status_code: number }>();
  t.match(body, { reason: [/database/i], timestamp: [Number], status_code: 503 }, `${what}: the envelope`);
  t.equal(res.headers['content-type'], 'application/json', `${what}: JSON`);
}

t.test(
  'a database outage: cached tokens keep answering, the rest is 503, and it all comes back',
  async (t) => {
    const pg = await startOwnPostgres();
    t.teardown(() => pg.destroy());
    // The servers log in as a role of their own, which the test can keep out while it changes rows.
    await pg.sql('postgres', 'create role wazo login');
    await pg.sql('postgres', 'create database wazo_auth owner wazo');
    const env = withRoot({ WAZO_AUTH_DB_URI: pg.uri('wazo_auth', 'wazo') });
    // Generous: a primary's workers each compile the sources on a loaded machine.
    const solo = await startServer(env, START_MS);
    t.teardown(() => solo.kill('SIGKILL'));
    const workers = await startServer({ ...env, WAZO_AUTH_WORKERS: '2' }, START_MS);
    t.teardown(() => workers.kill('SIGKILL'));
    const servers = [solo, workers];

    // A user without the administrator's ACL, for a scope its token lacks.
    const admin = await rootToken(solo);
    const created = await call(solo, 'create alice', {
      method: 'POST',
      path: '/0.1/users',
      headers: { ...JSON_HEADERS, 'X-Auth-Token': admin },
      body: JSON.stringify({ username: 'alice', password: 'alice-secret' }),
    });
    t.equal(created.status, 200, 'alice created');
    // Her token has no ACL: a scope the administrator's has, hers lacks.
    const alice = (await login(solo, 'alice', 'alice-secret')).json<{ data: { token: string } }>().data.token;
    const scoped = `?scope=${encodeURIComponent('auth.users.read')}`;
    const held = await rootToken(solo);
    const gone = await rootToken(workers);
    const tokens = [admin, alice, held, gone];
    // Every process of both instances has every token in memory.
    for (const server of servers) for (const token of tokens) t.same(await checks(server, token), [200]);
    for (const server of servers) {
      t.same(await checks(server, admin, scoped), [200], 'a scope the token has');
      t.same(await checks(server, alice, scoped), [403], 'a scope it lacks');
    }

    // The role is kept out once the server is back: the servers cannot reconnect until the test says so.
    await pg.sql('postgres', 'alter role wazo nologin');
    pg.stop();

    await t.test('while PostgreSQL is down', async (t) => {
      for (const server of servers) {
        const name = server === solo ? 'single process' : 'two workers';
        for (const token of tokens)
          t.same(await checks(server, token), [200], `${name}: a cached token answers`);
        const head = await call(server, 'HEAD', { method: 'HEAD', path: `/0.1/token/${held}` });
        t.equal(head.status, 204, `${name}: HEAD of a cached token`);
        t.same(await checks(server, admin, scoped), [200], `${name}: a scope the cached token has`);
        t.same(await checks(server, alice, scoped), [403], `${name}: a scope it lacks`);
        const unknown = await call(server, 'unknown token', {
          path: '/0.1/token/00000000-0000-4000-8000-000000000000',
        });
        isUnavailable(t, unknown, `${name}: a token not in memory`);
        isUnavailable(t, await login(server, 'root', 'secret'), `${name}: a login`);
        const users = await call(server, 'GET /users', {
          path: '/0.1/users',
          headers: { 'X-Auth-Token': admin },
        });
        isUnavailable(t, users, `${name}: GET /users with a cached token`);
        const revoke = await call(server, 'DELETE /token', { method: 'DELETE', path: `/0.1/token/${held}` });
        isUnavailable(t, revoke, `${name}: a revocation`);
      }
    });

    pg.start();
    // The servers cannot get in yet: meanwhile a token is deleted by hand, its notice lost to them.
    await pg.sql(
      'wazo_auth',
      'delete from auth_session where uuid = (select session_uuid from auth_token where uuid = $1)',
      [gone],
    );
    for (const server of servers) t.same(await checks(server, gone), [200], 'not known to be gone yet');
    await pg.sql('postgres', 'alter role wazo login');

    await t.test('once PostgreSQL is back', async (t) => {
      for (const server of servers) {
        const name = server === solo ? 'single process' : 'two workers';
        const evicted = await until(server, gone, 404, 10_000);
        t.same(evicted.statuses, [404], `${name}: the token deleted meanwhile is evicted (${evicted.ms} ms)`);
        t.same(await checks(server, held), [200], `${name}: the others still answer`);
        const relogin = await login(server, 'root', 'secret');
        t.equal(relogin.status, 200, `${name}: logins work again`);
        const users = await call(server, 'GET /users', {
          path: '/0.1/users',
          headers: { 'X-Auth-Token': admin },
        });
        t.equal(users.status, 200, `${name}: GET /users works again`);
      }
      for (const line of [solo, workers].flatMap((server) => server.output().split('\n')))
        if (line.includes('re-validated')) t.comment(line.slice(0, 300));
    });

    await t.test('a revocation on one instance is seen by the other, every worker of it', async (t) => {
      for (const [revoker, other] of [
        [solo, workers],
        [workers, solo],
      ] as const) {
        const token = await rootToken(revoker);
        t.same(await checks(other, token), [200]);
        const revoked = await call(revoker, 'DELETE /token', {
          method: 'DELETE',
          path: `/0.1/token/${token}`,
        });
        t.equal(revoked.status, 200);
        const after = await until(other, token, 404, 1000);
        t.same(after.statuses, [404], `seen within ${after.ms} ms`);
      }
    });

    t.same(
      seen.filter((answer) => answer.status >= 500 && answer.status !== 503),
      [],
      'no answer was a 500',
    );
    for (const server of servers)
      t.notMatch(
        server.output(),
        /uncaught exception|unhandled error|unhandled promise rejection/,
        'no crash, no unhandled error',
      );
    t.equal(await solo.stop(), 0, 'the single process stops cleanly');
    t.equal(await workers.stop(), 0, 'the primary and its workers stop cleanly');
  },
);
