// User↔policy links across tenants (issue #18 item 6): a sub-tenant admin links to its users only the
// policies it can see; upstream looked a policy UUID up in every tenant.
import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { createPolicy, userCaller } from '../helpers/callers.js';
import { setUp } from '../helpers/tenant-tree.js';

t.test("a sub-tenant admin cannot give its users another tenant's policy", async (t) => {
  const server = await startTestApp(t);
  const { admin, tree } = await setUp(server);
  const subAdmin = await userCaller(server, 'sub-admin', ['auth.#', 'confd.#'], tree.child);
  const member = await userCaller(server, 'member', [], tree.child);
  const siblings = await createPolicy(admin, { name: 'siblings', acl: ['confd.users.read'] }, tree.sibling);
  const masters = await createPolicy(admin, { name: 'masters', acl: ['confd.users.read'] });
  const grandchilds = await createPolicy(admin, { name: 'gc', acl: ['confd.users.read'] }, tree.grandchild);
  const linked = async () =>
    (await admin.get(`/users/${member.uuid}/policies`))
      .json<{ items: { uuid: string }[] }>()
      .items.map((p) => p.uuid)
      .sort();
  const own = await linked();

  for (const policy of [siblings, masters]) {
    const res = await subAdmin.put(`/users/${member.uuid}/policies/${policy.uuid}`);
    t.equal(res.status, 404, `${policy.name}: invisible from the child tenant`);
    t.match(res.json(), { status_code: 404 }, 'the legacy 404 of an unknown policy');
  }
  t.strictSame(await linked(), own, 'nothing linked');

  t.equal((await subAdmin.put(`/users/${member.uuid}/policies/${grandchilds.uuid}`)).status, 204);
  t.equal(
    (await admin.put(`/users/${member.uuid}/policies/${siblings.uuid}`)).status,
    204,
    'the master admin, as upstream',
  );
  t.strictSame(await linked(), [...own, grandchilds.uuid, siblings.uuid].sort());
});
