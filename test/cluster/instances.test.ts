import t from 'tap';
import { JSON_HEADERS } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { rootToken, type ServerProcess, startServer, withRoot } from '../helpers/process.js';

const status = async (server: ServerProcess, token: string) =>
  (await request(server.base, { path: `/0.1/token/${token}` })).status;

t.test(
  'two instances on one database: a revocation on one is seen by the other within a second',
  async (t) => {
    const db = await createTestDatabase();
    t.teardown(() => db.drop());
    const env = withRoot({ WAZO_AUTH_DB_URI: db.uri });
    const one = await startServer(env);
    t.teardown(() => one.kill('SIGKILL'));
    const two = await startServer({ ...env, WAZO_AUTH_WORKERS: '2' });
    t.teardown(() => two.kill('SIGKILL'));

    const tokens = [await rootToken(one), await rootToken(two)];
    // Each instance has both tokens in memory now.
    for (const token of tokens) for (const server of [one, two]) t.equal(await status(server, token), 200);

    for (const [revoker, other] of [
      [one, two],
      [two, one],
    ] as const) {
      const token = revoker === one ? tokens[0]! : tokens[1]!;
      await request(revoker.base, { method: 'DELETE', path: `/0.1/token/${token}` });
      const revokedAt = Date.now();
      let seen = await status(other, token);
      while (seen === 200 && Date.now() - revokedAt < 1000) seen = await status(other, token);
      t.equal(seen, 404, 'the other instance no longer accepts it');
      t.ok(Date.now() - revokedAt < 1000, `within ${Date.now() - revokedAt} ms`);
    }

    await t.test('a policy changed on one is what the other serves', async (t) => {
      const admin = await rootToken(one);
      const headers = { ...JSON_HEADERS, 'X-Auth-Token': admin };
      const created = await request(one.base, {
        method: 'POST',
        path: '/0.1/policies',
        headers,
        body: JSON.stringify({ name: 'shared', acl: ['a.b'] }),
      });
      const { uuid } = created.json<{ uuid: string }>();
      await request(one.base, {
        method: 'PUT',
        path: `/0.1/policies/${uuid}`,
        headers,
        body: JSON.stringify({ name: 'shared', acl: ['c.d'] }),
      });
      const read = await request(two.base, { path: `/0.1/policies/${uuid}`, headers });
      t.same(read.json<{ acl: string[] }>().acl, ['c.d']);
    });
    t.equal(await one.stop(), 0);
    t.equal(await two.stop(), 0);
  },
);
