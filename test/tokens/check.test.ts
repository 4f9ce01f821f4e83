import t from 'tap';
import { User } from '../../src/entities/index.js';
import { basic, JSON_HEADERS, startTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser } from '../helpers/fixtures.js';

type TokenBody = { data: Record<string, unknown> & { token: string; session_uuid: string } };

async function tokenFor(server: TestApp, username: string, password: string, body = '{}') {
  const res = await server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic(username, password) },
    body,
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  return res.json<TokenBody>().data;
}

t.test('GET and HEAD /token/{token}', async (t) => {
  const server = await startTestApp(t);
  const { orm, call } = server;
  await createUser(orm, {
    username: 'svc',
    password: 'k',
    purpose: 'external_api',
    acl: ['confd.users.read', 'ctid.foo*.read', '!confd.users.secret.read', 'confd.users.*'],
  });
  const created = await tokenFor(server, 'svc', 'k');
  const token = created.token;

  t.test('a live token reads back with whole-second times', async (t) => {
    const res = await call({ path: `/0.1/token/${token}` });
    t.equal(res.status, 200);
    const { data } = res.json<TokenBody>();
    t.same(
      {
        ...data,
        issued_at: undefined,
        expires_at: undefined,
        utc_issued_at: undefined,
        utc_expires_at: undefined,
      },
      {
        ...created,
        issued_at: undefined,
        expires_at: undefined,
        utc_issued_at: undefined,
        utc_expires_at: undefined,
      },
      'every other field equals the POST answer',
    );
    t.match(data.utc_issued_at, /\.000000$/);
    t.match(data.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    t.equal((data.utc_issued_at as string).slice(0, 19), (created.utc_issued_at as string).slice(0, 19));
    t.notOk('refresh_token' in data);
    const upper = await call({ path: `/0.1/token/${token.toUpperCase()}` });
    t.equal(upper.status, 200, 'the path is case-insensitive');
  });

  t.test('scope', async (t) => {
    const cases: Array<[string, number, string?]> = [
      ['confd.users.read', 200],
      ['ctid.foobar.read', 200],
      ['confd.users.secret.read', 403, 'Unauthorized for confd.users.secret.read'],
      ['confd.users.delete', 200],
      ['confd.lines.read', 403, 'Unauthorized for confd.lines.read'],
      ['', 403, 'Unauthorized for '],
      ['éric.read', 403, 'Unauthorized for eric.read'],
    ];
    for (const [scope, status, reason] of cases) {
      const res = await call({ path: `/0.1/token/${token}?scope=${encodeURIComponent(scope)}` });
      t.equal(res.status, status, `GET scope=${scope}`);
      if (reason) t.same(res.json<{ reason: string[] }>().reason, [reason]);
      const head = await call({
        method: 'HEAD',
        path: `/0.1/token/${token}?scope=${encodeURIComponent(scope)}`,
      });
      t.equal(head.status, status === 200 ? 204 : status, `HEAD scope=${scope}`);
      t.equal(head.text, '');
    }
  });

  t.test('unknown tokens are a legacy 404, before the scope is looked at', async (t) => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const res = await call({ path: `/0.1/token/${unknown}?scope=x` });
    t.equal(res.status, 404);
    t.match(res.json(), { reason: ['No such token'], status_code: 404 });
    t.equal((await call({ method: 'HEAD', path: `/0.1/token/${unknown}` })).status, 404);
    t.equal((await call({ path: '/0.1/token/not-a-uuid' })).status, 404);
  });

  t.test('tenant', async (t) => {
    const child = await createTenant(orm, 'child');
    const grandchild = await createTenant(orm, 'grandkid', child);
    const sibling = await createTenant(orm, 'sibling');
    await createUser(orm, { username: 'child-user', password: 'pw', tenant: child });
    const childToken = (await tokenFor(server, 'child-user', 'pw')).token;
    const check = (tok: string, tenant: string) => call({ path: `/0.1/token/${tok}?tenant=${tenant}` });
    t.equal((await check(token, child)).status, 200, 'master user: any existing tenant');
    t.equal(
      (await check(token, '11111111-1111-4111-8111-111111111111')).status,
      403,
      'master user: unknown tenant',
    );
    t.equal((await check(childToken, child)).status, 200, 'own tenant');
    t.equal((await check(childToken, grandchild)).status, 200, 'descendant');
    const sib = await check(childToken, sibling);
    t.equal(sib.status, 403);
    t.same(sib.json<{ reason: string[] }>().reason, [`Unauthorized for tenant ${sibling}`]);
    t.equal((await check(childToken, 'garbage')).status, 403, 'garbage');
    t.equal(
      (await call({ path: `/0.1/token/${childToken}?tenant=` })).status,
      200,
      'empty tenant is ignored',
    );
  });

  t.test('POST /token/{token}/scopes/check', async (t) => {
    const check = (body: string, tok = token) =>
      call({ method: 'POST', path: `/0.1/token/${tok}/scopes/check`, headers: JSON_HEADERS, body });
    const res = await check(
      '{"scopes": ["confd.users.read", "confd.users.secret.read", "confd.users.read", ""]}',
    );
    t.equal(res.status, 200);
    t.same(res.json(), { scopes: { 'confd.users.read': true, 'confd.users.secret.read': false, '': false } });
    t.same((await check('{"scopes": []}')).json(), { scopes: {} });
    const notList = await check('{"scopes": "abc"}');
    t.equal(notList.status, 400);
    t.same(notList.json<{ reason: string[] }>().reason, [
      "{'scopes': {'message': 'Not a valid list.', 'constraint_id': 'type', 'constraint': 'list'}}",
    ]);
    const item = await check('{"scopes": [true]}');
    t.match(item.json<{ reason: string[] }>().reason[0], /^\{'scopes': \{0: \{/);
    t.equal((await check('{}')).status, 400, 'scopes is required (upstream: 500)');
    t.equal((await check('{"scopes": []}', '00000000-0000-4000-8000-000000000000')).status, 404);
    const wrongTenant = await check('{"scopes": [], "tenant_uuid": "garbage"}');
    t.equal(wrongTenant.status, 403);
    t.same(wrongTenant.json<{ reason: string[] }>().reason, ['Unauthorized for tenant garbage']);
    t.equal((await check('{"scopes": [], "tenant_uuid": null}')).status, 200);
  });

  t.test("a deleted user's token stays valid, but fails tenant checks", async (t) => {
    const uuid = await createUser(orm, { username: 'leaving', password: 'pw' });
    const leaving = (await tokenFor(server, 'leaving', 'pw')).token;
    await orm.em.fork().nativeDelete(User, { uuid });
    t.equal((await call({ path: `/0.1/token/${leaving}` })).status, 200);
    const scoped = await call({ path: `/0.1/token/${leaving}?tenant=${created.session_uuid}` });
    t.equal(scoped.status, 404);
    t.match(scoped.json(), { error_id: 'unknown-user', details: { uuid } });
  });
});

t.test('expiry and revocation', async (t) => {
  const server = await startTestApp(t);
  const { orm, call } = server;
  await createUser(orm, { username: 'u', password: 'pw', acl: ['x'] });

  t.test('a token is unknown once its lifetime is over', async (t) => {
    // Long enough to outlast a check on a loaded machine, short enough to wait out.
    const { token } = await tokenFor(server, 'u', 'pw', '{"expiration": 3}');
    t.equal((await call({ path: `/0.1/token/${token}` })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    t.equal((await call({ path: `/0.1/token/${token}` })).status, 404);
  });

  t.test('DELETE /token/{token} revokes at once and always answers success', async (t) => {
    const { token } = await tokenFor(server, 'u', 'pw');
    const res = await call({ method: 'DELETE', path: `/0.1/token/${token}` });
    t.equal(res.status, 200);
    t.same(res.json(), { data: { message: 'success' } });
    t.equal((await call({ path: `/0.1/token/${token}` })).status, 404);
    const again = await call({ method: 'DELETE', path: `/0.1/token/${token}` });
    t.same(again.json(), { data: { message: 'success' } });
  });
});
