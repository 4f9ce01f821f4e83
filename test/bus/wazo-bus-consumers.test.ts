// Every event of bus-events.md as a Wazo daemon receives it: through wazo-bus's headers exchange, on
// queues bound with `x-match: all` on `name`, `tenant_uuid` and `user_uuid:…`. The broker routes on the
// AMQP headers alone, so an event whose headers are missing or wrong never arrives.

import t from 'tap';
import { OutboxEntry } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { BUS_URI, type ClassicMessage, testExchange, wazoBusConsumer } from '../helpers/bus.js';
import { adminCaller, ok } from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

/** The events a core operation or the external-auth endpoints publish (bus-events.md §3, §4). */
const EVENTS = [
  'auth_tenant_added',
  'auth_tenant_updated',
  'auth_tenant_deleted',
  'auth_session_created',
  'auth_session_deleted',
  'auth_session_expire_soon',
  'auth_refresh_token_created',
  'auth_refresh_token_deleted',
  'auth_user_external_auth_added',
  'auth_user_external_auth_updated',
  'auth_user_external_auth_deleted',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` until it holds or `timeoutMs` passed; resolves with whether it held. */
async function eventually(done: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(50)) if (done()) return true;
  return done();
}

const names = (messages: ClassicMessage[]) => [...new Set(messages.map((m) => m.body.name))].sort();

t.test('wazo-bus consumers receive every event, routed by its headers', async (t) => {
  const exchange = await testExchange(t);
  const server = await startTestApp(t, (config) => {
    config.amqp.uri = BUS_URI;
    config.amqp.exchange_name = exchange;
    config.token_cleanup_interval = 1;
  });
  const master = await masterUuid(server.orm);
  const alice = await createUser(server.orm, { username: 'alice', password: 'secret' });
  const bob = await createUser(server.orm, { username: 'bob', password: 'secret' });
  const other = await createTenant(server.orm, 'other');
  await createUser(server.orm, { username: 'carol', password: 'secret', tenant: other });

  // One binding per event name (a daemon that listens for those events), …
  const byName = await wazoBusConsumer(
    t,
    exchange,
    EVENTS.map((name) => ({ name })),
  );
  // … alice's own events (a daemon pushing them to her, e.g. wazo-websocketd) …
  const forAlice = await wazoBusConsumer(t, exchange, [{ [`user_uuid:${alice}`]: true }]);
  // … bob's, who does nothing, …
  const forBob = await wazoBusConsumer(t, exchange, [{ [`user_uuid:${bob}`]: true }]);
  // … and new sessions of the master tenant only: name and tenant together.
  const masterSessions = await wazoBusConsumer(t, exchange, [
    { name: 'auth_session_created', tenant_uuid: master },
  ]);

  const admin = await adminCaller(server);
  const issued = await tokenFor(server, 'alice', 'secret', { access_type: 'offline', client_id: 'my.app' });
  const carol = await tokenFor(server, 'carol', 'secret');
  const mobile = `/users/${alice}/external/mobile`;
  t.equal((await admin.post(mobile, { token: 'a' })).status, 201);
  t.equal((await admin.put(mobile, undefined, { token: 'b' })).status, 200);
  t.equal((await admin.delete(mobile)).status, 204);
  t.equal((await admin.delete(`/users/${alice}/tokens/my.app`)).status, 204);
  t.equal((await server.call({ method: 'DELETE', path: `/0.1/token/${issued.token}` })).status, 200);
  const tenant = ok<{ uuid: string }>(await admin.post('/tenants', { name: 'acme', slug: 'acme' }));
  ok(await admin.put(`/tenants/${tenant.uuid}`, undefined, { name: 'acme2' }));
  t.equal((await admin.delete(`/tenants/${tenant.uuid}`)).status, 204);
  // A short session: the cleanup announces its end, then purges it.
  const short = await tokenFor(server, 'alice', 'secret', { expiration: 2 });

  t.ok(
    await eventually(() => names(byName.messages).length === EVENTS.length),
    'every event reached the consumer bound by name',
  );
  t.same(names(byName.messages), [...EVENTS].sort());
  for (const message of byName.messages) {
    const { data, ...headers } = message.body;
    t.strictSame(message.headers, headers, `${message.body.name}: the AMQP headers are the body's headers`);
  }

  const userLevel = EVENTS.filter((name) => !name.startsWith('auth_tenant_')).sort();
  t.ok(await eventually(() => names(forAlice.messages).length === userLevel.length));
  t.same(
    names(forAlice.messages),
    userLevel,
    "alice's consumer gets her user-level events, no tenant-level one",
  );
  t.ok(
    forAlice.messages.every((m) => m.headers[`user_uuid:${alice}`] === true),
    'each carries her user header',
  );
  const expiring = forAlice.messages.find((m) => m.body.name === 'auth_session_expire_soon');
  t.match(expiring, {
    routingKey: `auth.users.${alice}.sessions.${short.session_uuid}.expire_soon`,
    headers: { session_uuid: short.session_uuid, tenant_uuid: master },
  });

  const created = byName.messages.filter((m) => m.body.name === 'auth_session_created');
  t.ok(
    created.some((m) => m.body.data.uuid === carol.session_uuid),
    "carol's session was published",
  );
  t.same(
    masterSessions.messages.map((m) => m.body.data.uuid).sort(),
    created
      .filter((m) => m.body.tenant_uuid === master)
      .map((m) => m.body.data.uuid)
      .sort(),
    "name and tenant_uuid together: the master tenant sessions, not carol's",
  );

  await sleep(500);
  t.equal(forBob.messages.length, 0, "bob's consumer gets none of the others' events");
  t.equal(await server.orm.em.fork().count(OutboxEntry, {}), 0, 'the outbox is empty');
});
