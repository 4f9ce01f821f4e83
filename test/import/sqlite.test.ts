// The same upstream database imported into the embedded SQLite target: dialect differences (booleans,
// JSON, blobs, timestamps) must not show in logins, tokens or the API.
import t from 'tap';
import { openDatabase } from '../../src/entities/orm.js';
import { importUpstream } from '../../src/import/index.js';
import { JSON_HEADERS, startServer } from '../helpers/app.js';
import { sqliteTempUri } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import {
  ADDED,
  enrichUpstream,
  FIXTURE,
  restoreUpstreamFixture,
  targetContents,
  upstreamQuery,
} from '../helpers/upstream-db.js';

type Row = Record<string, unknown>;

t.test('an upstream database taken over by a SQLite target', async (t) => {
  const source = await restoreUpstreamFixture(t);
  const added = await enrichUpstream(source.uri);
  const uri = sqliteTempUri();
  const first = await startServer(uri);
  await first.app.stop();
  const orm = await openDatabase(uri, { migrate: false });
  t.teardown(() => orm.close());

  const result = await importUpstream({ from: source.uri, orm });
  t.equal(result.written, true);
  t.strictSame(result.plan.conflicts, []);

  const { app } = await startServer(uri, (config) => {
    config.update_policy_on_startup = false;
  });
  let running = true;
  t.teardown(() => (running ? app.stop() : undefined));
  const base = `http://127.0.0.1:${app.address.port}`;
  const call = (req: Parameters<typeof request>[1]) => request(base, req);
  const login = async (username: string, password: string) => {
    const res = await call({
      method: 'POST',
      path: '/0.1/token',
      headers: {
        ...JSON_HEADERS,
        Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      },
      body: '{}',
    });
    t.equal(res.status, 200, `login ${username}`);
    return res.json<{ data: { token: string; metadata: Row } }>().data;
  };

  const admin = await login(ADDED.admin.username, ADDED.admin.password);
  t.equal(admin.metadata.uuid, added.admin);
  t.equal((await login(ADDED.userA.username, ADDED.userA.password)).metadata.tenant_uuid, FIXTURE.tenantA);

  const live = await call({ path: `/0.1/token/${FIXTURE.liveToken}` });
  t.equal(live.status, 200);
  t.match(live.json<{ data: Row }>().data, {
    auth_id: FIXTURE.fxUser,
    metadata: { tenant_uuid: FIXTURE.tenantA },
    acl: ['auth.users.me.#', 'websocketd', 'confd.users.me.read'],
  });
  const refreshed = await call({
    method: 'POST',
    path: '/0.1/token',
    headers: JSON_HEADERS,
    body: JSON.stringify({ refresh_token: FIXTURE.fxRefreshToken, client_id: 'bars-fixture' }),
  });
  t.equal(refreshed.status, 200, 'refresh token');

  const headers = (tenant?: string) => ({
    'X-Auth-Token': admin.token,
    ...(tenant ? { 'Wazo-Tenant': tenant } : {}),
  });
  const users = (await call({ path: '/0.1/users?recurse=true', headers: headers() })).json<{ items: Row[] }>()
    .items;
  const sourceUsers = await upstreamQuery<Row>(source.uri, 'select * from auth_user');
  t.strictSame(
    users.map((user) => [user.uuid, user.enabled, user.tenant_uuid]).sort(),
    sourceUsers.map((user) => [user.uuid, user.enabled, user.tenant_uuid]).sort(),
  );
  const policies = (await call({ path: '/0.1/policies?recurse=true', headers: headers() })).json<{
    items: Row[];
  }>().items;
  t.strictSame(
    [
      ...(policies.find((policy) => policy.uuid === '0cd29fdb-1743-4c73-9e1c-d46038b905ea')!.acl as string[]),
    ].sort(),
    ['auth.users.me.#', 'confd.users.me.read', 'websocketd'].sort(),
  );
  const ldap = await call({ path: '/0.1/backends/ldap', headers: headers(FIXTURE.tenantB) });
  t.match(ldap.json(), { host: 'ldap.fixture-b.example.com', port: 636, protocol_security: 'ldaps' });
  const tokens = await call({ path: `/0.1/users/${FIXTURE.admin}/tokens`, headers: headers() });
  t.match(tokens.json<{ items: Row[] }>().items, [
    { client_id: String },
    { client_id: String },
    { client_id: String },
  ]);

  await app.stop();
  running = false;
  const before = await targetContents(orm);
  const again = await importUpstream({ from: source.uri, orm });
  t.strictSame(
    again.plan.summary.filter((row) => row.imported > 0).map((row) => row.table),
    [],
    'a second import brings nothing new',
  );
  t.strictSame(await targetContents(orm), before, 'and changes no row');
});
