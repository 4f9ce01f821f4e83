// Security issue #18 item 10, OAuth2 account linking: the body's `scope` may only narrow the configured
// list; a `state` is single use, expires (its relay connection closes), is superseded by the user's next
// authorization of the same type, and completes only while the session of the token that started it lives.
import t from 'tap';
import { OAuth2Flow } from '../../src/entities/index.js';
import { freePort } from '../../src/net/free-port.js';
import { expectNoServerError } from '../groups/support.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Teardown } from '../helpers/bus.js';
import { adminCaller, apiError, type Caller, caller } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import { createBrowser } from '../helpers/oauth2-browser.js';
import { type OAuth2Provider, startOAuth2Provider } from '../helpers/oauth2-provider.js';
import { startOAuth2Relay } from '../helpers/oauth2-relay.js';
import { tokenFor } from '../helpers/tokens.js';
import { storedBlobs, useProvider } from './support.js';

type Started = { authorization_url: string; state: string };
type User = Caller & { uuid: string };

const GOOGLE = { client_id: 'wazo-google-app', client_secret: 'google-client-secret-b1nd' };
const MICROSOFT = { client_id: 'wazo-ms-app', client_secret: 'ms-client-secret-b1nd' };
const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/contacts',
];
const ACL = ['auth.users.me.external.#'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server whose Google redirects come back to it and whose Microsoft ones go through a relay. */
async function linkingServer(t: Teardown, flowTimeoutS?: number) {
  const port = await freePort();
  const googleRedirect = `http://127.0.0.1:${port}/0.1/external/google/authorize`;
  const relay = await startOAuth2Relay(t);
  const provider = await startOAuth2Provider(t, {
    clients: [
      { ...GOOGLE, redirect_uris: [googleRedirect], accessTokenTtl: 3600 },
      { ...MICROSOFT, redirect_uris: [relay.redirectUri('microsoft')], accessTokenTtl: 3600 },
    ],
  });
  const server = await startTestApp(t, (config) => {
    config.rest_api.port = port;
    if (flowTimeoutS !== undefined) config.oauth2_flow_timeout = flowTimeoutS;
    useProvider(config, provider, { googleRedirect, relay });
  });
  const admin = await adminCaller(server);
  for (const [type, credentials] of [
    ['google', GOOGLE],
    ['microsoft', MICROSOFT],
  ] as const) {
    const res = await admin.post(`/external/${type}/config`, credentials);
    if (res.status !== 201) throw new Error(`${type} config: ${res.status} ${res.text}`);
  }
  return { server, relay, provider, googleRedirect };
}

/** A user with its own login (a token of its own session), to be revoked by the tests. */
async function linkingUser(server: TestApp, username: string): Promise<User> {
  const uuid = await createUser(server.orm, { username, password: 'pw', purpose: 'internal', acl: ACL });
  return { ...caller(server, (await tokenFor(server, username, 'pw')).token), uuid };
}

const start = async (user: User, type: string, body: object = {}): Promise<Started> => {
  const res = await user.post(`/users/${user.uuid}/external/${type}`, body);
  if (res.status !== 201) throw new Error(`POST ${type}: ${res.status} ${res.text}`);
  return res.json<Started>();
};

const storedType = async (server: TestApp, user: string, type: string) =>
  (await storedBlobs(server.orm, user)).find((row) => row.type === type)?.data ?? null;

const codeGrants = (provider: OAuth2Provider) =>
  provider.tokenRequests.filter((request) => request.grant_type === 'authorization_code').length;

t.test('OAuth2 flows: scopes, supersession, session binding', async (t) => {
  const { server, relay, provider, googleRedirect } = await linkingServer(t);
  const consent = (started: Started, stopAt = googleRedirect) =>
    createBrowser().openAuthorization(started.authorization_url, { stopAt });

  await t.test('a body scope may only narrow the configured list', async (t) => {
    const ann = await linkingUser(server, 'ann');
    for (const scope of [
      ['openid'],
      ['https://mail.google.com/'],
      [GOOGLE_SCOPES[0], 'https://www.googleapis.com/auth/drive'],
      ['Contacts.Read'],
    ]) {
      const res = await ann.post(`/users/${ann.uuid}/external/google`, { scope });
      t.equal(res.status, 400, scope.join(' '));
      t.match(apiError(res), { error_id: 'invalid-data', resource: 'users' });
    }
    const narrowed = await start(ann, 'google', { scope: [GOOGLE_SCOPES[1], GOOGLE_SCOPES[1]] });
    t.equal(new URL(narrowed.authorization_url).searchParams.get('scope'), GOOGLE_SCOPES[1], 'deduplicated');
    const all = await start(ann, 'google', { scope: [] });
    t.equal(new URL(all.authorization_url).searchParams.get('scope'), GOOGLE_SCOPES.join(' '));
    const microsoft = await start(ann, 'microsoft', { scope: ['Contacts.Read'] });
    t.equal(new URL(microsoft.authorization_url).searchParams.get('scope'), 'Contacts.Read');
  });

  await t.test("a new authorization supersedes the user's previous one of that type", async (t) => {
    const bea = await linkingUser(server, 'bea');
    const first = await start(bea, 'google');
    const firstBack = await consent(first);
    const second = await start(bea, 'google');
    const refused = await createBrowser().followTo(firstBack);
    t.equal(refused.status, 400);
    t.equal(apiError(refused).error_id, 'unknown-oauth2-state');
    t.equal(await storedType(server, bea.uuid, 'google'), null);
    t.equal((await createBrowser().followTo(await consent(second))).status, 200, 'the latest completes');
    t.ok(await storedType(server, bea.uuid, 'google'));
    t.equal((await createBrowser().followTo(firstBack)).status, 400, 'and the superseded one stays refused');
  });

  await t.test("a superseded authorization's relay connection closes", async (t) => {
    const cora = await linkingUser(server, 'cora');
    const first = await start(cora, 'microsoft');
    t.ok(relay.waiting().includes(first.state));
    const second = await start(cora, 'microsoft');
    for (let i = 0; relay.waiting().includes(first.state) && i < 50; i++) await sleep(20);
    t.notOk(relay.waiting().includes(first.state), 'the first connection is gone');
    t.ok(relay.waiting().includes(second.state));
    // Another user's authorization of the same type is not touched.
    const dora = await linkingUser(server, 'dora');
    const theirs = await start(dora, 'microsoft');
    t.ok(relay.waiting().includes(second.state) && relay.waiting().includes(theirs.state));
  });

  await t.test('a flow whose starting token was revoked does not complete', async (t) => {
    const eve = await linkingUser(server, 'eve');
    // The user's other session stays: the binding is to the session that started the flow.
    const other = await tokenFor(server, 'eve', 'pw');
    const started = await start(eve, 'google');
    const back = await consent(started);
    const grants = codeGrants(provider);
    t.equal((await server.call({ method: 'DELETE', path: `/0.1/token/${eve.token}` })).status, 200);
    const res = await createBrowser().followTo(back);
    t.equal(res.status, 400);
    t.equal(apiError(res).error_id, 'unknown-oauth2-state');
    t.equal(await storedType(server, eve.uuid, 'google'), null, 'nothing stored');
    t.equal(codeGrants(provider), grants, 'the code was not even redeemed');
    t.equal(
      await server.orm.em.fork().count(OAuth2Flow, { userUuid: eve.uuid }),
      0,
      'the flow went with its session',
    );
    t.equal((await caller(server, other.token).get(`/users/${eve.uuid}/external/google`)).status, 404);
  });

  await t.test('through the relay too: a revoked starting token stores nothing', async (t) => {
    const fay = await linkingUser(server, 'fay');
    const started = await start(fay, 'microsoft');
    t.equal((await server.call({ method: 'DELETE', path: `/0.1/token/${fay.token}` })).status, 200);
    const back = await consent(started, relay.redirectUri('microsoft'));
    t.equal((await createBrowser().followTo(back)).status, 200, 'the relay forwarded it');
    for (let i = 0; relay.waiting().includes(started.state) && i < 50; i++) await sleep(20);
    await sleep(300);
    t.equal(await storedType(server, fay.uuid, 'microsoft'), null);
  });

  expectNoServerError(t, server);
});

t.test('an authorization expires: its relay connection closes, its state is refused', async (t) => {
  const { server, relay, googleRedirect } = await linkingServer(t, 1.5);
  const gus = await linkingUser(server, 'gus');
  const viaRelay = await start(gus, 'microsoft');
  t.ok(relay.waiting().includes(viaRelay.state));
  const direct = await start(gus, 'google');
  const back = await createBrowser().openAuthorization(direct.authorization_url, { stopAt: googleRedirect });
  await sleep(2000);
  t.notOk(relay.waiting().includes(viaRelay.state), 'the relay connection is closed');
  const res = await createBrowser().followTo(back);
  t.equal(res.status, 400);
  t.equal(apiError(res).error_id, 'unknown-oauth2-state');
  t.equal(await storedType(server, gus.uuid, 'google'), null);
  expectNoServerError(t, server);
});
