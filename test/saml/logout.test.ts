// SAML single logout (saml.md §5) and the session purge (§6).
import t from 'tap';
import { type Config, loadConfig } from '../../src/config/index.js';
import { SamlSession } from '../../src/entities/index.js';
import { createLogger } from '../../src/log/logger.js';
import { Saml, type SamlDependencies } from '../../src/saml/index.js';
import { JSON_HEADERS } from '../helpers/app.js';
import { apiError, legacyError } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import { APP_URL, readRedirect, startSamlWorld } from '../helpers/saml-idp.js';
import { LogSink } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';

// The web application the tests return to is a host the platform owns (redirects.test.ts).
const ownsApp = (config: Config) => {
  config.public_hosts = [new URL(APP_URL).host];
};
const world = await startSamlWorld(t, ownsApp);
const { server, idp } = world;

const logout = (token: string, how: 'header' | 'query' = 'header') =>
  server.call({
    method: 'GET',
    path: how === 'header' ? '/0.1/saml/logout' : `/0.1/saml/logout?token=${token}`,
    headers: how === 'header' ? { 'X-Auth-Token': token } : {},
  });
const sls = (query: string) => server.call({ method: 'GET', path: `/0.1/saml/sls${query}` });
const tokenStatus = async (token: string) =>
  (await server.call({ method: 'GET', path: `/0.1/token/${token}` })).status;
const refresh = (refreshToken: string) =>
  server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: JSON_HEADERS,
    body: JSON.stringify({ refresh_token: refreshToken, client_id: 'web' }),
  });
const sessionRow = (sessionId: string) => server.orm.em.fork().findOne(SamlSession, { sessionId });

t.test(
  'logout: a signed LogoutRequest to the IdP, tokens revoked; then the IdP answers at /saml/sls',
  async (t) => {
    const login = await world.login(undefined, {
      nameId: 'alice-at-idp',
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      nameQualifier: idp.entityId,
      spNameQualifier: 'https://stack.example.com/api/auth/0.1/saml/sp',
      sessionIndex: '_idp-session-42',
    });
    // A renewed token comes from the same refresh token: it is the one used to log out.
    const renewed = await refresh(login.refresh_token!);
    t.equal(renewed.status, 200);
    const current = renewed.json<{ data: { token: string } }>().data.token;

    const res = await logout(current);
    t.equal(res.status, 200, res.text);
    const { location } = res.json<{ location: string }>();
    t.ok(location.startsWith(`${idp.sloUrl}?SAMLRequest=`), location);
    const message = readRedirect(location, 'SAMLRequest');
    t.equal(message.sigAlg, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    t.match(
      message.xml,
      /<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" NameQualifier="https:\/\/idp.example.test\/metadata" SPNameQualifier="[^"]+">alice-at-idp<\/saml:NameID>/,
    );
    t.match(message.xml, '<samlp:SessionIndex>_idp-session-42</samlp:SessionIndex>');
    t.equal(message.relayState?.length, 44);

    t.equal(await tokenStatus(current), 404, 'the token used is revoked');
    t.equal(await tokenStatus(login.token), 404, 'so is the first one of the login');
    t.equal((await refresh(login.refresh_token!)).status, 401, 'the refresh token is deleted');
    t.equal((await world.exchange(login.sessionId)).status, 401, 'the saml_session_id is spent');

    // The IdP checks the request's signature, then answers.
    const { request, slsQuery } = await idp.logout(location, world.spMetadata);
    t.equal(request.nameId, 'alice-at-idp');
    const back = await sls(slsQuery);
    t.equal(back.status, 302, back.text);
    t.equal(back.headers.location, `${APP_URL}?logged_out=true`);
    t.equal(await sessionRow(login.sessionId), null, 'the session is gone');

    const again = await sls(slsQuery);
    t.equal(again.status, 404, 'already processed: its context is gone');
    t.same(apiError(again), {
      message: 'SAML processing failed',
      error_id: 'processing-error',
      resource: 'saml',
      details: { error: 'Unable to process logout request response (Context not found)' },
    });
  },
);

t.test('the token may come in the query; an unsigned LogoutResponse is accepted', async (t) => {
  const login = await world.login();
  const res = await logout(login.token, 'query');
  t.equal(res.status, 200);
  const { slsQuery } = await idp.logout(res.json<{ location: string }>().location, world.spMetadata, {
    signed: false,
  });
  t.notMatch(slsQuery, 'Signature=');
  t.equal((await sls(slsQuery)).status, 302);
});

t.test('LogoutResponse failures: 4xx processing-error (upstream: 500)', async (t) => {
  const login = await world.login();
  const { location } = (await logout(login.token)).json<{ location: string }>();
  const wrong = await idp.logout(location, world.spMetadata, { inResponseTo: '_another-request' });
  const res = await sls(wrong.slsQuery);
  t.equal(res.status, 400);
  t.match(apiError(res), { error_id: 'processing-error', details: { error: /InResponseTo/ } });

  const good = await idp.logout(location, world.spMetadata);
  const params = new URLSearchParams(good.slsQuery);
  const signature = params.get('Signature')!;
  params.set('Signature', `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`);
  const forged = await sls(`?${params}`);
  t.equal(forged.status, 400, 'a broken signature');
  t.match(apiError(forged).details, { error: /^Unable to process logout request response/ });

  t.equal((await sls('?RelayState=x')).status, 400, 'no SAMLResponse');
  t.equal((await sls(good.slsQuery)).status, 302, 'the genuine answer still works');
});

t.test('logout errors', async (t) => {
  const unknown = await logout('00000000-0000-4000-8000-000000000000');
  t.equal(unknown.status, 404);
  t.same(legacyError(unknown), { reason: 'No such token', status_code: 404 });
  t.equal((await logout('garbage')).status, 404);
  t.equal((await server.call({ method: 'GET', path: '/0.1/saml/logout' })).status, 404);

  const contextNotFound = {
    message: 'SAML processing failed',
    error_id: 'processing-error',
    resource: 'saml',
    details: { error: 'Context not found' },
  };
  // An online SAML login has no refresh token: a null never matches a null.
  const online = await world.login({});
  const res = await logout(online.token);
  t.equal(res.status, 404);
  t.same(apiError(res), contextNotFound);
  t.equal(await tokenStatus(online.token), 200, 'nothing revoked');

  await createUser(server.orm, { username: 'native', password: 'pw' });
  const native = await tokenFor(server, 'native', 'pw', { access_type: 'offline', client_id: 'web' });
  const nativeLogout = await logout(native.token);
  t.equal(nativeLogout.status, 404, 'a token of another kind of login');
  t.same(apiError(nativeLogout), contextNotFound);
});

t.test('an IdP without single logout: logged out here, sent back to the app', async (t) => {
  const local = await startSamlWorld(t, ownsApp, { sloUrl: null });
  const login = await local.login();
  const res = await local.server.call({
    method: 'GET',
    path: '/0.1/saml/logout',
    headers: { 'X-Auth-Token': login.token },
  });
  t.equal(res.status, 200);
  t.same(res.json(), { location: `${APP_URL}?logged_out=true` });
  t.equal((await local.server.call({ method: 'GET', path: `/0.1/token/${login.token}` })).status, 404);
  t.equal(await local.server.orm.em.fork().count(SamlSession, { sessionId: login.sessionId }), 0);

  const withQuery = 'https://app.example.com/bye?x=1';
  const { sessionId, relayState, requestId } = await local.sso(withQuery);
  await local.acs(local.response(requestId), relayState);
  const issued = await local.exchange(sessionId, { access_type: 'offline', client_id: 'web' });
  const token = issued.json<{ data: { token: string } }>().data.token;
  const bye = await local.server.call({
    method: 'GET',
    path: '/0.1/saml/logout',
    headers: { 'X-Auth-Token': token },
  });
  t.same(bye.json(), { location: `${withQuery}&logged_out=true` });
});

t.test('purge: sessions past their lifetime, logins pending past the login timeout', async (t) => {
  const { config } = loadConfig({ env: { WAZO_AUTH_DB_URI: server.uri }, file: null });
  config.saml.saml_session_lifetime_seconds = 3600;
  config.saml.saml_login_timeout_seconds = 60;
  const logs = new LogSink();
  const saml = new Saml({
    orm: server.orm,
    config,
    logger: createLogger({ log_level: 'debug', debug: false }, logs),
  } as SamlDependencies);
  const em = server.orm.em.fork();
  await em.nativeDelete(SamlSession, {});
  const now = Date.now();
  const row = (name: string, ageS: number, login: string | null) =>
    em.create(SamlSession, {
      requestId: `_${name}`,
      sessionId: name.padEnd(22, 'x'),
      redirectUrl: APP_URL,
      domain: world.domain,
      relayState: name,
      login,
      startTime: new Date(now - ageS * 1000),
      samlNameId: null,
      refreshToken: null,
    });
  row('fresh-pending', 30, null);
  row('old-pending', 90, null);
  row('fresh-done', 90, 'alice');
  row('old-done', 3700, 'alice');
  await em.flush();
  t.equal(await saml.purge(now), 2);
  const left = await server.orm.em.fork().find(SamlSession, {}, { orderBy: { relayState: 'asc' } });
  t.same(
    left.map((session) => session.relayState),
    ['fresh-done', 'fresh-pending'],
  );
  t.ok(logs.lines.some((line) => line.includes('SAML sessions purged')));
});
