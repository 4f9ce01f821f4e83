import t from 'tap';
import { RefreshToken } from '../../src/entities/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { createUser } from '../helpers/fixtures.js';

type TokenBody = { data: { token: string; refresh_token?: string } };

t.test('refresh tokens', async (t) => {
  const { orm, call } = await startTestApp(t);
  const userUuid = await createUser(orm, { username: 'phone', password: 'pw', acl: ['x.#'] });
  const login = async (body: object, headers: Record<string, string> = {}, credentials = true) => {
    const res = await call({
      method: 'POST',
      path: '/0.1/token',
      headers: {
        ...JSON_HEADERS,
        ...(credentials ? { Authorization: basic('phone', 'pw') } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, revoked: res.headers['wazo-sessions-revoked'], body: res.json<TokenBody>() };
  };
  const alive = async (token: string) => (await call({ path: `/0.1/token/${token}` })).status === 200;

  t.test('offline login creates one refresh token per client, reused by non-mobile logins', async (t) => {
    const first = await login({ access_type: 'offline', client_id: 'desk' });
    t.equal(first.status, 200);
    const refresh = first.body.data.refresh_token!;
    t.match(refresh, /^[0-9a-f-]{36}$/);
    const second = await login({ access_type: 'offline', client_id: 'desk' });
    t.equal(second.body.data.refresh_token, refresh, 'same value returned');
    const online = await login({ client_id: 'desk' });
    t.notOk('refresh_token' in online.body.data, 'online login with a client_id creates none');
    t.equal(await orm.em.fork().count(RefreshToken, { user: userUuid }), 1);
  });

  t.test('logging in with a refresh token', async (t) => {
    const refresh = (await login({ access_type: 'offline', client_id: 'desk' })).body.data.refresh_token!;
    const viaRefresh = await login(
      { refresh_token: refresh, client_id: 'desk' },
      { Authorization: basic('phone', 'wrong') },
    );
    t.equal(viaRefresh.status, 200, 'Basic credentials are ignored, even wrong ones');
    t.notOk('refresh_token' in viaRefresh.body.data);
    t.ok(await alive(viaRefresh.body.data.token));
    t.equal(
      (await login({ refresh_token: refresh, client_id: 'other' }, {}, false)).status,
      401,
      'other client',
    );
    t.equal(
      (await login({ refresh_token: '00000000-0000-4000-8000-000000000000', client_id: 'desk' }, {}, false))
        .status,
      401,
    );
    const missingClient = await login({ refresh_token: refresh }, {}, false);
    t.equal(missingClient.status, 400);
  });

  t.test(
    'a mobile offline relogin purges the sessions minted from the old mobile refresh token',
    async (t) => {
      const first = await login(
        { access_type: 'offline', client_id: 'mobile-app' },
        { 'Wazo-Session-Type': 'mobile' },
      );
      t.equal(first.revoked, '0');
      const oldRefresh = first.body.data.refresh_token!;
      const viaRefresh = await login({ refresh_token: oldRefresh, client_id: 'mobile-app' }, {}, false);
      const desk = await login({ access_type: 'offline', client_id: 'desk' });

      const relogin = await login(
        { access_type: 'offline', client_id: 'mobile-app' },
        { 'Wazo-Session-Type': 'Mobile' },
      );
      t.equal(relogin.status, 200);
      t.equal(relogin.revoked, '2', 'the offline login and the refresh-token login');
      t.not(relogin.body.data.refresh_token, oldRefresh, 'a fresh refresh token');
      t.notOk(await alive(first.body.data.token));
      t.notOk(await alive(viaRefresh.body.data.token));
      t.ok(await alive(desk.body.data.token), 'non-mobile sessions are untouched');
      t.equal((await login({ refresh_token: oldRefresh, client_id: 'mobile-app' }, {}, false)).status, 401);
      const mobiles = await orm.em.fork().find(RefreshToken, { user: userUuid, mobile: true });
      t.same(
        mobiles.map((rt) => rt.clientId),
        ['mobile-app'],
      );

      const online = await login({}, { 'Wazo-Session-Type': 'mobile' });
      t.equal(online.revoked, '0', 'online mobile logins purge nothing');
    },
  );
});
