// E-mail confirmation, password reset and self-registration through a real SMTP sink: each mail read, its
// link followed; single use, expiry, a relay that refuses (nothing kept), and the spec's error cases.
import t from 'tap';
import type { Config } from '../../src/config/index.js';
import { Session, Tenant, Token, User } from '../../src/entities/index.js';
import { expectNoServerError } from '../groups/support.js';
import { basic, JSON_HEADERS, startTestApp, type TestApp } from '../helpers/app.js';
import type { Teardown } from '../helpers/bus.js';
import { adminCaller, apiError, userCaller } from '../helpers/callers.js';
import type { ClientResponse } from '../helpers/http.js';
import { type SinkMessage, startSmtpSink } from '../helpers/smtp-sink.js';
import { attemptLogin } from '../helpers/tokens.js';

/** Short lifetimes, so that expiry can be watched; the steps of one test take far less. */
const LIFETIME_S = 3;

async function mailServer(t: Teardown, configure: (config: Config) => void = () => {}) {
  const sink = await startSmtpSink(t);
  const server = await startTestApp(t, (config) => {
    config.smtp.hostname = '127.0.0.1';
    config.smtp.port = sink.port;
    config.email_confirmation_expiration = LIFETIME_S;
    config.password_reset_expiration = LIFETIME_S;
    // The hosts these tests reach the server by: links keep only an owned Host (mail-links.test.ts).
    config.public_hosts = ['127.0.0.1', 'pbx.example.com'];
    configure(config);
  });
  return { sink, server };
}

/** The token and the link of a mail. */
function linkOf(mail: SinkMessage): { url: URL; token: string } {
  const match = /https:\/\/\S+/.exec(mail.text);
  if (!match) throw new Error(`no link in ${mail.text}`);
  const url = new URL(match[0]);
  return { url, token: url.searchParams.get('token')! };
}

const call = (
  server: TestApp,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
) =>
  server.call({
    method,
    path,
    headers: {
      ...(options.body === undefined ? {} : JSON_HEADERS),
      ...(options.token ? { 'X-Auth-Token': options.token } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });

const count = async (server: TestApp) => {
  const em = server.orm.em.fork();
  return {
    sessions: await em.count(Session),
    tokens: await em.count(Token),
    users: await em.count(User),
    tenants: await em.count(Tenant),
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('e-mail confirmation', async (t) => {
  const { sink, server } = await mailServer(t);
  const admin = await adminCaller(server);
  const alice = await userCaller(server, 'alice', ['auth.users.me.emails.#']);
  const put = await alice.put(`/users/${alice.uuid}/emails`, undefined, {
    emails: [{ address: 'Alice@Example.com', main: true }],
  });
  t.equal(put.status, 200);
  const [email] = put.json<{ uuid: string; confirmed: boolean }[]>();
  t.equal(email!.confirmed, false);
  const ask = (caller = alice, emailUuid = email!.uuid, user = alice.uuid) =>
    caller.get(`/users/${user}/emails/${emailUuid}/confirm`);

  await t.test('the mail and its link', async (t) => {
    const res = await server.call({
      path: `/0.1/users/${alice.uuid}/emails/${email!.uuid}/confirm`,
      headers: { 'X-Auth-Token': alice.token, Host: 'pbx.example.com:8443', 'X-Script-Name': '/api/auth' },
    });
    t.equal(res.status, 204, res.text);
    const mail = await sink.next();
    // Domains are case-insensitive: the relay may lower-case them.
    t.same(
      mail.envelope.to.map((to) => to.toLowerCase()),
      ['alice@example.com'],
    );
    t.equal(mail.envelope.from, 'noreply@wazo.community');
    t.equal(mail.to, 'alice <Alice@Example.com>');
    t.match(mail.from, /wazo-auth <noreply@wazo.community>/);
    const { url, token } = linkOf(mail);
    t.equal(
      `${url.origin}${url.pathname}`,
      `https://pbx.example.com:8443/api/auth/0.1/emails/${email!.uuid}/confirm`,
    );
    t.match(token, /^[0-9a-f-]{36}$/);
    const follow = await server.call({ path: `/0.1/emails/${email!.uuid}/confirm?token=${token}` });
    t.equal(follow.status, 200);
    t.match(follow.headers['content-type'], /^text\/html; charset=utf-8/);
    const stored = await server.orm.em
      .fork()
      .findOneOrFail(User, { uuid: alice.uuid }, { populate: ['emails'] });
    t.equal(stored.emails.getItems()[0]!.confirmed, true);
    const login = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic('alice@example.com', 'pw') },
      body: '{}',
    });
    t.equal(login.status, 200, 'a confirmed address is a login');
    const again = await server.call({ path: `/0.1/emails/${email!.uuid}/confirm?token=${token}` });
    t.equal(again.status, 401, 'a mailed token works once');
    const confirmed = await ask();
    t.equal(confirmed.status, 409);
    t.match(apiError(confirmed), {
      error_id: 'conflict',
      resource: 'emails',
      details: { uuid: email!.uuid },
    });
  });

  await t.test('PUT with the token in X-Auth-Token; expiry', async (t) => {
    const [second] = (
      await alice.put(`/users/${alice.uuid}/emails`, undefined, {
        emails: [
          { address: 'Alice@Example.com', main: true },
          { address: 'alice2@example.com', main: false },
        ],
      })
    )
      .json<{ uuid: string }[]>()
      .slice(1);
    t.equal((await ask(alice, second!.uuid)).status, 204);
    const first = linkOf(await sink.next()).token;
    t.equal((await ask(alice, second!.uuid)).status, 204, 'asked again: another mail');
    const fresh = linkOf(await sink.next()).token;
    t.equal((await call(server, 'PUT', `/0.1/emails/${second!.uuid}/confirm`, { token: fresh })).status, 204);
    t.equal((await call(server, 'PUT', `/0.1/emails/${second!.uuid}/confirm`, { token: fresh })).status, 401);
    await sleep(LIFETIME_S * 1000 + 300);
    t.equal(
      (await call(server, 'PUT', `/0.1/emails/${second!.uuid}/confirm`, { token: first })).status,
      401,
      'expired',
    );
  });

  await t.test('errors: unknown user, another user’s address, no ACL', async (t) => {
    const bob = await userCaller(server, 'bob', ['auth.users.me.emails.#']);
    t.equal(
      (await ask(admin, email!.uuid, '00000000-0000-4000-8000-000000000000')).json<{ error_id: string }>()
        .error_id,
      'unknown-user',
    );
    const foreign = await ask(admin, email!.uuid, bob.uuid);
    t.equal(foreign.status, 404);
    t.equal(apiError(foreign).error_id, 'unknown-email');
    t.equal((await ask(bob, email!.uuid, alice.uuid)).status, 401);
    t.equal(
      (await call(server, 'PUT', `/0.1/emails/${email!.uuid}/confirm`, { token: bob.token })).status,
      401,
    );
    t.equal(sink.messages.length, 3, 'no mail for a refused request');
  });

  await t.test('a relay that refuses: 503, no token or session left', async (t) => {
    const [third] = (
      await alice.put(`/users/${alice.uuid}/emails`, undefined, {
        emails: [
          { address: 'Alice@Example.com', main: true },
          { address: 'alice3@example.com', main: false },
        ],
      })
    )
      .json<{ uuid: string }[]>()
      .slice(1);
    const before = await count(server);
    sink.refuseNext();
    const res = await ask(alice, third!.uuid);
    t.equal(res.status, 503);
    t.match(apiError(res), { error_id: 'email-not-sent', resource: 'emails' });
    t.same(await count(server), before);
    t.equal((await ask(alice, third!.uuid)).status, 204, 'the relay back: it works');
    await sink.next();
  });

  expectNoServerError(t, server);
});

t.test('password reset', async (t) => {
  const { sink, server } = await mailServer(t);
  const admin = await adminCaller(server);
  const newUser = async (body: object) => {
    const res = await admin.post('/users', { password: 'old', ...body });
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ uuid: string }>().uuid;
  };
  const carol = await newUser({ username: 'carol', email_address: 'carol@example.com' });
  const request = (query: string) => server.call({ path: `/0.1/users/password/reset?${query}` });
  const reset = (user: string, token: string, body: unknown, where: 'query' | 'header' = 'query') =>
    server.call({
      method: 'POST',
      path: `/0.1/users/password/reset?user_uuid=${user}${where === 'query' ? `&token=${token}` : ''}`,
      headers: { ...JSON_HEADERS, ...(where === 'header' ? { 'X-Auth-Token': token } : {}) },
      body: JSON.stringify(body),
    });
  const login = (name: string, password: string) => attemptLogin(server, name, password);

  await t.test('by username: the mail, the link, the new password, sessions ended', async (t) => {
    const session = (await login('carol', 'old')).json<{ data: { token: string } }>().data.token;
    t.equal((await request('username=carol')).status, 204);
    const mail = await sink.next();
    t.equal(mail.to, 'carol <carol@example.com>');
    const { url, token } = linkOf(mail);
    t.equal(url.searchParams.get('user_uuid'), carol);
    t.match(url.href, /^https:\/\/app\.wazo\.io\/reset-password\?host=127\.0\.0\.1(%3A|:)\d+&token=/);
    t.equal((await reset(carol, token, { password: 'new' })).status, 204);
    t.equal((await login('carol', 'old')).status, 401);
    t.equal((await login('carol', 'new')).status, 200);
    t.equal((await call(server, 'GET', `/0.1/token/${session}`)).status, 404, 'old sessions revoked');
    t.equal((await reset(carol, token, { password: 'again' })).status, 401, 'once only');
  });

  await t.test('by email or login; X-Auth-Token; expiry', async (t) => {
    t.equal((await request('email=carol@example.com')).status, 204);
    const byEmail = linkOf(await sink.next()).token;
    t.equal((await request('login=CAROL@example.com')).status, 204);
    const byLogin = linkOf(await sink.next()).token;
    t.equal((await reset(carol, byLogin, { password: 'third' }, 'header')).status, 204);
    await sleep(LIFETIME_S * 1000 + 300);
    t.equal((await reset(carol, byEmail, { password: 'late' })).status, 401, 'expired');
    t.equal((await login('carol', 'third')).status, 200);
  });

  await t.test('204 without a mail: unknown, externally managed, no confirmed address', async (t) => {
    await newUser({ username: 'dave' });
    const erin = await newUser({ username: 'erin', email_address: 'erin@example.com' });
    t.equal((await admin.put(`/idp/ldap/users/${erin}`)).status, 204);
    const sent = sink.messages.length;
    for (const query of ['username=nobody', 'email=nobody@example.com', 'login=dave', 'username=erin']) {
      t.equal((await request(query)).status, 204, query);
    }
    await sleep(200);
    t.equal(sink.messages.length, sent);
  });

  await t.test('request validation', async (t) => {
    for (const query of ['', 'username=carol&email=carol@example.com', 'other=1']) {
      const res = await request(query);
      t.equal(res.status, 400, query);
      t.match(apiError(res), { error_id: 'invalid-data', resource: 'reset' });
    }
    t.equal((await request('email=not-an-address')).status, 400);
    t.equal((await request(`username=${'x'.repeat(257)}`)).status, 400);
  });

  await t.test('setting: ACL before body, body, user, externally managed, null password', async (t) => {
    t.equal((await reset(carol, 'not-a-token', { password: 'x' })).status, 401);
    t.equal((await reset(carol, admin.token, {}, 'header')).status, 400, 'password is required');
    t.match(apiError(await reset(carol, admin.token, { password: '' }, 'header')), { resource: 'reset' });
    const unknown = await reset(
      '00000000-0000-4000-8000-000000000000',
      admin.token,
      { password: 'x' },
      'header',
    );
    t.equal(unknown.status, 404);
    const frank = await newUser({ username: 'frank', email_address: 'frank@example.com' });
    t.equal((await admin.put(`/idp/saml/users/${frank}`)).status, 204);
    const managed = await reset(frank, admin.token, { password: 'x' }, 'header');
    t.equal(managed.status, 405);
    t.equal(apiError(managed).error_id, 'password-managed-externally');
    t.equal(
      (await reset(frank, admin.token, { password: null }, 'header')).status,
      204,
      'removing is allowed',
    );
    t.equal((await admin.get('/users')).status, 200, "an administrator's token is not spent");
  });

  await t.test('a relay that refuses: 503, nothing kept', async (t) => {
    const before = await count(server);
    sink.refuseNext();
    const res = await request('username=carol');
    t.equal(res.status, 503);
    t.match(apiError(res), { error_id: 'email-not-sent', resource: 'reset' });
    t.same(await count(server), before);
  });

  t.test('no password or token in the logs', async (t) => {
    const logs = server.logs.lines.join('\n');
    for (const secret of ['"new"', '"third"', 'password":"']) t.notOk(logs.includes(secret), secret);
  });

  expectNoServerError(t, server);
});

t.test('self-registration', async (t) => {
  await t.test('off by default', async (t) => {
    const { server } = await mailServer(t);
    const res = await call(server, 'POST', '/0.1/users/register', {
      body: { username: 'gina', password: 'pw', email_address: 'gina@example.com' },
    });
    t.equal(res.status, 404);
  });

  const { sink, server } = await mailServer(t, (config) => {
    config.enabled_http_plugins.user_registration = true;
  });
  const register = (body: object): Promise<ClientResponse> =>
    call(server, 'POST', '/0.1/users/register', { body });

  await t.test('a tenant, its user with an unconfirmed address, the confirmation mail', async (t) => {
    const res = await register({
      username: 'gina',
      password: 'pw',
      email_address: 'gina@example.com',
      lastname: 'G',
      purpose: 'internal',
    });
    t.equal(res.status, 200, res.text);
    const body = res.json<{
      uuid: string;
      tenant_uuid: string;
      purpose: string;
      emails: { uuid: string; confirmed: boolean }[];
    }>();
    t.match(body, {
      username: 'gina',
      firstname: null,
      lastname: 'G',
      purpose: 'user',
      enabled: true,
      authentication_method: 'default',
    });
    t.same(
      body.emails.map((email) => email.confirmed),
      [false],
    );
    const tenant = await server.orm.em.fork().findOneOrFail(Tenant, { uuid: body.tenant_uuid });
    t.equal(tenant.name, 'gina');
    const { token } = linkOf(await sink.next());
    t.equal(
      (await server.call({ path: `/0.1/emails/${body.emails[0]!.uuid}/confirm?token=${token}` })).status,
      200,
    );
    t.equal(
      (
        await server.call({
          method: 'POST',
          path: '/0.1/token',
          headers: { ...JSON_HEADERS, Authorization: basic('gina@example.com', 'pw') },
          body: '{}',
        })
      ).status,
      200,
    );
  });

  await t.test('conflicts and bad bodies leave nothing behind', async (t) => {
    const before = await count(server);
    const taken = await register({ username: 'gina', password: 'pw', email_address: 'other@example.com' });
    t.equal(taken.status, 409);
    t.match(apiError(taken), { error_id: 'conflict', resource: 'users', details: { username: {} } });
    t.equal(
      (await register({ username: 'henry', password: 'pw', email_address: 'GINA@example.com' })).status,
      409,
    );
    for (const body of [
      { password: 'pw', email_address: 'x@example.com' },
      { username: 'x'.repeat(129), password: 'pw', email_address: 'x@example.com' },
      { username: 'ivan', password: '', email_address: 'x@example.com' },
      { username: 'ivan', password: 'pw', email_address: 'not-an-address' },
    ]) {
      const res = await register(body);
      t.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
      t.match(apiError(res), { error_id: 'invalid-data', resource: 'users' });
    }
    t.same(await count(server), before);
  });

  await t.test('a relay that refuses: 503 and no tenant, user, token; then it works', async (t) => {
    const before = await count(server);
    sink.refuseNext();
    const refused = await register({ username: 'judy', password: 'pw', email_address: 'judy@example.com' });
    t.equal(refused.status, 503);
    t.same(await count(server), before, 'rolled back whole');
    t.equal(
      (await register({ username: 'judy', password: 'pw', email_address: 'judy@example.com' })).status,
      200,
    );
    await sink.next();
  });

  expectNoServerError(t, server);
});
