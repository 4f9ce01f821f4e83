// Security issue #18 item 9: the links of reset and confirmation mails point only to hosts the platform owns
// (`public_hosts`, the domains of the recipient's tenant), whatever Host a request names; and mails are
// rate-limited per user and per address (`mail_throttle`), the reset still answering 204 past the limit.
import { hostname } from 'node:os';
import t from 'tap';
import { TenantDomain, Token } from '../../src/entities/index.js';
import { MAIL_TOKEN_AGENT } from '../../src/self-service/mail-token.js';
import { expectNoServerError } from '../groups/support.js';
import { startTestApp } from '../helpers/app.js';
import { apiError, userCaller } from '../helpers/callers.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import { type SinkMessage, startSmtpSink } from '../helpers/smtp-sink.js';

/** The reset link's `host` parameter, or the confirmation link's authority and path. */
const resetHost = (mail: SinkMessage) => {
  const link = /https:\/\/\S+/.exec(mail.text)![0];
  return new URL(link).searchParams.get('host');
};
const confirmLink = (mail: SinkMessage) => new URL(/https:\/\/\S+/.exec(mail.text)![0]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('mail links use owned hosts only', async (t) => {
  const sink = await startSmtpSink(t);
  const server = await startTestApp(t, (config) => {
    config.smtp.hostname = '127.0.0.1';
    config.smtp.port = sink.port;
    config.public_hosts = ['wazo.example.com', 'alt.example.com:8443'];
    // Out of the way here; the limit has its own test below.
    config.mail_throttle.mails = 100;
  });
  const acme = await createTenant(server.orm, 'acme');
  const other = await createTenant(server.orm, 'other');
  const em = server.orm.em.fork();
  em.create(TenantDomain, { tenant: acme, name: 'acme.example.com' });
  em.create(TenantDomain, { tenant: other, name: 'other.example.com' });
  await em.flush();
  await createUser(server.orm, {
    username: 'ann',
    tenant: acme,
    email: { address: 'ann@example.com', confirmed: true },
  });
  const resetWith = async (headers: Record<string, string>) => {
    const res = await server.call({ path: '/0.1/users/password/reset?username=ann', headers });
    t.equal(res.status, 204);
    return resetHost(await sink.next());
  };

  await t.test('a foreign Host gets the configured default host', async (t) => {
    t.equal(await resetWith({ Host: 'evil.example' }), 'wazo.example.com');
    t.equal(await resetWith({ Host: 'evil.example:443' }), 'wazo.example.com');
    t.equal(await resetWith({ Host: 'wazo.example.com@evil.example' }), 'wazo.example.com');
    t.equal(await resetWith({ Host: 'evil.example/wazo.example.com' }), 'wazo.example.com');
    t.equal(await resetWith({ Host: 'other.example.com' }), 'wazo.example.com', "another tenant's domain");
    t.equal(await resetWith({ Host: 'alt.example.com:9999' }), 'wazo.example.com', 'not the configured port');
  });

  await t.test('an owned Host is kept, port included', async (t) => {
    t.equal(await resetWith({ Host: 'wazo.example.com:8443' }), 'wazo.example.com:8443', 'any port');
    t.equal(await resetWith({ Host: 'alt.example.com:8443' }), 'alt.example.com:8443');
    t.equal(await resetWith({ Host: 'ACME.example.com' }), 'acme.example.com', "the user's tenant domain");
    t.equal(await resetWith({ Host: 'acme.example.com.:8443' }), 'acme.example.com:8443');
  });

  await t.test('the confirmation link, its prefix kept only when it is a plain path', async (t) => {
    const bob = await userCaller(server, 'bob', ['auth.users.me.emails.#'], acme);
    const put = await bob.put(`/users/${bob.uuid}/emails`, undefined, {
      emails: [{ address: 'bob@example.com', main: true }],
    });
    const [email] = put.json<{ uuid: string }[]>();
    const ask = async (headers: Record<string, string>) => {
      const res = await server.call({
        path: `/0.1/users/${bob.uuid}/emails/${email!.uuid}/confirm`,
        headers: { 'X-Auth-Token': bob.token, ...headers },
      });
      t.equal(res.status, 204, res.text);
      const url = confirmLink(await sink.next());
      return `${url.host}${url.pathname.replace(/\/0\.1\/.*$/, '')}`;
    };
    t.equal(await ask({ Host: 'evil.example', 'X-Script-Name': '/api/auth' }), 'wazo.example.com/api/auth');
    t.equal(
      await ask({ Host: 'acme.example.com:8443', 'X-Script-Name': '/api/auth' }),
      'acme.example.com:8443/api/auth',
    );
    t.equal(await ask({ Host: 'acme.example.com', 'X-Script-Name': '@evil.example' }), 'acme.example.com');
    t.equal(
      await ask({ Host: 'acme.example.com', 'X-Script-Name': '/x?@evil.example/' }),
      'acme.example.com',
    );
    t.equal(await ask({ Host: 'acme.example.com', 'X-Script-Name': '\\\\evil.example' }), 'acme.example.com');
  });

  expectNoServerError(t, server);
});

t.test(
  'without public_hosts: tenant domains are kept, anything else gets the machine hostname',
  async (t) => {
    const sink = await startSmtpSink(t);
    const server = await startTestApp(t, (config) => {
      config.smtp.hostname = '127.0.0.1';
      config.smtp.port = sink.port;
    });
    const acme = await createTenant(server.orm, 'acme');
    const em = server.orm.em.fork();
    em.create(TenantDomain, { tenant: acme, name: 'acme.example.com' });
    await em.flush();
    await createUser(server.orm, {
      username: 'ann',
      tenant: acme,
      email: { address: 'ann@example.com', confirmed: true },
    });
    const reset = async (host: string) => {
      await server.call({ path: '/0.1/users/password/reset?username=ann', headers: { Host: host } });
      return resetHost(await sink.next());
    };
    t.equal(await reset('acme.example.com'), 'acme.example.com');
    const fallback = await reset('evil.example');
    t.not(fallback, 'evil.example');
    t.equal(fallback, hostname().toLowerCase());
    t.ok(
      server.logs.lines.some((line) => line.includes('public_hosts is empty')),
      'said once at start',
    );
  },
);

t.test('mail_throttle: per user and per address', async (t) => {
  const sink = await startSmtpSink(t);
  const server = await startTestApp(t, (config) => {
    config.smtp.hostname = '127.0.0.1';
    config.smtp.port = sink.port;
    config.public_hosts = ['127.0.0.1'];
    config.mail_throttle.mails = 2;
    config.mail_throttle.window_seconds = 3;
  });
  const resetTokens = () => server.orm.em.fork().count(Token, { userAgent: MAIL_TOKEN_AGENT });
  await createUser(server.orm, {
    username: 'carol',
    email: { address: 'carol@example.com', confirmed: true },
  });
  const request = (query: string) => server.call({ path: `/0.1/users/password/reset?${query}` });

  await t.test('over the limit, a reset answers 204 but sends no mail and keeps no token', async (t) => {
    t.equal((await request('username=carol')).status, 204);
    t.equal((await request('login=carol@example.com')).status, 204);
    await sink.next();
    await sink.next();
    const tokens = await resetTokens();
    t.equal(tokens, 2);
    for (const query of ['username=carol', 'email=carol@example.com', 'login=CAROL']) {
      t.equal((await request(query)).status, 204, query);
    }
    await sleep(200);
    t.equal(sink.messages.length, 2, 'no third mail');
    t.equal(await resetTokens(), tokens, 'no token row added');
    t.ok(server.logs.lines.some((line) => line.includes('over mail_throttle')));
    await sleep(1600);
    t.equal((await request('username=carol')).status, 204);
    await sink.next();
    t.equal(sink.messages.length, 3, 'refilled over the window');
  });

  await t.test('a mail the relay refused does not count', async (t) => {
    await sleep(3100);
    sink.refuseNext();
    t.equal((await request('username=carol')).status, 503);
    t.equal((await request('username=carol')).status, 204);
    t.equal((await request('username=carol')).status, 204);
    await sink.next();
    await sink.next();
  });

  await t.test('the address has its own budget: moved to another user, it gets no more', async (t) => {
    const admin = await userCaller(server, 'admin', ['#']);
    const moved = { address: 'moving@example.com', main: true, confirmed: true };
    const erin = await createUser(server.orm, { username: 'erin' });
    const fred = await createUser(server.orm, { username: 'fred' });
    t.equal((await admin.put(`/admin/users/${erin}/emails`, undefined, { emails: [moved] })).status, 200);
    const sent = sink.messages.length;
    t.equal((await request('username=erin')).status, 204);
    t.equal((await request('username=erin')).status, 204);
    await sink.next();
    await sink.next();
    t.equal((await admin.put(`/admin/users/${erin}/emails`, undefined, { emails: [] })).status, 200);
    t.equal((await admin.put(`/admin/users/${fred}/emails`, undefined, { emails: [moved] })).status, 200);
    t.equal((await request('username=fred')).status, 204);
    await sleep(200);
    t.equal(sink.messages.length, sent + 2, 'fred has budget left, the address has none');
  });

  await t.test('a confirmation over the limit answers 429, in the API error envelope', async (t) => {
    const dave = await userCaller(server, 'dave', ['auth.users.me.emails.#']);
    const put = await dave.put(`/users/${dave.uuid}/emails`, undefined, {
      emails: [
        { address: 'dave@example.com', main: true },
        { address: 'dave2@example.com', main: false },
      ],
    });
    const [first, second] = put.json<{ uuid: string }[]>();
    const ask = (email: string) => dave.get(`/users/${dave.uuid}/emails/${email}/confirm`);
    t.equal((await ask(first!.uuid)).status, 204);
    t.equal((await ask(second!.uuid)).status, 204);
    await sink.next();
    await sink.next();
    const before = await resetTokens();
    const refused = await ask(first!.uuid);
    t.equal(refused.status, 429, 'the user is over its budget, whatever the address');
    t.match(apiError(refused), {
      error_id: 'too-many-emails',
      resource: 'emails',
      details: { retry_after: Number },
    });
    t.match(refused.headers['retry-after'], /^\d+$/);
    t.equal(await resetTokens(), before, 'no token row added');
  });

  expectNoServerError(t, server);
});
