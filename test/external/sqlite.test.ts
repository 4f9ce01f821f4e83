// The external auth SQL on the embedded SQLite database (booleans, `on conflict`, affected-row counts,
// paging), the dialect the server uses when no PostgreSQL is configured.
import t from 'tap';
import { expectNoServerError } from '../groups/support.js';
import { startSqliteTestApp } from '../helpers/app.js';
import { adminCaller } from '../helpers/callers.js';

t.test('external auth on SQLite', async (t) => {
  const server = await startSqliteTestApp(t);
  const admin = await adminCaller(server);
  const mine = `/users/${admin.uuid}/external`;

  t.equal((await admin.post('/external/google/config', { client_id: 'a', client_secret: 'b' })).status, 201);
  t.equal((await admin.post('/external/google/config', {})).status, 409);
  t.same((await admin.get('/external/google/config')).json(), { client_id: 'a', client_secret: 'b' });
  t.equal(
    (await admin.put('/external/google/config', undefined, { client_id: 'c', client_secret: 'd' })).status,
    204,
  );
  t.equal((await admin.post('/external/foo/config', { x: 1 })).status, 201, 'a new type, disabled');

  t.equal((await admin.post(`${mine}/mobile`, { token: 'device' })).status, 201);
  t.equal((await admin.post(`${mine}/mobile`, { token: 'device' })).status, 409);
  t.equal((await admin.put(`${mine}/mobile`, undefined, { token: 'other' })).status, 200);
  t.equal((await admin.get(`${mine}/mobile`)).json<{ token: string }>().token, 'other');

  const list = (await admin.get(`${mine}?limit=1&offset=1&direction=desc`)).json<{
    total: number;
    filtered: number;
    items: { type: string; enabled: boolean }[];
  }>();
  t.same([list.total, list.filtered], [3, 3], 'the disabled type is not listed');
  t.same(list.items, [{ type: 'microsoft', enabled: false, data: {}, plugin_info: {} }]);
  const connected = (await admin.get('/external/mobile/users?offset=0')).json<{
    items: { uuid: string }[];
  }>();
  t.same(connected.items, [{ uuid: admin.uuid }], 'the admin has data and a session');
  t.same((await admin.get('/external/foo/users')).json<{ total: number }>().total, 0, 'disabled: empty');

  const started = await admin.post(`${mine}/google`, {});
  t.equal(started.status, 201, 'a pending authorization is stored');
  t.equal((await admin.delete(`${mine}/mobile`)).status, 204);
  t.equal((await admin.delete(`${mine}/mobile`)).status, 404);
  t.equal((await admin.delete('/external/google/config')).status, 204);
  expectNoServerError(t, server);
});
