// provision() and provisionTenant() on their own: clashes with existing rows, concurrency, SQLite, one tenant.
import t from 'tap';
import type { Config } from '../../src/config/index.js';
import { findMasterTenant, Group, Policy, Tenant } from '../../src/entities/index.js';
import { type Database, openDatabase } from '../../src/entities/orm.js';
import { createLogger } from '../../src/log/logger.js';
import { provision, provisionTenant } from '../../src/provisioning/index.js';
import { migratedDatabase, sqliteTempUri } from '../helpers/db.js';
import { createTenant, masterUuid } from '../helpers/fixtures.js';
import { LogSink } from '../helpers/server.js';
import { allUsersPolicies, groupPolicies, logged, policyRow, snapshot } from './helpers.js';

type Provisioning = Parameters<typeof provision>[1];

const settings = (overrides: Partial<Config> = {}): Provisioning => ({
  update_policy_on_startup: true,
  default_policies: {},
  all_users_policies: {},
  tenant_default_groups: {},
  ...overrides,
});

const sinkLogger = () => {
  const logs = new LogSink();
  return { logs, logger: createLogger({ log_level: 'debug', debug: false }, logs) };
};

const FULL = settings({
  default_policies: {
    users: { acl: ['users.me.read', 'users.me.update'] },
    admins: { acl: ['#'], description: 'Administrators' },
    lonely: { acl: ['lonely.read'] },
  },
  all_users_policies: { users: true },
  tenant_default_groups: { 'admin-group': { policies: { admins: true } }, empty: { policies: {} } },
});

t.test('rows already holding a configured name or slug are skipped with an error', async (t) => {
  const orm = await migratedDatabase(t);
  const master = await masterUuid(orm);
  const em = orm.em.fork();
  const byName = em.create(Policy, { name: 'alpha', slug: 'not-alpha', tenant: master });
  const bySlug = em.create(Policy, { name: 'Beta policy', slug: 'BETA', tenant: master });
  const group = em.create(Group, { name: 'admins', slug: 'adm', tenant: master });
  await em.flush();
  const { logs, logger } = sinkLogger();
  const long = 'x'.repeat(81);
  await provision(
    orm,
    settings({
      default_policies: {
        alpha: { acl: ['a'] },
        beta: { acl: ['b'] },
        gamma: { acl: ['c'] },
        GAMMA: { acl: ['z'] },
        [long]: { acl: [] },
      },
      tenant_default_groups: { admins: { policies: { gamma: true } }, ops: { policies: { gamma: true } } },
    }),
    logger,
  );
  t.equal(await policyRow(orm, 'alpha', master), null, 'alpha not created');
  t.match(await policyRow(orm, 'not-alpha', master), { config_managed: false }, 'the existing row untouched');
  t.match(await policyRow(orm, 'BETA', master), { name: 'Beta policy', config_managed: false });
  t.match(await policyRow(orm, 'gamma', master), { config_managed: true, acl: ['c'] });
  t.match(logged(logs, 'another policy of the master tenant has this name or slug'), [
    { level: 50, slug: 'alpha', conflicting: byName.uuid },
    { level: 50, slug: 'beta', conflicting: bySlug.uuid },
  ]);
  t.match(logged(logs, 'longer than 80 characters'), [{ slug: long }]);
  t.match(logged(logs, 'only by case'), [{ slug: 'GAMMA' }]);
  t.equal(await policyRow(orm, 'GAMMA', master), null);
  t.strictSame(await groupPolicies(orm, 'admins', master), [], 'the existing group untouched');
  t.strictSame(await groupPolicies(orm, 'ops', master), ['gamma']);
  t.match(logged(logs, 'another group of the tenant has this name or slug'), [
    { group: 'admins', conflicting: group.uuid },
  ]);
});

t.test('concurrent runs on one PostgreSQL database take turns', async (t) => {
  const orm = await migratedDatabase(t);
  const child = await createTenant(orm, 'child');
  const { logger } = sinkLogger();
  await Promise.all([
    provision(orm, FULL, logger),
    provision(orm, FULL, logger),
    provision(orm, FULL, logger),
  ]);
  const master = await masterUuid(orm);
  const em = orm.em.fork();
  t.equal(await em.count(Policy, { configManaged: true }), 3, 'each default policy once');
  t.equal(await em.count(Group, { name: 'admin-group' }), 2, 'the group once per tenant');
  t.strictSame(await allUsersPolicies(orm, master), ['users']);
  t.strictSame(await allUsersPolicies(orm, child), ['users']);
});

t.test('SQLite: the same result, idempotent', async (t) => {
  const orm = await openDatabase(sqliteTempUri());
  t.teardown(() => orm.close());
  const child = await createTenant(orm, 'child');
  const { logger } = sinkLogger();
  await provision(orm, FULL, logger);
  const master = await masterUuid(orm);
  t.match(await policyRow(orm, 'admins', master), {
    description: 'Administrators',
    config_managed: 1,
    shared: 0,
    acl: ['#'],
  });
  t.match(await policyRow(orm, 'users', master), { acl: ['users.me.read', 'users.me.update'] });
  t.strictSame(await allUsersPolicies(orm, child), ['users']);
  t.strictSame(await groupPolicies(orm, 'admin-group', child), ['admins']);
  t.strictSame(await groupPolicies(orm, 'empty', child), []);
  const before = await snapshot(orm);
  await provision(orm, FULL, logger);
  t.strictSame(await snapshot(orm), before);
  await provision(orm, settings(), logger);
  t.equal(await policyRow(orm, 'lonely', master), null, 'dropped from the configuration: deleted…');
  t.match(await policyRow(orm, 'admins', master), { config_managed: 1 }, '…unless a group holds it');
  t.strictSame(await allUsersPolicies(orm, master), [], "detached from its own tenant's all-users group");
  t.strictSame(await allUsersPolicies(orm, child), ['users'], 'not from the others (bootstrap.md §3)');
  t.match(await policyRow(orm, 'users', master), { config_managed: 1 }, 'so it is kept');
});

t.test('provisionTenant: one tenant, in the caller transaction or its own', async (t) => {
  const orm: Database = await migratedDatabase(t);
  const { logs, logger } = sinkLogger();
  await provision(orm, FULL, logger);
  const config = { ...FULL, update_policy_on_startup: false };

  t.test('inside the transaction creating the tenant, all-users group created if missing', async (t) => {
    const uuid = await orm.em.fork().transactional(async (em) => {
      const master = (await findMasterTenant(em))!;
      const tenant = em.create(Tenant, { name: 'new', slug: 'new', parent: master });
      await provisionTenant(em, config, tenant.uuid, logger);
      return tenant.uuid;
    });
    const [allUsers] = await orm.em
      .fork()
      .execute('select "slug", "system_managed" from "auth_group" where "name" = ?', [
        `wazo-all-users-tenant-${uuid}`,
      ]);
    t.strictSame(allUsers, { slug: `wazo-all-users-tenant-${uuid}`, system_managed: true });
    t.strictSame(await allUsersPolicies(orm, uuid), ['users']);
    t.strictSame(await groupPolicies(orm, 'admin-group', uuid), ['admins']);
    t.strictSame(await groupPolicies(orm, 'empty', uuid), []);
  });

  t.test('rolled back with the caller transaction', async (t) => {
    const before = await snapshot(orm);
    await t.rejects(
      orm.em.fork().transactional(async (em) => {
        const master = (await findMasterTenant(em))!;
        const tenant = em.create(Tenant, { name: 'gone', slug: 'gone', parent: master });
        await provisionTenant(em, config, tenant.uuid);
        throw new Error('tenant creation failed later');
      }),
      { message: 'tenant creation failed later' },
    );
    t.strictSame(await snapshot(orm), before);
  });

  t.test('on the database: its own transaction, idempotent, other tenants untouched', async (t) => {
    const tenant = await createTenant(orm, 'fixture');
    const other = await createTenant(orm, 'other');
    await provisionTenant(orm, config, tenant, logger);
    t.strictSame(await allUsersPolicies(orm, tenant), ['users']);
    t.strictSame(await groupPolicies(orm, 'admin-group', tenant), ['admins']);
    t.strictSame(await allUsersPolicies(orm, other), [], 'only the tenant named');
    t.equal(await groupPolicies(orm, 'admin-group', other), null);
    const before = await snapshot(orm);
    await provisionTenant(orm, config, tenant);
    t.strictSame(await snapshot(orm), before);
    t.equal(logged(logs, 'creating it').length, 0, 'no warning for a tenant being created');
  });
});
