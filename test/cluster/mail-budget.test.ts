// The mail limit (issue #18 item 9) with workers: each user's and address's count lives on the worker
// owning its shard, so two workers send no more reset mails than one would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { JSON_HEADERS } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { rootToken, startServer, withRoot } from '../helpers/process.js';

t.test('two workers share the reset-mail budget of a user', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const folder = mkdtempSync(join(tmpdir(), 'wazo-auth-mail-budget-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const configFile = join(folder, 'config.yml');
  writeFileSync(configFile, 'email_notification_plugin: log\nmail_throttle: {mails: 3}\n');
  const server = await startServer(
    withRoot({ WAZO_AUTH_WORKERS: '2', WAZO_AUTH_DB_URI: db.uri, WAZO_AUTH_CONFIG: configFile }),
  );
  t.teardown(() => server.kill('SIGKILL'));
  const token = await rootToken(server);
  const created = await request(server.base, {
    method: 'POST',
    path: '/0.1/users',
    headers: { ...JSON_HEADERS, 'X-Auth-Token': token },
    body: JSON.stringify({ username: 'alice', email_address: 'alice@example.com' }),
  });
  t.equal(created.status, 200);

  // Fresh connections: the kernel spreads them over both workers.
  const statuses = await Promise.all(
    Array.from({ length: 12 }, () => request(server.base, { path: '/0.1/users/password/reset?login=alice' })),
  );
  t.same([...new Set(statuses.map((res) => res.status))], [204], 'every request answers 204, as upstream');
  const sent = () =>
    server
      .output()
      .split('\n')
      .filter((line) => line.includes('"password reset"')).length;
  for (let i = 0; sent() < 3 && i < 50; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  t.equal(sent(), 3, 'three mails in all, not three per worker');
});
