// Google and Microsoft account linking (external-auth.md §4) against a local OAuth2 provider playing both:
// Google through this server's own redirect endpoint, Microsoft through a wazo-oauth2 relay (with PKCE and
// HTTP Basic client authentication), refresh on expiry, denial, wrong and replayed states, provider down.
import t from 'tap';
import { freePort } from '../../src/net/free-port.js';
import { expectNoServerError } from '../groups/support.js';
import { startTestApp } from '../helpers/app.js';
import { BUS_URI, classicConsumer, testExchange } from '../helpers/bus.js';
import { adminCaller, apiError, type Caller, userCaller } from '../helpers/callers.js';
import { createTenant } from '../helpers/fixtures.js';
import { createBrowser } from '../helpers/oauth2-browser.js';
import { startOAuth2Provider } from '../helpers/oauth2-provider.js';
import { startOAuth2Relay } from '../helpers/oauth2-relay.js';
import { storedBlobs, useProvider } from './support.js';

type Started = { authorization_url: string; state: string };
type Access = { access_token: string; token_expiration: number; scope: string[] };

const GOOGLE = { client_id: 'wazo-google-app', client_secret: 'google-client-secret-7f3a' };
const MICROSOFT = { client_id: 'wazo-ms-app', client_secret: 'ms-client-secret-91bc' };
const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/contacts',
];

t.test('OAuth2 account linking', async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const googleRedirect = `${base}/0.1/external/google/authorize`;
  const relay = await startOAuth2Relay(t);
  const provider = await startOAuth2Provider(t, {
    clients: [
      { ...GOOGLE, redirect_uris: [googleRedirect], accessTokenTtl: 3600 },
      // Shorter than the 30 s margin: every read refreshes.
      { ...MICROSOFT, redirect_uris: [relay.redirectUri('microsoft')], accessTokenTtl: 20 },
    ],
  });
  const exchange = await testExchange(t);
  const events = await classicConsumer(t, exchange, 'auth.users.*.external.#');
  const server = await startTestApp(t, (config) => {
    config.rest_api.port = port;
    config.amqp.uri = BUS_URI;
    config.amqp.exchange_name = exchange;
    useProvider(
      config,
      provider,
      { googleRedirect, relay },
      { pkce: true, token_endpoint_auth_method: 'client_secret_basic' },
    );
  });
  const admin = await adminCaller(server);
  t.equal((await admin.post('/external/google/config', GOOGLE)).status, 201);
  t.equal((await admin.post('/external/microsoft/config', MICROSOFT)).status, 201);
  const acl = ['auth.users.me.external.#'];
  const alice = await userCaller(server, 'alice', acl);
  const secrets = new Set<string>([GOOGLE.client_secret, MICROSOFT.client_secret]);

  const start = async (caller: Caller & { uuid: string }, type: string, body: object = {}) => {
    const res = await caller.post(`/users/${caller.uuid}/external/${type}`, body);
    if (res.status !== 201) throw new Error(`POST ${type}: ${res.status} ${res.text}`);
    const started = res.json<Started>();
    secrets.add(started.state);
    return started;
  };
  const read = (caller: Caller & { uuid: string }, type: string) =>
    caller.get(`/users/${caller.uuid}/external/${type}`);
  const stored = async (user: string, type: string) =>
    ((await storedBlobs(server.orm, user)).find((row) => row.type === type)?.data ?? null) as Record<
      string,
      unknown
    > | null;
  const remember = (data: Record<string, unknown> | null) => {
    for (const key of ['access_token', 'refresh_token'])
      if (typeof data?.[key] === 'string') secrets.add(data[key]);
  };
  const whileDown = async (work: () => Promise<void>) => {
    await provider.stop();
    try {
      await work();
    } finally {
      await provider.start();
    }
  };
  /** Runs the browser through the provider; returns the redirect it was sent back with (not followed). */
  const consent = (started: Started, stopAt: string) =>
    createBrowser().openAuthorization(started.authorization_url, { stopAt });

  let googleAccess: Access | undefined;

  await t.test('Google: authorization URL, consent, redirect to this server, tokens stored', async (t) => {
    const started = await start(alice, 'google');
    t.match(started.state, /^[A-Za-z0-9]{30}$/);
    const url = new URL(started.authorization_url);
    t.equal(`${url.origin}${url.pathname}`, provider.authorizationEndpoint);
    t.same(
      [...url.searchParams.keys()],
      ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'access_type', 'prompt'],
      "upstream's parameters, in its order, no PKCE unless configured",
    );
    t.same(Object.fromEntries(url.searchParams), {
      response_type: 'code',
      client_id: GOOGLE.client_id,
      redirect_uri: googleRedirect,
      scope: GOOGLE_SCOPES.join(' '),
      state: started.state,
      access_type: 'offline',
      prompt: 'consent',
    });

    const pending = await read(alice, 'google');
    t.equal(pending.status, 404, 'nothing until the flow completes');
    t.equal(apiError(pending).error_id, 'unknown-external-auth');

    const back = await consent(started, googleRedirect);
    secrets.add(back.searchParams.get('code')!);
    const landed = await createBrowser().followTo(back);
    t.equal(landed.status, 200);
    t.match(landed.headers['content-type'], /text\/html/);
    t.match(landed.text, /Google account is now connected/);

    const res = await read(alice, 'google');
    t.equal(res.status, 200);
    googleAccess = res.json<Access>();
    t.same(
      Object.keys(googleAccess).sort(),
      ['access_token', 'scope', 'token_expiration'],
      'no refresh token',
    );
    t.ok(Number.isInteger(googleAccess.token_expiration));
    t.ok(Math.abs(googleAccess.token_expiration - (Date.now() / 1000 + 3600)) < 10, 'expires in an hour');
    t.same(googleAccess.scope, GOOGLE_SCOPES);
    const data = await stored(alice.uuid, 'google');
    remember(data);
    t.same(Object.keys(data!).sort(), ['access_token', 'refresh_token', 'scope', 'token_expiration']);
    t.equal(data!.access_token, googleAccess.access_token);
    t.type(data!.refresh_token, 'string');

    const again = await read(alice, 'google');
    t.equal(again.json<Access>().access_token, googleAccess.access_token, 'not expired: not refreshed');
    t.equal(provider.tokenRequests.filter((r) => r.grant_type === 'refresh_token').length, 0);
    const codeGrant = provider.tokenRequests.find((r) => r.grant_type === 'authorization_code')!;
    t.equal(codeGrant.auth_method, 'client_secret_post');
    t.equal(codeGrant.redirect_uri, googleRedirect);
    t.notOk(codeGrant.code_verifier);

    const list = await alice.get(`/users/${alice.uuid}/external`);
    t.same(
      list.json<{ items: { type: string; enabled: boolean }[] }>().items.map((i) => [i.type, i.enabled]),
      [
        ['google', true],
        ['microsoft', false],
        ['mobile', false],
      ],
    );
    const [added] = await events.take(1, (m) => m.body.name === 'auth_user_external_auth_added');
    t.equal(added!.routingKey, `auth.users.${alice.uuid}.external.google.created`);
    t.same(added!.body.data, { user_uuid: alice.uuid, external_auth_name: 'google' });

    await t.test('the same redirect again (a replayed code) is refused, nothing changes', async (t) => {
      const replay = await createBrowser().followTo(back);
      t.equal(replay.status, 400);
      t.equal(apiError(replay).error_id, 'unknown-oauth2-state');
      t.same(await stored(alice.uuid, 'google'), data);
    });
  });

  await t.test('a state this server never issued, or of another type, is refused', async (t) => {
    const started = await start(alice, 'google');
    const back = await consent(started, googleRedirect);
    const forged = new URL(back);
    forged.searchParams.set('state', 'A'.repeat(30));
    t.equal((await createBrowser().followTo(forged)).status, 400);
    const other = new URL(back);
    other.pathname = '/0.1/external/microsoft/authorize';
    t.equal((await createBrowser().followTo(other)).status, 400, "a Google state is not Microsoft's");
    const missing = new URL(back);
    missing.searchParams.delete('state');
    t.equal((await createBrowser().followTo(missing)).status, 400);
    // The genuine redirect still completes: the refusals spent nothing.
    t.equal((await createBrowser().followTo(back)).status, 200);
    const [updated] = await events.take(1, (m) => m.body.name === 'auth_user_external_auth_updated');
    t.equal(updated!.routingKey, `auth.users.${alice.uuid}.external.google.updated`, 'replaced: updated');
    remember(await stored(alice.uuid, 'google'));
  });

  await t.test('an expired authorization is refused', async (t) => {
    const started = await start(alice, 'google');
    const back = await consent(started, googleRedirect);
    await server.orm.em.fork().execute('update "auth_oauth2_flow" set "expires_at" = 0');
    const res = await createBrowser().followTo(back);
    t.equal(res.status, 400);
    t.equal(apiError(res).error_id, 'unknown-oauth2-state');
  });

  await t.test('denied consent: a clear error, nothing stored', async (t) => {
    const bob = await userCaller(server, 'bob', acl);
    const started = await start(bob, 'google');
    provider.denyNext();
    const back = await consent(started, googleRedirect);
    t.equal(back.searchParams.get('error'), 'access_denied');
    const res = await createBrowser().followTo(back);
    t.equal(res.status, 400);
    t.match(apiError(res), { error_id: 'oauth2-authorization-denied', details: { error: 'access_denied' } });
    t.equal(await stored(bob.uuid, 'google'), null);
    t.equal((await read(bob, 'google')).status, 404);
  });

  await t.test('provider down during the code exchange: 503, nothing stored', async (t) => {
    const carol = await userCaller(server, 'carol', acl);
    const started = await start(carol, 'google');
    const back = await consent(started, googleRedirect);
    await whileDown(async () => {
      const res = await createBrowser().followTo(back);
      t.equal(res.status, 503);
      t.equal(apiError(res).error_id, 'oauth2-provider-unavailable');
      t.equal(await stored(carol.uuid, 'google'), null);
    });
  });

  await t.test(
    'Microsoft through the relay, with PKCE: refreshed on every read (expires within 30 s)',
    async (t) => {
      const started = await start(alice, 'microsoft', { scope: ['offline_access', 'Contacts.Read'] });
      const url = new URL(started.authorization_url);
      t.equal(url.searchParams.get('code_challenge_method'), 'S256');
      t.equal(url.searchParams.get('redirect_uri'), relay.redirectUri('microsoft'));
      t.notOk(url.searchParams.has('access_type'), 'Google only');
      t.ok(relay.waiting().includes(started.state), 'the server waits at the relay before answering');

      const back = await consent(started, relay.redirectUri('microsoft'));
      t.equal((await createBrowser().followTo(back)).status, 200, 'the relay forwarded it');
      let res = await read(alice, 'microsoft');
      for (let i = 0; res.status === 404 && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        res = await read(alice, 'microsoft');
      }
      t.equal(res.status, 200);
      const first = res.json<Access>();
      t.same(first.scope, ['offline_access', 'Contacts.Read']);
      const codeGrant = [...provider.tokenRequests]
        .reverse()
        .find((r) => r.grant_type === 'authorization_code')!;
      t.equal(codeGrant.client_id, MICROSOFT.client_id);
      t.equal(codeGrant.auth_method, 'client_secret_basic');
      t.ok(codeGrant.code_verifier, 'PKCE verifier sent');
      t.same(relay.waiting(), [], 'relay connection closed');

      const refreshesBefore = provider.tokenRequests.filter((r) => r.grant_type === 'refresh_token').length;
      // The refresh is held at the provider so that the three reads meet it in flight, however slow the machine.
      provider.slowTokens(500);
      const concurrent = await Promise.all([1, 2, 3].map(() => read(alice, 'microsoft')));
      provider.slowTokens(0);
      t.same(
        concurrent.map((r) => r.status),
        [200, 200, 200],
      );
      const tokens = new Set(concurrent.map((r) => r.json<Access>().access_token));
      t.equal(tokens.size, 1, 'concurrent reads share one refresh');
      t.equal(
        provider.tokenRequests.filter((r) => r.grant_type === 'refresh_token').length,
        refreshesBefore + 1,
        'one refresh for three reads (a rotated refresh token works once)',
      );
      const second = await read(alice, 'microsoft');
      t.not(second.json<Access>().access_token, [...tokens][0], 'refreshed again');
      const data = await stored(alice.uuid, 'microsoft');
      remember(data);
      t.equal(data!.access_token, second.json<Access>().access_token, 'the refreshed token is stored');
      t.same(data!.scope, ['offline_access', 'Contacts.Read']);

      await t.test('provider down at refresh: 503, stored tokens unchanged', async (t) => {
        await provider.stop();
        try {
          const down = await read(alice, 'microsoft');
          t.equal(down.status, 503);
          t.equal(apiError(down).error_id, 'oauth2-provider-unavailable');
          t.same(await stored(alice.uuid, 'microsoft'), data);
        } finally {
          await provider.start();
        }
      });

      await t.test(
        'refresh token revoked at the provider: 502 with its error, stored tokens unchanged',
        async (t) => {
          await provider.revokeRefreshTokens();
          const refused = await read(alice, 'microsoft');
          t.equal(refused.status, 502);
          t.match(apiError(refused), {
            error_id: 'oauth2-provider-error',
            details: { error: 'invalid_grant' },
          });
          t.same(await stored(alice.uuid, 'microsoft'), data);
        },
      );
    },
  );

  await t.test('POST: body validation, tenant configuration, then the user', async (t) => {
    const bad = await alice.post(`/users/${alice.uuid}/external/google`, { scope: 'contacts' });
    t.equal(bad.status, 400);
    t.match(apiError(bad), { error_id: 'invalid-data', resource: 'users' });
    t.equal((await alice.post(`/users/${alice.uuid}/external/google`, { scope: [''] })).status, 400);
    const custom = await start(alice, 'google', { scope: [GOOGLE_SCOPES[1]], unknown: true });
    t.equal(
      new URL(custom.authorization_url).searchParams.get('scope'),
      GOOGLE_SCOPES[1],
      'the body narrows the configured scopes',
    );
    // Unlike upstream, a scope the operator did not configure is refused (oauth2-binding.test.ts).
    const wider = await alice.post(`/users/${alice.uuid}/external/google`, { scope: ['openid'] });
    t.equal(wider.status, 400);
    t.match(apiError(wider), { error_id: 'invalid-data', resource: 'users' });

    const child = await createTenant(server.orm, 'child');
    const dave = await userCaller(server, 'dave', acl, child);
    const none = await dave.post(`/users/${dave.uuid}/external/google`, {});
    t.equal(none.status, 404, "the caller's tenant has no configuration");
    t.match(apiError(none), { error_id: 'unknown-external-auth', resource: 'google' });

    const stranger = await admin.post('/users/00000000-0000-4000-8000-000000000000/external/google', {});
    t.equal(stranger.status, 404);
    t.equal(apiError(stranger).error_id, 'unknown-user');

    const partial = await admin.put('/external/google/config', undefined, { client_id: 'only-an-id' });
    t.equal(partial.status, 204);
    const incomplete = await alice.post(`/users/${alice.uuid}/external/google`, {});
    t.equal(incomplete.status, 400, 'a configuration without a secret cannot start anything');
    t.equal((await admin.put('/external/google/config', undefined, GOOGLE)).status, 204);
  });

  await t.test('DELETE forgets the account', async (t) => {
    t.equal((await alice.delete(`/users/${alice.uuid}/external/google`)).status, 204);
    t.equal((await read(alice, 'google')).status, 404);
    t.equal(await stored(alice.uuid, 'google'), null);
    t.equal((await alice.delete(`/users/${alice.uuid}/external/google`)).status, 404);
    const [deleted] = await events.take(1, (m) => m.body.name === 'auth_user_external_auth_deleted');
    t.equal(deleted!.routingKey, `auth.users.${alice.uuid}.external.google.deleted`);
  });

  await t.test('no secret, token, code or state in the logs', async (t) => {
    const logs = server.logs.lines.join('\n');
    t.ok(secrets.size > 6);
    for (const secret of secrets) t.notOk(logs.includes(secret), 'a secret was logged');
  });

  expectNoServerError(t, server);
});
