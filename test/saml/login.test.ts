// SAML login (saml.md §4): POST /saml/sso, POST /saml/acs, and POST /token with the saml_session_id.
import { createHash } from 'node:crypto';
import t from 'tap';
import { SamlSession, Tenant, User } from '../../src/entities/index.js';
import { JSON_HEADERS } from '../helpers/app.js';
import { apiError, legacyError } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import {
  ACS_URL,
  APP_URL,
  ENTITY_ID,
  readRedirect,
  rootAttribute,
  startSamlWorld,
} from '../helpers/saml-idp.js';

// The web application the tests return to is a host the platform owns (redirects.test.ts).
const world = await startSamlWorld(t, (config) => {
  config.public_hosts = [new URL(APP_URL).host];
});
const { server, idp, tenant } = world;

const sessionRow = (sessionId: string) => server.orm.em.fork().findOne(SamlSession, { sessionId });
const failure = (url = APP_URL) => `${url}${url.includes('?') ? '&' : '?'}login_failure_code=500`;

const sso = (body: unknown) =>
  server.call({
    method: 'POST',
    path: '/0.1/saml/sso',
    headers: JSON_HEADERS,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

t.test('POST /saml/sso answers the IdP URL with a signed AuthnRequest, and keeps a session', async (t) => {
  const res = await sso({ redirect_url: APP_URL, domain: world.domain });
  t.equal(res.status, 200);
  const body = res.json<{ location: string; saml_session_id: string }>();
  t.same(Object.keys(body).sort(), ['location', 'saml_session_id']);
  t.match(body.saml_session_id, /^[A-Za-z0-9_-]{22}$/);
  t.ok(body.location.startsWith(`${idp.ssoUrl}?SAMLRequest=`));

  const message = readRedirect(body.location, 'SAMLRequest');
  t.equal(message.sigAlg, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  t.ok(message.signature, 'signed in the query (HTTP-Redirect binding)');
  const expectedRelay = createHash('sha256').update(body.saml_session_id).digest('base64url');
  t.equal(message.relayState, `${expectedRelay}=`.replace(/^(.{44}).*$/, '$1'));
  t.equal(message.relayState?.length, 44);
  // The IdP verifies the signature with the certificate of the SP metadata.
  const request = await idp.loginRequest(body.location, world.spMetadata);
  t.equal(rootAttribute(message.xml, 'Destination'), idp.ssoUrl);
  t.equal(rootAttribute(message.xml, 'AssertionConsumerServiceURL'), ACS_URL);
  t.match(message.xml, `<saml:Issuer>${ENTITY_ID}</saml:Issuer>`);

  const row = await sessionRow(body.saml_session_id);
  t.equal(row?.requestId, request.id);
  t.equal(row?.relayState, message.relayState);
  t.equal(row?.redirectUrl, APP_URL);
  t.equal(row?.domain, world.domain);
  t.equal(row?.login, null);
  t.equal(row?.used, false);
  t.ok(row?.startTime instanceof Date);
});

t.test('POST /saml/sso validation', async (t) => {
  const invalid = async (body: unknown, field: string) => {
    const res = await sso(body);
    t.equal(res.status, 400, `${JSON.stringify(body)}`);
    t.same(apiError(res), { message: field, error_id: 'invalid-data', resource: 'saml', details: {} });
  };
  await invalid({}, 'redirect_url');
  await invalid(null, 'redirect_url');
  await invalid({ domain: world.domain }, 'redirect_url');
  await invalid({ redirect_url: '', domain: world.domain }, 'redirect_url');
  await invalid({ redirect_url: APP_URL }, 'domain');
  for (const domain of ['notadomain', 'a_b.example.com', '-a.example.com', 'a-.example.com', 'a..com', 42]) {
    await invalid({ redirect_url: APP_URL, domain }, 'domain');
  }
  t.equal((await sso('{"redirect_url"')).status, 400, 'broken JSON');

  const trailingDot = await sso({ redirect_url: APP_URL, domain: `${world.domain}.` });
  t.equal(trailingDot.status, 200, 'one trailing dot is tolerated');

  const unknown = await sso({ redirect_url: APP_URL, domain: 'other.example.com' });
  t.equal(unknown.status, 500);
  t.same(apiError(unknown), {
    message: 'SAML client for domain not found or failed',
    error_id: 'configuration-error',
    resource: 'saml',
    details: { domain: 'other.example.com' },
  });
});

t.test('a complete login: sso → IdP → acs → 302 → POST /token (offline)', async (t) => {
  const { sessionId, relayState, requestId } = await world.sso();
  const posted = await world.acs(world.response(requestId), relayState);
  t.equal(posted.status, 302);
  t.equal(posted.headers.location, APP_URL, 'the redirect URL unchanged');
  const row = await sessionRow(sessionId);
  t.equal(row?.login, 'alice');
  t.equal(row?.samlNameId, 'name-id-of-alice');
  t.equal(row?.nameIdFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient');
  t.equal(row?.sessionIndex, '_session-1');
  t.equal(row?.idpEntityId, idp.entityId);

  const res = await world.exchange(sessionId, { access_type: 'offline', client_id: 'web' });
  t.equal(res.status, 200, res.text);
  const data = res.json<{
    data: { token: string; refresh_token: string; metadata: Record<string, string> };
  }>().data;
  t.equal(data.metadata.uuid, world.alice);
  t.equal(data.metadata.tenant_uuid, tenant);
  t.ok(data.refresh_token);
  const linked = await server.orm.em
    .fork()
    .findOne(SamlSession, { sessionId }, { populate: ['refreshToken'] });
  t.equal(linked?.used, true);
  t.equal(linked?.refreshToken?.uuid, data.refresh_token, 'the session is linked to the refresh token');

  const again = await world.exchange(sessionId, { access_type: 'offline', client_id: 'web' });
  t.equal(again.status, 401, 'a second exchange fails');
  t.same(legacyError(again), { reason: 'Authentication Failed', status_code: 401 });

  // The refresh token renews while the user's method is saml.
  const renewed = await server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: JSON_HEADERS,
    body: JSON.stringify({ refresh_token: data.refresh_token, client_id: 'web' }),
  });
  t.equal(renewed.status, 200, renewed.text);
});

t.test('an online exchange also serves once', async (t) => {
  const { sessionId, relayState, requestId } = await world.sso();
  t.equal((await world.acs(world.response(requestId), relayState)).status, 302);
  t.equal((await world.exchange(sessionId)).status, 200);
  t.equal((await world.exchange(sessionId)).status, 401);
});

t.test('the ACS takes a multipart form too, and a signed assertion inside the signed Response', async (t) => {
  const { sessionId, relayState, requestId } = await world.sso();
  const res = await world.acs(world.response(requestId, { signAssertion: true }), relayState, true);
  t.equal(res.status, 302);
  t.equal(res.headers.location, APP_URL);
  t.equal((await world.exchange(sessionId)).status, 200);
});

t.test('the login attribute may be the Azure/ADFS claim or the OID', async (t) => {
  for (const loginAttribute of [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    'urn:oid:2.5.4.41',
  ]) {
    const { sessionId, relayState, requestId } = await world.sso();
    const res = await world.acs(world.response(requestId, { loginAttribute, login: 'ALICE' }), relayState);
    t.equal(res.status, 302);
    t.equal(res.headers.location, APP_URL, loginAttribute);
    t.equal((await world.exchange(sessionId)).status, 200, 'logins match case-insensitively');
  }
});

t.test(
  'refused Responses: the session is deleted and the browser sent back with a failure code',
  async (t) => {
    const later = (ms: number) => new Date(Date.now() + ms);
    // Each case with the reason logged, so that it is refused by the check it is about.
    const cases: [string, (requestId: string) => string, RegExp][] = [
      ['unsigned', (id) => world.response(id, { signResponse: false }), /FAILED_TO_VERIFY_SIGNATURE/],
      [
        'only the assertion signed',
        (id) => world.response(id, { signResponse: false, signAssertion: true }),
        /the Response itself is not signed/,
      ],
      ['tampered', (id) => world.response(id, { tamper: true }), /FAILED_TO_VERIFY_SIGNATURE/],
      [
        'tampered, the assertion signed too',
        (id) => world.response(id, { tamper: true, signAssertion: true }),
        /FAILED_TO_VERIFY_SIGNATURE/,
      ],
      [
        'the Response signature broken, the assertion signature valid',
        (id) => world.response(id, { signAssertion: true, breakSignature: true }),
        /invalid signature|the Response itself is not signed/,
      ],
      [
        'signed by a key the metadata does not list',
        (id) => world.response(id, { signer: world.keys.other }),
        /UNMATCH_CERTIFICATE|FAILED_TO_VERIFY_SIGNATURE/,
      ],
      ['wrong audience', (id) => world.response(id, { audience: 'https://someone.else/sp' }), /audience/],
      ['wrong destination', (id) => world.response(id, { destination: 'https://x.test/acs' }), /Destination/],
      ['no destination', (id) => world.response(id, { destination: null }), /Destination/],
      [
        'wrong recipient',
        (id) => world.response(id, { recipient: 'https://x.test/acs' }),
        /subject confirmation/,
      ],
      [
        'expired NotOnOrAfter',
        (id) => world.response(id, { notBefore: later(-3_600_000), notOnOrAfter: later(-600_000) }),
        /ERR_SUBJECT_UNCONFIRMED/,
      ],
      ['not yet valid', (id) => world.response(id, { notBefore: later(600_000) }), /ERR_SUBJECT_UNCONFIRMED/],
      ['unknown InResponseTo', () => world.response('_not-a-request-of-ours'), /InResponseTo _not-a-request/],
      ['unsolicited', () => world.response(null), /InResponseTo null/],
      ['another issuer', (id) => world.response(id, { issuer: 'https://evil.example/idp' }), /ISSUER/],
      [
        'failed status',
        (id) => world.response(id, { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' }),
        /ERR_FAILED_STATUS/,
      ],
      ['no login attribute', (id) => world.response(id, { login: null }), /no login attribute/],
      [
        'another attribute only',
        (id) => world.response(id, { loginAttribute: 'mail' }),
        /no login attribute/,
      ],
      ['not XML', () => Buffer.from('not xml').toString('base64'), /VALIDATE_XML/],
    ];
    for (const [name, make, reason] of cases) {
      const { sessionId, relayState, requestId } = await world.sso();
      const logged = server.logs.lines.length;
      const res = await world.acs(make(requestId), relayState);
      t.equal(res.status, 302, name);
      t.equal(res.headers.location, failure(), name);
      const refusal = server.logs.lines.slice(logged).find((line) => line.includes('SAML response refused'));
      t.match(refusal, reason, `${name}: ${refusal}`);
      t.equal(await sessionRow(sessionId), null, `${name}: session deleted`);
      t.equal((await world.exchange(sessionId)).status, 401, `${name}: no token`);
    }
  },
);

t.test('a failure keeps the redirect URL query', async (t) => {
  const url = 'https://app.example.com/done?next=home';
  const { relayState, requestId } = await world.sso(url);
  const res = await world.acs(world.response(requestId, { signResponse: false }), relayState);
  t.equal(res.headers.location, `${url}&login_failure_code=500`);
});

t.test('a replayed Response fails', async (t) => {
  const { sessionId, relayState, requestId } = await world.sso();
  const response = world.response(requestId);
  t.equal((await world.acs(response, relayState)).status, 302);
  const replay = await world.acs(response, relayState);
  t.equal(replay.status, 302);
  t.equal(replay.headers.location, failure());
  t.equal((await world.exchange(sessionId)).status, 401, 'the login it replayed is void');

  // After the exchange as well.
  const second = await world.sso();
  const answer = world.response(second.requestId);
  t.equal((await world.acs(answer, second.relayState)).status, 302);
  t.equal((await world.exchange(second.sessionId)).status, 200);
  const late = await world.acs(answer, second.relayState);
  t.equal(late.headers.location, failure());
});

t.test('ACS errors', async (t) => {
  const missing = await world.acs('', 'x');
  t.equal(missing.status, 400);
  t.same(apiError(missing), {
    message: 'RelayState and/or SAMLResponse',
    error_id: 'invalid-data',
    resource: 'saml',
    details: {},
  });
  const json = await server.call({
    method: 'POST',
    path: '/0.1/saml/acs',
    headers: JSON_HEADERS,
    body: JSON.stringify({ SAMLResponse: 'x', RelayState: 'y' }),
  });
  t.equal(json.status, 400, 'not a form');

  const unknown = await world.acs(world.response('_x'), 'no-such-relay-state');
  t.equal(unknown.status, 404);
  t.same(apiError(unknown), {
    message: 'SAML processing failed',
    error_id: 'processing-error',
    resource: 'saml',
    details: { error: 'Context not found' },
  });

  // A Response to another pending login, posted with this one's RelayState.
  const mine = await world.sso();
  const other = await world.sso();
  const crossed = await world.acs(world.response(other.requestId), mine.relayState);
  t.equal(crossed.status, 404);
  t.same(apiError(crossed).details, { error: 'Context not found' });
  t.ok(await sessionRow(mine.sessionId), 'neither session is touched');
  t.equal((await world.acs(world.response(other.requestId), other.relayState)).status, 302);
});

t.test('a login still pending after saml_login_timeout_seconds is refused', async (t) => {
  const { sessionId, relayState, requestId } = await world.sso();
  await server.orm.em
    .fork()
    .nativeUpdate(SamlSession, { sessionId }, { startTime: new Date(Date.now() - 601_000) });
  const res = await world.acs(world.response(requestId), relayState);
  t.equal(res.headers.location, failure());
});

t.test('POST /token with a saml_session_id', async (t) => {
  await t.test('unknown, or ACS not done yet', async (t) => {
    t.equal((await world.exchange('AAAAAAAAAAAAAAAAAAAAAA')).status, 401);
    const { sessionId } = await world.sso();
    const res = await world.exchange(sessionId);
    t.equal(res.status, 401);
    t.same(legacyError(res), { reason: 'Authentication Failed', status_code: 401 });
  });

  await t.test('with a refresh_token too: 400', async (t) => {
    const res = await world.exchange('AAAAAAAAAAAAAAAAAAAAAA', { refresh_token: 'x', client_id: 'web' });
    t.equal(res.status, 400);
  });

  await t.test('a user whose method is not saml: 401', async (t) => {
    await createUser(server.orm, { username: 'bob', tenant, authenticationMethod: 'native' });
    const { sessionId, relayState, requestId } = await world.sso();
    t.equal((await world.acs(world.response(requestId, { login: 'bob' }), relayState)).status, 302);
    t.equal((await world.exchange(sessionId)).status, 401);
  });

  await t.test("the tenant's default method counts for users on `default`", async (t) => {
    await createUser(server.orm, { username: 'carol', tenant, authenticationMethod: 'default' });
    const login = async () => {
      const { sessionId, relayState, requestId } = await world.sso();
      await world.acs(world.response(requestId, { login: 'carol' }), relayState);
      return (await world.exchange(sessionId)).status;
    };
    t.equal(await login(), 401, 'the tenant default is native');
    await server.orm.em
      .fork()
      .nativeUpdate(Tenant, { uuid: tenant }, { defaultAuthenticationMethod: 'saml' });
    t.equal(await login(), 200);
    await server.orm.em
      .fork()
      .nativeUpdate(Tenant, { uuid: tenant }, { defaultAuthenticationMethod: 'native' });
  });

  await t.test('a user of another tenant: 401 (the IdP vouches for its tenant only)', async (t) => {
    await createUser(server.orm, { username: 'mallory', authenticationMethod: 'saml' });
    const { sessionId, relayState, requestId } = await world.sso();
    t.equal((await world.acs(world.response(requestId, { login: 'mallory' }), relayState)).status, 302);
    t.equal((await world.exchange(sessionId)).status, 401);
  });

  await t.test('unknown or disabled user: 401', async (t) => {
    await createUser(server.orm, { username: 'dave', tenant, authenticationMethod: 'saml', enabled: false });
    for (const login of ['nobody', 'dave']) {
      const { sessionId, relayState, requestId } = await world.sso();
      await world.acs(world.response(requestId, { login }), relayState);
      t.equal((await world.exchange(sessionId)).status, 401, login);
    }
  });

  await t.test('a confirmed e-mail address is a login', async (t) => {
    await createUser(server.orm, {
      username: 'erin',
      tenant,
      authenticationMethod: 'saml',
      email: { address: 'Erin@Acme.example.com', confirmed: true },
    });
    const { sessionId, relayState, requestId } = await world.sso();
    await world.acs(world.response(requestId, { login: 'erin@acme.example.com' }), relayState);
    t.equal((await world.exchange(sessionId)).status, 200);
  });

  await t.test('the user method changed through the API', async (t) => {
    const res = await world.admin.put(`/users/${world.alice}`, tenant, {
      username: 'alice',
      authentication_method: 'native',
    });
    t.equal(res.status, 200, res.text);
    const { sessionId, relayState, requestId } = await world.sso();
    await world.acs(world.response(requestId), relayState);
    t.equal((await world.exchange(sessionId)).status, 401);
    await server.orm.em.fork().nativeUpdate(User, { uuid: world.alice }, { authenticationMethod: 'saml' });
  });
});
