// GET /groups/{uuid}/users, PUT|DELETE /groups/{uuid}/users/{user_uuid}, GET /users/{uuid}/groups
// (groups.md §2, users.md §3), and what membership does to the next token (acl.md §5).
import t from 'tap';
import { allUsersGroupName, Group, User } from '../../src/entities/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { apiError, unknownError, userCaller } from '../helpers/callers.js';
import { tokenFor } from '../helpers/tokens.js';
import { expectNoServerError, type GroupBody, type GroupList, newGroup, setUp, UNKNOWN } from './support.js';

type UserItem = { uuid: string; username: string; tenant_uuid: string };
type UserList = { items: UserItem[]; total: number; filtered: number };

t.test('group members', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const { admin, tree } = await setUp(server);
  const { master, child, grandchild, sibling } = tree;
  const allUsers = (tenant: string) =>
    orm.em.fork().findOneOrFail(Group, { name: allUsersGroupName(tenant) });

  const newUser = async (body: object, tenant?: string): Promise<UserItem> => {
    const res = await admin.post('/users', body, tenant);
    if (res.status !== 200) throw new Error(res.text);
    return res.json<UserItem>();
  };
  const membersOf = async (group: string, query = '', tenant?: string): Promise<UserList> => {
    const res = await admin.get(`/groups/${group}/users${query}`, tenant);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
    return res.json<UserList>();
  };
  const usernames = (body: UserList) => body.items.map((user) => user.username);
  const memberships = (group: string) => orm.em.fork().count(User, { groups: group });

  const alice = await newUser({ username: 'alice', firstname: 'Alice', email_address: 'alice@example.com' });
  const bob = await newUser({ username: 'bob', lastname: 'Builder', purpose: 'external_api' });
  const zed = await newUser({ username: 'zed' }, child);
  const gus = await newUser({ username: 'gus' }, grandchild);
  const sam = await newUser({ username: 'sam' }, sibling);
  const team = await newGroup(admin, { name: 'team' });
  const childTeam = await newGroup(admin, { name: 'child team' }, child);
  const grandTeam = await newGroup(admin, { name: 'grand team' }, grandchild);

  t.test('PUT adds, twice is a no-op, any case of the UUIDs', async (t) => {
    const res = await admin.put(`/groups/${team.uuid}/users/${alice.uuid}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');
    t.equal(
      (await admin.put(`/groups/${team.uuid.toUpperCase()}/users/${alice.uuid.toUpperCase()}`)).status,
      204,
    );
    t.equal((await admin.put(`/groups/${team.uuid}/users/${bob.uuid}`)).status, 204);
    t.equal(await memberships(team.uuid), 2);
    t.equal(
      (await admin.put(`/groups/${childTeam.uuid}/users/${zed.uuid}`)).status,
      204,
      'a child tenant, no header',
    );
    t.equal(
      (await admin.put(`/groups/${grandTeam.uuid}/users/${gus.uuid}`, child)).status,
      204,
      'Wazo-Tenant',
    );
  });

  t.test('PUT errors in their order: user, group, tenants, system-managed', async (t) => {
    const before = await orm.em
      .fork()
      .execute<{ n: string }[]>('select count(*) as "n" from "auth_user_group"');
    const expectError = async (
      path: string,
      status: number,
      body: Record<string, unknown>,
      tenant?: string,
    ): Promise<void> => {
      const res = await admin.put(path, tenant);
      t.equal(res.status, status, path);
      t.strictSame(apiError(res), body, path);
    };
    await expectError(`/groups/${UNKNOWN}/users/${UNKNOWN}`, 404, unknownError('user', UNKNOWN));
    await expectError(`/groups/${UNKNOWN}/users/${alice.uuid}`, 404, unknownError('group', UNKNOWN));
    await expectError(
      `/groups/${childTeam.uuid}/users/${alice.uuid}`,
      404,
      unknownError('user', alice.uuid),
      child,
    );
    await expectError(`/groups/${team.uuid}/users/${zed.uuid}`, 404, unknownError('group', team.uuid), child);
    await expectError(`/groups/${team.uuid}/users/${zed.uuid}`, 400, {
      message: 'Ressources are not in the same tenant',
      error_id: 'missmatching-tenant',
      details: { user_tenant_uuid: child, group_tenant_uuid: master },
      resource: 'groups',
    });
    await expectError(`/groups/${childTeam.uuid}/users/${gus.uuid}`, 400, {
      message: 'Ressources are not in the same tenant',
      error_id: 'missmatching-tenant',
      details: { user_tenant_uuid: grandchild, group_tenant_uuid: child },
      resource: 'groups',
    });
    const everyone = await allUsers(master);
    const forbidden = {
      message: `Forbidden group modification: "${everyone.uuid}"`,
      error_id: 'forbidden-group',
      details: { uuid: everyone.uuid },
      resource: 'groups',
    };
    await expectError(`/groups/${everyone.uuid}/users/${alice.uuid}`, 403, forbidden);
    const outsider = orm.em.fork();
    outsider.create(User, { username: 'not-in-all-users', tenant: master, purpose: 'user' });
    await outsider.flush();
    const loner = await outsider.findOneOrFail(User, { username: 'not-in-all-users' });
    await expectError(`/groups/${everyone.uuid}/users/${loner.uuid}`, 403, forbidden);
    const header = await admin.put(`/groups/${team.uuid}/users/${alice.uuid}`, 'garbage');
    t.equal(header.status, 401);
    t.equal(apiError(header).error_id, 'unauthorized-tenant');
    const after = await orm.em
      .fork()
      .execute<{ n: string }[]>('select count(*) as "n" from "auth_user_group"');
    t.equal(after[0]!.n, before[0]!.n, 'no membership changed');
  });

  t.test('GET members: user objects, list parameters, no tenant and no existence check', async (t) => {
    const body = await membersOf(team.uuid);
    t.strictSame(Object.keys(body), ['items', 'total', 'filtered']);
    t.strictSame(usernames(body), ['alice', 'bob']);
    t.strictSame([body.total, body.filtered], [2, 2]);
    t.strictSame(body.items[0], (await admin.get(`/users/${alice.uuid}`)).json(), 'the user object');
    for (const [query, expected, filtered] of [
      ['?direction=desc', ['bob', 'alice'], 2],
      ['?search=BUILD', ['bob'], 1],
      ['?search=example', ['alice'], 1],
      [`?uuid=${bob.uuid}`, ['bob'], 1],
      ['?username=alice', ['alice'], 1],
      ['?firstname=Alice', ['alice'], 1],
      ['?lastname=Builder', ['bob'], 1],
      ['?purpose=external_api', ['bob'], 1],
      ['?email_address=alice@example.com', ['alice'], 1],
      [`?group_uuid=${team.uuid}`, ['alice', 'bob'], 2],
      [`?group_uuid=${childTeam.uuid}`, [], 0],
      ['?limit=1&offset=1', ['bob'], 2],
      ['?limit=0', [], 2],
    ] as const) {
      const res = await membersOf(team.uuid, query);
      t.strictSame(usernames(res), expected, query);
      t.strictSame([res.total, res.filtered], [2, filtered], `${query}: counts`);
    }
    const badOrder = await admin.get(`/groups/${team.uuid}/users?order=firstname`);
    t.equal(badOrder.status, 400);
    t.strictSame(apiError(badOrder), {
      message: {
        order: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['username'] },
            message: 'Must be one of: username.',
          },
        ],
      },
      error_id: 'invalid-list-param',
      details: {},
      resource: 'users',
    });
    t.strictSame((await admin.get(`/groups/${UNKNOWN}/users`)).json(), { items: [], total: 0, filtered: 0 });
    t.strictSame(
      (await membersOf(team.uuid, '', child)).items,
      [],
      'seen from a child tenant (Wazo-Tenant), a group of its parent has no members',
    );
    const childAdmin = await userCaller(server, 'child-reader', ['auth.groups.#'], child);
    const parentGroup = await childAdmin.get(`/groups/${team.uuid}/users`);
    t.strictSame(
      parentGroup.json(),
      { items: [], total: 0, filtered: 0 },
      "a child tenant's admin does not read its parent's group members (ours; upstream does)",
    );
    const everyone = await membersOf((await allUsers(child)).uuid);
    t.strictSame(
      usernames(everyone),
      ['child-reader', 'zed'],
      'every user of the tenant is a member of its all-users group',
    );
  });

  t.test(
    'GET /users/{uuid}/groups: its groups, all-users included, list parameters, visibility',
    async (t) => {
      const res = await admin.get(`/users/${alice.uuid}/groups`);
      t.equal(res.status, 200);
      const body = res.json<GroupList>();
      t.strictSame(Object.keys(body), ['items', 'total', 'filtered']);
      const everyone = await allUsers(master);
      t.strictSame(
        body.items.map((group) => group.name),
        ['team', everyone.name],
      );
      t.strictSame(Object.keys(body.items[0]!), [
        'uuid',
        'name',
        'slug',
        'tenant_uuid',
        'system_managed',
        'read_only',
      ]);
      t.strictSame(body.items[1], (await admin.get(`/groups/${everyone.uuid}`)).json());
      t.strictSame([body.total, body.filtered], [2, 2]);
      const query = async (q: string) =>
        (await admin.get(`/users/${alice.uuid}/groups${q}`)).json<GroupList>();
      const fresh = await newUser({ username: 'fresh' }, sibling);
      t.strictSame(
        (await admin.get(`/users/${fresh.uuid}/groups`)).json<GroupList>().items.map((g) => g.name),
        [allUsersGroupName(sibling)],
        'a fresh user is in its all-users group',
      );
      for (const [q, expected, filtered] of [
        ['?search=TE', ['team', everyone.name], 2],
        ['?search=tea', ['team'], 1],
        ['?name=team', ['team'], 1],
        [`?uuid=${everyone.uuid}`, [everyone.name], 1],
        [`?user_uuid=${alice.uuid}`, ['team', everyone.name], 2],
        [`?user_uuid=${bob.uuid}`, ['team', everyone.name], 2],
        [`?user_uuid=${zed.uuid}`, [], 0],
        ['?direction=desc&limit=1', [everyone.name], 2],
      ] as const) {
        const got = await query(q);
        t.strictSame(
          got.items.map((group) => group.name),
          expected,
          q,
        );
        t.strictSame([got.total, got.filtered], [2, filtered], `${q}: counts`);
      }
      const byUuid = await query('?order=uuid');
      t.strictSame(
        byUuid.items.map((group) => group.uuid),
        [team.uuid, everyone.uuid].sort(),
      );
      const badOrder = await admin.get(`/users/${alice.uuid}/groups?order=slug`);
      t.equal(badOrder.status, 400);
      t.strictSame(apiError(badOrder).message, {
        order: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['name', 'uuid'] },
            message: 'Must be one of: name, uuid.',
          },
        ],
      });
      for (const [uuid, tenant] of [
        [UNKNOWN, undefined],
        [alice.uuid, child],
        [sam.uuid, child],
      ] as const) {
        const hidden = await admin.get(`/users/${uuid}/groups`, tenant);
        t.equal(hidden.status, 404);
        t.strictSame(apiError(hidden), unknownError('user', uuid));
      }
      t.equal((await admin.get(`/users/${gus.uuid}/groups`, child)).status, 200, 'a descendant is visible');
      t.equal((await admin.get(`/users/${gus.uuid}/groups`, 'garbage')).status, 401);
      t.equal(
        (await admin.get('/users/not-a-uuid/groups')).headers['content-type'],
        'text/html; charset=utf-8',
      );
    },
  );

  t.test('DELETE removes; not a member is a 204; unknown user 404; user not scoped', async (t) => {
    const res = await admin.delete(`/groups/${team.uuid}/users/${bob.uuid.toUpperCase()}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');
    t.strictSame(usernames(await membersOf(team.uuid)), ['alice']);
    t.equal(
      (await admin.delete(`/groups/${team.uuid}/users/${bob.uuid}`)).status,
      204,
      'not a member any more',
    );
    const noUser = await admin.delete(`/groups/${team.uuid}/users/${UNKNOWN}`);
    t.equal(noUser.status, 404);
    t.strictSame(apiError(noUser), unknownError('user', UNKNOWN));
    const noGroup = await admin.delete(`/groups/${UNKNOWN}/users/${alice.uuid}`);
    t.equal(noGroup.status, 404);
    t.equal(apiError(noGroup).error_id, 'unknown-group');
    const hidden = await admin.delete(`/groups/${team.uuid}/users/${alice.uuid}`, child);
    t.equal(hidden.status, 404, 'the group must be visible');
    t.equal(apiError(hidden).error_id, 'unknown-group');

    const everyone = await allUsers(master);
    const forbidden = await admin.delete(`/groups/${everyone.uuid}/users/${alice.uuid}`);
    t.equal(forbidden.status, 403);
    t.equal(apiError(forbidden).error_id, 'forbidden-group');
    t.equal(
      (await admin.delete(`/groups/${everyone.uuid}/users/${UNKNOWN}`)).status,
      403,
      '403 before the user',
    );

    // A member from outside the caller's tenants (written directly: the API refuses it) is still removed.
    const em = orm.em.fork();
    (await em.findOneOrFail(Group, { uuid: childTeam.uuid })).users.add(em.getReference(User, alice.uuid));
    await em.flush();
    const mixed = await membersOf(childTeam.uuid);
    t.strictSame(usernames(mixed), ['alice', 'zed'], 'listed with the other members');
    t.strictSame([mixed.total, mixed.filtered], [2, 2]);
    const childAdmin = await userCaller(server, 'child-admin', ['auth.groups.#'], child);
    t.equal((await childAdmin.delete(`/groups/${childTeam.uuid}/users/${alice.uuid}`)).status, 204);
    t.strictSame(usernames(await membersOf(childTeam.uuid)), ['zed']);
    t.equal((await childAdmin.delete(`/groups/${team.uuid}/users/${alice.uuid}`)).status, 404);
    t.strictSame(usernames(await membersOf(team.uuid)), ['alice'], 'unchanged');
    for (const path of [
      `/groups/${team.uuid}/users/not-a-uuid`,
      `/groups/not-a-uuid/users/${alice.uuid}`,
      '/groups/not-a-uuid/users',
    ]) {
      const page = await admin.delete(path);
      t.equal(page.status, 404, path);
      t.equal(page.headers['content-type'], 'text/html; charset=utf-8', path);
      t.equal((await admin.put(path)).headers['content-type'], 'text/html; charset=utf-8', path);
    }
  });
  expectNoServerError(t, server);
});

t.test('a group policy reaches a member at its next login, not its current token', async (t) => {
  const server = await startTestApp(t);
  const { admin } = await setUp(server);
  const login = async (): Promise<{ token: string; acl: string[] }> => {
    const res = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic('member', 'secret') },
      body: '{}',
    });
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ data: { token: string; acl: string[] } }>().data;
  };
  const aclOf = async (token: string) =>
    (await server.call({ path: `/0.1/token/${token}` })).json<{ data: { acl: string[] } }>().data.acl;
  const scopeCheck = async (token: string, scope: string) =>
    (await server.call({ path: `/0.1/token/${token}?scope=${scope}` })).status;

  const created = await admin.post('/users', { username: 'member', password: 'secret' });
  t.equal(created.status, 200);
  const member = created.json<{ uuid: string }>().uuid;
  const policy = await admin.post('/policies', {
    name: 'callers',
    acl: ['calld.calls.read', 'calld.calls.create'],
  });
  const policyUuid = policy.json<{ uuid: string }>().uuid;
  const group: GroupBody = await newGroup(admin, { name: 'call-centre' });
  t.equal((await admin.put(`/groups/${group.uuid}/policies/${policyUuid}`)).status, 204);

  const before = await login();
  t.strictSame(before.acl, [], 'not a member yet');
  t.equal((await admin.put(`/groups/${group.uuid}/users/${member}`)).status, 204);
  t.strictSame(await aclOf(before.token), [], 'the existing token keeps its ACL');
  t.equal(await scopeCheck(before.token, 'calld.calls.read'), 403);

  const after = await login();
  t.strictSame([...after.acl].sort(), ['calld.calls.create', 'calld.calls.read'], 'the next login has it');
  t.equal(await scopeCheck(after.token, 'calld.calls.read'), 200);

  // The all-users group: a policy attached to it reaches every user of the tenant at the next login.
  const everyone = await server.orm.em
    .fork()
    .findOneOrFail(Group, { name: allUsersGroupName(group.tenant_uuid) });
  const shared = await admin.post('/policies', { name: 'everyone', acl: ['chatd.#'] });
  const sharedUuid = shared.json<{ uuid: string }>().uuid;
  t.equal((await admin.put(`/groups/${everyone.uuid}/policies/${sharedUuid}`)).status, 204);
  t.ok((await login()).acl.includes('chatd.#'));
  t.notOk((await aclOf(after.token)).includes('chatd.#'));

  t.equal((await admin.delete(`/groups/${group.uuid}/users/${member}`)).status, 204);
  t.strictSame((await login()).acl, ['chatd.#'], 'removed from the group: gone at the next login');
  t.equal(await scopeCheck(after.token, 'calld.calls.read'), 200, 'still there on the token issued before');
  const token = await tokenFor(server, 'member', 'secret');
  t.equal(await scopeCheck(token.token, 'calld.calls.read'), 403);
  expectNoServerError(t, server);
});
