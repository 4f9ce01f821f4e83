// The bus events of the external-auth endpoints (external-auth.md §5.2, §8), seen by real broker
// consumers: auth_user_external_auth_added|updated|deleted, and nothing for configs or failures.

import type { Test as Tap } from 'tap';
import t from 'tap';
import {
  amqp10Receiver,
  BUS_URI,
  type ClassicMessage,
  classicConsumer,
  envelopeKeys,
  testExchange,
} from '../helpers/bus.js';
import { createUser } from '../helpers/fixtures.js';
import { expectNoServerError, expectStatus, loggedIn, setUp, startExternalApp, UNKNOWN } from './support.js';

/** Naive local time with microseconds (bus-events.md §2). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const isExternal = (m: ClassicMessage) => m.body.name.startsWith('auth_user_external_auth_');

async function watched(t: Tap) {
  const exchange = await testExchange(t);
  const classic = await classicConsumer(t, exchange);
  const amqp10 = await amqp10Receiver(t, exchange);
  const server = await startExternalApp(t, (config) => {
    config.amqp.uri = BUS_URI;
    config.amqp.exchange_name = exchange;
  });
  const { admin, tree } = await setUp(server);
  let seen = 0;
  /** The external-auth events received since the last call, in order, once `count` have arrived. */
  const next = async (count: number) => {
    const all = await classic.take(seen + count, isExternal);
    const fresh = all.slice(seen);
    seen += count;
    return fresh;
  };
  const seenSoFar = () => classic.messages.filter(isExternal).length;
  return { server, admin, tree, classic, amqp10, next, seenSoFar };
}

/** The event of `action` on `user`'s `type` blob, as the 0-9-1 consumer receives it. */
function expected(action: 'added' | 'updated' | 'deleted', user: string, tenant: string, type = 'mobile') {
  const suffix = { added: 'created', updated: 'updated', deleted: 'deleted' }[action];
  const routingKey = `auth.users.${user}.external.${type}.${suffix}`;
  const name = `auth_user_external_auth_${action}`;
  return {
    routingKey,
    body: {
      name,
      required_access: `event.${name}`,
      required_acl: `events.${routingKey}`,
      tenant_uuid: tenant,
      [`user_uuid:${user}`]: true,
      data: { user_uuid: user, external_auth_name: type },
    },
  };
}

t.test('mobile blob changes publish added, updated and deleted', async (t) => {
  const { server, admin, tree, amqp10, next } = await watched(t);
  const { master, child } = tree;
  const alice = await createUser(server.orm, { username: 'alice' });
  const zed = await createUser(server.orm, { username: 'zed', tenant: child });
  const mobile = (uuid: string) => `/users/${uuid}/external/mobile`;

  t.test('POST: added, the whole envelope', async (t) => {
    expectStatus(await admin.post(mobile(alice), { token: 'a' }), 201, 'POST');
    const [event] = await next(1);
    t.match(event, expected('added', alice, master));
    t.strictSame(event!.body.data, { user_uuid: alice, external_auth_name: 'mobile' }, 'exactly the payload');
    t.strictSame(Object.keys(event!.body), envelopeKeys(`user_uuid:${alice}`), 'the envelope keys');
    t.match(event!.body, { origin_uuid: server.app.platformUuid, timestamp: TIMESTAMP });
    t.equal(event!.contentType, 'application/json');
    t.equal(event!.text, JSON.stringify(event!.body), 'plain JSON');

    const { data, ...headers } = event!.body;
    t.strictSame(event!.headers, headers, 'AMQP headers = the envelope without data');
    t.equal(event!.headers.tenant_uuid, master);
    t.equal(event!.headers[`user_uuid:${alice}`], true);
    const [as10] = await amqp10.take(1, (m) => m.subject === event!.routingKey);
    t.equal(as10!.text, event!.text, 'an AMQP 1.0 client gets the same JSON body');
  });

  t.test('PUT of an existing blob: updated', async (t) => {
    expectStatus(await admin.put(mobile(alice), undefined, { token: 'b' }), 200, 'PUT');
    t.match(await next(1), [expected('updated', alice, master)]);
  });

  t.test('DELETE: deleted', async (t) => {
    expectStatus(await admin.delete(mobile(alice)), 204, 'DELETE');
    t.match(await next(1), [expected('deleted', alice, master)]);
  });

  t.test('PUT of a missing blob: added', async (t) => {
    expectStatus(await admin.put(mobile(alice), undefined, { token: 'c' }), 200, 'PUT');
    t.match(await next(1), [expected('added', alice, master)]);
  });

  t.test("tenant_uuid is the user's tenant, whoever the caller", async (t) => {
    expectStatus(await admin.post(mobile(zed), {}), 201, 'POST as master');
    expectStatus(await admin.put(mobile(zed), child, { token: 'z' }), 200, 'PUT with Wazo-Tenant');
    const childAdmin = await loggedIn(server, 'child-admin', ['auth.#'], child);
    expectStatus(await childAdmin.delete(mobile(zed)), 204, 'DELETE as the child admin');
    const events = await next(3);
    t.match(events, [
      expected('added', zed, child),
      expected('updated', zed, child),
      expected('deleted', zed, child),
    ]);
    for (const event of events) t.equal(event.body.tenant_uuid, child);
  });

  t.test('a user managing its own blob', async (t) => {
    const self = await loggedIn(server, 'self', ['auth.users.me.external.mobile.#']);
    expectStatus(await self.post(mobile(self.uuid), { token: 's' }), 201, 'POST');
    expectStatus(await self.delete(mobile(self.uuid)), 204, 'DELETE');
    t.match(await next(2), [expected('added', self.uuid, master), expected('deleted', self.uuid, master)]);
  });

  expectNoServerError(t, server);
});

t.test('tenant configs and failed requests publish nothing', async (t) => {
  const { server, admin, tree, classic, next, seenSoFar } = await watched(t);
  const { master, child, sibling } = tree;
  const alice = await createUser(server.orm, { username: 'alice' });
  const bob = await createUser(server.orm, { username: 'bob' });
  const sam = await createUser(server.orm, { username: 'sam', tenant: sibling });
  const mobile = (uuid: string) => `/users/${uuid}/external/mobile`;
  expectStatus(await admin.post(mobile(alice), { token: 'a' }), 201, 'POST alice');
  await next(1);
  const before = classic.messages.length;
  const external = seenSoFar();

  const statuses: [string, number][] = [];
  const record = async (what: string, promise: Promise<{ status: number }>) =>
    statuses.push([what, (await promise).status]);
  // Tenant configs: successful, and no events.
  await record('POST config', admin.post('/external/mobile/config', { fcm_sender_id: 's' }));
  await record('PUT config', admin.put('/external/mobile/config', undefined, { fcm_sender_id: 't' }));
  await record('POST foo config', admin.post('/external/foo/config', { a: 1 }));
  await record('DELETE config', admin.delete('/external/foo/config'));
  await record('POST config in a sub-tenant', admin.post('/external/google/config', {}, sibling));
  // Failures.
  await record('POST config twice', admin.post('/external/mobile/config', {}));
  await record('PUT config of an unknown type', admin.put('/external/nope/config', undefined, {}));
  await record('POST mobile twice', admin.post(mobile(alice), { token: 'again' }));
  await record('POST mobile bad body', admin.post(mobile(bob), { token: '' }));
  await record('PUT mobile bad body', admin.put(mobile(alice), undefined, { token: 42 }));
  await record('DELETE missing blob', admin.delete(mobile(bob)));
  await record('POST unknown user', admin.post(mobile(UNKNOWN), { token: 'x' }));
  await record('PUT unknown user', admin.put(mobile(UNKNOWN), undefined, { token: 'x' }));
  await record('PUT invisible user', admin.put(mobile(sam), child, { token: 'x' }));
  const outsider = await loggedIn(server, 'outsider', [], sibling);
  await record('POST without the ACL', outsider.post(mobile(outsider.uuid), { token: 'x' }));
  // Reads.
  await record('GET blob', admin.get(mobile(alice)));
  await record('GET list', admin.get(`/users/${alice}/external`));
  await record('GET users', admin.get('/external/mobile/users'));
  await record('GET sender_id', admin.get(`${mobile(alice)}/sender_id`));
  t.strictSame(
    statuses,
    [
      ['POST config', 201],
      ['PUT config', 204],
      ['POST foo config', 201],
      ['DELETE config', 204],
      ['POST config in a sub-tenant', 201],
      ['POST config twice', 409],
      ['PUT config of an unknown type', 404],
      ['POST mobile twice', 409],
      ['POST mobile bad body', 400],
      ['PUT mobile bad body', 400],
      ['DELETE missing blob', 404],
      ['POST unknown user', 404],
      ['PUT unknown user', 404],
      ['PUT invisible user', 404],
      ['POST without the ACL', 401],
      ['GET blob', 200],
      ['GET list', 200],
      ['GET users', 200],
      ['GET sender_id', 200],
    ],
    'the requests answered as expected',
  );

  // An event published now arrives after anything the requests above could have published.
  expectStatus(await admin.post(mobile(bob), { token: 'b' }), 201, 'POST bob');
  const [sentinel] = await next(1);
  t.match(sentinel, expected('added', bob, master), 'the next external-auth event is the sentinel');
  t.equal(seenSoFar(), external + 1, 'no other external-auth event');
  const others = classic.messages
    .slice(before)
    .map((m) => m.body.name)
    .filter((name) => name !== 'auth_session_created');
  t.strictSame(others, ['auth_user_external_auth_added'], "nothing else but the outsider's login");

  expectNoServerError(t, server);
});
