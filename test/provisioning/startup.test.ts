// Start-up provisioning (bootstrap.md §3): default policies, all-users policies, default groups, orphans.
import t from 'tap';
import type { Config } from '../../src/config/index.js';
import { openDatabase } from '../../src/entities/orm.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import { allUsersPolicies, groupPolicies, logged, policyRow, snapshot, startOn } from './helpers.js';

const FIRST: Pick<Config, 'default_policies' | 'all_users_policies' | 'tenant_default_groups'> = {
  default_policies: {
    alpha: { acl: ['alpha.read', 'alpha.write', 'alpha.read'] },
    beta: { acl: ['beta.#'], description: 'Beta admins' },
    gamma: { acl: ['gamma.read'] },
    delta: { acl: ['delta.read'] },
  },
  all_users_policies: { alpha: true, 'no-such-policy': true, beta: false },
  tenant_default_groups: { admins: { policies: { beta: true, 'no-such-policy': true } } },
};

t.test('a fresh database gets the configured policies and groups', async (t) => {
  const server = await startTestApp(t, (config) => Object.assign(config, structuredClone(FIRST)));
  const { orm } = server;
  const master = await masterUuid(orm);

  const alpha = await policyRow(orm, 'alpha', master);
  t.match(alpha, {
    name: 'alpha',
    slug: 'alpha',
    description: 'Automatically created',
    config_managed: true,
    shared: false,
    acl: ['alpha.read', 'alpha.write'],
  });
  t.match(await policyRow(orm, 'beta', master), {
    name: 'beta',
    description: 'Beta admins',
    config_managed: true,
    acl: ['beta.#'],
  });
  t.match(await policyRow(orm, 'gamma', master), { config_managed: true, acl: ['gamma.read'] });
  t.strictSame(await allUsersPolicies(orm, master), ['alpha'], 'enabled all-users policies only');
  t.strictSame(await groupPolicies(orm, 'admins', master), ['beta'], 'the default group with its policy');
  const [admins] = await orm.em
    .fork()
    .execute('select "slug", "system_managed" from "auth_group" where "name" = ?', ['admins']);
  t.strictSame(admins, { slug: 'admins', system_managed: false });
  t.equal(
    logged(server.logs, 'all_users_policies: no policy with this slug').length,
    1,
    'missing policy logged',
  );
  t.match(logged(server.logs, 'tenant_default_groups: no policy with this slug'), [
    { group: 'admins', policy: 'no-such-policy' },
  ]);
  t.match(logged(server.logs, 'start-up provisioning done'), [{ defaultPolicies: 4, tenants: 1 }]);

  // Through the API: a config-managed policy is read-only.
  await createUser(orm, { username: 'admin', password: 'pw', acl: ['#'] });
  const login = await server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('admin', 'pw') },
    body: '{}',
  });
  const token = login.json<{ data: { token: string } }>().data.token;
  const res = await server.call({ path: '/0.1/policies/alpha', headers: { 'X-Auth-Token': token } });
  t.equal(res.status, 200);
  t.match(res.json(), { slug: 'alpha', read_only: true, acl: ['alpha.read', 'alpha.write'] });
});

t.test('restarts apply configuration changes, and only them', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const first = await startOn(db.uri, (config) => Object.assign(config, structuredClone(FIRST)));
  await first.app.stop();
  const orm = await openDatabase(db.uri, { migrate: false });
  t.teardown(() => orm.close());
  const master = await masterUuid(orm);
  const child = await createTenant(orm, 'child');
  const grandchild = await createTenant(orm, 'grandchild', child);
  const alphaBefore = (await policyRow(orm, 'alpha', master))!;
  const gammaBefore = (await policyRow(orm, 'gamma', master))!;
  const deltaBefore = (await policyRow(orm, 'delta', master))!;
  // gamma stays in use: a user holds it.
  const user = await createUser(orm, { username: 'holder' });
  await orm.em
    .fork()
    .execute('insert into "auth_user_policy" ("user_uuid", "policy_uuid") values (?, ?)', [
      user,
      gammaBefore.uuid,
    ]);
  // An operator's own policy in the master all-users group is not the configuration's business.
  const own = await createUser(orm, { username: 'own-policy-holder', acl: ['own.read'] });
  const [ownPolicy] = await orm.em
    .fork()
    .execute<{ policy_uuid: string }[]>(
      'select "policy_uuid" from "auth_user_policy" where "user_uuid" = ?',
      [own],
    );
  const [masterAllUsers] = await orm.em
    .fork()
    .execute<{ uuid: string }[]>('select "uuid" from "auth_group" where "name" = ?', [
      `wazo-all-users-tenant-${master}`,
    ]);
  await orm.em
    .fork()
    .execute('insert into "auth_group_policy" ("group_uuid", "policy_uuid") values (?, ?)', [
      masterAllUsers!.uuid,
      ownPolicy!.policy_uuid,
    ]);

  const [{ slug: ownSlug } = { slug: '' }] = await orm.em
    .fork()
    .execute<{ slug: string }[]>('select "slug" from "auth_policy" where "uuid" = ?', [
      ownPolicy!.policy_uuid,
    ]);

  // The second configuration, started twice: the second time must write nothing.
  const secondConfiguration = (config: Config) => {
    config.default_policies = {
      alpha: { acl: ['alpha.admin', 'alpha.read'], description: 'Alpha v2' },
      beta: { acl: ['beta.#'], description: 'Beta admins' },
      epsilon: { acl: [], description: null },
    };
    config.all_users_policies = { beta: true };
    config.tenant_default_groups = { admins: { policies: { beta: false, alpha: true } } };
  };
  const second = await startOn(db.uri, secondConfiguration);
  await second.app.stop();

  t.test('default policies updated in place, added, and removed unless in use', async (t) => {
    const alpha = (await policyRow(orm, 'alpha', master))!;
    t.equal(alpha.uuid, alphaBefore.uuid, 'same policy, updated');
    t.strictSame(alpha.acl, ['alpha.admin', 'alpha.read'], 'ACL replaced');
    t.equal(alpha.description, 'Alpha v2');
    t.match(await policyRow(orm, 'epsilon', master), { description: null, acl: [], config_managed: true });
    t.equal(await policyRow(orm, 'delta', master), null, 'delta deleted: nothing held it');
    const [stale] = await orm.em
      .fork()
      .execute<{ count: string | number }[]>(
        'select count(*) as "count" from "auth_policy_access" where "policy_uuid" = ?',
        [deltaBefore.uuid],
      );
    t.equal(Number(stale!.count), 0, 'its ACL links went with it');
    t.match(await policyRow(orm, 'gamma', master), { uuid: gammaBefore.uuid, config_managed: true });
    t.match(logged(second.logs, 'still attached to users or groups: kept'), [
      { level: 40, policy: gammaBefore.uuid, slug: 'gamma' },
    ]);
  });

  t.test('all-users policies per tenant', async (t) => {
    t.strictSame(
      await allUsersPolicies(orm, master),
      ['beta', ownSlug].sort(),
      "alpha detached, beta attached, the operator's own policy kept",
    );
    t.strictSame(await allUsersPolicies(orm, child), ['beta']);
    t.strictSame(await allUsersPolicies(orm, grandchild), ['beta']);
  });

  t.test('default groups per tenant', async (t) => {
    t.strictSame(await groupPolicies(orm, 'admins', master), ['alpha'], 'beta detached, alpha attached');
    t.strictSame(await groupPolicies(orm, 'admins', child), ['alpha'], 'created in a new tenant');
    t.strictSame(await groupPolicies(orm, 'admins', grandchild), ['alpha']);
  });

  t.test('the same configuration again writes nothing', async (t) => {
    const before = await snapshot(orm);
    const third = await startOn(db.uri, secondConfiguration);
    await third.app.stop();
    t.strictSame(await snapshot(orm), before);
    t.same(logged(third.logs, 'kept').length, 1, 'gamma still reported');
  });

  t.test('update_policy_on_startup: false skips it all', async (t) => {
    const before = await snapshot(orm);
    const fourth = await startOn(db.uri, (config) => {
      config.update_policy_on_startup = false;
      config.all_users_policies = {};
      config.tenant_default_groups = { others: { policies: {} } };
    });
    await fourth.app.stop();
    t.strictSame(await snapshot(orm), before);
    t.equal(logged(fourth.logs, 'start-up provisioning skipped').length, 1);
    t.equal(logged(fourth.logs, 'start-up provisioning done').length, 0);
  });
});
