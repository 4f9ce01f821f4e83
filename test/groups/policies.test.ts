// GET /groups/{uuid}/policies, PUT|DELETE /groups/{uuid}/policies/{policy_uuid|policy_slug}
// (groups.md §2, policies.md §2–§3, acl.md §4).
import t from 'tap';
import { allUsersGroupName, Group, Policy } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import {
  apiError,
  createPolicy,
  legacyError,
  type PolicyBody,
  unknownError,
  userCaller,
} from '../helpers/callers.js';
import { expectNoServerError, newGroup, setUp, UNKNOWN } from './support.js';

type PolicyList = { items: PolicyBody[]; total: number; filtered: number };

t.test('group policies', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const { admin, tree } = await setUp(server);
  const { master, child, grandchild, sibling } = tree;

  const newPolicy = async (
    name: string,
    acl: string[],
    tenant?: string,
    extra: { shared?: boolean; description?: string } = {},
  ): Promise<PolicyBody> => {
    return createPolicy(admin, { name, slug: name, acl, ...extra }, tenant);
  };
  const policiesOf = async (group: string, query = '', tenant?: string): Promise<PolicyList> => {
    const res = await admin.get(`/groups/${group}/policies${query}`, tenant);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
    return res.json<PolicyList>();
  };
  const namesOf = (body: PolicyList) => body.items.map((policy) => policy.name);
  const links = async (group: string) =>
    (await orm.em.fork().find(Policy, { groups: group }, { orderBy: { name: 'asc' } })).map((p) => p.name);

  const reader = await newPolicy('reader', ['confd.users.read'], master, { description: 'reads users' });
  const shared = await newPolicy('shared_writer', ['confd.users.update'], master, { shared: true });
  const childOnly = await newPolicy('child_only', ['child.read'], child);
  const siblingOnly = await newPolicy('sibling_only', ['sibling.read'], sibling);
  const team = await newGroup(admin, { name: 'team' });
  const childTeam = await newGroup(admin, { name: 'child team' }, child);

  t.test('PUT by UUID and by slug links, twice is a no-op', async (t) => {
    const res = await admin.put(`/groups/${team.uuid}/policies/${reader.uuid}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');
    t.equal(
      (await admin.put(`/groups/${team.uuid.toUpperCase()}/policies/${reader.uuid.toUpperCase()}`)).status,
      204,
    );
    t.equal((await admin.put(`/groups/${team.uuid}/policies/shared_writer`)).status, 204, 'by slug');
    t.strictSame(await links(team.uuid), ['reader', 'shared_writer']);
    t.equal(
      (await admin.put(`/groups/${childTeam.uuid}/policies/${siblingOnly.uuid}`)).status,
      204,
      'by UUID from the master: any tenant, and the group and the policy need not share one',
    );
    t.equal((await admin.put(`/groups/${childTeam.uuid}/policies/child_only`, child)).status, 204);
    t.equal(
      (await admin.put(`/groups/${childTeam.uuid}/policies/shared_writer`, child)).status,
      204,
      'inherited',
    );
    t.equal((await admin.put(`/groups/${childTeam.uuid}/policies/${reader.uuid}`)).status, 204);
    t.strictSame(await links(childTeam.uuid), ['child_only', 'reader', 'shared_writer', 'sibling_only']);

    const everyone = await orm.em.fork().findOneOrFail(Group, { name: allUsersGroupName(master) });
    t.equal(
      (await admin.put(`/groups/${everyone.uuid}/policies/${reader.uuid}`)).status,
      204,
      'system-managed too',
    );
    t.equal((await admin.delete(`/groups/${everyone.uuid}/policies/reader`)).status, 204);
    t.strictSame(await links(everyone.uuid), []);
  });

  t.test('PUT errors in their order: tenant, slug, group, UUID, escalation', async (t) => {
    const noUuid = await admin.put(`/groups/${team.uuid}/policies/${UNKNOWN}`);
    t.equal(noUuid.status, 404);
    t.strictSame(legacyError(noUuid), { reason: `No such policy {'uuid': '${UNKNOWN}'}`, status_code: 404 });
    const noSlug = await admin.put(`/groups/${team.uuid}/policies/nothing_here`);
    t.strictSame(legacyError(noSlug), {
      reason: "No such policy {'slug': 'nothing_here'}",
      status_code: 404,
    });
    const slugBeforeGroup = await admin.put(`/groups/${UNKNOWN}/policies/nothing_here`);
    t.equal(slugBeforeGroup.status, 404);
    t.strictSame(legacyError(slugBeforeGroup), {
      reason: "No such policy {'slug': 'nothing_here'}",
      status_code: 404,
    });
    const groupBeforeUuid = await admin.put(`/groups/${UNKNOWN}/policies/${UNKNOWN}`);
    t.equal(groupBeforeUuid.status, 404);
    t.strictSame(apiError(groupBeforeUuid), unknownError('group', UNKNOWN));
    t.equal(apiError(await admin.put(`/groups/${UNKNOWN}/policies/reader`)).error_id, 'unknown-group');
    const hiddenSlug = await admin.put(`/groups/${childTeam.uuid}/policies/child_only`);
    t.strictSame(
      legacyError(hiddenSlug),
      { reason: "No such policy {'slug': 'child_only'}", status_code: 404 },
      'by slug: the scoping tenant only',
    );
    const childAdmin = await userCaller(server, 'child-admin', ['#'], child);
    const parentPolicy = await childAdmin.put(`/groups/${childTeam.uuid}/policies/${reader.uuid}`);
    t.strictSame(legacyError(parentPolicy), {
      reason: `No such policy {'uuid': '${reader.uuid}'}`,
      status_code: 404,
    });
    const parentGroup = await childAdmin.put(`/groups/${team.uuid}/policies/${childOnly.uuid}`);
    t.equal(parentGroup.status, 404);
    t.equal(apiError(parentGroup).error_id, 'unknown-group');
    const header = await childAdmin.put(`/groups/${childTeam.uuid}/policies/child_only`, master);
    t.equal(header.status, 401);
    t.equal(apiError(header).error_id, 'unauthorized-tenant');

    const authOnly = await userCaller(server, 'auth-only', ['auth.#']);
    const escalation = await authOnly.put(`/groups/${team.uuid}/policies/${childOnly.uuid}`);
    t.equal(escalation.status, 401);
    t.strictSame(apiError(escalation), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: { invalid_token: authOnly.token, required_access: 'child.read' },
    });
    t.equal(
      (await authOnly.put(`/groups/${UNKNOWN}/policies/${childOnly.uuid}`)).status,
      404,
      'the group comes before the guard',
    );
    const restriction = await newPolicy('restriction', ['!confd.#', 'auth.groups.read']);
    t.equal(
      (await authOnly.put(`/groups/${team.uuid}/policies/${restriction.uuid}`)).status,
      204,
      '! is free',
    );
    t.strictSame(await links(team.uuid), ['reader', 'restriction', 'shared_writer']);

    const narrow = await userCaller(server, 'narrow', [
      `auth.groups.${team.uuid}.policies.child_only.create`,
      'child.#',
    ]);
    const bySlug = await narrow.put(`/groups/${team.uuid}/policies/child_only`, child);
    t.equal(bySlug.status, 404, 'the ACL names the slug; the group is not visible from the child');
    t.equal(apiError(bySlug).error_id, 'unknown-group');
    const byUuid = await narrow.put(`/groups/${team.uuid}/policies/${childOnly.uuid}`);
    t.equal(byUuid.status, 401);
    t.equal(
      (apiError(byUuid).details as { required_access: string }).required_access,
      `auth.groups.${team.uuid}.policies.${childOnly.uuid}.create`,
    );
    t.equal((await admin.put(`/groups/${team.uuid}/policies/%2F`)).status, 404);
    t.equal(
      (await admin.put(`/groups/${team.uuid}/policies/`)).headers['content-type'],
      'text/html; charset=utf-8',
    );
    t.strictSame(await links(team.uuid), ['reader', 'restriction', 'shared_writer'], 'nothing else linked');
  });

  t.test('GET: visible links with exposed fields, counts over every link, list parameters', async (t) => {
    const em = orm.em.fork();
    const managed = em.create(Policy, {
      name: 'managed',
      slug: 'managed',
      tenant: master,
      configManaged: true,
      description: 'from the configuration',
    });
    (await em.findOneOrFail(Group, { uuid: childTeam.uuid })).policies.add(managed);
    await em.flush();

    const fromMaster = await policiesOf(childTeam.uuid);
    t.strictSame(Object.keys(fromMaster), ['items', 'total', 'filtered']);
    t.strictSame(namesOf(fromMaster), ['child_only', 'managed', 'reader', 'shared_writer', 'sibling_only']);
    t.strictSame([fromMaster.total, fromMaster.filtered], [5, 5]);
    t.strictSame(
      fromMaster.items.find((p) => p.name === 'child_only'),
      { ...childOnly },
      'an own policy as stored',
    );
    t.strictSame(
      fromMaster.items.find((p) => p.name === 'managed'),
      {
        uuid: managed.uuid,
        tenant_uuid: master,
        name: 'managed',
        slug: 'managed',
        description: 'from the configuration',
        acl: [],
        read_only: true,
        shared: false,
      },
      'config-managed: read-only',
    );

    const fromChild = await policiesOf(childTeam.uuid, '', child);
    t.strictSame(namesOf(fromChild), ['child_only', 'managed', 'shared_writer'], 'what the child sees');
    t.strictSame([fromChild.total, fromChild.filtered], [5, 5], 'the counts do not filter on visibility');
    t.strictSame(
      fromChild.items.map((p) => [p.name, p.tenant_uuid, p.read_only, p.shared]),
      [
        ['child_only', child, false, false],
        ['managed', child, true, false],
        ['shared_writer', child, true, false],
      ],
      'inherited and config-managed policies are shown as the child tenant’s, read-only',
    );
    const fromGrandchild = await admin.get(`/groups/${childTeam.uuid}/policies`, grandchild);
    t.equal(fromGrandchild.status, 404, 'the group of a parent tenant is not visible');
    t.equal(apiError(fromGrandchild).error_id, 'unknown-group');

    for (const [query, expected, filtered] of [
      ['?search=USERS', ['reader'], 1],
      ['?search=configuration', ['managed'], 1],
      [`?uuid=${reader.uuid}`, ['reader'], 1],
      ['?name=sibling_only', ['sibling_only'], 1],
      [`?tenant_uuid=${master}`, ['managed', 'reader', 'shared_writer'], 3],
      [
        `?group_uuid=${childTeam.uuid}`,
        ['child_only', 'managed', 'reader', 'shared_writer', 'sibling_only'],
        5,
      ],
      [`?group_uuid=${team.uuid}`, [], 0],
      [`?user_uuid=${UNKNOWN}`, [], 0],
      ['?order=description&limit=2', ['managed', 'reader'], 5],
      ['?order=uuid&limit=1&offset=10', [], 5],
    ] as const) {
      const res = await policiesOf(childTeam.uuid, query);
      t.strictSame(namesOf(res), expected, query);
      t.strictSame([res.total, res.filtered], [5, filtered], `${query}: counts`);
    }
    const badOrder = await admin.get(`/groups/${childTeam.uuid}/policies?order=slug`);
    t.equal(badOrder.status, 400);
    t.strictSame(apiError(badOrder), {
      message: {
        order: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['name', 'description', 'uuid'] },
            message: 'Must be one of: name, description, uuid.',
          },
        ],
      },
      error_id: 'invalid-list-param',
      details: {},
      resource: 'users',
    });
    for (const [group, tenant] of [
      [UNKNOWN, undefined],
      [team.uuid, child],
      [childTeam.uuid, sibling],
    ] as const) {
      const hidden = await admin.get(`/groups/${group}/policies?order=slug`, tenant);
      t.equal(hidden.status, 404, 'the group is checked before the list parameters');
      t.strictSame(apiError(hidden), unknownError('group', group));
    }
    t.equal((await admin.get(`/groups/${team.uuid}/policies`, 'garbage')).status, 401);
    for (const page of [
      await admin.get('/groups/not-a-uuid/policies'),
      await admin.put('/groups/not-a-uuid/policies/reader'),
      await admin.delete(`/groups/${team.uuid.slice(1)}/policies/reader`),
    ]) {
      t.equal(page.status, 404);
      t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    }
  });

  t.test('DELETE: the may-remove guard, not linked is a 204, unknown policy or group 404', async (t) => {
    const authOnly = await userCaller(server, 'auth-only-2', ['auth.#']);
    const refused = await authOnly.delete(`/groups/${team.uuid}/policies/${reader.uuid}`);
    t.equal(refused.status, 401);
    t.strictSame(apiError(refused), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: { invalid_token: authOnly.token, required_access: 'confd.users.read' },
    });
    const negative = await authOnly.delete(`/groups/${team.uuid}/policies/restriction`);
    t.equal(negative.status, 401, 'removing !confd.# needs confd.#');
    t.strictSame(apiError(negative).details, { invalid_token: authOnly.token, required_access: '!confd.#' });
    t.strictSame(await links(team.uuid), ['reader', 'restriction', 'shared_writer'], 'nothing removed');

    t.equal((await admin.delete(`/groups/${team.uuid}/policies/${reader.uuid.toUpperCase()}`)).status, 204);
    t.equal((await admin.delete(`/groups/${team.uuid}/policies/reader`)).status, 204, 'not linked any more');
    t.equal((await admin.delete(`/groups/${team.uuid}/policies/restriction`)).status, 204);
    t.strictSame(await links(team.uuid), ['shared_writer']);

    const noPolicy = await admin.delete(`/groups/${team.uuid}/policies/${UNKNOWN}`);
    t.strictSame(legacyError(noPolicy), {
      reason: `No such policy {'uuid': '${UNKNOWN}'}`,
      status_code: 404,
    });
    const noSlug = await admin.delete(`/groups/${UNKNOWN}/policies/nope`);
    t.strictSame(legacyError(noSlug), { reason: "No such policy {'slug': 'nope'}", status_code: 404 });
    const noGroup = await admin.delete(`/groups/${UNKNOWN}/policies/${reader.uuid}`);
    t.equal(noGroup.status, 404);
    t.equal(apiError(noGroup).error_id, 'unknown-group');
    const childAdmin = await userCaller(server, 'child-admin-2', ['#'], child);
    t.equal(
      (await childAdmin.delete(`/groups/${team.uuid}/policies/${shared.uuid}`)).status,
      404,
      'invisible group',
    );
    t.equal(
      (await childAdmin.delete(`/groups/${childTeam.uuid}/policies/shared_writer`)).status,
      204,
      'inherited',
    );
    t.equal(
      (await childAdmin.delete(`/groups/${childTeam.uuid}/policies/${siblingOnly.uuid}`)).status,
      404,
      'a policy the child does not see',
    );
    t.strictSame(await links(childTeam.uuid), ['child_only', 'managed', 'reader', 'sibling_only']);
    t.strictSame(await links(team.uuid), ['shared_writer'], 'untouched');
  });
  expectNoServerError(t, server);
});
