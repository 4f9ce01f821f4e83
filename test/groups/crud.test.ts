// POST|GET /groups, GET|PUT|DELETE /groups/{uuid} (groups.md §1, §2; conventions.md §3, §5, §6).
import t from 'tap';
import { allUsersGroupName, Group, Policy, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { apiError, legacyError, sender, unknownError, userCaller } from '../helpers/callers.js';
import { createTenant } from '../helpers/fixtures.js';
import { expectNoServerError, type GroupBody, type GroupList, newGroup, setUp, UNKNOWN } from './support.js';

const WRITTEN_KEYS = ['uuid', 'tenant_uuid', 'name', 'slug', 'read_only', 'system_managed'];
const READ_KEYS = ['uuid', 'name', 'slug', 'tenant_uuid', 'system_managed', 'read_only'];

t.test('groups: create, read, list, update, delete', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const { admin, tree } = await setUp(server);
  const { master, child, grandchild, sibling } = tree;
  const countGroups = () => orm.em.fork().count(Group, {});
  const allUsers = (tenant: string) =>
    orm.em.fork().findOneOrFail(Group, { name: allUsersGroupName(tenant) });
  const put = (uuid: string, body: unknown, tenant?: string) => admin.put(`/groups/${uuid}`, tenant, body);
  const list = async (query = '', tenant?: string): Promise<GroupList> => {
    const res = await admin.get(`/groups${query}`, tenant);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
    return res.json<GroupList>();
  };
  const names = (body: GroupList) => body.items.map((group) => group.name);

  t.test('POST: the created group, its derived slug, the owner from Wazo-Tenant', async (t) => {
    const res = await admin.post('/groups', { name: 'Acc Group 7!', tenant_uuid: sibling, unknown: 1 });
    t.equal(res.status, 200);
    const body = res.json<GroupBody>();
    t.strictSame(Object.keys(body), WRITTEN_KEYS);
    t.match(body.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    t.strictSame(
      { ...body, uuid: 'x' },
      {
        uuid: 'x',
        tenant_uuid: master,
        name: 'Acc Group 7!',
        slug: 'AccGroup7',
        read_only: false,
        system_managed: false,
      },
      'the body tenant_uuid and unknown keys are ignored',
    );
    const stored = await orm.em.fork().findOneOrFail(Group, { uuid: body.uuid });
    t.strictSame(
      [stored.name, stored.slug, stored.tenant.uuid, stored.systemManaged],
      ['Acc Group 7!', 'AccGroup7', master, false],
    );

    const inChild = await newGroup(admin, { name: 'staff', slug: 'staff_1-a' }, child);
    t.strictSame([inChild.tenant_uuid, inChild.slug], [child, 'staff_1-a']);
    const nullSlug = await newGroup(admin, { name: 'null slug', slug: null });
    t.equal(nullSlug.slug, 'nullslug', 'a null slug is generated');
    const long = await newGroup(admin, { name: `${'x'.repeat(100)} ${'y'.repeat(27)}` });
    t.equal(long.slug, 'x'.repeat(80), 'derived slugs are cut to 80');
    // As upstream (and as policies.md §1 says of policies): nothing left of the name is an empty slug.
    t.equal((await newGroup(admin, { name: '!!!' })).slug, '');
    t.match((await newGroup(admin, { name: '???' })).slug, /^[a-z0-9]{3}$/, 'then a random one');
  });

  t.test('POST: a derived slug already used falls back to a random one', async (t) => {
    await newGroup(admin, { name: 'dup slug' });
    const second = await newGroup(admin, { name: 'dup slug!' });
    t.not(second.slug, 'dupslug');
    t.match(second.slug, /^[a-z0-9]{3}$/);
    // Only in the same tenant: the child gets the derived slug.
    t.equal((await newGroup(admin, { name: 'dup slug!' }, child)).slug, 'dupslug');
  });

  t.test('POST: duplicates in the tenant are the legacy 409 naming the submitted name', async (t) => {
    await newGroup(admin, { name: 'team', slug: 'Team' });
    const before = await countGroups();
    for (const [body, why] of [
      [{ name: 'team' }, 'same name'],
      [{ name: 'team', slug: 'other' }, 'same name, another slug'],
      [{ name: 'another', slug: 'tEAM' }, 'same slug, case-insensitively'],
      [{ name: 'TEAM' }, 'a derived slug that clashes case-insensitively'],
    ] as const) {
      const res = await admin.post('/groups', body);
      t.equal(res.status, 409, why);
      t.strictSame(
        legacyError(res),
        { reason: `Group "${body.name}" already exists`, status_code: 409 },
        why,
      );
    }
    t.equal(await countGroups(), before, 'nothing created');
    t.equal(
      (await admin.post('/groups', { name: 'TEAM', slug: 'team2' })).status,
      200,
      'names are case-sensitive',
    );
    t.equal(
      (await admin.post('/groups', { name: 'team', slug: 'Team' }, child)).status,
      200,
      'another tenant',
    );
  });

  t.test('concurrent creations and renames onto one name: one wins, the others get the 409', async (t) => {
    const racers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => admin.post('/groups', { name: 'racer', slug: `racer${i}` })),
    );
    t.strictSame(racers.map((res) => res.status).sort(), [200, 409, 409, 409, 409, 409]);
    for (const res of racers.filter((res) => res.status === 409))
      t.strictSame(legacyError(res), { reason: 'Group "racer" already exists', status_code: 409 });
    t.equal(await orm.em.fork().count(Group, { name: 'racer' }), 1);
    const renamed = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const group = await newGroup(admin, { name: `renamer ${i}` });
        return put(group.uuid, { name: 'renamed' });
      }),
    );
    t.strictSame(renamed.map((res) => res.status).sort(), [200, 409, 409, 409]);
    t.equal(await orm.em.fork().count(Group, { name: 'renamed' }), 1);
  });

  t.test('POST: body validation, before the tenant, and nothing created', async (t) => {
    const before = await countGroups();
    const constraint = (constraint_id: string, constraint: unknown, message: string) => ({
      constraint_id,
      constraint,
      message,
    });
    const field = (message: string, constraint_id: string, constraint: unknown) => ({
      message,
      constraint_id,
      constraint,
    });
    const length128 = constraint('length', { min: 1, max: 128 }, 'Length must be between 1 and 128.');
    const length80 = constraint('length', { min: 1, max: 80 }, 'Length must be between 1 and 80.');
    const cases: [unknown, string, Record<string, unknown>][] = [
      [{}, 'name', field('Missing data for required field.', 'required', 'required')],
      [null, 'name', field('Missing data for required field.', 'required', 'required')],
      [{ slug: 'only-slug' }, 'name', field('Missing data for required field.', 'required', 'required')],
      [{ name: null }, 'name', field('Field may not be null.', 'not_null', 'not_null')],
      [{ name: 42 }, 'name', field('Not a valid string.', 'type', 'string')],
      [{ name: ['a'] }, 'name', field('Not a valid string.', 'type', 'string')],
      [{ name: '' }, 'name', length128],
      [{ name: 'n'.repeat(129) }, 'name', length128],
      [{ name: 'n'.repeat(100_000) }, 'name', length128],
      [
        { name: 'ok', slug: 'bad slug' },
        'slug',
        constraint('regex', '^[a-zA-Z0-9_-]+$', 'String does not match expected pattern.'),
      ],
      [{ name: 'ok', slug: '' }, 'slug', length80],
      [{ name: 'ok', slug: 's'.repeat(81) }, 'slug', length80],
      [{ name: 'ok', slug: 7 }, 'slug', field('Not a valid string.', 'type', 'string')],
      [{ name: 42, slug: 'bad slug' }, 'name', field('Not a valid string.', 'type', 'string')],
    ];
    for (const [body, key, details] of cases) {
      const res = await admin.post('/groups', body === null ? 'null' : body, 'garbage');
      t.equal(res.status, 400, JSON.stringify(body));
      t.strictSame(
        apiError(res),
        {
          message: details.message,
          error_id: 'invalid-data',
          details: { [key]: details },
          resource: 'groups',
        },
        JSON.stringify(body),
      );
    }
    for (const raw of ['[1]', '"text"', '12']) {
      const res = await admin.post('/groups', raw);
      t.equal(res.status, 400, raw);
      t.strictSame(apiError(res), {
        message: 'Invalid input type.',
        error_id: 'invalid-data',
        details: { _schema: { message: 'Invalid input type.' } },
        resource: 'groups',
      });
    }
    for (const raw of ['', '{"name": "broken"', 'name=x']) {
      const res = await admin.post('/groups', raw);
      t.equal(res.status, 400, `raw ${JSON.stringify(raw)}`);
      t.strictSame(res.json(), {
        message: 'The browser (or proxy) sent a request that this server could not understand.',
      });
    }
    const badTenant = await admin.post('/groups', { name: 'valid' }, 'garbage');
    t.equal(badTenant.status, 401, 'a valid body meets the tenant check');
    t.strictSame(apiError(badTenant), {
      message: 'Unauthorized tenant',
      error_id: 'unauthorized-tenant',
      details: { tenant_uuid: 'garbage' },
    });
    t.equal(await countGroups(), before, 'nothing created');
  });

  t.test('GET one: the created group, by any case of its UUID; unknown and malformed UUIDs', async (t) => {
    const created = await newGroup(admin, { name: 'readable', slug: 'readable' }, grandchild);
    const res = await admin.get(`/groups/${created.uuid.toUpperCase()}`);
    t.equal(res.status, 200);
    t.strictSame(Object.keys(res.json<object>()), READ_KEYS);
    t.same(res.json(), created, 'the same content as the creation answer');
    const all = await admin.get(`/groups/${(await allUsers(master)).uuid}`);
    t.strictSame(all.json(), {
      uuid: (await allUsers(master)).uuid,
      name: allUsersGroupName(master),
      slug: allUsersGroupName(master),
      tenant_uuid: master,
      system_managed: true,
      read_only: true,
    });
    const unknown = await admin.get(`/groups/${UNKNOWN}`);
    t.equal(unknown.status, 404);
    t.strictSame(apiError(unknown), unknownError('group', UNKNOWN));
    for (const path of [
      '/groups/not-a-uuid',
      `/groups/${UNKNOWN.replaceAll('-', '')}`,
      `/groups/${UNKNOWN}x`,
    ]) {
      const page = await admin.get(path);
      t.equal(page.status, 404, path);
      t.equal(page.headers['content-type'], 'text/html; charset=utf-8', path);
    }
  });

  t.test('GET list: scoping tenant, recurse, sorting, filters, search, paging', async (t) => {
    // A tenant of its own, so that the other tests' groups do not get in the way.
    const scope = await createTenant(orm, 'lists', child);
    const alpha = await newGroup(admin, { name: 'alpha', slug: 'a-slug' }, scope);
    const bravo = await newGroup(admin, { name: 'bravo two', slug: 'b-slug' }, scope);
    const charlie = await newGroup(admin, { name: 'charlie', slug: 'c-slug' }, scope);
    const everyone = await allUsers(scope);

    const own = await list('', scope);
    t.strictSame(Object.keys(await (await admin.get('/groups', scope)).json<object>()), [
      'total',
      'filtered',
      'items',
    ]);
    t.strictSame(Object.keys(own.items[0]!), READ_KEYS);
    t.strictSame(names(own), ['alpha', 'bravo two', 'charlie', everyone.name], 'sorted by name');
    t.equal(own.total, own.items.length);
    t.equal(own.filtered, own.total);
    t.strictSame(
      own.items[0],
      (await admin.get(`/groups/${alpha.uuid}`)).json(),
      'an item is the group object',
    );

    const masterOnly = await list();
    t.ok(
      masterOnly.items.every((group) => group.tenant_uuid === master),
      'no header: the master tenant only',
    );
    t.ok(names(masterOnly).includes(allUsersGroupName(master)));
    const everything = await list('?recurse=true');
    t.strictSame(
      [...new Set(everything.items.map((group) => group.tenant_uuid))].sort(),
      [master, child, grandchild, sibling, scope].sort(),
      'recurse from the master: every tenant',
    );
    const fromChild = await list('?recurse=yes', child);
    t.strictSame(
      [...new Set(fromChild.items.map((group) => group.tenant_uuid))].sort(),
      [child, grandchild, scope].sort(),
    );
    t.ok((await list('', child)).items.every((group) => group.tenant_uuid === child));

    const ordered = [alpha, bravo, charlie].map((group) => group.uuid).sort();
    const byUuid = await list(
      `?order=uuid&search=${encodeURIComponent('a')}&name=${encodeURIComponent('x')}`,
      scope,
    );
    t.strictSame(byUuid.items, [], 'filters combine');
    t.strictSame(
      (await list('?order=uuid&read_only=false', scope)).items.map((group) => group.uuid),
      ordered,
    );
    t.strictSame(names(await list('?direction=desc&read_only=0', scope)), ['charlie', 'bravo two', 'alpha']);

    for (const [query, expected] of [
      [`uuid=${bravo.uuid}`, ['bravo two']],
      ['name=alpha', ['alpha']],
      ['name=ALPHA', []],
      ['slug=c-slug', ['charlie']],
      ['slug=C-SLUG', []],
      ['read_only=true', [everyone.name]],
      ['read_only=1', [everyone.name]],
      ['search=BRAVO', ['bravo two']],
      ['search=br two', ['bravo two']],
      ['search=a_p', ['alpha'], '_ is a wildcard'],
      ['search=alpha charlie', []],
      [`user_uuid=${UNKNOWN}`, []],
      [`policy_uuid=${UNKNOWN}`, []],
      ['policy_slug=none', []],
      ['limit=1&search=a', ['alpha']],
      ['limit=1&offset=1&search=a', ['bravo two']],
      ['limit=0', []],
    ] as const) {
      t.strictSame(names(await list(`?${query}`, scope)), expected, query);
    }
    const readWrite = await list('?read_only=false', scope);
    t.notOk(names(readWrite).includes(everyone.name), 'read_only=false leaves the all-users group out');
    t.equal(readWrite.total, own.total);
    t.equal(readWrite.filtered, own.total - 1);
    const counted = await list('?search=AR&limit=0', scope);
    t.strictSame([counted.total, counted.filtered, counted.items.length], [4, 1, 0]);
    t.equal(
      (await list('?policy_uuid=', scope)).filtered,
      own.total,
      'an empty policy filter filters nothing',
    );
  });

  t.test('GET list: membership and policy filters', async (t) => {
    const em = orm.em.fork();
    const member = await em.findOneOrFail(User, { uuid: admin.uuid });
    const policy = em.create(Policy, { name: 'list-filter', slug: 'list_filter', tenant: master });
    const linked = em.create(Group, { name: 'linked', slug: 'linked', tenant: master });
    linked.users.add(member);
    linked.policies.add(policy);
    await em.flush();
    const everyone = (await allUsers(master)).name;
    t.strictSame(names(await list(`?user_uuid=${admin.uuid}`)), ['linked', everyone]);
    t.strictSame(names(await list(`?policy_uuid=${policy.uuid}`)), ['linked']);
    t.strictSame(names(await list('?policy_slug=list_filter')), ['linked']);
    t.strictSame(names(await list(`?policy_slug=list_filter&user_uuid=${UNKNOWN}`)), []);
  });

  t.test('GET list: parameter errors, the sort-column quirk, the order of checks', async (t) => {
    const invalid = async (query: string, message: unknown, tenant?: string) => {
      const res = await admin.get(`/groups?${query}`, tenant);
      t.equal(res.status, 400, query);
      t.strictSame(
        apiError(res),
        { message, error_id: 'invalid-list-param', details: {}, resource: 'users' },
        query,
      );
    };
    await invalid('order=bogus', {
      order: [
        {
          constraint_id: 'enum',
          constraint: { choices: ['name', 'slug', 'uuid', 'read_only'] },
          message: 'Must be one of: name, slug, uuid, read_only.',
        },
      ],
    });
    await invalid('read_only=maybe', {
      read_only: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' },
    });
    await invalid('recurse=perhaps', {
      recurse: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' },
    });
    await invalid('limit=-1', {
      limit: [
        { constraint_id: 'range', constraint: { min: 0 }, message: 'Must be greater than or equal to 0.' },
      ],
    });
    await invalid('limit=abc', {
      limit: { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' },
    });
    await invalid(
      'direction=up',
      {
        direction: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['asc', 'desc'] },
            message: 'Must be one of: asc, desc.',
          },
        ],
      },
      'garbage',
    );
    for (const column of ['slug', 'read_only']) {
      const res = await admin.get(`/groups?order=${column}`);
      t.equal(res.status, 400);
      t.strictSame(legacyError(res), { reason: `Invalid sort column: ${column}`, status_code: 400 });
      t.equal((await admin.get(`/groups?order=${column}`, 'garbage')).status, 401, 'the tenant comes first');
    }
  });

  t.test('PUT: rename, slug untouched, 404 before the body, 400, 403, 409', async (t) => {
    const group = await newGroup(admin, { name: 'before', slug: 'fixed' }, child);
    await newGroup(admin, { name: 'taken' }, child);
    await newGroup(admin, { name: 'elsewhere' }, sibling);
    const res = await put(group.uuid, { name: 'after', slug: 'ignored', tenant_uuid: sibling, extra: true });
    t.equal(res.status, 200);
    t.strictSame(Object.keys(res.json<object>()), WRITTEN_KEYS);
    t.strictSame(res.json(), { ...group, name: 'after' });
    t.same((await admin.get(`/groups/${group.uuid}`)).json(), { ...group, name: 'after' });
    t.equal((await put(group.uuid, { name: 'after' })).status, 200, 'its own name again');
    t.equal((await put(group.uuid, { name: 'elsewhere' })).status, 200, 'a name of another tenant');

    const taken = await put(group.uuid, { name: 'taken' });
    t.equal(taken.status, 409);
    t.strictSame(legacyError(taken), { reason: 'Group "taken" already exists', status_code: 409 });
    for (const [body, key, constraint_id] of [
      [{}, 'name', 'required'],
      [{ name: 7 }, 'name', 'type'],
      [{ name: null }, 'name', 'not_null'],
      [{ name: '' }, 'name', 'length'],
      [{ name: 'n'.repeat(129) }, 'name', 'length'],
      ['[1]', '_schema', undefined],
    ] as const) {
      const bad = await put(group.uuid, body);
      t.equal(bad.status, 400, JSON.stringify(body));
      const error = apiError(bad);
      t.equal(error.error_id, 'invalid-data');
      t.equal(error.resource, 'groups');
      t.equal(
        (error.details as Record<string, { constraint_id?: string }>)[key]?.constraint_id,
        constraint_id,
      );
    }
    t.equal((await put(group.uuid, '{')).status, 400, 'broken JSON on a visible group');
    t.equal((await orm.em.fork().findOneOrFail(Group, { uuid: group.uuid })).name, 'elsewhere', 'unchanged');

    t.equal(
      (await put(group.uuid, { name: 'elsewhere' }, child)).status,
      200,
      "Wazo-Tenant: the group's tenant",
    );
    for (const body of [{ name: 'valid' }, {}, '{']) {
      const hidden = await put(group.uuid, body, grandchild);
      t.equal(hidden.status, 404, `not visible from the grandchild: ${JSON.stringify(body)}`);
      t.equal(apiError(hidden).error_id, 'unknown-group');
    }
    t.equal((await put(UNKNOWN, {})).status, 404, 'unknown and an invalid body: 404');

    const everyone = await allUsers(child);
    const bad = await put(everyone.uuid, { name: 3 });
    t.equal(bad.status, 400, 'an invalid body on the all-users group is a 400');
    const forbidden = await put(everyone.uuid, { name: 'renamed' });
    t.equal(forbidden.status, 403);
    t.strictSame(apiError(forbidden), {
      message: `Forbidden group modification: "${everyone.uuid}"`,
      error_id: 'forbidden-group',
      details: { uuid: everyone.uuid },
      resource: 'groups',
    });
    t.equal((await allUsers(child)).name, allUsersGroupName(child), 'unchanged');
  });

  t.test('DELETE: cascades, 403 on the all-users group, 404 outside the visible tenants', async (t) => {
    const em = orm.em.fork();
    const group = await newGroup(admin, { name: 'doomed' }, child);
    const entity = await em.findOneOrFail(Group, { uuid: group.uuid });
    const member = em.create(User, { username: 'member-of-doomed', tenant: child, purpose: 'user' });
    const policy = em.create(Policy, { name: 'kept', slug: 'kept', tenant: child });
    entity.users.add(member);
    entity.policies.add(policy);
    await em.flush();

    const hidden = await admin.delete(`/groups/${group.uuid}`, sibling);
    t.equal(hidden.status, 404);
    t.strictSame(apiError(hidden), unknownError('group', group.uuid));
    const res = await admin.delete(`/groups/${group.uuid.toUpperCase()}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');
    const check = orm.em.fork();
    t.equal(await check.count(Group, { uuid: group.uuid }), 0);
    t.equal(await check.count(User, { uuid: member.uuid }), 1, 'members stay');
    t.equal(await check.count(Policy, { uuid: policy.uuid }), 1, 'policies stay');
    const pivots = await check.execute<{ n: string }[]>(
      `select (select count(*) from "auth_user_group" where "group_uuid" = ?) +
              (select count(*) from "auth_group_policy" where "group_uuid" = ?) as "n"`,
      [group.uuid, group.uuid],
    );
    t.equal(Number(pivots[0]!.n), 0, 'memberships and links cascade');
    t.equal((await admin.get(`/groups/${group.uuid}`)).status, 404);
    t.equal((await admin.delete(`/groups/${group.uuid}`)).status, 404, 'gone');

    const everyone = await allUsers(sibling);
    const forbidden = await admin.delete(`/groups/${everyone.uuid}`);
    t.equal(forbidden.status, 403);
    t.equal(apiError(forbidden).error_id, 'forbidden-group');
    t.equal(await check.count(Group, { uuid: everyone.uuid }), 1);
    t.equal(
      (await admin.delete(`/groups/${everyone.uuid}`, child)).status,
      404,
      'invisible comes before 403',
    );
  });
  expectNoServerError(t, server);
});

t.test('groups: the tenant-visibility matrix and the required ACL', async (t) => {
  const server = await startTestApp(t);
  const { admin, tree } = await setUp(server);
  const { master, child, grandchild, sibling } = tree;
  const groups = {
    master: await newGroup(admin, { name: 'g-master' }),
    child: await newGroup(admin, { name: 'g-child' }, child),
    grandchild: await newGroup(admin, { name: 'g-grandchild' }, grandchild),
    sibling: await newGroup(admin, { name: 'g-sibling' }, sibling),
  };
  const childAdmin = await userCaller(server, 'child-admin', ['auth.groups.#'], child);
  const plain = await userCaller(server, 'plain', [], child);

  const matrix: [string, typeof admin, string | undefined, Record<keyof typeof groups, number>][] = [
    ['master admin', admin, undefined, { master: 200, child: 200, grandchild: 200, sibling: 200 }],
    [
      'master admin, Wazo-Tenant: child',
      admin,
      child,
      { master: 404, child: 200, grandchild: 200, sibling: 404 },
    ],
    [
      'master admin, Wazo-Tenant: sibling',
      admin,
      sibling,
      { master: 404, child: 404, grandchild: 404, sibling: 200 },
    ],
    ['child admin', childAdmin, undefined, { master: 404, child: 200, grandchild: 200, sibling: 404 }],
    [
      'child admin, Wazo-Tenant: grandchild',
      childAdmin,
      grandchild,
      { master: 404, child: 404, grandchild: 200, sibling: 404 },
    ],
  ];
  for (const [who, caller, tenant, expected] of matrix) {
    for (const [where, group] of Object.entries(groups)) {
      const res = await caller.get(`/groups/${group.uuid}`, tenant);
      t.equal(res.status, expected[where as keyof typeof groups], `${who}: GET the ${where} group`);
      const rename = await caller.put(`/groups/${group.uuid}`, tenant, { name: group.name });
      t.equal(rename.status, expected[where as keyof typeof groups], `${who}: PUT the ${where} group`);
    }
  }
  const listed = async (caller: typeof admin, query: string, tenant?: string) =>
    (await caller.get(`/groups${query}`, tenant))
      .json<GroupList>()
      .items.map((group) => group.name)
      .filter((name) => name.startsWith('g-'));
  t.strictSame(await listed(childAdmin, ''), ['g-child']);
  t.strictSame(await listed(childAdmin, '?recurse=true'), ['g-child', 'g-grandchild']);
  t.strictSame(await listed(admin, '?recurse=true', grandchild), ['g-grandchild']);
  for (const tenant of [master, sibling, 'garbage', UNKNOWN]) {
    const refused = await childAdmin.get(`/groups/${groups.child.uuid}`, tenant);
    t.equal(refused.status, 401, `child admin, Wazo-Tenant ${tenant}`);
    t.strictSame(apiError(refused), {
      message: 'Unauthorized tenant',
      error_id: 'unauthorized-tenant',
      details: { tenant_uuid: tenant },
    });
    t.equal((await childAdmin.get('/groups', tenant)).status, 401);
    t.equal((await childAdmin.delete(`/groups/${groups.child.uuid}`, tenant)).status, 401);
  }
  for (const [where, group] of Object.entries(groups)) {
    const status = where === 'child' || where === 'grandchild' ? 204 : 404;
    t.equal(
      (await childAdmin.delete(`/groups/${group.uuid}`)).status,
      status,
      `child admin: DELETE ${where}`,
    );
  }
  t.equal(await server.orm.em.fork().count(Group, { name: { $in: ['g-master', 'g-sibling'] } }), 2, 'kept');

  const g = groups.master.uuid;
  const u = plain.uuid;
  for (const [method, path, required] of [
    ['GET', '/groups', 'auth.groups.read'],
    ['POST', '/groups', 'auth.groups.create'],
    ['GET', `/groups/${g}`, `auth.groups.${g}.read`],
    ['PUT', `/groups/${g}`, `auth.groups.${g}.update`],
    ['DELETE', `/groups/${g}`, `auth.groups.${g}.delete`],
    ['GET', `/groups/${g}/users`, `auth.groups.${g}.users.read`],
    ['PUT', `/groups/${g}/users/${u}`, `auth.groups.${g}.users.${u}.create`],
    ['DELETE', `/groups/${g}/users/${u}`, `auth.groups.${g}.users.${u}.delete`],
    ['GET', `/groups/${g}/policies`, `auth.groups.${g}.policies.read`],
    ['PUT', `/groups/${g}/policies/${UNKNOWN}`, `auth.groups.${g}.policies.${UNKNOWN}.create`],
    ['DELETE', `/groups/${g}/policies/some-slug`, `auth.groups.${g}.policies.some-slug.delete`],
    ['GET', `/users/${u}/groups`, `auth.users.${u}.groups.read`],
  ] as const) {
    // A broken body too, where a body is read: the ACL is checked first.
    const body = method === 'POST' || method === 'PUT' ? '{' : undefined;
    const lower = await sender(server, plain.token)(method, path, { body, tenant: sibling });
    t.equal(lower.status, 401, `${method} ${path}`);
    t.strictSame(
      apiError(lower),
      {
        message: 'Unauthorized',
        error_id: 'unauthorized',
        details: {
          invalid_token: plain.token,
          reason: 'missing_permission_or_invalid_tenant',
          required_access: required,
          tenant_uuid: sibling,
        },
      },
      `${method} ${path}`,
    );
    const anonymous = await server.call({ method, path: `/0.1${path}` });
    t.equal(anonymous.status, 401);
    t.strictSame(apiError(anonymous).details, {
      invalid_token: '',
      reason: 'not_found_or_expired',
      required_access: required,
    });
  }
  expectNoServerError(t, server);
});
