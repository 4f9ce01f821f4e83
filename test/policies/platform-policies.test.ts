// A sub-tenant administrator against the platform's policies, with a Wazo-like configuration
// (config-managed policies, a default user policy): it can neither edit a policy it inherits through
// the ACL-entry routes nor shadow the default policy with one of its own name (issue #18, items 3 and 4).
import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, createPolicy, type PolicyBody, userCaller } from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

t.test('a sub-tenant admin and the platform policies', async (t) => {
  const server = await startTestApp(t, (config) => {
    config.default_policies = {
      wazo_default_admin_policy: { acl: ['auth.#', 'confd.#'], shared: true },
      wazo_default_user_policy: { acl: ['confd.users.me.read'] },
    } as typeof config.default_policies;
    config.default_user_policy = 'wazo_default_user_policy';
  });
  const master = await masterUuid(server.orm);
  const admin = await adminCaller(server);
  const child = await createTenant(server.orm, 'child', master);
  const subAdmin = await userCaller(server, 'sub-admin', ['auth.#', 'confd.#'], child);
  const policyNamed = async (name: string) =>
    (await admin.get(`/policies?name=${name}&recurse=true`)).json<{ items: PolicyBody[] }>().items;
  const [platform] = await policyNamed('wazo_default_admin_policy');
  t.ok(platform, 'the config-managed shared policy exists');

  await t.test('the ACL-entry routes refuse what PUT /policies refuses', async (t) => {
    const seen = (await subAdmin.get(`/policies/${platform!.uuid}`)).json<PolicyBody>();
    t.equal(seen.read_only, true, 'inherited, read-only from the sub-tenant');
    for (const res of [
      await subAdmin.delete(`/policies/${platform!.uuid}/acl/auth.%23`),
      await subAdmin.put(`/policies/${platform!.uuid}/acl/auth.users.read`),
      await subAdmin.delete('/policies/wazo_default_admin_policy/acl/confd.%23'),
    ])
      t.equal(res.status, 403);
    t.strictSame(
      (await admin.get(`/policies/${platform!.uuid}`)).json<PolicyBody>().acl,
      ['auth.#', 'confd.#'],
      'the platform policy is unchanged',
    );
  });

  await t.test('a policy named like the default one does not reach other tenants', async (t) => {
    const shadow = await createPolicy(subAdmin, { name: 'wazo_default_user_policy', acl: ['confd.#'] });
    t.equal(shadow.tenant_uuid, child, 'created in the sub-tenant');
    await createUser(server.orm, { username: 'alice', password: 'secret' });
    await createUser(server.orm, { username: 'carol', password: 'secret', tenant: child });
    for (const username of ['alice', 'carol']) {
      const login = (await tokenFor(server, username, 'secret')) as unknown as { acl: string[] };
      t.strictSame(login.acl, ['confd.users.me.read'], `${username}: the master tenant's default policy`);
    }
  });
});
