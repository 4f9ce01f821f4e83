// GET /users, GET /users/{uuid}, DELETE /users/{uuid} (users.md §3, conventions.md §3, §5).
import t from 'tap';
import { allUsersGroupName, Email, Group, Policy, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, USER_KEYS, unknownError, userCaller } from '../helpers/callers.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

type UserItem = { uuid: string; username: string | null; emails: { address: string }[] };
type UserList = { total: number; filtered: number; items: UserItem[] };

t.test('users: list, read, delete', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const em = orm.em.fork();
  const master = (await em.findOneOrFail(User, { uuid: admin.uuid })).tenant.uuid;
  const child = await createTenant(orm, 'child');
  const grandchild = await createTenant(orm, 'grandchild', child);
  const sibling = await createTenant(orm, 'sibling');

  const created = async (body: object, tenant?: string): Promise<UserItem> => {
    const res = await admin.post('/users', body, tenant);
    if (res.status !== 200) throw new Error(res.text);
    return res.json<UserItem>();
  };
  const alice = await created({
    username: 'alice',
    firstname: 'Alice',
    lastname: 'Liddell',
    email_address: 'alice@wonder.land',
  });
  const bob = await created({ username: 'bob', lastname: 'Builder', purpose: 'external_api' });
  await created({ username: 'carol', firstname: 'Carol', lastname: 'Jones' });
  const zed = await created({ username: 'zed', firstname: 'Zed' }, child);
  const gus = await created({ username: 'gus' }, grandchild);
  await created({ username: 'sam' }, sibling);

  const list = async (query = '', tenant?: string): Promise<UserList> => {
    const res = await admin.get(`/users${query}`, tenant);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
    return res.json<UserList>();
  };
  const names = (body: UserList) => body.items.map((user) => user.username);
  const uuidOf = (username: string) => (username === 'admin' ? admin.uuid : bob.uuid);

  t.test('the scoping tenant only, sorted by username; recurse adds its subtree', async (t) => {
    const own = await list();
    t.strictSame(names(own), ['admin', 'alice', 'bob', 'carol']);
    t.equal(own.total, 4);
    t.equal(own.filtered, 4);
    t.strictSame(Object.keys(await (await admin.get('/users')).json<object>()), [
      'total',
      'filtered',
      'items',
    ]);
    const item = own.items[1]!;
    t.strictSame(Object.keys(item), USER_KEYS);
    t.strictSame(item, (await admin.get(`/users/${alice.uuid}`)).json(), 'the list item is the user object');

    const all = await list('?recurse=true');
    t.strictSame(names(all), ['admin', 'alice', 'bob', 'carol', 'gus', 'sam', 'zed']);
    t.equal(all.total, 7);
    t.strictSame(names(await list('', child)), ['zed']);
    t.strictSame(names(await list('?recurse=yes', child)), ['gus', 'zed']);
    t.strictSame(names(await list('?recurse=1', grandchild)), ['gus']);
  });

  t.test('a sub-tenant caller sees neither its parent nor its siblings', async (t) => {
    const childAdmin = await userCaller(server, 'child-admin', ['auth.users.#'], child);
    const res = await childAdmin.get('/users?recurse=true');
    t.strictSame(names(res.json<UserList>()), ['child-admin', 'gus', 'zed']);
    for (const tenant of [master, sibling, 'garbage']) {
      const refused = await childAdmin.get('/users', tenant);
      t.equal(refused.status, 401);
      t.strictSame(apiError(refused), {
        message: 'Unauthorized tenant',
        error_id: 'unauthorized-tenant',
        details: { tenant_uuid: tenant },
      });
    }
    const notVisible = await childAdmin.get(`/users/${alice.uuid}`);
    t.equal(notVisible.status, 404);
    t.strictSame(apiError(notVisible), unknownError('user', alice.uuid));
    t.equal((await childAdmin.get(`/users/${gus.uuid}`)).status, 200, 'a descendant is visible');
    t.equal((await childAdmin.delete(`/users/${alice.uuid}`)).status, 404);
    t.equal(await orm.em.fork().count(User, { uuid: alice.uuid }), 1, 'not deleted');
    await orm.em.fork().nativeDelete(User, { uuid: childAdmin.uuid });
  });

  t.test('sorting: order, direction, nulls last ascending and first descending', async (t) => {
    // admin and bob have no firstname: their relative order is the uuid tie-breaker.
    const nulls = ['admin', 'bob'].sort((a, b) => (uuidOf(a) < uuidOf(b) ? -1 : 1));
    t.strictSame(names(await list('?order=firstname')), ['alice', 'carol', ...nulls]);
    t.strictSame(names(await list('?order=firstname&direction=desc')), [...nulls, 'carol', 'alice']);
    t.strictSame(names(await list('?order=lastname&direction=asc')), ['bob', 'carol', 'alice', 'admin']);
    t.strictSame(names(await list('?direction=desc')), ['carol', 'bob', 'alice', 'admin']);
  });

  t.test('search: each column separately, addresses included, case-insensitive', async (t) => {
    const found = async (search: string) => names(await list(`?search=${encodeURIComponent(search)}`));
    t.strictSame(await found('car ol'), ['carol']);
    t.strictSame(await found('carol jones'), [], 'a search never spans two columns');
    t.strictSame(await found('WONDER'), ['alice'], 'addresses');
    t.strictSame(await found('build'), ['bob']);
    t.strictSame(await found('a_i'), ['alice'], '_ is a wildcard');
    t.strictSame(
      await found(''),
      ['admin', 'alice', 'bob', 'carol'],
      'an empty search matches non-null columns',
    );
    const counted = await list('?search=o');
    t.strictSame([counted.total, counted.filtered], [4, 3], 'carol, bob and alice@wonder.land');
  });

  t.test('exact filters', async (t) => {
    const policy = await orm.em.fork().findOneOrFail(Policy, { users: admin.uuid });
    const group = await orm.em.fork().findOneOrFail(Group, { name: allUsersGroupName(master) });
    const viaGroup = orm.em.fork();
    const groupPolicy = viaGroup.create(Policy, { name: 'via-group', slug: 'via_group', tenant: master });
    (await viaGroup.findOneOrFail(Group, { uuid: group.uuid })).policies.add(groupPolicy);
    await viaGroup.flush();

    for (const [query, expected] of [
      [`uuid=${bob.uuid}`, ['bob']],
      ['username=alice', ['alice']],
      ['username=Alice', []],
      ['firstname=Carol', ['carol']],
      ['lastname=Builder', ['bob']],
      ['purpose=external_api', ['bob']],
      ['purpose=admin', []],
      ['email_address=alice@wonder.land', ['alice']],
      ['email_address=ALICE@wonder.land', []],
      [`group_uuid=${group.uuid}`, ['admin', 'alice', 'bob', 'carol']],
      [`policy_uuid=${policy.uuid}`, ['admin']],
      [`policy_slug=${policy.slug}`, ['admin']],
      [`policy_uuid=${groupPolicy.uuid}`, []],
      [`has_policy_uuid=${groupPolicy.uuid}`, ['admin', 'alice', 'bob', 'carol']],
      ['has_policy_slug=via_group', ['admin', 'alice', 'bob', 'carol']],
      [`has_policy_uuid=${policy.uuid}`, ['admin']],
      ['username=alice&search=bob', []],
      ['unknown=x', ['admin', 'alice', 'bob', 'carol']],
    ] as const) {
      const body = await list(`?${query}`);
      t.strictSame(names(body), expected, query);
      t.equal(body.total, 4, `${query}: total ignores filters`);
      t.equal(body.filtered, expected.length, `${query}: filtered`);
    }
  });

  t.test('paging: limit and offset apply to items only', async (t) => {
    const page = await list('?limit=2&offset=1');
    t.strictSame(names(page), ['alice', 'bob']);
    t.strictSame([page.total, page.filtered], [4, 4]);
    t.strictSame(names(await list('?offset=3')), ['carol']);
    const none = await list('?limit=0');
    t.strictSame(none, { total: 4, filtered: 4, items: [] });
  });

  t.test('bad list parameters: invalid-list-param naming every one', async (t) => {
    const refused = async (query: string) => {
      const res = await admin.get(`/users?${query}`);
      t.equal(res.status, 400, query);
      const body = apiError(res);
      t.equal(body.error_id, 'invalid-list-param');
      t.strictSame(body.details, {});
      t.equal(body.resource, 'users');
      return body.message;
    };
    t.strictSame(await refused('limit=abc'), {
      limit: { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' },
    });
    t.strictSame(await refused('offset=-1'), {
      offset: [
        { constraint_id: 'range', constraint: { min: 0 }, message: 'Must be greater than or equal to 0.' },
      ],
    });
    t.strictSame(await refused('order=email'), {
      order: [
        {
          constraint_id: 'enum',
          constraint: { choices: ['username', 'firstname', 'lastname'] },
          message: 'Must be one of: username, firstname, lastname.',
        },
      ],
    });
    t.strictSame(await refused('recurse=perhaps'), {
      recurse: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' },
    });
    t.strictSame(Object.keys((await refused('direction=up&limit=-1')) as object), ['direction', 'limit']);
  });

  t.test('GET one: visible tenants, UUID case, unknown users', async (t) => {
    const res = await admin.get(`/users/${zed.uuid.toUpperCase()}`);
    t.equal(res.status, 200);
    t.equal(res.json<UserItem>().username, 'zed', 'a child tenant user, upper-case UUID');
    t.equal((await admin.get(`/users/${zed.uuid}`, sibling)).status, 404, 'outside the scoping subtree');
    const missing = '00000000-0000-4000-8000-000000000000';
    const unknown = await admin.get(`/users/${missing}`);
    t.equal(unknown.status, 404);
    t.equal(apiError(unknown).message, `No such user: "${missing}"`);
    const notUuid = await admin.get('/users/not-a-uuid');
    t.equal(notUuid.status, 404);
    t.equal(notUuid.headers['content-type'], 'text/html; charset=utf-8');
    const reader = await userCaller(server, 'reader', [`auth.users.${alice.uuid}.read`]);
    t.equal((await reader.get(`/users/${alice.uuid}`)).status, 200);
    const refused = await reader.get(`/users/${bob.uuid}`);
    t.equal(refused.status, 401);
    t.equal(
      (apiError(refused).details as { required_access: string }).required_access,
      `auth.users.${bob.uuid}.read`,
    );
  });

  t.test('DELETE: 204, cascades, its tokens revoked (unlike upstream)', async (t) => {
    const victim = await createUser(orm, {
      username: 'victim',
      password: 'pw',
      acl: ['x.y'],
      email: { address: 'victim@example.com', confirmed: true },
    });
    const { token } = await tokenFor(server, 'victim', 'pw');
    const res = await admin.delete(`/users/${victim}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');
    const check = orm.em.fork();
    t.equal(await check.count(User, { uuid: victim }), 0);
    t.equal(await check.count(Email, { address: 'victim@example.com' }), 0);
    t.equal(await check.count(Group, { users: victim }), 0);
    t.equal(await check.count(Policy, { name: `policy-${victim}` }), 1, 'its policy stays, unlinked');
    t.equal(await check.count(Policy, { users: victim }), 0);
    t.equal((await server.call({ path: `/0.1/token/${token}` })).status, 404, 'its token is revoked at once');
    t.equal((await server.call({ path: `/0.1/token/${admin.token}` })).status, 200, "the admin's stays");
    const again = await admin.delete(`/users/${victim}`);
    t.equal(again.status, 404);
    t.equal(apiError(again).error_id, 'unknown-user');
    t.equal((await admin.delete(`/users/${gus.uuid}`, grandchild)).status, 204, 'from its own tenant');
  });
});
