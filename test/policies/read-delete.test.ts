// GET /policies, GET and DELETE /policies/{policy_uuid|policy_slug} (policies.md §2–§4).
import t from 'tap';
import { Access, Group, Policy, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  createPolicy,
  legacyError,
  type PolicyBody,
  userCaller,
} from '../helpers/callers.js';
import { createTenant, masterUuid } from '../helpers/fixtures.js';

type PolicyList = { items: PolicyBody[]; total: number };

t.test('policies: visibility, exposed fields, read and delete', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const master = await masterUuid(orm);
  const child = await createTenant(orm, 'child');
  const grandchild = await createTenant(orm, 'grandchild', child);
  const sibling = await createTenant(orm, 'sibling');

  const create = async (name: string, tenant: string, extra: object = {}): Promise<PolicyBody> => {
    return createPolicy(admin, { name, slug: name, acl: [`${name}.read`], ...extra }, tenant);
  };
  const mOwn = await create('m_own', master, { description: 'master only' });
  const mShared = await create('m_shared', master, { shared: true });
  const cOwn = await create('c_own', child);
  const cShared = await create('c_shared', child, { shared: true, description: 'for the child subtree' });
  await create('g_own', grandchild);
  await create('s_own', sibling);
  // Policies of the `default_policies` configuration: owned by master, visible everywhere.
  const em = orm.em.fork();
  const config = em.create(Policy, {
    name: 'm_config',
    slug: 'm_config',
    tenant: master,
    configManaged: true,
  });
  config.accesses.add(em.create(Access, { access: 'm_config.read' }));
  await em.flush();
  // The seed's policy and the admin's own policy are master's too.
  const seeded = ['policy-', 'wazo_default_master_user_policy'];

  const list = async (query: string, tenant?: string): Promise<PolicyList> => {
    const res = await admin.get(`/policies${query}`, tenant);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
    return res.json<PolicyList>();
  };
  const namesOf = (body: PolicyList) =>
    body.items.map((p) => p.name).filter((name) => !seeded.some((prefix) => name.startsWith(prefix)));
  const byName = (body: PolicyList, name: string) => body.items.find((p) => p.name === name)!;

  t.test('what each tenant sees, sorted by name', async (t) => {
    const fromMaster = await list('');
    t.strictSame(Object.keys(fromMaster), ['items', 'total'], 'no filtered key');
    t.strictSame(namesOf(fromMaster), ['m_config', 'm_own', 'm_shared']);
    t.equal(fromMaster.total, 5);
    t.strictSame(namesOf(await list('?recurse=true')), [
      'c_own',
      'c_shared',
      'g_own',
      'm_config',
      'm_own',
      'm_shared',
      's_own',
    ]);
    t.strictSame(namesOf(await list('', child)), ['c_own', 'c_shared', 'm_config', 'm_shared']);
    t.strictSame(namesOf(await list('?recurse=true', child)), [
      'c_own',
      'c_shared',
      'g_own',
      'm_config',
      'm_shared',
    ]);
    t.strictSame(namesOf(await list('', grandchild)), ['c_shared', 'g_own', 'm_config', 'm_shared']);
    t.strictSame(namesOf(await list('', sibling)), ['m_config', 'm_shared', 's_own']);
  });

  t.test('exposed tenant, read_only and shared depend on the scoping tenant', async (t) => {
    const exposed = (p: PolicyBody) => [p.tenant_uuid, p.read_only, p.shared];
    const fromMaster = await list('');
    t.strictSame(exposed(byName(fromMaster, 'm_own')), [master, false, false]);
    t.strictSame(exposed(byName(fromMaster, 'm_shared')), [master, false, true]);
    t.strictSame(exposed(byName(fromMaster, 'm_config')), [master, true, false]);
    const fromChild = await list('', child);
    t.strictSame(exposed(byName(fromChild, 'm_shared')), [child, true, false], 'inherited');
    t.strictSame(exposed(byName(fromChild, 'm_config')), [child, true, false]);
    t.strictSame(exposed(byName(fromChild, 'c_shared')), [child, false, true]);
    t.strictSame(exposed(byName(await list('', grandchild), 'c_shared')), [grandchild, true, false]);
    t.strictSame(exposed(byName(await list('?recurse=true', child), 'g_own')), [grandchild, false, false]);
    t.strictSame(byName(fromChild, 'm_shared').acl, ['m_shared.read']);
  });

  t.test('read_only filter; total ignores it and every other filter', async (t) => {
    const own = await list('?read_only=false', child);
    t.strictSame(namesOf(own), ['c_own', 'c_shared']);
    t.equal(own.total, 4);
    t.strictSame(namesOf(await list('?read_only=true', child)), ['m_config', 'm_shared']);
    // Upstream lists config-managed and master's shared policies only: not c_shared, inherited too.
    t.strictSame(namesOf(await list('?read_only=true', grandchild)), ['m_config', 'm_shared']);
    t.strictSame(
      namesOf(await list('?read_only=false')),
      ['m_config', 'm_own', 'm_shared'],
      'master owns config',
    );
    const invalid = await admin.get('/policies?read_only=perhaps');
    t.equal(invalid.status, 400);
    t.strictSame(apiError(invalid).message, {
      read_only: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' },
    });
  });

  t.test('filters, search, sorting and paging', async (t) => {
    const group = orm.em.fork();
    const g = group.create(Group, { name: 'team', slug: 'team', tenant: child });
    g.policies.add(group.getReference(Policy, cOwn.uuid));
    await group.flush();
    const adminPolicy = await orm.em.fork().findOneOrFail(Policy, { users: admin.uuid });
    for (const [query, tenant, expected] of [
      [`?tenant_uuid=${master}`, child, ['m_config', 'm_shared']],
      [`?uuid=${cShared.uuid}`, child, ['c_shared']],
      ['?name=c_own', child, ['c_own']],
      ['?slug=m_shared', child, ['m_shared']],
      [`?group_uuid=${g.uuid}`, child, ['c_own']],
      [`?user_uuid=${admin.uuid}`, master, [adminPolicy.name]],
      ['?search=SUBTREE', child, ['c_shared']],
      ['?search=m%20only', master, ['m_own']],
      ['?search=SHARED&recurse=true', master, ['c_shared', 'm_shared']],
    ] as const) {
      const body = await list(query, tenant);
      t.strictSame(
        body.items.map((p) => p.name),
        expected,
        query,
      );
      const everything = await list(query.includes('recurse') ? '?recurse=true' : '', tenant);
      t.equal(body.total, everything.total, `${query}: total`);
    }
    t.strictSame(namesOf(await list('?order=slug&direction=desc', child)), [
      'm_shared',
      'm_config',
      'c_shared',
      'c_own',
    ]);
    const [described, ...nulls] = namesOf(await list('?order=description', child));
    t.equal(described, 'c_shared', 'null descriptions last');
    t.strictSame(nulls.sort(), ['c_own', 'm_config', 'm_shared']);
    const page = await list('?limit=2&offset=1', child);
    t.strictSame(
      page.items.map((p) => p.name),
      ['c_shared', 'm_config'],
    );
    t.equal(page.total, 4);
  });

  t.test('sorting by read_only is a legacy 400; other bad parameters are invalid-list-param', async (t) => {
    const readOnly = await admin.get('/policies?order=read_only');
    t.equal(readOnly.status, 400);
    t.strictSame(legacyError(readOnly), { reason: 'Invalid sort column: read_only', status_code: 400 });
    const acl = await admin.get('/policies?order=acl');
    t.equal(acl.status, 400);
    t.strictSame(apiError(acl), {
      message: {
        order: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['name', 'slug', 'description', 'uuid', 'read_only'] },
            message: 'Must be one of: name, slug, description, uuid, read_only.',
          },
        ],
      },
      error_id: 'invalid-list-param',
      details: {},
      resource: 'users',
    });
    t.equal((await admin.get('/policies?limit=x')).status, 400);
    // List parameters are read before Wazo-Tenant.
    t.equal((await admin.get('/policies?limit=x', 'garbage')).status, 400);
    t.equal((await admin.get('/policies', 'garbage')).status, 401);
  });

  t.test('GET one: by UUID over the subtree, by slug in the scoping tenant only', async (t) => {
    const get = (ref: string, tenant?: string) => admin.get(`/policies/${ref}`, tenant);
    const cOwnFromMaster = await get(cOwn.uuid);
    t.equal(cOwnFromMaster.status, 200);
    t.strictSame(cOwnFromMaster.json(), cOwn);
    t.equal((await get(cOwn.uuid.toUpperCase())).status, 200, 'upper-case UUID');

    const hidden = await get(mOwn.uuid, child);
    t.equal(hidden.status, 404, 'a child never sees a non-shared policy of its parent');
    t.strictSame(legacyError(hidden), {
      reason: `No such policy {'uuid': '${mOwn.uuid}'}`,
      status_code: 404,
    });
    const inherited = await get(mShared.uuid, child);
    t.strictSame(
      [inherited.status, inherited.json<PolicyBody>().tenant_uuid, inherited.json<PolicyBody>().read_only],
      [200, child, true],
    );

    const bySlug = await get('c_own');
    t.equal(bySlug.status, 404, "a child's slug is not searched from its parent");
    t.strictSame(legacyError(bySlug), { reason: "No such policy {'slug': 'c_own'}", status_code: 404 });
    t.strictSame((await get('c_own', child)).json(), cOwn);
    t.equal((await get('m_shared', grandchild)).json<PolicyBody>().uuid, mShared.uuid, 'inherited by slug');
    t.equal((await get('m_config', sibling)).status, 200);
    t.equal((await get('C_OWN', child)).status, 404, 'slugs are matched exactly');
    t.strictSame(legacyError(await get('%23')), { reason: "No such policy {'slug': '#'}", status_code: 404 });
    for (const path of ['', 'a%2Fb']) {
      const unmatched = await get(path);
      t.equal(unmatched.status, 404, `/policies/${path}`);
      t.equal(unmatched.headers['content-type'], 'text/html; charset=utf-8', 'no such route upstream');
    }
    const unknown = '00000000-0000-4000-8000-000000000000';
    t.strictSame(legacyError(await get(unknown)), {
      reason: `No such policy {'uuid': '${unknown}'}`,
      status_code: 404,
    });
  });

  t.test('the required ACL names the canonical UUID, or the slug', async (t) => {
    const reader = await userCaller(server, 'one-reader', [
      `auth.policies.${mOwn.uuid}.read`,
      'auth.policies.m_shared.read',
    ]);
    t.equal((await reader.get(`/policies/${mOwn.uuid.toUpperCase()}`)).status, 200);
    t.equal((await reader.get('/policies/m_shared')).status, 200);
    const refused = await reader.get(`/policies/${mShared.uuid}`);
    t.equal(refused.status, 401);
    t.equal(
      (apiError(refused).details as { required_access: string }).required_access,
      `auth.policies.${mShared.uuid}.read`,
    );
  });

  t.test('DELETE: may-remove guard, read-only 403, then 204', async (t) => {
    const limited = await userCaller(server, 'limited', ['auth.#', 'c_own.#', '!s_own.read']);
    const escalation = await limited.delete(`/policies/${mOwn.uuid}`);
    t.equal(escalation.status, 401);
    t.strictSame(apiError(escalation), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: { invalid_token: limited.token, required_access: 'm_own.read' },
    });
    // The guard runs before the read-only check.
    t.equal((await limited.delete(`/policies/${config.uuid}`)).status, 401);
    // Removing `!x` takes `x`, which a caller denied `x` does not have.
    const negative = await create('negative', master, { acl: ['!s_own.read'] });
    const denied = await limited.delete(`/policies/${negative.uuid}`);
    t.equal(denied.status, 401);
    t.equal((apiError(denied).details as { required_access: string }).required_access, '!s_own.read');

    const configDelete = await admin.delete(`/policies/${config.uuid}`);
    t.equal(configDelete.status, 403);
    t.strictSame(legacyError(configDelete), {
      reason: `Forbidden policy deletion: "${config.uuid}"`,
      status_code: 403,
    });
    const inherited = await admin.delete(`/policies/${mShared.uuid}`, child);
    t.equal(inherited.status, 403);
    t.equal(legacyError(inherited).reason, `Forbidden policy deletion: "${mShared.uuid}"`);
    t.equal((await admin.delete(`/policies/${mOwn.uuid}`, child)).status, 404);

    const linked = orm.em.fork();
    (await linked.findOneOrFail(User, { uuid: admin.uuid })).policies.add(
      linked.getReference(Policy, cOwn.uuid),
    );
    await linked.flush();
    const deleted = await limited.delete(`/policies/${cOwn.uuid}`);
    t.equal(deleted.status, 204);
    t.equal(deleted.text, '');
    t.equal((await admin.get(`/policies/${cOwn.uuid}`)).status, 404);
    t.equal(await orm.em.fork().count(Policy, { uuid: cOwn.uuid }), 0);
    t.equal(await orm.em.fork().count(Access, { access: 'c_own.read' }), 1, 'access strings stay');
    t.equal((await admin.delete(`/policies/${cOwn.uuid}`)).status, 404, 'already deleted');

    t.equal((await admin.delete('/policies/g_own')).status, 404, 'by slug: the scoping tenant only');
    t.equal((await admin.delete('/policies/g_own', grandchild)).status, 204);
    t.equal((await admin.delete(`/policies/${mShared.uuid}`)).status, 204, 'shared, from its owner');
  });
});
