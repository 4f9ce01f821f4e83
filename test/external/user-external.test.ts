// GET /users/{user_uuid}/external (every enabled type, flagged per user) and GET /external/{auth_type}/users
// (the connected users that have a blob) — external-auth.md §1, §2, §3.2, §3.4.
import t from 'tap';
import type { Caller } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';
import {
  enablePlugins,
  errorBody,
  errors,
  expectNoServerError,
  expectStatus,
  loggedIn,
  mobileBlob,
  setUp,
  startExternalApp,
  storedBlobs,
  UNKNOWN,
} from './support.js';

type Item = {
  type: string;
  enabled: boolean;
  data: Record<string, unknown>;
  plugin_info: Record<string, unknown>;
};
type ItemList = { total: number; filtered: number; items: Item[] };
type UserList = { total: number; filtered: number; items: { uuid: string }[] };

const item = (type: string, enabled = false): Item => ({ type, enabled, data: {}, plugin_info: {} });
const STOCK = ['google', 'microsoft', 'mobile'];
const allDisabled = (types = STOCK): ItemList => ({
  total: types.length,
  filtered: types.length,
  items: types.map((type) => item(type)),
});

t.test('GET /users/{u}/external and GET /external/{type}/users', async (t) => {
  const server = await startExternalApp(t);
  const { admin, tree } = await setUp(server);
  const { child, grandchild, sibling } = tree;

  /** A user of `tenant`, with a mobile blob written through the API, logged in when `login`. */
  const user = async (username: string, { tenant, blob = true, login = true } = {} as UserOptions) => {
    const uuid = await createUser(server.orm, {
      username,
      password: 'pw',
      ...(tenant === undefined ? {} : { tenant }),
    });
    if (blob)
      expectStatus(await admin.post(`/users/${uuid}/external/mobile`, { token: username }), 201, username);
    const token = login ? (await tokenFor(server, username, 'pw')).token : null;
    return { uuid, token };
  };
  type UserOptions = { tenant?: string; blob?: boolean; login?: boolean };

  const alice = await user('alice');
  const bob = await user('bob', { login: false });
  const carol = await user('carol', { blob: false });
  const zed = await user('zed', { tenant: child });
  const gus = await user('gus', { tenant: grandchild });
  const sam = await user('sam', { tenant: sibling });
  const childAdmin = await loggedIn(server, 'child-admin', ['auth.#'], child);

  const external = async (as: Caller, uuid: string, query = '', tenant?: string): Promise<ItemList> => {
    const res = await as.get(`/users/${uuid}/external${query}`, tenant);
    return expectStatus<ItemList>(res, 200, `/users/${uuid}/external${query}`);
  };
  const connected = async (
    type: string,
    query = '',
    tenant?: string,
    as: Caller = admin,
  ): Promise<UserList> =>
    expectStatus<UserList>(
      await as.get(`/external/${type}/users${query}`, tenant),
      200,
      `${type} users${query}`,
    );
  const uuids = (body: UserList) => body.items.map((entry) => entry.uuid).sort();

  t.test('a user without blob: every enabled type, disabled, data and plugin_info {}', async (t) => {
    const res = await admin.get(`/users/${carol.uuid}/external`);
    t.equal(res.status, 200);
    const body = res.json<ItemList>();
    t.strictSame(Object.keys(body).sort(), ['filtered', 'items', 'total']);
    t.strictSame(body, allDisabled());
    t.strictSame(Object.keys(body.items[0]!).sort(), ['data', 'enabled', 'plugin_info', 'type']);
  });

  t.test('a stored blob flags its type, its data hidden', async (t) => {
    t.strictSame(await external(admin, alice.uuid), {
      total: 3,
      filtered: 3,
      items: [item('google'), item('microsoft'), item('mobile', true)],
    });
    t.strictSame(
      await external(admin, alice.uuid.toUpperCase()),
      await external(admin, alice.uuid),
      'an upper-case UUID is the same user',
    );
    t.strictSame(
      (await external(admin, gus.uuid)).items.map((i) => i.enabled),
      [false, false, true],
      'a user of a descendant tenant',
    );
    t.strictSame(
      (await external(childAdmin, gus.uuid)).items.map((i) => i.enabled),
      [false, false, true],
      'seen from its parent tenant',
    );
    t.strictSame(
      (await external(admin, zed.uuid, '', child)).items.map((i) => i.enabled),
      [false, false, true],
      'with Wazo-Tenant',
    );
  });

  t.test('unknown and invisible users: 200, every type disabled', async (t) => {
    t.strictSame(await external(admin, UNKNOWN), allDisabled(), 'unknown');
    t.strictSame(await external(childAdmin, sam.uuid), allDisabled(), 'a sibling tenant user with a blob');
    t.strictSame(await external(childAdmin, alice.uuid), allDisabled(), 'a parent tenant user with a blob');
    t.strictSame(
      await external(admin, sam.uuid, '', child),
      allDisabled(),
      'outside the Wazo-Tenant subtree',
    );
    const refused = await admin.get(`/users/${alice.uuid}/external`, UNKNOWN);
    t.equal(refused.status, 401, 'an unknown Wazo-Tenant');
    t.strictSame(errorBody(refused), errors.unauthorizedTenant(UNKNOWN));
  });

  t.test('list parameters: search, type, direction, limit, offset, recurse', async (t) => {
    const types = (body: ItemList) => body.items.map((i) => i.type);
    for (const [query, expected, filtered] of [
      ['?search=MOB', ['mobile'], 1],
      ['?search=o', ['google', 'microsoft', 'mobile'], 3],
      ['?search=i', ['microsoft', 'mobile'], 2],
      ['?search=m%20e', ['mobile'], 1],
      ['?search=e%20m', [], 0],
      ['?search=nothing', [], 0],
      ['?type=google', ['google'], 1],
      ['?type=goo', [], 0],
      ['?type=Google', [], 0],
      ['?order=type', ['google', 'microsoft', 'mobile'], 3],
      ['?direction=desc', ['mobile', 'microsoft', 'google'], 3],
      ['?order=type&direction=asc', ['google', 'microsoft', 'mobile'], 3],
      ['?limit=1', ['google'], 3],
      ['?limit=2&offset=1', ['microsoft', 'mobile'], 3],
      ['?offset=2', ['mobile'], 3],
      ['?offset=5', [], 3],
      ['?direction=desc&limit=1&offset=1', ['microsoft'], 3],
      ['?search=i&limit=1&direction=desc', ['mobile'], 2],
      ['?recurse=true', ['google', 'microsoft', 'mobile'], 3],
      ['?unknown=1', ['google', 'microsoft', 'mobile'], 3],
    ] as const) {
      const body = await external(admin, alice.uuid, query);
      t.strictSame(types(body), expected, query);
      t.strictSame([body.total, body.filtered], [3, filtered], `${query}: total, filtered`);
    }
    t.strictSame(
      (await external(admin, alice.uuid, '?type=mobile')).items,
      [item('mobile', true)],
      'filters keep the flag',
    );
    for (const query of [
      '?order=name',
      '?direction=up',
      '?limit=-1',
      '?limit=abc',
      '?offset=-1',
      '?offset=x',
      '?recurse=perhaps',
    ]) {
      const res = await admin.get(`/users/${alice.uuid}/external${query}`);
      t.equal(res.status, 400, query);
      const error = errorBody(res);
      t.match(error, { error_id: 'invalid-list-param', resource: 'users' }, query);
      t.strictSame(error.details, {}, `${query}: details`);
      const param = query.slice(1).split('=')[0]!;
      t.strictSame(
        Object.keys(error.message as object),
        [param],
        `${query}: the message names the parameter`,
      );
    }
  });

  t.test('ACL auth.users.{user_uuid}.external.read', async (t) => {
    const self = await loggedIn(server, 'self', ['auth.users.me.external.read']);
    t.strictSame(await external(self, self.uuid), allDisabled(), 'its own, through "me"');
    const other = await self.get(`/users/${alice.uuid}/external`);
    t.equal(other.status, 401);
    t.strictSame(
      errorBody(other),
      errors.missingAccess(self.token, `auth.users.${alice.uuid}.external.read`),
      'not the others',
    );
    const nothing = await loggedIn(server, 'nothing', []);
    const own = await nothing.get(`/users/${nothing.uuid}/external`);
    t.equal(own.status, 401);
    t.strictSame(
      errorBody(own),
      errors.missingAccess(nothing.token, `auth.users.${nothing.uuid}.external.read`),
    );
  });

  t.test('a type created by a config POST is disabled: not listed', async (t) => {
    expectStatus(await admin.post('/external/foo/config', { client_id: 'foo' }), 201, 'POST foo config');
    t.strictSame(await external(admin, alice.uuid), {
      total: 3,
      filtered: 3,
      items: [item('google'), item('microsoft'), item('mobile', true)],
    });
    const filtered = await external(admin, alice.uuid, '?type=foo');
    t.strictSame([filtered.total, filtered.filtered, filtered.items], [3, 0, []]);
    t.strictSame(
      await connected('foo'),
      { total: 0, filtered: 0, items: [] },
      'GET /external/foo/users: 200',
    );
    t.strictSame(await connected('foo', '?recurse=true'), { total: 0, filtered: 0, items: [] });
  });

  t.test('GET /external/{type}/users: users with a blob and a live session', async (t) => {
    const res = await admin.get('/external/mobile/users');
    t.equal(res.status, 200);
    const body = res.json<UserList>();
    t.strictSame(body, { total: 1, filtered: 1, items: [{ uuid: alice.uuid }] }, 'alice; not bob nor carol');
    const all = await connected('mobile', '?recurse=true');
    t.strictSame(uuids(all), [alice.uuid, zed.uuid, gus.uuid, sam.uuid].sort(), 'recurse: every descendant');
    t.strictSame([all.total, all.filtered], [4, 4]);
    t.strictSame(uuids(await connected('mobile', '?recurse=false')), [alice.uuid]);
    t.strictSame(uuids(await connected('mobile', '', child)), [zed.uuid], 'Wazo-Tenant');
    t.strictSame(uuids(await connected('mobile', '?recurse=true', child)), [zed.uuid, gus.uuid].sort());
    t.strictSame(
      uuids(await connected('mobile', '', undefined, childAdmin)),
      [zed.uuid],
      "the caller's tenant",
    );
    t.strictSame(uuids(await connected('mobile', '', sibling)), [sam.uuid]);
    t.strictSame(await connected('google', '?recurse=true'), { total: 0, filtered: 0, items: [] }, 'no blob');
    t.strictSame(
      await connected('mobile', '?direction=desc&search=x&recurse=false'),
      body,
      'direction and search are accepted and not applied',
    );

    const first = await connected('mobile', '?recurse=true&limit=2');
    t.equal(first.items.length, 2, 'limit');
    t.strictSame([first.total, first.filtered], [4, 4], 'limit: the counts are not paged');
    const rest = await connected('mobile', '?recurse=true&limit=2&offset=2');
    t.equal(rest.items.length, 2, 'offset');
    t.strictSame([rest.total, rest.filtered], [4, 4]);
    t.strictSame((await connected('mobile', '?recurse=true&offset=3')).items.length, 1);
    t.strictSame((await connected('mobile', '?recurse=true&offset=4')).items, []);
  });

  t.test('GET /external/{type}/users follows the sessions', async (t) => {
    t.notOk(uuids(await connected('mobile')).includes(bob.uuid), 'bob never logged in');
    const issued = await tokenFor(server, 'bob', 'pw');
    t.strictSame(uuids(await connected('mobile')), [alice.uuid, bob.uuid].sort(), 'bob logged in');
    const revoked = await server.call({ method: 'DELETE', path: `/0.1/token/${issued.token}` });
    t.equal(revoked.status, 200, 'DELETE /token');
    t.strictSame(uuids(await connected('mobile')), [alice.uuid], 'bob logged out');
    expectStatus(await admin.delete(`/users/${alice.uuid}/external/mobile`), 204, 'DELETE the blob');
    t.strictSame(await connected('mobile'), { total: 0, filtered: 0, items: [] }, 'alice has no blob');
    expectStatus(await admin.post(`/users/${alice.uuid}/external/mobile`, { token: 'again' }), 201, 'POST');
    t.strictSame(uuids(await connected('mobile')), [alice.uuid]);
  });

  t.test('GET /external/{type}/users: errors and ACL', async (t) => {
    const unknown = await admin.get('/external/nope/users');
    t.equal(unknown.status, 404);
    t.strictSame(errorBody(unknown), errors.unknownType('nope'));
    const refused = await admin.get('/external/mobile/users', 'garbage');
    t.equal(refused.status, 401);
    t.strictSame(errorBody(refused), errors.unauthorizedTenant('garbage'));
    const outside = await childAdmin.get('/external/mobile/users?recurse=true', sibling);
    t.equal(outside.status, 401);
    t.strictSame(errorBody(outside), errors.unauthorizedTenant(sibling));
    const bad = await admin.get('/external/mobile/users?limit=-1');
    t.equal(bad.status, 400);
    t.match(errorBody(bad), { error_id: 'invalid-list-param', resource: 'users' });
    t.equal((await admin.get('/external/mobile/users?recurse=perhaps')).status, 400);

    const reader = await loggedIn(server, 'users-reader', ['auth.mobile.external.users.read']);
    t.strictSame(uuids(await connected('mobile', '', undefined, reader)), [alice.uuid]);
    const google = await reader.get('/external/google/users');
    t.equal(google.status, 401);
    t.strictSame(errorBody(google), errors.missingAccess(reader.token, 'auth.google.external.users.read'));
    const legacy = await loggedIn(server, 'legacy-acl', ['auth.mobile.external.users']);
    const res = await legacy.get('/external/mobile/users');
    t.equal(res.status, 401, "the doc's ACL is not the code's");
    t.strictSame(errorBody(res), errors.missingAccess(legacy.token, 'auth.mobile.external.users.read'));
  });

  t.test('deleting a user deletes its blobs', async (t) => {
    t.equal((await storedBlobs(server.orm, zed.uuid)).length, 1);
    expectStatus(await admin.delete(`/users/${zed.uuid}`), 204, 'DELETE /users');
    t.strictSame(await storedBlobs(server.orm, zed.uuid), []);
    t.strictSame(uuids(await connected('mobile', '', child)), [], 'no longer listed');
    t.strictSame(await external(admin, zed.uuid), allDisabled());
    const kept = (await storedBlobs(server.orm)).map((row) => row.data as { token: string });
    t.strictSame(
      kept.sort((a, b) => a.token.localeCompare(b.token)),
      ['again', 'bob', 'gus', 'sam'].map((token) => mobileBlob({ token })),
      'the others are kept',
    );
  });

  expectNoServerError(t, server);
});

t.test('enabled_external_auth_plugins decides which types are listed', async (t) => {
  const server = await startExternalApp(t, enablePlugins({ google: true, microsoft: false, mobile: true }));
  const { admin } = await setUp(server);
  const res = await admin.get(`/users/${admin.uuid}/external`);
  t.equal(res.status, 200);
  t.strictSame(res.json(), allDisabled(['google', 'mobile']));
  const filtered = expectStatus<ItemList>(
    await admin.get(`/users/${admin.uuid}/external?type=microsoft`),
    200,
  );
  t.strictSame([filtered.total, filtered.filtered, filtered.items], [2, 0, []]);
  expectStatus(await admin.post(`/users/${admin.uuid}/external/mobile`, {}), 201, 'POST mobile');
  t.strictSame(expectStatus<ItemList>(await admin.get(`/users/${admin.uuid}/external`), 200), {
    total: 2,
    filtered: 2,
    items: [item('google'), item('mobile', true)],
  });
  expectNoServerError(t, server);
});
