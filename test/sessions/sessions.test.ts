import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

type SessionList = { total: number; filtered: number; items: Array<Record<string, unknown>> };

t.test('sessions', async (t) => {
  const server = await startTestApp(t);
  const { orm, call } = server;
  const child = await createTenant(orm, 'child');
  await createUser(orm, { username: 'admin', password: 'pw', purpose: 'internal', acl: ['#'] });
  const alice = await createUser(orm, {
    username: 'alice',
    password: 'pw',
    tenant: child,
    acl: ['auth.users.me.sessions.my_session.delete', 'auth.sessions.read'],
  });
  const bob = await createUser(orm, { username: 'bob', password: 'pw', tenant: child });
  const admin = (await tokenFor(server, 'admin', 'pw')).token;
  const aliceMobile = await tokenFor(server, 'alice', 'pw', {}, { 'Wazo-Session-Type': 'mobile' });
  const aliceDesk = await tokenFor(server, 'alice', 'pw');
  const get = (path: string, token = admin, headers: Record<string, string> = {}) =>
    call({ path, headers: { 'X-Auth-Token': token, ...headers } });

  t.test('GET /sessions is tenant-scoped, recurse widens it', async (t) => {
    const own = (await get('/0.1/sessions')).json<SessionList>();
    t.equal(own.total, 1, "the master tenant's own session only");
    t.equal(own.filtered, own.total);
    const all = (await get('/0.1/sessions?recurse=true')).json<SessionList>();
    t.equal(all.total, 3);
    const inChild = (await get('/0.1/sessions', admin, { 'Wazo-Tenant': child })).json<SessionList>();
    t.equal(inChild.total, 2);
    t.same(
      inChild.items.map((item) => item.user_uuid),
      [alice, alice],
    );
    const sorted = (
      await get('/0.1/sessions?order=mobile&direction=desc', admin, { 'Wazo-Tenant': child })
    ).json<SessionList>();
    t.same(
      sorted.items.map((item) => item.mobile),
      [true, false],
    );
    const paged = (await get('/0.1/sessions?recurse=true&limit=1&offset=1')).json<SessionList>();
    t.equal(paged.items.length, 1);
    t.equal(paged.total, 3, 'total ignores limit and offset');
    t.same(Object.keys(sorted.items[0]!), ['uuid', 'mobile', 'tenant_uuid', 'user_uuid']);
  });

  t.test('list errors and authorization', async (t) => {
    const bad = await get('/0.1/sessions?order=uuid');
    t.equal(bad.status, 400);
    t.match(bad.json(), { error_id: 'invalid-list-param', resource: 'users', details: {} });
    t.equal((await get('/0.1/sessions?limit=-1')).status, 400);
    t.equal((await get('/0.1/sessions?direction=up')).status, 400);
    const noToken = await call({ path: '/0.1/sessions' });
    t.equal(noToken.status, 401);
    t.same(noToken.json<{ details: unknown }>().details, {
      invalid_token: '',
      reason: 'not_found_or_expired',
      required_access: 'auth.sessions.read',
    });
    const ancestor = await get('/0.1/sessions', aliceDesk.token, {
      'Wazo-Tenant': (await get('/0.1/sessions')).json<SessionList>().items[0]!.tenant_uuid as string,
    });
    t.equal(ancestor.status, 401);
    t.match(ancestor.json(), { error_id: 'unauthorized-tenant' });
    const own = (await get('/0.1/sessions', aliceDesk.token)).json<SessionList>();
    t.equal(own.total, 2, 'a sub-tenant user sees its tenant');
  });

  t.test('GET /users/{uuid}/sessions', async (t) => {
    const res = (await get(`/0.1/users/${alice}/sessions`)).json<SessionList>();
    t.equal(res.total, 2);
    const unknown = await get('/0.1/users/00000000-0000-4000-8000-000000000000/sessions');
    t.equal(unknown.status, 404);
    t.match(unknown.json(), { error_id: 'unknown-user' });
  });

  t.test('deleting sessions', async (t) => {
    const otherTenant = await createTenant(orm, 'other');
    const res = await call({
      method: 'DELETE',
      path: `/0.1/sessions/${aliceDesk.session_uuid}`,
      headers: { 'X-Auth-Token': admin, 'Wazo-Tenant': otherTenant },
    });
    t.equal(res.status, 204, 'outside the tenant: 204 and nothing happens');
    t.equal((await call({ path: `/0.1/token/${aliceDesk.token}` })).status, 200);

    const self = await call({
      method: 'DELETE',
      path: `/0.1/users/${alice}/sessions/${aliceDesk.session_uuid}`,
      headers: { 'X-Auth-Token': aliceDesk.token },
    });
    t.equal(self.status, 204, 'my_session lets a user end its current session');
    t.equal((await call({ path: `/0.1/token/${aliceDesk.token}` })).status, 404, 'its token is gone at once');

    const another = await call({
      method: 'DELETE',
      path: `/0.1/users/${alice}/sessions/${aliceMobile.session_uuid}`,
      headers: { 'X-Auth-Token': (await tokenFor(server, 'alice', 'pw')).token },
    });
    t.equal(another.status, 401, 'my_session matches only the session of the calling token');

    // A user's path names only that user's sessions (ours; upstream deletes whatever session is named).
    const bobSession = (await tokenFor(server, 'bob', 'pw')).token;
    const throughBob = await call({
      method: 'DELETE',
      path: `/0.1/users/${bob}/sessions/${aliceMobile.session_uuid}`,
      headers: { 'X-Auth-Token': admin },
    });
    t.equal(throughBob.status, 204, "alice's session through bob's path: 204 …");
    t.equal((await call({ path: `/0.1/token/${aliceMobile.token}` })).status, 200, '… and it stays');
    t.equal((await call({ path: `/0.1/token/${bobSession}` })).status, 200, "bob's own session too");

    const byAdmin = await call({
      method: 'DELETE',
      path: `/0.1/sessions/${aliceMobile.session_uuid}`,
      headers: { 'X-Auth-Token': admin },
    });
    t.equal(byAdmin.status, 204);
    t.equal((await call({ path: `/0.1/token/${aliceMobile.token}` })).status, 404);
    const unknown = await call({
      method: 'DELETE',
      path: '/0.1/sessions/00000000-0000-4000-8000-000000000000',
      headers: { 'X-Auth-Token': admin },
    });
    t.equal(unknown.status, 204);
  });
});
