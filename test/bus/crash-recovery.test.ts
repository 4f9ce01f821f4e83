import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { basic, JSON_HEADERS } from '../helpers/app.js';
import { BUS_URI, classicConsumer, testExchange } from '../helpers/bus.js';
import { sqliteTempUri } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/process.js';

/** Nothing listens there: the first process commits its events but cannot publish them. */
const UNREACHABLE_BROKER = 'amqp://guest:guest@127.0.0.1:9';

t.test('a process killed between commit and publication: its events leave with the next start', async (t) => {
  const exchange = await testExchange(t);
  const inbox = await classicConsumer(t, exchange);
  const folder = mkdtempSync(join(tmpdir(), 'wazo-auth-crash-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const configFile = join(folder, 'config.yml');
  writeFileSync(configFile, `amqp:\n  exchange_name: ${exchange}\n`);
  const env = {
    WAZO_AUTH_CONFIG: configFile,
    WAZO_AUTH_DB_URI: sqliteTempUri(),
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'root',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'secret',
  };

  const first = await startServer({ ...env, WAZO_AUTH_BUS_URI: UNREACHABLE_BROKER });
  t.teardown(() => first.kill('SIGKILL'));
  const login = await request(first.base, {
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('root', 'secret') },
    body: '{}',
  });
  t.equal(login.status, 200, 'the API answers without its broker');
  const { token, session_uuid: session } = login.json<{ data: { token: string; session_uuid: string } }>()
    .data;
  const tenant = await request(first.base, {
    method: 'POST',
    path: '/0.1/tenants',
    headers: { ...JSON_HEADERS, 'X-Auth-Token': token },
    body: JSON.stringify({ name: 'after-crash' }),
  });
  t.equal(tenant.status, 200);
  const tenantUuid = tenant.json<{ uuid: string }>().uuid;
  t.equal(await first.kill('SIGKILL'), null, 'killed');
  t.equal(inbox.messages.length, 0, 'nothing was published');

  const second = await startServer({ ...env, WAZO_AUTH_BUS_URI: BUS_URI });
  t.teardown(() => second.stop());
  const received = await inbox.take(2);
  t.same(
    received.map((message) => message.routingKey),
    [`auth.sessions.${session}.created`, `auth.tenants.${tenantUuid}.created`],
  );
  t.equal(received[0]!.body.name, 'auth_session_created');
  t.equal(received[1]!.body.name, 'auth_tenant_added');
  t.equal(await second.stop(), 0);
});
