import t from 'tap';
import { basic, JSON_HEADERS } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/process.js';

t.test('tokens survive kill -9: live ones stay valid, revoked ones stay revoked', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = {
    WAZO_AUTH_DB_URI: db.uri,
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'admin',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'pw',
  };
  const first = await startServer(env);
  const tokens: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await request(first.base, {
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic('admin', 'pw') },
      body: '{"expiration": 3600}',
    });
    tokens.push(res.json<{ data: { token: string } }>().data.token);
  }
  const revoked = tokens.slice(0, 3);
  const kept = tokens.slice(3);
  for (const token of revoked) await request(first.base, { method: 'DELETE', path: `/0.1/token/${token}` });
  t.equal(await first.kill('SIGKILL'), null, 'killed, no clean shutdown');

  const second = await startServer(env);
  t.teardown(() => second.stop());
  for (const token of kept) {
    t.equal(
      (await request(second.base, { path: `/0.1/token/${token}?scope=auth.users.read` })).status,
      200,
      'live',
    );
  }
  for (const token of revoked) {
    t.equal((await request(second.base, { path: `/0.1/token/${token}` })).status, 404, 'revoked');
  }
});
