import t from 'tap';
import { User } from '../../src/entities/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { createTenant, createUser } from '../helpers/fixtures.js';

type TokenBody = { data: Record<string, unknown> & { token: string; metadata: Record<string, unknown> } };
const UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

t.test('POST /token', async (t) => {
  const server = await startTestApp(t);
  const { orm, call } = server;
  const service = await createUser(orm, {
    username: 'svc-calld',
    password: 'key-1',
    purpose: 'external_api',
    acl: ['confd.users.read', 'calld.#'],
  });
  const login = (authorization: string | null, body = '{}', headers: Record<string, string> = {}) =>
    call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, ...(authorization ? { Authorization: authorization } : {}), ...headers },
      body,
    });

  t.test('service account: Basic auth gives a token carrying its ACL and metadata', async (t) => {
    const res = await login(basic('svc-calld', 'key-1'), '{"expiration": 600}', {
      'User-Agent': 'wazo-calld',
    });
    t.equal(res.status, 200);
    t.equal(res.headers['wazo-sessions-revoked'], '0');
    const { data } = res.json<TokenBody>();
    t.same(Object.keys(data), [
      'token',
      'auth_id',
      'xivo_user_uuid',
      'xivo_uuid',
      'issued_at',
      'expires_at',
      'utc_issued_at',
      'utc_expires_at',
      'acl',
      'metadata',
      'session_uuid',
      'remote_addr',
      'user_agent',
    ]);
    t.match(data.token, /^[0-9a-f-]{36}$/);
    t.equal(data.auth_id, service);
    t.equal(data.xivo_user_uuid, null, 'external_api users have no pbx user');
    t.same([...(data.acl as string[])].sort(), ['calld.#', 'confd.users.read']);
    t.same(data.metadata, {
      uuid: service,
      tenant_uuid: data.metadata.tenant_uuid,
      auth_id: service,
      pbx_user_uuid: null,
      xivo_uuid: data.xivo_uuid,
      purpose: 'external_api',
    });
    t.match(data.utc_issued_at, UTC);
    const lifetime = (Date.parse(`${data.utc_expires_at}Z`) - Date.parse(`${data.utc_issued_at}Z`)) / 1000;
    t.equal(lifetime, 600);
    t.equal(data.user_agent, 'wazo-calld');
    t.equal(data.remote_addr, '127.0.0.1');
  });

  t.test('the default lifetime is default_token_lifetime', async (t) => {
    const { data } = (await login(basic('svc-calld', 'key-1'))).json<TokenBody>();
    const lifetime = (Date.parse(`${data.utc_expires_at}Z`) - Date.parse(`${data.utc_issued_at}Z`)) / 1000;
    t.equal(lifetime, 7200);
  });

  t.test('every authentication failure is the legacy 401', async (t) => {
    const failed = { reason: ['Authentication Failed'], status_code: 401 };
    for (const [label, authorization] of [
      ['no header', null],
      ['wrong password', basic('svc-calld', 'nope')],
      ['unknown user', basic('ghost', 'key-1')],
      ['bearer scheme', 'Bearer abc'],
      ['no colon', `Basic ${Buffer.from('svc-calld').toString('base64')}`],
      ['empty password', basic('svc-calld', '')],
    ] as const) {
      const res = await login(authorization);
      t.equal(res.status, 401, label);
      t.match(res.json(), failed, label);
      t.notOk(res.headers['wazo-sessions-revoked'], `${label}: no Wazo-Sessions-Revoked on errors`);
    }
  });

  t.test('the body is validated before the credentials', async (t) => {
    const invalid = await login(null, '{"expiration": "abc"}');
    t.equal(invalid.status, 400);
    t.same(invalid.json<{ reason: string[] }>().reason, [
      "{'expiration': {'message': 'Not a valid integer.', 'constraint_id': 'type', 'constraint': 'integer'}}",
    ]);
    const notObject = await login(basic('svc-calld', 'key-1'), '["a"]');
    t.same(notObject.json<{ reason: string[] }>().reason, ["{'_schema': ['Invalid input type.']}"]);
    const offline = await login(basic('svc-calld', 'key-1'), '{"access_type": "offline"}');
    t.same(offline.json<{ reason: string[] }>().reason, [
      `{'_schema': ['"client_id" must be specified when using "access_type" is "offline"']}`,
    ]);
    const empty = await login(basic('svc-calld', 'key-1'), '');
    t.equal(empty.status, 400);
    t.same(empty.json(), {
      message: 'The browser (or proxy) sent a request that this server could not understand.',
    });
    for (const body of ['null', 'false', '[]', '0']) {
      t.equal((await login(basic('svc-calld', 'key-1'), body)).status, 200, `${body} is read as {}`);
    }
    t.equal(
      (await login(basic('svc-calld', 'key-1'), '{"expiration": "60"}')).status,
      200,
      'lenient integer',
    );
  });

  t.test('login rules: disabled users, email logins, methods, case', async (t) => {
    await createUser(orm, { username: 'off', password: 'pw', enabled: false });
    await createUser(orm, { username: 'ldap-only', password: 'pw', authenticationMethod: 'ldap' });
    await createUser(orm, {
      username: 'mailer',
      password: 'pw',
      email: { address: 'Mailer@Example.com', confirmed: true },
    });
    await createUser(orm, {
      username: 'unconfirmed',
      password: 'pw',
      email: { address: 'later@example.com', confirmed: false },
    });
    t.equal((await login(basic('off', 'pw'))).status, 401, 'disabled');
    t.equal((await login(basic('ldap-only', 'pw'))).status, 401, 'ldap user cannot log in natively');
    t.equal((await login(basic('mailer@example.COM', 'pw'))).status, 200, 'confirmed email, any case');
    t.equal((await login(basic('MAILER', 'pw'))).status, 200, 'username, any case');
    t.equal((await login(basic('later@example.com', 'pw'))).status, 401, 'unconfirmed email');
  });

  t.test('non-ASCII passwords: UTF-8 and Latin-1 encodings both log in', async (t) => {
    await createUser(orm, { username: 'eric', password: 'pässwörd' });
    const latin1 = `Basic ${Buffer.from('eric:pässwörd', 'latin1').toString('base64')}`;
    t.equal((await login(basic('eric', 'pässwörd'))).status, 200);
    t.equal((await login(latin1)).status, 200);
  });

  t.test('an upstream PBKDF2 hash logs in and is upgraded to argon2id', async (t) => {
    const uuid = await createUser(orm, { username: 'legacy', password: 'old-secret', upstreamHash: true });
    const before = await orm.em.fork().findOneOrFail(User, uuid);
    t.match(before.passwordHash, /^[0-9a-f]{128}$/);
    t.equal((await login(basic('legacy', 'old-secret'))).status, 200);
    const after = await orm.em.fork().findOneOrFail(User, uuid);
    t.match(after.passwordHash, /^\$argon2id\$/);
    t.equal(after.passwordSalt, null);
    t.equal((await login(basic('legacy', 'old-secret'))).status, 200, 'still logs in after the upgrade');
    t.equal((await login(basic('legacy', 'wrong'))).status, 401);
  });

  t.test('LDAP tenant selection: unknown tenant_id is a 404, a known one a 401', async (t) => {
    const unknown = await login(basic('svc-calld', 'key-1'), '{"tenant_id": "nowhere"}');
    t.equal(unknown.status, 404);
    t.match(unknown.json(), {
      error_id: 'unknown-tenant',
      message: 'No such tenant: "nowhere"',
      resource: 'tenants',
    });
    await createTenant(orm, 'acme');
    const known = await login(basic('svc-calld', 'key-1'), '{"tenant_id": "acme"}');
    t.equal(known.status, 401);
    t.equal((await login(basic('svc-calld', 'key-1'), '{"domain_name": "x.example"}')).status, 401);
  });

  t.test('user tokens carry pbx_user_uuid', async (t) => {
    const uuid = await createUser(orm, { username: 'alice', password: 'pw', purpose: 'user' });
    const { data } = (await login(basic('alice', 'pw'))).json<TokenBody>();
    t.equal(data.xivo_user_uuid, uuid);
    t.equal(data.metadata.pbx_user_uuid, uuid);
    t.equal(data.metadata.purpose, 'user');
  });
});

t.test('the concurrent-session limit holds under concurrent logins', async (t) => {
  const { orm, call } = await startTestApp(t, (config) => {
    config.max_user_concurrent_sessions = 3;
  });
  await createUser(orm, { username: 'busy', password: 'pw', purpose: 'user' });
  await createUser(orm, { username: 'system', password: 'pw', purpose: 'internal' });
  const attempt = (username: string) =>
    call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic(username, 'pw') },
      body: '{}',
    });
  const results = await Promise.all(Array.from({ length: 8 }, () => attempt('busy')));
  const statuses = results.map((res) => res.status).sort();
  t.same(statuses, [200, 200, 200, 429, 429, 429, 429, 429]);
  const refused = results.find((res) => res.status === 429)!;
  t.match(
    refused.json<{ reason: string[] }>().reason[0],
    /^User [0-9a-f-]{36} has exceeded the maximum number of active sessions$/,
  );
  const internal = await Promise.all(Array.from({ length: 5 }, () => attempt('system')));
  t.same(
    internal.map((res) => res.status),
    [200, 200, 200, 200, 200],
    'internal users are not limited',
  );
});
