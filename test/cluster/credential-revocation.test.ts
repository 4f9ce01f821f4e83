// Deleting a user or a refresh token revokes its tokens through the usual revocation path: every worker
// of the instance that served the request drops them before it answers, another instance on the same
// database within a second.
import t from 'tap';
import { basic, JSON_HEADERS } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { rootToken, type ServerProcess, startServer, withRoot } from '../helpers/process.js';

/** The statuses `GET /token/{t}` answers over fresh connections, which the kernel spreads over workers. */
async function checks(server: ServerProcess, token: string, times = 16): Promise<number[]> {
  const statuses = await Promise.all(
    Array.from({ length: times }, () => request(server.base, { path: `/0.1/token/${token}` })),
  );
  return [...new Set(statuses.map((res) => res.status))];
}

/** Polls the other instance until it stops accepting `token`, for at most a second. */
async function refusedWithinASecond(server: ServerProcess, token: string): Promise<boolean> {
  const since = Date.now();
  while (Date.now() - since < 1000) {
    if ((await checks(server, token, 2)).join() === '404') return true;
  }
  return false;
}

t.test('a deleted user or refresh token: its tokens refused on every worker and instance', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = withRoot({ WAZO_AUTH_DB_URI: db.uri });
  const one = await startServer({ ...env, WAZO_AUTH_WORKERS: '2' });
  t.teardown(() => one.kill('SIGKILL'));
  const two = await startServer(env);
  t.teardown(() => two.kill('SIGKILL'));
  const root = await rootToken(one);
  const headers = { ...JSON_HEADERS, 'X-Auth-Token': root };

  const newUser = async (username: string) => {
    const res = await request(one.base, {
      method: 'POST',
      path: '/0.1/users',
      headers,
      body: JSON.stringify({ username, password: 'pw' }),
    });
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ uuid: string }>().uuid;
  };
  const login = async (server: ServerProcess, username: string, body: object) => {
    const res = await request(server.base, {
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic(username, 'pw') },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ data: { token: string; refresh_token?: string } }>().data;
  };
  const renew = async (server: ServerProcess, refreshToken: string, clientId: string) =>
    request(server.base, {
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: refreshToken, client_id: clientId }),
    });

  await t.test('DELETE /users/{u}', async (t) => {
    const uuid = await newUser('leaving');
    await newUser('staying');
    // Several tokens, so that their actors spread over both workers' shards.
    const tokens = await Promise.all(
      Array.from({ length: 6 }, (_, i) => login(i % 2 ? one : two, 'leaving', {})),
    );
    const other = await login(two, 'staying', {});
    for (const { token } of tokens)
      for (const server of [one, two]) t.same(await checks(server, token), [200]);

    const res = await request(one.base, { method: 'DELETE', path: `/0.1/users/${uuid}`, headers });
    t.equal(res.status, 204);
    for (const { token } of tokens) {
      t.same(await checks(one, token), [404], 'every worker of the instance, at once');
      t.ok(await refusedWithinASecond(two, token), 'the other instance within a second');
    }
    t.same(await checks(one, other.token), [200], "another user's token stays");
    t.same(await checks(two, other.token), [200]);
  });

  await t.test('DELETE /users/{u}/tokens/{client_id}', async (t) => {
    const uuid = await newUser('phoning');
    const offline = await login(two, 'phoning', { access_type: 'offline', client_id: 'phone' });
    const renewed = (await renew(one, offline.refresh_token!, 'phone')).json<{ data: { token: string } }>()
      .data;
    const online = await login(one, 'phoning', {});
    for (const token of [offline.token, renewed.token])
      for (const server of [one, two]) t.same(await checks(server, token), [200]);

    const res = await request(one.base, {
      method: 'DELETE',
      path: `/0.1/users/${uuid}/tokens/phone`,
      headers,
    });
    t.equal(res.status, 204);
    for (const token of [offline.token, renewed.token]) {
      t.same(await checks(one, token), [404], 'every worker of the instance, at once');
      t.ok(await refusedWithinASecond(two, token), 'the other instance within a second');
    }
    t.equal((await renew(two, offline.refresh_token!, 'phone')).status, 401, 'the refresh token is gone');
    t.same(await checks(two, online.token), [200], 'a token not minted from it stays');
  });

  t.equal(await one.stop(), 0);
  t.equal(await two.stop(), 0);
});
