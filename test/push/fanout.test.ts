// 1,000 WebSocket clients open at once, across tenants, routing classes, ACLs, subscriptions and both
// protocol versions; the API then commits a known mix of events, and every client must get exactly the
// events an oracle written here from websocket.md §5.2–5.4 says its token may see: no more, no fewer,
// no duplicates, in commit order.
import t from 'tap';
import { AclMatcher } from '../../src/acl/index.js';
import type { UserPurpose } from '../../src/entities/index.js';
import { JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller, ok } from '../helpers/callers.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { type StoredToken, type TokenOwner, tokenStore } from '../helpers/stored-tokens.js';
import { tokenFor } from '../helpers/tokens.js';
import { eventBody, type Frame, type PushClient, startedSession } from '../helpers/ws.js';

const CLIENTS = 1000;
/** Connections opened (and tokens written) at a time while setting up. */
const BATCH = 100;

/** One event the API is expected to commit, as its headers route it (bus-events.md §2–3). */
interface ExpectedEvent {
  /** The API call that committed it: deliveries must follow the order of the calls. */
  action: number;
  name: string;
  tenant: string;
  /** The user header: `user_uuid:<uuid>`, or `user_uuid:*` for tenant events. */
  user: string;
  requiredAcl: string;
}

interface User extends TokenOwner {
  username: string;
}

interface Client {
  owner: User;
  /** `admin` in the token metadata: privileged whatever the purpose (§5.2). */
  admin: boolean;
  acl: readonly string[];
  subscriptions: readonly string[];
  version: 1 | 2;
  stored: StoredToken;
  socket: PushClient;
}

const ACLS: readonly (readonly string[])[] = [
  ['websocketd', 'events.#'],
  ['websocketd', 'events.auth.sessions.#'],
  ['websocketd', 'events.auth.tenants.#'],
  ['websocketd', 'events.auth.users.me.#'],
  ['websocketd', 'events.#', '!events.auth.tenants.#'],
  ['websocketd', 'events.auth.sessions.*.created', 'events.auth.tenants.*.updated'],
  ['websocketd'],
];

const SUBSCRIPTIONS: readonly (readonly string[])[] = [
  ['*'],
  ['auth_session_created'],
  ['auth_session_created', 'auth_session_deleted'],
  ['auth_tenant_added', 'auth_tenant_updated', 'auth_tenant_deleted'],
  ['auth_refresh_token_created', 'auth_refresh_token_deleted', '*'],
  ['auth_session_created', 'auth_session_created'],
  // No wildcard but `*` itself: this is a literal name nothing publishes.
  ['auth_session_*'],
  [],
  ['*', 'auth_tenant_updated'],
];

/** The users of each tenant; the first two log in with a password, the others only have tokens. */
const ROLES: readonly { name: string; purpose: UserPurpose }[] = [
  { name: 'alice', purpose: 'user' },
  { name: 'ivan', purpose: 'internal' },
  { name: 'bob', purpose: 'user' },
  { name: 'eve', purpose: 'external_api' },
  { name: 'carol', purpose: 'user' },
];

const REFRESH_CLIENT = 'fanout';

async function inBatches<T, R>(
  items: readonly T[],
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += BATCH)
    results.push(
      ...(await Promise.all(items.slice(start, start + BATCH).map((item, i) => run(item, start + i)))),
    );
  return results;
}

type Audience = 'master' | 'privileged' | 'user';

/** The routing class of websocket.md §5.2, from the token metadata at connect. */
function audienceOf({ owner, admin }: Client, master: string): Audience {
  if (owner.tenant === master) return 'master';
  return admin || owner.purpose === 'internal' || owner.purpose === 'external_api' ? 'privileged' : 'user';
}

/** The oracle: websocket.md §5.2 (class, tenant, user, name), then §5.3 (`required_acl` against the ACL). */
function mayReceive(client: Client, audience: Audience, event: ExpectedEvent, matcher: AclMatcher): boolean {
  if (!client.subscriptions.some((name) => name === '*' || name === event.name)) return false;
  if (audience !== 'master' && event.tenant !== client.owner.tenant) return false;
  if (audience === 'user' && event.user !== '*' && event.user !== client.owner.uuid) return false;
  return matcher.allows(event.requiredAcl);
}

const keyOf = (name: unknown, requiredAcl: unknown) => `${name} ${requiredAcl}`;

t.test('1,000 concurrent clients each receive exactly the events their token may see', async (t) => {
  const server = await startTestApp(t);
  const admin = await adminCaller(server);
  const master = await masterUuid(server.orm);
  const storeToken = tokenStore(server.orm);
  const newTenant = async (name: string, parent?: string) =>
    ok<{ uuid: string }>(await admin.post('/tenants', { name, slug: name.replaceAll('-', '') }, parent)).uuid;

  // Two sub-tenants, and a child of one of them, whose events its parent's connections must not see.
  const tenantA = await newTenant('fan-a');
  const tenantB = await newTenant('fan-b');
  const tenantA1 = await newTenant('fan-a1', tenantA);
  const tenants = [master, tenantA, tenantB, tenantA1];

  const users = new Map<string, User[]>();
  for (const [n, tenant] of tenants.entries()) {
    const members = await Promise.all(
      ROLES.map(async ({ name, purpose }, i) => {
        const username = `${name}-${n}`;
        const password = i < 2 ? { password: 'pw' } : {};
        const uuid = await createUser(server.orm, { username, purpose, tenant, ...password });
        return { uuid, tenant, purpose, username };
      }),
    );
    users.set(tenant, members);
  }
  const member = (tenant: string, role: string) =>
    users.get(tenant)![ROLES.findIndex((r) => r.name === role)]!;

  const started = Date.now();
  const clients = await inBatches(Array.from({ length: CLIENTS }), async (_, i): Promise<Client> => {
    const tenant = tenants[i % tenants.length]!;
    const owner = users.get(tenant)![Math.floor(i / tenants.length) % ROLES.length]!;
    const isAdmin = owner.purpose === 'user' && i % 13 === 0;
    const acl = ACLS[i % ACLS.length]!;
    const subscriptions = SUBSCRIPTIONS[i % SUBSCRIPTIONS.length]!;
    const version = i % 11 < 5 ? 1 : 2;
    const stored = await storeToken(owner, { acl, ...(isAdmin ? { metadata: { admin: true } } : {}) });
    const socket = await startedSession(t, server.base, stored.token, { version, subscribe: subscriptions });
    return { owner, admin: isAdmin, acl, subscriptions, version, stored, socket };
  });
  t.comment(`${CLIENTS} clients connected and started in ${Date.now() - started} ms`);

  // Tokens of passive users, bound to no socket: revoking them announces their sessions.
  const spares = new Map<string, StoredToken>();
  for (const tenant of tenants)
    for (const role of ['bob', 'carol'])
      spares.set(`${tenant}/${role}`, await storeToken(member(tenant, role), { acl: [] }));

  const expected: ExpectedEvent[] = [];
  let action = 0;
  /** One API call and the events it must commit. */
  const expect = (...events: Omit<ExpectedEvent, 'action'>[]) => {
    action++;
    for (const event of events) expected.push({ ...event, action });
  };
  const sessionEvent = (verb: 'created' | 'deleted', user: User, session: string) => ({
    name: `auth_session_${verb}`,
    tenant: user.tenant,
    user: user.uuid,
    requiredAcl: `events.auth.sessions.${session}.${verb}`,
  });
  const refreshEvent = (verb: 'created' | 'deleted', user: User) => ({
    name: `auth_refresh_token_${verb}`,
    tenant: user.tenant,
    user: user.uuid,
    requiredAcl: `events.auth.users.${user.uuid}.tokens.${REFRESH_CLIENT}.${verb}`,
  });
  const tenantEvent = (name: string, verb: string, tenant: string) => ({
    name,
    tenant,
    user: '*',
    requiredAcl: `events.auth.tenants.${tenant}.${verb}`,
  });
  const revoke = async (token: string) =>
    ok(await server.call({ method: 'DELETE', path: `/0.1/token/${token}` }));

  const triggered = Date.now();
  for (const tenant of tenants) {
    const alice = member(tenant, 'alice');
    const offline = await tokenFor(server, alice.username, 'pw', {
      access_type: 'offline',
      client_id: REFRESH_CLIENT,
    });
    expect(refreshEvent('created', alice), sessionEvent('created', alice, offline.session_uuid));

    // A refresh-token login: no password, a new session.
    const refreshed = ok<{ data: { session_uuid: string } }>(
      await server.call({
        method: 'POST',
        path: '/0.1/token',
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh_token: offline.refresh_token, client_id: REFRESH_CLIENT }),
      }),
    ).data;
    expect(sessionEvent('created', alice, refreshed.session_uuid));

    const ivan = member(tenant, 'ivan');
    const privileged = await tokenFor(server, ivan.username, 'pw');
    expect(sessionEvent('created', ivan, privileged.session_uuid));
    await revoke(privileged.token);
    expect(sessionEvent('deleted', ivan, privileged.session_uuid));

    for (const role of ['bob', 'carol']) {
      const spare = spares.get(`${tenant}/${role}`)!;
      await revoke(spare.token);
      expect(sessionEvent('deleted', member(tenant, role), spare.session));
    }

    ok(await admin.put(`/tenants/${tenant}`, undefined, { name: `renamed-${tenant.slice(0, 8)}` }));
    expect(tenantEvent('auth_tenant_updated', 'updated', tenant));

    // The access tokens it minted (the offline login's and the refresh login's) go with it (ours).
    const deleted = await admin.delete(`/users/${alice.uuid}/tokens/${REFRESH_CLIENT}`);
    t.equal(deleted.status, 204, 'refresh token deleted');
    expect(
      sessionEvent('deleted', alice, offline.session_uuid),
      sessionEvent('deleted', alice, refreshed.session_uuid),
      refreshEvent('deleted', alice),
    );
  }
  // A grandchild of the master tenant, created from B: events of its own tenant, not B's.
  const tenantC = await newTenant('fan-c', tenantB);
  expect(tenantEvent('auth_tenant_added', 'created', tenantC));
  t.equal((await admin.delete(`/tenants/${tenantC}`)).status, 204, 'tenant deleted');
  expect(tenantEvent('auth_tenant_deleted', 'deleted', tenantC));
  t.comment(`${action} API calls, ${expected.length} events, in ${Date.now() - triggered} ms`);

  // Every event was handed to the connections before its API call answered: a round trip through
  // each connection now brings all of them in.
  const received = await inBatches(clients, (client) => client.socket.drain(20_000));

  const actionOf = new Map(expected.map((event) => [keyOf(event.name, event.requiredAcl), event.action]));
  const mismatches: object[] = [];
  const deliveries = { master: 0, privileged: 0, user: 0 };
  let silent = 0;
  for (const [i, client] of clients.entries()) {
    const matcher = new AclMatcher(client.acl, {
      authId: client.owner.uuid,
      sessionUuid: client.stored.session,
    });
    const audience = audienceOf(client, master);
    const want = expected
      .filter((event) => mayReceive(client, audience, event, matcher))
      .map((event) => keyOf(event.name, event.requiredAcl));
    const frames = received[i]!;
    const wrongShape = frames.filter((frame: Frame) =>
      client.version === 2 ? frame.op !== 'event' || frame.code !== 0 : 'op' in frame,
    );
    const got = frames.map((frame) => {
      const body = eventBody(frame);
      return keyOf(body.name, body.required_acl);
    });
    const order = got.map((key) => actionOf.get(key) ?? -1);
    const inOrder = order.every((value, j) => j === 0 || value >= order[j - 1]!);
    if (wrongShape.length > 0 || !inOrder || [...got].sort().join() !== [...want].sort().join()) {
      mismatches.push({
        client: i,
        tenant: tenants.indexOf(client.owner.tenant),
        owner: client.owner.username,
        admin: client.admin,
        version: client.version,
        acl: client.acl,
        subscriptions: client.subscriptions,
        missing: want.filter((key) => !got.includes(key)),
        unexpected: got.filter((key) => !want.includes(key)),
        duplicates: got.filter((key, j) => got.indexOf(key) !== j),
        inOrder,
        wrongShape: wrongShape.slice(0, 2),
      });
    }
    deliveries[audience] += want.length;
    if (want.length === 0) silent++;
  }
  t.comment(`expected deliveries by class: ${JSON.stringify(deliveries)}; ${silent} clients expect none`);
  t.same(mismatches.slice(0, 20), [], `every client got exactly its events (${mismatches.length} did not)`);
  t.equal(mismatches.length, 0);

  // The oracle must not be vacuous: each class has deliveries, and some clients must stay silent.
  t.ok(deliveries.master > 0 && deliveries.privileged > 0 && deliveries.user > 0, 'each class gets events');
  t.ok(silent > 0 && silent < CLIENTS, 'some clients, not all, expect nothing');
  t.ok(
    clients.every((client) => client.socket.isOpen),
    'every connection is still open',
  );
});
