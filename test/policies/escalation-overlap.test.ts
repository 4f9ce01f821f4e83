// The escalation guard and the caller's own restrictions (issue #18 item 5): an administrator denied
// part of `auth.#` cannot hand out what it is denied, whether by writing a policy, adding an entry, or
// linking an existing policy to a user or a group. Nothing is written when it is refused.
import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, createPolicy, type PolicyBody, userCaller } from '../helpers/callers.js';

t.test('a restricted administrator grants nothing its restrictions deny', async (t) => {
  const server = await startTestApp(t);
  const admin = await adminCaller(server);
  const restricted = await userCaller(server, 'restricted', ['auth.#', '!auth.tenants.#']);
  const target = await userCaller(server, 'target', []);
  const group = (await admin.post('/groups', { name: 'g' })).json<{ uuid: string }>();
  const wide = await createPolicy(admin, { name: 'wide', acl: ['auth.#'] });
  const narrow = await createPolicy(admin, { name: 'narrow', acl: ['auth.users.read'] });
  const refusal = (failing: string) => ({
    message: 'Unauthorized',
    error_id: 'unauthorized',
    details: { invalid_token: restricted.token, required_access: failing },
  });
  const links = async () => ({
    user: (await admin.get(`/users/${target.uuid}/policies`)).json<{ total: number }>().total,
    group: (await admin.get(`/groups/${group.uuid}/policies`)).json<{ total: number }>().total,
  });

  const created = await restricted.post('/policies', { name: 'copy', acl: ['auth.*.read'] });
  t.equal(created.status, 401, 'auth.*.read covers auth.tenants.read');
  t.strictSame(apiError(created), refusal('auth.*.read'));
  t.strictSame((await admin.get('/policies?name=copy')).json<{ items: [] }>().items, [], 'no policy');

  const mine = await createPolicy(restricted, { name: 'mine', acl: ['auth.users.#'] });
  const added = await restricted.put(`/policies/${mine.uuid}/acl/auth.%23`);
  t.equal(added.status, 401);
  t.strictSame(apiError(added), refusal('auth.#'));
  const replaced = await restricted.put(`/policies/${mine.uuid}`, undefined, { name: 'mine', acl: ['#'] });
  t.equal(replaced.status, 401);
  t.strictSame((await admin.get(`/policies/${mine.uuid}`)).json<PolicyBody>().acl, ['auth.users.#']);

  const before = await links();
  const toUser = await restricted.put(`/users/${target.uuid}/policies/${wide.uuid}`);
  t.equal(toUser.status, 401, 'linking a policy that holds auth.# to a user');
  t.strictSame(apiError(toUser), refusal('auth.#'));
  const toGroup = await restricted.put(`/groups/${group.uuid}/policies/${wide.uuid}`);
  t.equal(toGroup.status, 401, 'and to a group');
  t.strictSame(await links(), before, 'no link written');

  t.equal((await restricted.put(`/users/${target.uuid}/policies/${narrow.uuid}`)).status, 204);
  t.equal((await restricted.put(`/groups/${group.uuid}/policies/${narrow.uuid}`)).status, 204);
  const restriction = await restricted.put(`/policies/${mine.uuid}/acl/!auth.users.delete`);
  t.equal(restriction.status, 204, 'restrictions stay free');

  const master = await admin.put(`/users/${target.uuid}/policies/${wide.uuid}`);
  t.equal(master.status, 204, 'an unrestricted administrator, as upstream');
});
