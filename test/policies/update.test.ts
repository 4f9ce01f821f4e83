// PUT /policies/{policy_uuid|policy_slug} (policies.md §1, §4; acl.md §4, §5).
import t from 'tap';
import { Access, Policy } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  createPolicy,
  legacyError,
  POLICY_KEYS,
  type PolicyBody,
  userCaller,
} from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import type { ClientResponse } from '../helpers/http.js';
import { tokenFor } from '../helpers/tokens.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const BAD_BODY = { message: 'The browser (or proxy) sent a request that this server could not understand.' };

/** A policy with its ACL sorted: the order of entries is not part of the contract. */
const sorted = (policy: PolicyBody): PolicyBody => ({ ...policy, acl: [...policy.acl].sort() });

t.test('PUT /policies/{policy}', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const master = await masterUuid(orm);
  const child = await createTenant(orm, 'child');

  const create = (body: object, tenant?: string) => createPolicy(admin, body, tenant);
  const put = (ref: string, body: unknown, tenant?: string) => admin.put(`/policies/${ref}`, tenant, body);
  const read = async (ref: string, tenant?: string) =>
    (await admin.get(`/policies/${ref}`, tenant)).json<PolicyBody>();
  const refusedWith = (res: ClientResponse) => ({ status: res.status, ...legacyError(res) });

  t.test('a full replacement: omitted fields reset, slug and shared ignored', async (t) => {
    const policy = await create({
      name: 'agents',
      slug: 'agents',
      description: 'call centre',
      acl: ['calld.read', 'confd.read'],
      shared: true,
    });
    const res = await put(policy.uuid, {
      name: 'Agents 2',
      acl: ['confd.read', 'chatd.#', 'chatd.#', '!chatd.admin'],
      slug: 'renamed',
      shared: false,
      tenant_uuid: child,
      read_only: true,
    });
    t.equal(res.status, 200);
    const body = res.json<PolicyBody>();
    t.strictSame(Object.keys(body), POLICY_KEYS);
    t.strictSame(sorted(body), {
      uuid: policy.uuid,
      tenant_uuid: master,
      name: 'Agents 2',
      slug: 'agents',
      description: null,
      acl: ['!chatd.admin', 'chatd.#', 'confd.read'],
      read_only: false,
      shared: true,
    });
    t.strictSame(await read(policy.uuid), body, 'a later GET answers the same');
    const em = orm.em.fork();
    t.equal(await em.count(Access, { access: 'calld.read' }), 1, 'a dropped entry stays interned');

    const bare = await put(policy.uuid, { name: 'Agents 2' });
    t.equal(bare.status, 200);
    t.strictSame(bare.json(), { ...body, acl: [] }, 'no acl: an empty ACL');
    const described = await put('agents', { name: 'agents', description: 'again', acl: ['x.y'] });
    t.equal(described.status, 200, 'by slug');
    t.strictSame(described.json(), { ...body, name: 'agents', description: 'again', acl: ['x.y'] });
    const invalidSlug = await put(policy.uuid, { name: 'agents', slug: 'has space', shared: 'perhaps' });
    t.equal(invalidSlug.status, 200, 'slug and shared are not even validated');
    t.equal(invalidSlug.json<PolicyBody>().shared, true);
  });

  t.test('body validation: legacy 400 naming the first field, nothing written', async (t) => {
    const policy = await create({ name: 'stable', acl: ['a.b'], description: 'd' });
    for (const [body, field] of [
      [{}, 'name'],
      ['null', 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(81) }, 'name'],
      [{ name: 42 }, 'name'],
      [{ name: null, acl: 'a' }, 'name'],
      [{ name: 'ok', description: 42 }, 'description'],
      [{ name: 'ok', acl: 'a.b' }, 'acl'],
      [{ name: 'ok', acl: [42] }, 'acl'],
      [{ name: 'ok', acl: null }, 'acl'],
      ['[1]', '_schema'],
      ['"name"', '_schema'],
    ] as const) {
      const res = await put(policy.uuid, body);
      t.strictSame(
        refusedWith(res),
        { status: 400, reason: `Invalid value supplied for field: ${field}`, status_code: 400 },
        JSON.stringify(body),
      );
    }
    for (const raw of ['', '{"name":']) {
      const res = await put(policy.uuid, raw);
      t.strictSame([res.status, res.json()], [400, BAD_BODY], `framework 400 for ${JSON.stringify(raw)}`);
    }
    t.strictSame(await read(policy.uuid), policy, 'unchanged');
  });

  t.test('order of checks: slug, body, may-add, policy, may-remove, read-only', async (t) => {
    t.strictSame(
      refusedWith(await put(UNKNOWN, { name: 42 })),
      { status: 400, reason: 'Invalid value supplied for field: name', status_code: 400 },
      'by UUID the body comes before the lookup',
    );
    t.strictSame(
      refusedWith(await put('no-such-slug', { name: 42 })),
      { status: 404, reason: "No such policy {'slug': 'no-such-slug'}", status_code: 404 },
      'by slug the lookup comes first',
    );
    t.strictSame(refusedWith(await put(UNKNOWN, { name: 'x' })), {
      status: 404,
      reason: `No such policy {'uuid': '${UNKNOWN}'}`,
      status_code: 404,
    });
    const limited = await userCaller(server, 'limited', ['auth.policies.#', 'calld.#']);
    const guarded = await limited.put(`/policies/${UNKNOWN}`, undefined, { name: 'x', acl: ['confd.x'] });
    t.equal(guarded.status, 401, 'the may-add guard before the lookup');
    t.equal(
      (await limited.put('/policies/nothing', undefined, { name: 'x', acl: ['confd.x'] })).status,
      404,
      'but after a slug lookup',
    );
    const badTenant = await put(UNKNOWN, { name: 42 }, 'garbage');
    t.equal(badTenant.status, 401, 'Wazo-Tenant before everything');
    t.equal(apiError(badTenant).error_id, 'unauthorized-tenant');
  });

  t.test('escalation guard: every entry of the new ACL, every entry it loses', async (t) => {
    const limited = await userCaller(server, 'guarded', ['auth.policies.#', 'calld.#', '!calld.secret']);
    const policy = await create({ name: 'mixed', acl: ['calld.read', 'confd.read'] });
    const as = (body: object) => limited.put(`/policies/${policy.uuid}`, undefined, body);
    const required = async (body: object) => {
      const res = await as(body);
      t.equal(res.status, 401, JSON.stringify(body));
      const error = apiError(res);
      t.strictSame(Object.keys(error.details as object), ['invalid_token', 'required_access']);
      t.equal(error.message, 'Unauthorized');
      return (error.details as { required_access: string }).required_access;
    };
    t.equal(
      await required({ name: 'mixed', acl: ['calld.read', 'confd.read'] }),
      'confd.read',
      'a kept entry',
    );
    t.equal(await required({ name: 'mixed', acl: ['calld.read'] }), 'confd.read', 'a removed entry');
    t.equal(await required({ name: 'mixed', acl: ['calld.secret', 'confd.read'] }), 'calld.secret');
    t.strictSame(sorted(await read(policy.uuid)), sorted(policy), 'nothing changed');

    // With confd.read gone (by the admin), the limited caller may edit; restrictions are free to add.
    t.equal((await put(policy.uuid, { name: 'mixed', acl: ['calld.read'] })).status, 200);
    const restricted = await as({ name: 'mixed', acl: ['calld.read', '!calld.read.more', '!confd.#'] });
    t.equal(restricted.status, 200);
    // Removing `!x` takes `x`: the caller denied calld.secret may not lift that denial.
    const negative = await create({ name: 'negative', acl: ['!calld.secret', '!calld.other'] });
    const lift = await limited.put(`/policies/${negative.uuid}`, undefined, {
      name: 'negative',
      acl: ['!calld.secret'],
    });
    t.equal(lift.status, 200, 'lifting !calld.other takes calld.other, which it has');
    const refused = await limited.put(`/policies/${negative.uuid}`, undefined, { name: 'negative' });
    t.equal(refused.status, 401);
    t.equal((apiError(refused).details as { required_access: string }).required_access, '!calld.secret');
  });

  t.test('read-only policies: 403 with the deletion text', async (t) => {
    const em = orm.em.fork();
    const config = em.create(Policy, {
      name: 'from-config',
      slug: 'from_config',
      tenant: master,
      configManaged: true,
    });
    await em.flush();
    const refused = await put(config.uuid, { name: 'hijacked', acl: ['#'] });
    t.strictSame(refusedWith(refused), {
      status: 403,
      reason: `Forbidden policy deletion: "${config.uuid}"`,
      status_code: 403,
    });
    t.equal((await read(config.uuid)).name, 'from-config');

    const shared = await create({ name: 'shared-by-master', acl: ['s.read'], shared: true });
    const inherited = await put(shared.uuid, { name: 'mine now' }, child);
    t.strictSame(refusedWith(inherited), {
      status: 403,
      reason: `Forbidden policy deletion: "${shared.uuid}"`,
      status_code: 403,
    });
    t.strictSame(await read(shared.uuid), shared);
    t.equal((await put(shared.uuid, { name: 'shared-by-master', acl: [] })).status, 200, 'from its owner');
  });

  t.test("visibility: a parent edits its children's policies, a child not its parent's", async (t) => {
    const childPolicy = await create({ name: 'child-policy', acl: ['c.read'] }, child);
    const fromParent = await put(childPolicy.uuid, { name: 'child-policy', description: 'by the parent' });
    t.equal(fromParent.status, 200);
    t.equal(fromParent.json<PolicyBody>().tenant_uuid, child, 'the real tenant');
    const parentOnly = await create({ name: 'parent-only' });
    t.strictSame(refusedWith(await put(parentOnly.uuid, { name: 'x' }, child)), {
      status: 404,
      reason: `No such policy {'uuid': '${parentOnly.uuid}'}`,
      status_code: 404,
    });
    t.equal((await put('child-policy', { name: 'x' })).status, 404, 'by slug: the scoping tenant only');
    t.equal((await put('child-policy', { name: 'child-policy' }, child)).status, 200);
  });

  t.test('renaming onto a name taken in the tenant: 409 (upstream: 500), nothing changed', async (t) => {
    const first = await create({ name: 'first', acl: ['f.read'] });
    await create({ name: 'second' });
    await create({ name: 'elsewhere' }, child);
    const clash = await put(first.uuid, { name: 'second', acl: ['other'] });
    t.strictSame(refusedWith(clash), {
      status: 409,
      reason: 'Policy "second" already exists',
      status_code: 409,
    });
    t.strictSame(await read(first.uuid), first);
    t.equal((await put(first.uuid, { name: 'elsewhere', acl: ['f.read'] })).status, 200, 'another tenant');
    t.equal((await put(first.uuid, { name: 'elsewhere', acl: ['f.read'] })).status, 200, 'its own name');
  });

  t.test('existing tokens keep their ACL, the next login gets the new one', async (t) => {
    const policy = await create({ name: 'frozen', acl: ['old.access'] });
    const user = await createUser(orm, { username: 'worker', password: 'pw' });
    t.equal((await admin.put(`/users/${user}/policies/${policy.uuid}`)).status, 204);
    const before = await tokenFor(server, 'worker', 'pw');
    t.strictSame((before as unknown as { acl: string[] }).acl, ['old.access']);

    t.equal((await put(policy.uuid, { name: 'frozen', acl: ['new.access'] })).status, 200);
    const check = (token: string, scope: string) =>
      server.call({ path: `/0.1/token/${token}?scope=${scope}` }).then((res) => res.status);
    const readBack = await server.call({ path: `/0.1/token/${before.token}` });
    t.strictSame(readBack.json<{ data: { acl: string[] } }>().data.acl, ['old.access'], 'frozen at login');
    t.equal(await check(before.token, 'old.access'), 200);
    t.equal(await check(before.token, 'new.access'), 403);

    const after = await tokenFor(server, 'worker', 'pw');
    t.strictSame((after as unknown as { acl: string[] }).acl, ['new.access']);
    t.equal(await check(after.token, 'new.access'), 200);
    t.equal(await check(after.token, 'old.access'), 403);
  });
});
