// The wazo-websocketd client protocol (websocket.md §1–5) against the whole server, with real `ws`
// clients: the handshake and its close codes, the ops and their replies in both versions, protocol
// errors, token renewal, and the shape of delivered events. Expiry is test/push/expiry.test.ts.
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import type { Database } from '../../src/entities/orm.js';
import { startTestApp } from '../helpers/app.js';
import { envelopeKeys } from '../helpers/bus.js';
import { adminCaller, ok } from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { type TokenOwner, tokenStore } from '../helpers/stored-tokens.js';
import { tokenFor } from '../helpers/tokens.js';
import {
  type Closed,
  type ConnectOptions,
  connect,
  control,
  eventBody,
  type Frame,
  type PushClient,
  startedSession,
} from '../helpers/ws.js';

const server = await startTestApp(t);
const { base } = server;
const admin = await adminCaller(server);
const master = await masterUuid(server.orm);
const storeToken = tokenStore(server.orm);

const login = async (username: string) => {
  const issued = await tokenFor(server, username, 'pw');
  return { token: issued.token, session: issued.session_uuid };
};

/** A user of the master tenant with its own ACL, and a first token of it. */
async function loginWith(username: string, acl: string[]): Promise<{ token: string; session: string }> {
  await createUser(server.orm, { username, password: 'pw', acl });
  return login(username);
}

// Master-tenant connections see every event their ACL grants, whoever it is aimed at (§5.2).
const EVENTS_ACL = ['websocketd', 'events.#'];
const good = (await loginWith('listener', EVENTS_ACL)).token;
const withoutWebsocketd = (await loginWith('no-websocketd', ['events.#'])).token;
const expired = (
  await storeToken(
    { uuid: randomUUID(), tenant: master, purpose: 'user' },
    { acl: EVENTS_ACL, expiresIn: -10 },
  )
).token;

const CLOSE = {
  noToken: { code: 4001, reason: 'no token' },
  authenticationFailed: { code: 4002, reason: 'authentication failed' },
  authenticationExpired: { code: 4003, reason: 'authentication expired' },
  protocolError: { code: 4004, reason: '' },
  unexpected: { code: 1011, reason: '' },
};

/** Tokens a connection must refuse (§2 step 4), by what is wrong with them. */
const BAD_TOKENS: [string, string][] = [
  ['unknown', randomUUID()],
  // What a client with no token at hand sends (`token=${undefined}`): not even a UUID.
  ['not a UUID', 'undefined'],
  ['expired', expired],
  ['without the websocketd ACL', withoutWebsocketd],
];

let renames = 0;
/**
 * Commits one `auth_tenant_updated` of the master tenant (aimed at all its users; no password hashing
 * involved) and resolves once the API answered, by when the event has been handed to the connections.
 */
async function tenantUpdated(): Promise<string> {
  const name = `renamed-${++renames}`;
  ok(await admin.put(`/tenants/${master}`, undefined, { name }));
  return name;
}

/** `<event name> <new tenant name>` of each event frame, in order. */
const renamesIn = (frames: Frame[]) =>
  frames.map((frame) => {
    const body = eventBody(frame);
    return `${body.name} ${(body.data as { name?: unknown }).name}`;
  });
const updated = (...names: string[]) => names.map((name) => `auth_tenant_updated ${name}`);

/** Upstream refuses after the upgrade (101) with a close code, and sends no frame before it (§2, §3). */
async function assertRefused(t: Test, options: ConnectOptions, expected: Closed): Promise<void> {
  const client = connect(t, base, options);
  t.equal(await client.status, 101, 'the upgrade completes');
  t.strictSame(await client.closing(), expected);
  t.strictSame(client.texts, [], 'no frame before the close');
}

/** A connection and its first frame. */
async function opened(t: Test, options: ConnectOptions): Promise<{ client: PushClient; first: Frame }> {
  const client = connect(t, base, options);
  t.equal(await client.status, 101);
  return { client, first: await client.next() };
}

/** A connection with the shared good token that got its `init`. */
async function initialized(t: Test, version: 1 | 2): Promise<PushClient> {
  const { client, first } = await opened(t, { query: { token: good, version: String(version) } });
  t.strictSame(first, control('init', { version }));
  return client;
}

/** After `init`, `send` must close the socket with 4004, with nothing else sent (§3). */
async function assertProtocolError(t: Test, send: (client: PushClient) => void): Promise<void> {
  const client = await initialized(t, 2);
  send(client);
  t.strictSame(await client.closing(), CLOSE.protocolError);
  t.equal(client.texts.length, 1, 'no frame after init');
}

/** Holds an exclusive lock on `auth_token` (token loads wait) until the returned function is called. */
async function lockTokenTable(orm: Database): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const transaction = orm.em.fork().transactional(async (em) => {
    await em.execute('lock table auth_token in access exclusive mode');
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await transaction;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const subscribe = (name: string) => ({ op: 'subscribe', data: { event_name: name } });
const ping = (payload: string) => ({ op: 'ping', data: { payload } });
const tokenOp = (token: string) => ({ op: 'token', data: { token } });
const START = { op: 'start' };
/** An event name nothing publishes: subscriptions that must stay quiet. */
const UNPUBLISHED = 'never_published';

t.test('handshake (§1.1, §2)', async (t) => {
  t.test('no token: 101, then 4001 "no token"', (t) =>
    assertRefused(t, { query: { version: '2' } }, CLOSE.noToken),
  );

  for (const [what, token] of BAD_TOKENS)
    t.test(`a token ${what}: 4002 "authentication failed"`, (t) =>
      assertRefused(t, { query: { token, version: '2' } }, CLOSE.authenticationFailed),
    );

  t.test('version=3: 4004 with an empty reason, checked before the token', async (t) => {
    await assertRefused(t, { query: { token: good, version: '3' } }, CLOSE.protocolError);
    await assertRefused(t, { query: { version: '3' } }, CLOSE.protocolError);
  });

  t.test('a version that is no integer: 1011, as upstream', async (t) => {
    for (const version of ['abc', '2.0'])
      await assertRefused(t, { query: { token: good, version } }, CLOSE.unexpected);
    await assertRefused(t, { query: { version: 'abc' } }, CLOSE.unexpected);
  });

  t.test('no version, or an empty one: init says version 1', async (t) => {
    for (const query of [{ token: good }, { token: good, version: '' }] as Record<string, string>[]) {
      const { first } = await opened(t, { query });
      t.strictSame(first, control('init', { version: 1 }), JSON.stringify(query));
    }
  });

  t.test('the X-Auth-Token header is used when the query has no token', async (t) => {
    const { first } = await opened(t, { query: { version: '2' }, headers: { 'X-Auth-Token': good } });
    t.strictSame(first, control('init', { version: 2 }));
  });

  t.test('the query token wins over the header', async (t) => {
    const { first } = await opened(t, {
      query: { token: good, version: '2' },
      headers: { 'X-Auth-Token': randomUUID() },
    });
    t.strictSame(first, control('init', { version: 2 }), 'a good query token, an unknown header');
    await assertRefused(
      t,
      { query: { token: randomUUID() }, headers: { 'X-Auth-Token': good } },
      CLOSE.authenticationFailed,
    );
  });

  t.test('an empty token= counts as absent', async (t) => {
    await assertRefused(t, { query: 'token=&version=2' }, CLOSE.noToken);
    const fromHeader = await opened(t, { query: 'token=&version=2', headers: { 'X-Auth-Token': good } });
    t.strictSame(fromHeader.first, control('init', { version: 2 }), 'the header is used');
    const next = await opened(t, { query: `token=&token=${good}&version=2` });
    t.strictSame(next.first, control('init', { version: 2 }), 'the next non-empty value is used');
    await assertRefused(t, { query: `token=${randomUUID()}&token=${good}` }, CLOSE.authenticationFailed);
  });

  t.test('init is the first frame; frames sent before it are handled after it, in order', async (t) => {
    // A token the server has not seen: its load from the database waits on the lock, and so does `init`.
    const { token } = await storeToken(
      { uuid: randomUUID(), tenant: master, purpose: 'user' },
      { acl: EVENTS_ACL },
    );
    const unlock = await lockTokenTable(server.orm);
    const client = connect(t, base, { query: { token, version: '2' } });
    try {
      await client.opened();
      for (const op of [subscribe(UNPUBLISHED), ping('a'), START, ping('b')]) client.send(op);
      await sleep(300);
      t.strictSame(client.texts, [], 'the ops were sent while the server was still checking the token');
    } finally {
      await unlock();
    }
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await client.next());
    t.strictSame(frames, [
      control('init', { version: 2 }),
      control('subscribe'),
      control('pong', { payload: 'a' }),
      control('start'),
      control('pong', { payload: 'b' }),
    ]);
  });

  t.test('both /api/websocketd/ and /0.1/websocketd/ serve the protocol', async (t) => {
    const clients = await Promise.all(
      ['/api/websocketd/', '/0.1/websocketd/'].map((path) => startedSession(t, base, good, { path })),
    );
    const name = await tenantUpdated();
    for (const client of clients) t.strictSame(renamesIn(await client.drain()), updated(name));
  });

  t.test('a plain HTTP request answers 426 Upgrade Required', async (t) => {
    for (const path of ['/api/websocketd/', '/0.1/websocketd/']) {
      const res = await request(base, { path: `${path}?token=${good}` });
      t.equal(res.status, 426, path);
    }
  });
});

t.test('operations and their replies (§4)', async (t) => {
  t.test('v1: subscribe and token answered only before start, start always, ping never', async (t) => {
    const client = await initialized(t, 1);
    for (const op of [subscribe(UNPUBLISHED), tokenOp(good), ping('p'), START]) client.send(op);
    for (const op of [subscribe(UNPUBLISHED), tokenOp(good), ping('p'), START]) client.send(op);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await client.next());
    t.strictSame(replies, [control('subscribe'), control('token'), control('start'), control('start')]);
    t.strictSame(await client.drain(), [], 'nothing else came');

    // Unanswered after start, a subscribe still takes effect.
    client.send(subscribe('auth_tenant_updated'));
    const name = await tenantUpdated();
    t.strictSame(renamesIn(await client.drain()), updated(name));
  });

  t.test(
    'v2: every subscribe, start and token answered; ping answered with pong echoing the payload',
    async (t) => {
      const client = await initialized(t, 2);
      const ops = [subscribe(UNPUBLISHED), tokenOp(good), ping('p'), START];
      for (const op of [...ops, ...ops, ping(''), ping('é ✓ "\\')]) client.send(op);
      const replies = [];
      for (let i = 0; i < 10; i++) replies.push(await client.next());
      const once = [
        control('subscribe'),
        control('token'),
        control('pong', { payload: 'p' }),
        control('start'),
      ];
      t.strictSame(replies, [
        ...once,
        ...once,
        control('pong', { payload: '' }),
        control('pong', { payload: 'é ✓ "\\' }),
      ]);
    },
  );
});

t.test('protocol errors close with 4004 (§4.2)', async (t) => {
  const invalid: [string, unknown][] = [
    ['invalid JSON', '{"op": "start"'],
    ['a root that is not an object', '["start"]'],
    ['a root that is a string', '"start"'],
    ['no op', { data: {} }],
    ['an op that is not a string', { op: 1 }],
    ['an unknown op (unsubscribe)', { op: 'unsubscribe', data: { event_name: '*' } }],
    ['a server op sent by the client (init)', { op: 'init' }],
    ['subscribe without data', { op: 'subscribe' }],
    ['subscribe with null data', { op: 'subscribe', data: null }],
    ['subscribe with a non-string event_name', { op: 'subscribe', data: { event_name: 3 } }],
    ['subscribe without event_name', { op: 'subscribe', data: {} }],
    ['token without data', { op: 'token' }],
    ['token with a non-string token', { op: 'token', data: { token: null } }],
    ['ping without data', { op: 'ping' }],
    ['ping with a non-string payload', { op: 'ping', data: { payload: 1 } }],
    ['ping with data that is not an object', { op: 'ping', data: 'pong' }],
  ];
  for (const [what, message] of invalid)
    t.test(what, (t) => assertProtocolError(t, (client) => client.send(message)));

  t.test('a binary frame, even with a valid op in it', (t) =>
    assertProtocolError(t, (client) => client.sendBytes(Buffer.from(JSON.stringify(START)), true)),
  );
});

t.test('message limits (§1, §8)', async (t) => {
  const MIB = 1024 * 1024;
  /** A ping whose JSON text is exactly `size` bytes. */
  const pingOfSize = (size: number) => {
    const frame = JSON.stringify(ping(''));
    return JSON.stringify(ping('x'.repeat(size - frame.length)));
  };

  t.test('a message of exactly 1 MiB is handled', async (t) => {
    const client = await initialized(t, 2);
    const message = pingOfSize(MIB);
    t.equal(Buffer.byteLength(message), MIB);
    client.send(message);
    const pong = await client.next();
    t.equal(pong.op, 'pong');
    t.equal((pong.data as { payload: string }).payload.length, MIB - JSON.stringify(ping('')).length);
  });

  t.test('a message over 1 MiB closes with 1009', async (t) => {
    const client = await initialized(t, 2);
    client.send(pingOfSize(MIB + 1));
    t.equal((await client.closing()).code, 1009);
    t.equal(client.texts.length, 1, 'no frame after init');
  });

  // Documented differences (README): past 4 MiB (`maxPayloadLength`) and on invalid UTF-8, uWS drops the
  // connection itself, before any handler could send upstream's close frame. The server stays up.
  const dropped = async (t: Test, send: (client: PushClient) => void) => {
    const client = await initialized(t, 2);
    send(client);
    t.equal((await client.closing()).code, 1006, 'dropped without a close frame');
    const next = await initialized(t, 2);
    t.ok(next.isOpen, 'the server still accepts connections');
  };
  t.test('a message over 4 MiB drops the connection', (t) =>
    dropped(t, (client) => client.send(pingOfSize(4 * MIB + 1))),
  );
  t.test('a text frame that is not UTF-8 drops the connection', (t) =>
    dropped(t, (client) => client.sendBytes(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false)),
  );
});

t.test('token renewal (§4.2, §6.3)', async (t) => {
  t.test('a valid token op rebinds: the new ACL applies, the old token no longer matters', async (t) => {
    const old = await loginWith('renewing', ['websocketd']);
    const renewed = await login('listener');
    const client = await startedSession(t, base, old.token);
    await tenantUpdated();
    t.strictSame(await client.drain(), [], 'the old token grants no event');

    client.send(tokenOp(renewed.token));
    t.strictSame(await client.next(), control('token'));
    const name = await tenantUpdated();
    t.strictSame(renamesIn(await client.drain()), updated(name), 'the new token grants events.#');

    t.equal((await server.call({ method: 'DELETE', path: `/0.1/token/${old.token}` })).status, 200);
    const frames = await client.drain();
    t.ok(client.isOpen, 'revoking the old token leaves the connection open');
    t.strictSame(
      frames.map((frame) => [eventBody(frame).name, (eventBody(frame).data as { uuid: string }).uuid]),
      [['auth_session_deleted', old.session]],
      "the old session's deletion is just an event now",
    );

    t.equal((await server.call({ method: 'DELETE', path: `/0.1/token/${renewed.token}` })).status, 200);
    t.strictSame(await client.closing(), CLOSE.authenticationExpired, 'revoking the new one closes');
  });

  t.test('a token op re-routes later subscriptions only; the tenant scope stays', async (t) => {
    // Plain users of a sub-tenant: they get only the events aimed at them (§5.2).
    const tenant = await createTenant(server.orm, 'renewals');
    const [first, second] = await Promise.all(
      ['first', 'second'].map(async (name) => ({
        uuid: await createUser(server.orm, { username: name, tenant }),
        tenant,
        purpose: 'user' as const,
      })),
    );
    const tokenOf = (owner: TokenOwner) => storeToken(owner, { acl: EVENTS_ACL });
    /** Revokes a spare token of `owner` (bound to no socket): its `auth_session_deleted` is aimed at them. */
    const sessionDeleted = async (owner: TokenOwner) => {
      const spare = await tokenOf(owner);
      ok(await server.call({ method: 'DELETE', path: `/0.1/token/${spare.token}` }));
      return spare.session;
    };
    const deletedSessions = (frames: Frame[]) =>
      frames.map((frame) => (eventBody(frame).data as { uuid: string }).uuid);

    const client = await startedSession(t, base, (await tokenOf(first!)).token);
    const forFirst = await sessionDeleted(first!);
    await sessionDeleted(second!);
    t.strictSame(deletedSessions(await client.drain()), [forFirst], "only the first user's");

    client.send(tokenOp((await tokenOf(second!)).token));
    t.strictSame(await client.next(), control('token'));
    const stillFirst = await sessionDeleted(first!);
    await sessionDeleted(second!);
    t.strictSame(deletedSessions(await client.drain()), [stillFirst], 'the subscription kept its user');

    client.send(subscribe('*'));
    t.strictSame(await client.next(), control('subscribe'));
    const both = [await sessionDeleted(first!), await sessionDeleted(second!)];
    t.strictSame(deletedSessions(await client.drain()), both, "a new subscription adds the second user's");

    // Another tenant's token is refused (upstream takes it, keeping the scope fixed at connect).
    client.send(tokenOp(good));
    t.strictSame(await client.closing(), CLOSE.authenticationFailed, "another tenant's token: 4002");
  });

  for (const [what, token] of BAD_TOKENS)
    t.test(`a token op with a token ${what}: 4002`, async (t) => {
      const client = await startedSession(t, base, good);
      client.send(tokenOp(token));
      t.strictSame(await client.closing(), CLOSE.authenticationFailed);
      t.strictSame(client.unread(), [], 'nothing after the start reply');
    });
});

t.test('event delivery (§4.3, §5.4, §5.5)', async (t) => {
  t.test('events before start are dropped, not buffered', async (t) => {
    const client = await initialized(t, 2);
    client.send(subscribe('*'));
    t.strictSame(await client.next(), control('subscribe'));
    await tenantUpdated();
    client.send(START);
    t.strictSame(await client.next(), control('start'));
    const name = await tenantUpdated();
    t.strictSame(renamesIn(await client.drain()), updated(name), 'only the event after start');
  });

  t.test('v1 sends the event body itself; v2 wraps it in {"op":"event","code":0,"data"}', async (t) => {
    const v1 = await startedSession(t, base, good, { version: 1 });
    const v2 = await startedSession(t, base, good, { version: 2 });
    const name = await tenantUpdated();
    const [body] = await v1.drain();
    const [wrapped] = await v2.drain();
    t.notOk('op' in body!, 'no op key in a v1 event');
    t.strictSame(wrapped, control('event', body), 'the same body, wrapped');
    t.strictSame(Object.keys(body!), envelopeKeys('user_uuid:*'));
    t.match(body, {
      name: 'auth_tenant_updated',
      origin_uuid: server.app.platformUuid,
      required_access: 'event.auth_tenant_updated',
      required_acl: `events.auth.tenants.${master}.updated`,
      tenant_uuid: master,
      'user_uuid:*': true,
      data: { uuid: master, name },
    });
  });

  t.test('an event matching several subscriptions arrives once', async (t) => {
    const client = await startedSession(t, base, good, {
      subscribe: ['*', 'auth_tenant_updated', 'auth_tenant_updated'],
    });
    const name = await tenantUpdated();
    t.strictSame(renamesIn(await client.drain()), updated(name));
  });
});
