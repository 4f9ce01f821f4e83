// Security issue #18 item 10: the SAML `redirect_url` (POST /saml/sso, the 302s of the ACS and the SLS, the
// location of a local logout) goes only to hosts the platform owns: `public_hosts`, and the domains of the
// tenant whose configuration the login's `domain` selects. Anything else is a 400 invalid-data on
// `redirect_url` in the SAML error envelope (saml.md §4.1).
import t from 'tap';
import { SamlSession, TenantDomain } from '../../src/entities/index.js';
import { isOwnedRedirect, OwnedHosts, redirectHost } from '../../src/hosts/index.js';
import { JSON_HEADERS } from '../helpers/app.js';
import { apiError } from '../helpers/callers.js';
import { createTenant } from '../helpers/fixtures.js';
import { APP_URL, startSamlWorld } from '../helpers/saml-idp.js';

const PORTAL = 'https://portal.example.net/login/done';
/** Configured: the portal, and the application `world.login()` returns to. */
const PUBLIC_HOSTS = [new URL(PORTAL).host, new URL(APP_URL).host];
const invalidRedirect = { message: 'redirect_url', error_id: 'invalid-data', resource: 'saml', details: {} };

t.test('redirectHost: absolute http(s) URLs only, read one way', async (t) => {
  t.same(redirectHost('https://Acme.Example.com/x?y=1#z'), { host: 'acme.example.com', port: null });
  t.same(redirectHost('http://acme.example.com:8080/'), { host: 'acme.example.com', port: '8080' });
  t.same(redirectHost('https://acme.example.com:443/'), { host: 'acme.example.com', port: null });
  t.same(redirectHost('https://[::1]:9497/'), { host: '[::1]', port: '9497' });
  for (const refused of [
    '',
    '/relative/path',
    'relative',
    '//evil.example/x',
    '\\\\evil.example',
    '/\\evil.example',
    'https:evil.example',
    'https:/evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt://acme.example.com/%0aalert(1)',
    'data:text/html,<script>alert(1)</script>',
    'ftp://acme.example.com/',
    'https://acme.example.com@evil.example/',
    'https://user:pw@acme.example.com/',
    'https://evil.example\\@acme.example.com/',
    'https://acme.example.com/\r\nSet-Cookie: x=1',
    ' https://acme.example.com/',
    'https://acme.example.com/ x',
    'https://acme.example.com\t.evil.example/',
    `https://acme.example.com/${'x'.repeat(500)}`,
  ]) {
    t.equal(redirectHost(refused), null, JSON.stringify(refused));
  }
  const owned = new OwnedHosts([{ host: 'acme.example.com', port: null }], { host: 'x', port: null });
  t.ok(isOwnedRedirect('https://acme.example.com./x', owned), 'the trailing dot names the same host');
  for (const foreign of [
    'https://acme.example.com.evil.example/',
    'https://evil-acme.example.com/',
    'https://evil.example/https://acme.example.com/',
    'https://evil.example/?r=https://acme.example.com',
    'https://xn--acme-9ra.example.com/',
  ]) {
    t.notOk(isOwnedRedirect(foreign, owned), foreign);
  }
});

t.test('SAML redirects go to owned hosts only', async (t) => {
  const world = await startSamlWorld(t, (config) => {
    config.public_hosts = PUBLIC_HOSTS;
  });
  const { server } = world;
  // Another tenant's domain is not owned for a login of acme's domain.
  const other = await createTenant(server.orm, 'other');
  const em = server.orm.em.fork();
  em.create(TenantDomain, { tenant: other, name: 'other.example.org' });
  await em.flush();
  const sso = (redirectUrl: unknown) =>
    server.call({
      method: 'POST',
      path: '/0.1/saml/sso',
      headers: JSON_HEADERS,
      body: JSON.stringify({ redirect_url: redirectUrl, domain: world.domain }),
    });
  const sessions = () => server.orm.em.fork().count(SamlSession);

  await t.test('POST /saml/sso: foreign or malformed redirect_url is a 400, no session kept', async (t) => {
    const before = await sessions();
    for (const redirectUrl of [
      'https://evil.example/login',
      'https://other.example.org/login',
      'https://acme.example.com.evil.example/',
      'https://acme.example.com@evil.example/',
      '//evil.example/login',
      '/login/done',
      'javascript:alert(document.domain)',
      'https:evil.example',
      `https://acme.example.com/${'x'.repeat(600)}`,
      42,
    ]) {
      const res = await sso(redirectUrl);
      t.equal(res.status, 400, String(redirectUrl).slice(0, 60));
      t.same(apiError(res), invalidRedirect);
    }
    t.equal(await sessions(), before);
  });

  await t.test('POST /saml/sso: the tenant domain or a configured host is accepted', async (t) => {
    for (const redirectUrl of [
      'https://acme.example.com/app/login',
      'https://ACME.example.com:8443/app?x=1',
      'http://acme.example.com/',
      PORTAL,
      'https://portal.example.net:9443/other',
    ]) {
      const res = await sso(redirectUrl);
      t.equal(res.status, 200, redirectUrl);
    }
  });

  await t.test('a complete login returns to a tenant domain', async (t) => {
    const back = 'https://acme.example.com/app/done';
    const { relayState, requestId } = await world.sso(back);
    const posted = await world.acs(world.response(requestId), relayState);
    t.equal(posted.status, 302);
    t.equal(posted.headers.location, back);
  });

  const foreignRow = async (sessionId: string) => {
    const updated = await server.orm.em
      .fork()
      .nativeUpdate(SamlSession, { sessionId }, { redirectUrl: 'https://evil.example/stolen' });
    t.equal(updated, 1);
  };

  await t.test('ACS: a stored session redirecting elsewhere (imported, older) gets no 302', async (t) => {
    const { sessionId, relayState, requestId } = await world.sso(PORTAL);
    await foreignRow(sessionId);
    const res = await world.acs(world.response(requestId), relayState);
    t.equal(res.status, 400);
    t.same(apiError(res), invalidRedirect);
    t.notOk(res.headers.location);
    t.equal(await server.orm.em.fork().count(SamlSession, { sessionId }), 0, 'the login is dropped');
    t.equal((await world.exchange(sessionId)).status, 401, 'and cannot be exchanged');
  });

  await t.test('SLS: the logout completes, but the way back to a foreign host is refused', async (t) => {
    const login = await world.login();
    const out = await server.call({
      method: 'GET',
      path: '/0.1/saml/logout',
      headers: { 'X-Auth-Token': login.token },
    });
    t.equal(out.status, 200);
    // The row is the one of the login, found by its refresh token; its redirect is made foreign.
    await server.orm.em
      .fork()
      .nativeUpdate(
        SamlSession,
        { logoutRequestId: { $ne: null } },
        { redirectUrl: 'https://evil.example/stolen' },
      );
    const { slsQuery } = await world.idp.logout(out.json<{ location: string }>().location, world.spMetadata);
    const back = await server.call({ method: 'GET', path: `/0.1/saml/sls${slsQuery}` });
    t.equal(back.status, 400);
    t.same(apiError(back), invalidRedirect);
    t.notOk(back.headers.location);
    t.equal((await server.call({ path: `/0.1/token/${login.token}` })).status, 404, 'logged out anyway');
  });
});

t.test('a local logout (IdP without SLO) does not answer a foreign location', async (t) => {
  const local = await startSamlWorld(
    t,
    (config) => {
      config.public_hosts = PUBLIC_HOSTS;
    },
    { sloUrl: null },
  );
  const login = await local.login();
  await local.server.orm.em
    .fork()
    .nativeUpdate(SamlSession, { sessionId: { $ne: null } }, { redirectUrl: 'https://evil.example/x' });
  const res = await local.server.call({
    method: 'GET',
    path: '/0.1/saml/logout',
    headers: { 'X-Auth-Token': login.token },
  });
  t.equal(res.status, 400);
  t.same(apiError(res), invalidRedirect);
  t.equal((await local.server.call({ path: `/0.1/token/${login.token}` })).status, 404, 'logged out anyway');
  t.equal(await local.server.orm.em.fork().count(SamlSession), 0);
});
