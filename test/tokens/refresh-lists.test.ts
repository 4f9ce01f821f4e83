import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

type Listing = { total: number; filtered: number; items: Array<Record<string, unknown>> };

t.test('refresh-token lists and deletion', async (t) => {
  const server = await startTestApp(t);
  const { orm, call } = server;
  await createUser(orm, { username: 'admin', password: 'pw', purpose: 'internal', acl: ['#'] });
  const bob = await createUser(orm, { username: 'bob', password: 'pw', acl: ['auth.users.me.tokens.#'] });
  const admin = (await tokenFor(server, 'admin', 'pw')).token;
  const desk = await tokenFor(server, 'bob', 'pw', { access_type: 'offline', client_id: 'desk.app' });
  await tokenFor(
    server,
    'bob',
    'pw',
    { access_type: 'offline', client_id: 'phone' },
    { 'Wazo-Session-Type': 'mobile' },
  );
  const bobToken = (await tokenFor(server, 'bob', 'pw')).token;
  const get = (path: string, token = admin) => call({ path, headers: { 'X-Auth-Token': token } });

  t.test('GET /tokens', async (t) => {
    const res = await get('/0.1/tokens');
    t.equal(res.status, 200);
    const body = res.json<Listing>();
    t.equal(body.total, 2);
    t.equal(body.filtered, 2);
    const first = body.items[0]!;
    t.same(Object.keys(first).sort(), [
      'client_id',
      'created_at',
      'metadata',
      'mobile',
      'tenant_uuid',
      'user_uuid',
    ]);
    t.match(first.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    t.same(
      body.items.map((item) => [item.client_id, item.mobile, item.user_uuid]),
      [
        ['desk.app', false, bob],
        ['phone', true, bob],
      ],
      'sorted by created_at',
    );
    const searched = (await get('/0.1/tokens?search=pho')).json<Listing>();
    t.equal(searched.total, 2);
    t.equal(searched.filtered, 1);
    const mobile = (await get('/0.1/tokens?mobile=false')).json<Listing>();
    t.same(
      mobile.items.map((item) => item.client_id),
      ['desk.app'],
    );
    const desc = (await get('/0.1/tokens?order=client_id&direction=desc')).json<Listing>();
    t.same(
      desc.items.map((item) => item.client_id),
      ['phone', 'desk.app'],
    );
    t.equal((await get('/0.1/tokens?order=uuid')).status, 400);
  });

  t.test('per user and for the caller', async (t) => {
    const byUuid = (await get(`/0.1/users/${bob}/tokens`)).json<Listing>();
    const mine = await get('/0.1/users/me/tokens', bobToken);
    t.equal(mine.status, 200);
    t.same(mine.json(), byUuid, "a user's own listing equals the listing by uuid");
    const refused = await get('/0.1/users/me/tokens', '00000000-0000-4000-8000-000000000000');
    t.equal(refused.status, 401);
    t.equal((await get('/0.1/users/00000000-0000-4000-8000-000000000000/tokens')).status, 404);
  });

  t.test('deletion by client id revokes the tokens it minted (unlike upstream)', async (t) => {
    const res = await call({
      method: 'DELETE',
      path: '/0.1/users/me/tokens/desk.app',
      headers: { 'X-Auth-Token': bobToken },
    });
    t.equal(res.status, 204, 'auth.users.me.tokens.# covers desk_app (dots become underscores)');
    t.equal((await call({ path: `/0.1/token/${desk.token}` })).status, 404, 'the token it minted is revoked');
    t.equal((await call({ path: `/0.1/token/${bobToken}` })).status, 200, 'an online token of bob stays');
    const again = await call({
      method: 'DELETE',
      path: '/0.1/users/me/tokens/desk.app',
      headers: { 'X-Auth-Token': bobToken },
    });
    t.equal(again.status, 404);
    t.same(
      { ...again.json<Record<string, unknown>>(), timestamp: 0 },
      {
        message: 'unknown refresh_token for client_id "desk.app"',
        error_id: 'cannot-find-refresh-token-matching-client-id',
        details: { client_id: 'desk.app' },
        timestamp: 0,
        resource: 'tokens',
      },
    );
    const relogin = await call({
      method: 'POST',
      path: '/0.1/token',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: desk.refresh_token, client_id: 'desk.app' }),
    });
    t.equal(relogin.status, 401, 'the deleted refresh token no longer logs in');
    const byAdmin = await call({
      method: 'DELETE',
      path: `/0.1/users/${bob}/tokens/phone`,
      headers: { 'X-Auth-Token': admin },
    });
    t.equal(byAdmin.status, 204);
    t.equal((await get('/0.1/tokens')).json<Listing>().total, 0);
  });
});
