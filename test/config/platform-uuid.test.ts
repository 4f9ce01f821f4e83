// XIVO_UUID is any non-empty text, used as given: upstream's integration tests run with
// `the-predefined-xivo-uuid`, and the other services of a platform compare the same value verbatim.
import t from 'tap';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { basic, JSON_HEADERS } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { LogSink } from '../helpers/server.js';

const PREDEFINED = 'the-predefined-xivo-uuid';

t.test('the configuration takes any non-empty XIVO_UUID verbatim', async (t) => {
  for (const value of [PREDEFINED, 'My-Platform', 'AAAAAAAA-1111-4111-8111-111111111111', 'x'.repeat(38)]) {
    t.equal(loadConfig({ env: { XIVO_UUID: value }, file: null }).config.uuid, value, value);
  }
  t.equal(
    loadConfig({ env: { XIVO_UUID: '' }, file: null }).config.uuid,
    null,
    'empty is unset, as upstream',
  );
  t.throws(
    () => loadConfig({ env: { XIVO_UUID: 'x'.repeat(39) }, file: null }),
    /uuid \(from XIVO_UUID\): must be at most 38 characters/,
    'longer than the auth_token.xivo_uuid column',
  );
});

t.test('a server started with XIVO_UUID=the-predefined-xivo-uuid stamps it as is', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const { config } = loadConfig({
    env: {
      XIVO_UUID: PREDEFINED,
      WAZO_AUTH_PORT: '0',
      WAZO_AUTH_DB_URI: db.uri,
      WAZO_AUTH_BOOTSTRAP_USERNAME: 'root',
      WAZO_AUTH_BOOTSTRAP_PASSWORD: 'secret-of-root',
    },
    file: null,
  });
  const logs = new LogSink();
  const app = await startApp(config, createLogger({ log_level: 'debug', debug: false }, logs));
  t.teardown(() => app.stop());
  t.equal(app.platformUuid, PREDEFINED);
  const base = `http://127.0.0.1:${app.address.port}`;

  const login = await request(base, {
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('root', 'secret-of-root') },
    body: '{"expiration": 600}',
  });
  t.equal(login.status, 200, login.text);
  const { data } = login.json<{
    data: { token: string; xivo_uuid: string; metadata: { xivo_uuid: string } };
  }>();
  t.equal(data.xivo_uuid, PREDEFINED, 'in the token');
  t.equal(data.metadata.xivo_uuid, PREDEFINED, 'in its metadata');

  const checked = await request(base, {
    path: `/0.1/token/${data.token}`,
    headers: { 'X-Auth-Token': data.token },
  });
  t.equal(checked.status, 200, checked.text);
  t.equal(checked.json<{ data: { xivo_uuid: string } }>().data.xivo_uuid, PREDEFINED, 'as read back');

  const shown = await request(base, { path: '/0.1/config', headers: { 'X-Auth-Token': data.token } });
  t.equal(shown.status, 200, shown.text);
  t.equal(shown.json<{ uuid: string }>().uuid, PREDEFINED, 'GET /config');
  t.notOk(
    logs.lines.some((line) => /"level":(50|60)/.test(line)),
    'no error logged',
  );
});
