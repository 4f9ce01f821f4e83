// GET /users/{uuid}/policies, PUT and DELETE /users/{uuid}/policies/{policy_uuid|policy_slug} (users.md §3),
// and the service-account story they enable.
import t from 'tap';
import { Group, Policy, User } from '../../src/entities/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  createPolicy,
  legacyError,
  unknownError,
  userCaller,
} from '../helpers/callers.js';
import { createTenant, masterUuid } from '../helpers/fixtures.js';

type PolicyBody = { uuid: string; tenant_uuid: string; name: string; read_only: boolean; shared: boolean };
type PolicyList = { items: PolicyBody[]; total: number; filtered: number };

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

t.test('user policies', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const master = await masterUuid(orm);
  const child = await createTenant(orm, 'child');
  const sibling = await createTenant(orm, 'sibling');

  const newPolicy = async (
    name: string,
    acl: string[],
    tenant?: string,
    shared = false,
  ): Promise<PolicyBody> => {
    return createPolicy(admin, { name, slug: name, acl, shared }, tenant);
  };
  const newUser = async (username: string, tenant?: string): Promise<string> => {
    const res = await admin.post('/users', { username }, tenant);
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ uuid: string }>().uuid;
  };
  const policiesOf = async (user: string, query = ''): Promise<PolicyList> =>
    (await admin.get(`/users/${user}/policies${query}`)).json<PolicyList>();
  const namesOf = (body: PolicyList) => body.items.map((p) => p.name);

  const reader = await newPolicy('reader', ['confd.users.read']);
  const writer = await newPolicy('writer', ['confd.users.update'], master, true);
  const childOnly = await newPolicy('child_only', ['child.read'], child);
  const siblingOnly = await newPolicy('sibling_only', ['sibling.read'], sibling);
  const alice = await newUser('alice');
  const zed = await newUser('zed', child);

  t.test('PUT by UUID links, twice is a no-op, any tenant', async (t) => {
    const res = await admin.put(`/users/${alice}/policies/${reader.uuid}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');
    t.equal((await admin.put(`/users/${alice}/policies/${reader.uuid.toUpperCase()}`)).status, 204);
    // By UUID the policy is looked up in every tenant, and the user's tenant is not checked.
    t.equal((await admin.put(`/users/${alice}/policies/${siblingOnly.uuid}`, child)).status, 204);
    t.strictSame(namesOf(await policiesOf(alice)), ['reader', 'sibling_only']);
  });

  t.test('PUT by slug: the scoping tenant and what it inherits', async (t) => {
    t.equal((await admin.put(`/users/${zed}/policies/child_only`, child)).status, 204);
    t.equal((await admin.put(`/users/${zed}/policies/writer`, child)).status, 204, 'inherited shared policy');
    const hidden = await admin.put(`/users/${zed}/policies/child_only`);
    t.equal(hidden.status, 404);
    t.strictSame(legacyError(hidden), { reason: "No such policy {'slug': 'child_only'}", status_code: 404 });
    t.strictSame(namesOf(await policiesOf(zed)), ['child_only', 'writer']);
  });

  t.test('PUT errors: unknown policy, unknown user, tenant header, escalation', async (t) => {
    const noPolicy = await admin.put(`/users/${alice}/policies/${UNKNOWN}`);
    t.equal(noPolicy.status, 404);
    t.strictSame(legacyError(noPolicy), {
      reason: `No such policy {'uuid': '${UNKNOWN}'}`,
      status_code: 404,
    });
    const noUser = await admin.put(`/users/${UNKNOWN}/policies/${reader.uuid}`);
    t.equal(noUser.status, 404);
    t.strictSame(apiError(noUser), unknownError('user', UNKNOWN));
    const badTenant = await admin.put(`/users/${alice}/policies/${reader.uuid}`, 'garbage');
    t.equal(badTenant.status, 401);
    t.equal(apiError(badTenant).error_id, 'unauthorized-tenant');

    const authOnly = await userCaller(server, 'auth-only', ['auth.#']);
    const escalation = await authOnly.put(`/users/${alice}/policies/${writer.uuid}`);
    t.equal(escalation.status, 401);
    t.strictSame(apiError(escalation), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: { invalid_token: authOnly.token, required_access: 'confd.users.update' },
    });
    // The guard comes before the user lookup.
    t.equal((await authOnly.put(`/users/${UNKNOWN}/policies/${writer.uuid}`)).status, 401);
    t.notOk(namesOf(await policiesOf(alice)).includes('writer'));

    const narrow = await userCaller(
      server,
      'narrow',
      [`auth.users.${alice}.policies.child_only.create`, 'child.#'],
      child,
    );
    // Upstream reaches a user of any tenant here (its FIXME); this server only the caller's subtree.
    const outside = await narrow.put(`/users/${alice}/policies/child_only`);
    t.equal(outside.status, 404, "a user outside the caller's tenant: unknown");
    t.strictSame(apiError(outside), unknownError('user', alice));
    t.equal((await admin.put(`/users/${alice}/policies/child_only`, child)).status, 204, 'by the master');
    const narrowZed = await userCaller(
      server,
      'narrow-zed',
      [`auth.users.${zed}.policies.child_only.create`, 'child.#'],
      child,
    );
    t.equal((await narrowZed.put(`/users/${zed}/policies/child_only`)).status, 204, 'the ACL names the slug');
    const refused = await narrow.put(`/users/${alice}/policies/${childOnly.uuid}`);
    t.equal(refused.status, 401);
    t.equal(
      (apiError(refused).details as { required_access: string }).required_access,
      `auth.users.${alice}.policies.${childOnly.uuid}.create`,
    );
  });

  t.test('GET: direct links only, stored values, list parameters, Wazo-Tenant ignored', async (t) => {
    const viaGroup = orm.em.fork();
    const group = viaGroup.create(Group, { name: 'team', slug: 'team', tenant: master });
    group.users.add(viaGroup.getReference(User, alice));
    group.policies.add(viaGroup.getReference(Policy, writer.uuid));
    await viaGroup.flush();

    const body = await policiesOf(alice);
    t.strictSame(Object.keys(body), ['items', 'total', 'filtered']);
    t.strictSame(namesOf(body), ['child_only', 'reader', 'sibling_only'], 'not the group policy');
    t.strictSame([body.total, body.filtered], [3, 3]);
    const child = body.items.find((p) => p.name === 'child_only')!;
    t.strictSame(child, { ...childOnly }, 'the real tenant, read_only = config_managed');
    const zeds = await policiesOf(zed);
    t.strictSame(
      zeds.items.map((p) => [p.name, p.tenant_uuid, p.read_only, p.shared]),
      [
        ['child_only', childOnly.tenant_uuid, false, false],
        ['writer', master, false, true],
      ],
      'an inherited policy shows its stored values',
    );

    for (const [query, expected, filtered] of [
      ['?search=READ', ['reader'], 1],
      [`?uuid=${reader.uuid}`, ['reader'], 1],
      ['?name=sibling_only', ['sibling_only'], 1],
      [`?tenant_uuid=${master}`, ['reader'], 1],
      [`?user_uuid=${zed}`, ['child_only'], 1],
      [`?group_uuid=${group.uuid}`, [], 0],
      ['?order=uuid&limit=1&offset=5', [], 3],
      ['?direction=desc&limit=2', ['sibling_only', 'reader'], 3],
    ] as const) {
      const res = await policiesOf(alice, query);
      t.strictSame(namesOf(res), expected, query);
      t.strictSame([res.total, res.filtered], [3, filtered], `${query}: counts`);
    }
    const badOrder = await admin.get(`/users/${alice}/policies?order=slug`);
    t.equal(badOrder.status, 400);
    t.strictSame(apiError(badOrder).message, {
      order: [
        {
          constraint_id: 'enum',
          constraint: { choices: ['name', 'description', 'uuid'] },
          message: 'Must be one of: name, description, uuid.',
        },
      ],
    });
    t.strictSame((await admin.get(`/users/${UNKNOWN}/policies`)).json(), {
      items: [],
      total: 0,
      filtered: 0,
    });
    t.equal((await admin.get(`/users/${alice}/policies`, 'garbage')).status, 200, 'Wazo-Tenant is ignored');
  });

  t.test('DELETE: visible policy, may-remove guard, unknown user, idempotent', async (t) => {
    const childAdmin = await userCaller(server, 'child-admin', ['#'], child);
    const hidden = await childAdmin.delete(`/users/${alice}/policies/${reader.uuid}`);
    t.equal(hidden.status, 404, "a parent's policy is not visible from the child");
    t.strictSame(legacyError(hidden), {
      reason: `No such policy {'uuid': '${reader.uuid}'}`,
      status_code: 404,
    });
    t.equal(
      (await admin.delete(`/users/${alice}/policies/child_only`)).status,
      404,
      'slug: scoping tenant only',
    );

    const authOnly = await userCaller(server, 'auth-only-2', ['auth.#']);
    const escalation = await authOnly.delete(`/users/${alice}/policies/${reader.uuid}`);
    t.equal(escalation.status, 401);
    t.strictSame(apiError(escalation).details, {
      invalid_token: authOnly.token,
      required_access: 'confd.users.read',
    });

    t.equal((await admin.delete(`/users/${alice}/policies/${reader.uuid}`)).status, 204);
    t.equal((await admin.delete(`/users/${alice}/policies/reader`)).status, 204, 'not linked any more: 204');
    // Upstream does not scope the user here; this server does (the caller's own subtree).
    const outside = await childAdmin.delete(`/users/${alice}/policies/child_only`);
    t.equal(outside.status, 404, "a user outside the caller's tenant: unknown");
    t.strictSame(apiError(outside), unknownError('user', alice));
    t.strictSame(namesOf(await policiesOf(alice)), ['child_only', 'sibling_only'], 'still linked');
    t.equal((await admin.delete(`/users/${alice}/policies/child_only`, child)).status, 204, 'by the master');
    t.strictSame(namesOf(await policiesOf(alice)), ['sibling_only']);
    const noUser = await admin.delete(`/users/${UNKNOWN}/policies/${writer.uuid}`);
    t.equal(noUser.status, 404);
    t.equal(apiError(noUser).error_id, 'unknown-user');
    const noPolicy = await admin.delete(`/users/${alice}/policies/nothing_here`);
    t.strictSame(legacyError(noPolicy), {
      reason: "No such policy {'slug': 'nothing_here'}",
      status_code: 404,
    });
  });

  t.test('a service account, end to end through the API', async (t) => {
    const created = await admin.post('/users', {
      username: 'svc-confd',
      password: 'svc-secret',
      purpose: 'external_api',
    });
    t.equal(created.status, 200);
    const service = created.json<{ uuid: string; authentication_method: string }>();
    t.equal(service.authentication_method, 'native');
    const policy = await admin.post('/policies', { name: 'confd-reader', acl: ['confd.users.read'] });
    t.equal(policy.status, 200);
    const policyUuid = policy.json<{ uuid: string }>().uuid;
    t.equal((await admin.put(`/users/${service.uuid}/policies/${policyUuid}`)).status, 204);

    const login = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic('svc-confd', 'svc-secret') },
      body: '{}',
    });
    t.equal(login.status, 200);
    const { token, acl } = login.json<{ data: { token: string; acl: string[] } }>().data;
    t.strictSame(acl, ['confd.users.read']);
    const check = (scope: string) => server.call({ path: `/0.1/token/${token}?scope=${scope}` });
    t.equal((await check('confd.users.read')).status, 200);
    const denied = await check('confd.users.delete');
    t.equal(denied.status, 403);
    t.strictSame(legacyError(denied), { reason: 'Unauthorized for confd.users.delete', status_code: 403 });
  });
});
