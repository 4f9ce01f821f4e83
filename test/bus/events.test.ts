import t from 'tap';
import type { BusProtocol } from '../../src/bus/protocol-choice.js';
import { OutboxEntry } from '../../src/entities/index.js';
import { JSON_HEADERS, startTestApp, type TestApp } from '../helpers/app.js';
import {
  type AmqpMessage,
  amqp10Receiver,
  BUS_URI,
  type ClassicMessage,
  classicConsumer,
  envelopeKeys,
  type Teardown,
  testExchange,
} from '../helpers/bus.js';
import { adminCaller, type Caller, ok } from '../helpers/callers.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { type IssuedToken, tokenFor } from '../helpers/tokens.js';

/** Naive local time with microseconds (bus-events.md §2). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

interface Watched {
  server: TestApp;
  admin: Caller;
  master: string;
  classic: Awaited<ReturnType<typeof classicConsumer>>;
  amqp10: Awaited<ReturnType<typeof amqp10Receiver>>;
  /** The events received since the last call (0-9-1 side), in order, once `count` have arrived. */
  next(count: number): Promise<ClassicMessage[]>;
}

async function watchedServer(t: Teardown, protocol: BusProtocol = 'auto'): Promise<Watched> {
  const exchange = await testExchange(t);
  const classic = await classicConsumer(t, exchange);
  const amqp10 = await amqp10Receiver(t, exchange);
  const server = await startTestApp(t, (config) => {
    config.amqp.uri = BUS_URI;
    config.amqp.exchange_name = exchange;
    config.amqp.protocol = protocol;
  });
  const admin = await adminCaller(server);
  const master = await masterUuid(server.orm);
  let seen = 0;
  const next = async (count: number) => {
    const all = await classic.take(seen + count);
    const fresh = all.slice(seen);
    seen += count;
    return fresh;
  };
  await next(1); // the admin's own login
  return { server, admin, master, classic, amqp10, next };
}

const login = (server: TestApp, username: string, body: object = {}, headers: Record<string, string> = {}) =>
  tokenFor(server, username, 'secret', body, headers);

t.test('each event arrives with its routing key, headers and JSON body', async (t) => {
  const { server, master, amqp10, next } = await watchedServer(t);
  const user = await createUser(server.orm, { username: 'alice', password: 'secret' });

  const issued = await login(server, 'alice', { access_type: 'offline', client_id: 'my.app' });
  const [refreshCreated, sessionCreated] = await next(2);

  t.equal(refreshCreated!.routingKey, `auth.users.${user}.tokens.my__DOT__app.created`, 'dots escaped');
  t.same(refreshCreated!.body.data, {
    client_id: 'my.app',
    mobile: false,
    user_uuid: user,
    tenant_uuid: master,
  });

  t.equal(sessionCreated!.routingKey, `auth.sessions.${issued.session_uuid}.created`);
  t.equal(sessionCreated!.contentType, 'application/json');
  const body = sessionCreated!.body;
  t.same(Object.keys(body), envelopeKeys(`user_uuid:${user}`, 'session_uuid'));
  t.match(body, {
    name: 'auth_session_created',
    origin_uuid: server.app.platformUuid,
    timestamp: TIMESTAMP,
    required_access: 'event.auth_session_created',
    required_acl: `events.auth.sessions.${issued.session_uuid}.created`,
    tenant_uuid: master,
    [`user_uuid:${user}`]: true,
    session_uuid: issued.session_uuid,
  });
  t.same(body.data, { uuid: issued.session_uuid, tenant_uuid: master, user_uuid: user, mobile: false });
  t.equal(sessionCreated!.text, JSON.stringify(body), 'the body is the plain JSON text, not AMQP-encoded');

  const { data, ...headers } = body;
  t.strictSame(sessionCreated!.headers, headers, 'AMQP 0-9-1 headers = the headers of the body');
  // An AMQP 1.0 client of this broker gets the same routing key and JSON body.
  const [created10] = await amqp10.take(1, (m: AmqpMessage) => m.subject === sessionCreated!.routingKey);
  t.equal(created10!.text, sessionCreated!.text);

  // The broker settles before the relay deletes: give it the time of that round trip.
  for (let i = 0; i < 50 && (await server.orm.em.fork().count(OutboxEntry, {})) > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(await server.orm.em.fork().count(OutboxEntry, {}), 0, 'published rows leave the outbox');
});

t.test('amqp.protocol 1.0: the headers travel as application properties', async (t) => {
  const { server, amqp10, next } = await watchedServer(t, '1.0');
  await createUser(server.orm, { username: 'erin', password: 'secret' });
  const issued = await login(server, 'erin');
  const [created] = await next(1);
  t.equal(created!.routingKey, `auth.sessions.${issued.session_uuid}.created`);
  t.equal(created!.text, JSON.stringify(created!.body), 'the body is the plain JSON text');
  const [as10] = await amqp10.take(1, (m: AmqpMessage) => m.subject === created!.routingKey);
  const { data, ...headers } = created!.body;
  t.strictSame(as10!.headers, headers, 'application properties = the headers of the body');
});

t.test('revocations, refresh-token deletions and password changes announce their sessions', async (t) => {
  const { server, admin, master, next } = await watchedServer(t);
  const user = await createUser(server.orm, { username: 'bob', password: 'secret' });
  const deleted = (session: string) => ({
    routingKey: `auth.sessions.${session}.deleted`,
    body: {
      name: 'auth_session_deleted',
      tenant_uuid: master,
      [`user_uuid:${user}`]: true,
      session_uuid: session,
      data: { uuid: session, user_uuid: user, tenant_uuid: master },
    },
  });

  await t.test('DELETE /token/{t}', async (t) => {
    const issued = await login(server, 'bob');
    await next(1);
    await server.call({ method: 'DELETE', path: `/0.1/token/${issued.token}` });
    t.match(await next(1), [deleted(issued.session_uuid)]);
    await server.call({ method: 'DELETE', path: `/0.1/token/${issued.token}` });
  });

  await t.test('DELETE /sessions/{s}', async (t) => {
    const issued = await login(server, 'bob');
    await next(1);
    t.equal((await admin.delete(`/sessions/${issued.session_uuid}`)).status, 204);
    t.match(await next(1), [deleted(issued.session_uuid)]);
  });

  await t.test(
    'DELETE /users/{u}/tokens/{client_id}: its minted sessions too (unlike upstream)',
    async (t) => {
      const minted = await login(server, 'bob', { access_type: 'offline', client_id: 'desk*top' });
      await next(2);
      t.equal((await admin.delete(`/users/${user}/tokens/desk*top`)).status, 204);
      t.match(await next(2), [
        deleted(minted.session_uuid),
        {
          routingKey: `auth.users.${user}.tokens.desk__STAR__top.deleted`,
          body: {
            name: 'auth_refresh_token_deleted',
            data: { client_id: 'desk*top', mobile: false, user_uuid: user, tenant_uuid: master },
          },
        },
      ]);
    },
  );

  await t.test('PUT /users/{u}/password: one event per session', async (t) => {
    await login(server, 'bob');
    await login(server, 'bob');
    await login(server, 'bob');
    await next(3);
    const listed = ok<{ items: { uuid: string }[] }>(await admin.get(`/users/${user}/sessions`));
    const sessions = listed.items.map((item) => item.uuid);
    t.equal(sessions.length, 3, 'the offline login of the previous step went with its refresh token');
    const res = await admin.put(`/users/${user}/password`, undefined, {
      old_password: 'secret',
      new_password: 'secret2',
    });
    t.equal(res.status, 204);
    const events = await next(3);
    t.same(
      events.map((e) => e.body.name),
      ['auth_session_deleted', 'auth_session_deleted', 'auth_session_deleted'],
    );
    t.same(events.map((e) => e.body.session_uuid).sort(), [...sessions].sort());
  });
});

t.test(
  'a mobile offline relogin: deleted session and refresh token, then the new ones, in order',
  async (t) => {
    const { server, next } = await watchedServer(t);
    const user = await createUser(server.orm, { username: 'carol', password: 'secret' });
    const mobile = { 'Wazo-Session-Type': 'mobile' };
    const first: IssuedToken = await login(
      server,
      'carol',
      { access_type: 'offline', client_id: 'phone' },
      mobile,
    );
    const firstEvents = await next(2);
    t.same(
      firstEvents.map((e) => e.body.name),
      ['auth_refresh_token_created', 'auth_session_created'],
    );
    t.equal(firstEvents[1]!.body.data.mobile, true);

    const second = await login(server, 'carol', { access_type: 'offline', client_id: 'phone' }, mobile);
    const events = await next(4);
    t.same(
      events.map((e) => e.routingKey),
      [
        `auth.sessions.${first.session_uuid}.deleted`,
        `auth.users.${user}.tokens.phone.deleted`,
        `auth.users.${user}.tokens.phone.created`,
        `auth.sessions.${second.session_uuid}.created`,
      ],
    );
    t.equal(events[1]!.body.data.mobile, true);
  },
);

t.test('tenant events go to every user of the tenant', async (t) => {
  const { admin, next } = await watchedServer(t);
  const created = ok<{ uuid: string; slug: string }>(
    await admin.post('/tenants', { name: 'acme', slug: 'acme', domain_names: ['acme.example.com'] }),
  );
  const tenantLevel = (name: string) => ({
    name,
    tenant_uuid: created.uuid,
    'user_uuid:*': true,
    required_access: `event.${name}`,
  });
  t.match(await next(1), [
    {
      routingKey: `auth.tenants.${created.uuid}.created`,
      body: {
        ...tenantLevel('auth_tenant_added'),
        data: { uuid: created.uuid, name: 'acme', slug: 'acme', domain_names: ['acme.example.com'] },
      },
    },
  ]);
  ok(await admin.put(`/tenants/${created.uuid}`, undefined, { name: 'acme2' }));
  t.match(await next(1), [
    {
      routingKey: `auth.tenants.${created.uuid}.updated`,
      body: { ...tenantLevel('auth_tenant_updated'), data: { uuid: created.uuid, name: 'acme2' } },
    },
  ]);
  t.equal((await admin.delete(`/tenants/${created.uuid}`)).status, 204);
  const [deleted] = await next(1);
  t.match(deleted, {
    routingKey: `auth.tenants.${created.uuid}.deleted`,
    body: { ...tenantLevel('auth_tenant_deleted'), data: { uuid: created.uuid } },
  });
  t.notOk(Object.keys(deleted!.body).some((k) => k.startsWith('user_uuid:') && k !== 'user_uuid:*'));
});

t.test('requests that change nothing publish nothing', async (t) => {
  const { server, admin, classic } = await watchedServer(t);
  await createUser(server.orm, { username: 'dave', password: 'secret' });
  const before = classic.messages.length;
  const failed = await server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: `Basic ${Buffer.from('dave:wrong').toString('base64')}` },
    body: '{}',
  });
  t.equal(failed.status, 401);
  t.equal((await admin.post('/tenants', { slug: 'not a slug!' })).status, 400);
  t.equal((await admin.delete('/users/00000000-0000-4000-8000-000000000000/tokens/none')).status, 404);
  // An event published now arrives after anything the requests above could have published.
  await login(server, 'dave');
  const all = await classic.take(before + 1);
  t.equal(all[before]!.body.name, 'auth_session_created', "the first event after them is the login's");
});
