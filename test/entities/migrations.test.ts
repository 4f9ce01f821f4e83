import { randomUUID } from 'node:crypto';
import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import t from 'tap';
import {
  Access,
  allUsersGroupName,
  Email,
  findMasterTenant,
  Group,
  MASTER_USER_POLICY_SLUG,
  Policy,
  RefreshToken,
  Session,
  Setting,
  Tenant,
  Token,
  User,
  XIVO_UUID_SETTING,
} from '../../src/entities/index.js';
import { postgresqlMigrations } from '../../src/entities/migrations/postgresql/index.js';
import { sqliteMigrations } from '../../src/entities/migrations/sqlite/index.js';
import {
  applyMigrations,
  type Database,
  type Dialect,
  MIGRATIONS_TABLE,
  openDatabase,
} from '../../src/entities/orm.js';
import { createTestDatabase, sqliteTempUri, type TestDatabase } from '../helpers/db.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Raw SQL; `?` placeholders work on both dialects. Through the entity manager (not the connection) so
 * that errors become MikroORM's exception classes.
 */
async function query(orm: Database, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return orm.em.fork().execute(sql, params);
}

/** `count(*)` comes back as a string from PostgreSQL and as a number from SQLite. */
async function count(orm: Database, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await query(orm, sql, params);
  return Number(row?.n);
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function masterUuid(orm: Database): Promise<string> {
  const master = await findMasterTenant(orm.em.fork());
  if (!master) throw new Error('no master tenant');
  return master.uuid;
}

/** A child tenant of the master, with the given slug (at most 10 characters). */
async function createTenant(orm: Database, slug: string): Promise<string> {
  const em = orm.em.fork();
  const tenant = em.create(Tenant, { name: slug, slug, parent: await masterUuid(orm) });
  await em.flush();
  return tenant.uuid;
}

function suite(dialect: Dialect, setup: () => Promise<TestDatabase>) {
  t.test(dialect, async (t) => {
    const db = await setup();
    let orm = await openDatabase(db.uri);
    t.teardown(async () => {
      await orm.close(true);
      await db.drop();
    });

    await t.test('the initial migration creates the seed rows', async (t) => {
      const em = orm.em.fork();
      const tenants = await em.findAll(Tenant);
      t.equal(tenants.length, 1, 'only the master tenant');
      const master = tenants[0]!;
      t.match(master.uuid, UUID);
      t.equal(master.parent.uuid, master.uuid, 'the master tenant is its own parent');
      t.equal((await findMasterTenant(em))?.uuid, master.uuid);
      t.equal(master.name, 'master');
      t.equal(master.slug, 'master');
      t.equal(master.phone, null);
      t.equal(master.contact, null);
      t.equal(master.defaultAuthenticationMethod, 'native');

      const accesses = await em.findAll(Access);
      t.same(
        accesses.map((a) => a.access),
        ['#'],
      );

      const groups = await em.find(Group, {}, { populate: ['users', 'policies'] });
      t.equal(groups.length, 1);
      t.equal(groups[0]?.name, `wazo-all-users-tenant-${master.uuid}`);
      t.equal(groups[0]?.name, allUsersGroupName(master.uuid));
      t.equal(groups[0]?.slug, allUsersGroupName(master.uuid));
      t.equal(groups[0]?.systemManaged, true);
      t.equal(groups[0]?.tenant.uuid, master.uuid);
      t.equal(groups[0]?.users.count(), 0);
      t.equal(groups[0]?.policies.count(), 0);

      const policies = await em.find(Policy, {}, { populate: ['accesses'] });
      t.equal(policies.length, 1);
      const policy = policies[0]!;
      t.equal(policy.name, MASTER_USER_POLICY_SLUG);
      t.equal(policy.slug, 'wazo_default_master_user_policy');
      t.equal(policy.tenant.uuid, master.uuid);
      t.equal(policy.configManaged, false);
      t.equal(policy.shared, false);
      t.match(policy.description, /^Default Wazo policy for the "master" user\n/);
      t.same(
        policy.accesses.getItems().map((a) => a.access),
        ['#'],
      );

      const settings = await em.findAll(Setting);
      t.equal(settings.length, 1);
      t.equal(settings[0]?.key, XIVO_UUID_SETTING);
      t.match(settings[0]?.value, UUID);
      t.not(settings[0]?.value, master.uuid, 'the platform uuid is not the tenant uuid');

      const migrations = await query(orm, `select name from ${MIGRATIONS_TABLE} order by id`);
      const registered = dialect === 'postgresql' ? postgresqlMigrations : sqliteMigrations;
      t.same(
        migrations,
        registered.map(({ name }) => ({ name })),
        'every registered migration, in order',
      );
      t.same(
        postgresqlMigrations.map(({ name }) => name),
        sqliteMigrations.map(({ name }) => name),
        'both dialects record the same migrations',
      );
    });

    await t.test('reopening applies nothing twice', async (t) => {
      const before = await masterUuid(orm);
      const [xivo] = await query(orm, 'select value from auth_settings');
      await orm.close(true);
      orm = await openDatabase(db.uri);
      t.same(await applyMigrations(orm, dialect), [], 'nothing pending');
      t.equal(await count(orm, `select count(*) as n from ${MIGRATIONS_TABLE}`), postgresqlMigrations.length);
      t.equal(await count(orm, 'select count(*) as n from auth_tenant'), 1);
      t.equal(await count(orm, 'select count(*) as n from auth_access'), 1);
      t.equal(await count(orm, 'select count(*) as n from auth_group'), 1);
      t.equal(await count(orm, 'select count(*) as n from auth_policy'), 1);
      t.equal(await count(orm, 'select count(*) as n from auth_policy_access'), 1);
      t.equal(await masterUuid(orm), before);
      t.same(await query(orm, 'select value from auth_settings'), [xivo]);
    });

    if (dialect === 'postgresql') {
      await t.test('the migrated schema matches the entities', async (t) => {
        t.equal(await orm.schema.getUpdateSchemaSQL({ wrap: false }), '');
      });
    }

    await t.test('usernames and email addresses are unique case-insensitively', async (t) => {
      const tenant = await masterUuid(orm);
      const em = orm.em.fork();
      const alice = em.create(User, { username: 'Alice', tenant, purpose: 'user' });
      em.create(Email, { address: 'Alice@Example.com', user: alice, main: true });
      await em.flush();

      const em2 = orm.em.fork();
      em2.create(User, { username: 'alice', tenant, purpose: 'user' });
      t.ok((await rejection(em2.flush())) instanceof UniqueConstraintViolationException, 'alice after Alice');

      const em3 = orm.em.fork();
      const bob = em3.create(User, { username: 'bob', tenant, purpose: 'user' });
      em3.create(Email, { address: 'alice@example.COM', user: bob });
      t.ok((await rejection(em3.flush())) instanceof UniqueConstraintViolationException, 'same address');

      const stored = await orm.em.fork().findOneOrFail(Email, { user: alice.uuid });
      t.equal(stored.address, 'Alice@Example.com', 'stored as given');
      t.equal(stored.main, true);
      t.equal(stored.confirmed, false);
    });

    await t.test('group and policy names are unique per tenant only', async (t) => {
      const master = await masterUuid(orm);
      const other = await createTenant(orm, 'uniq');
      const em = orm.em.fork();
      for (const tenant of [master, other]) {
        em.create(Group, { name: 'sales', slug: 'sales', tenant });
        em.create(Policy, { name: 'agents', slug: 'agents', tenant });
      }
      await em.flush();
      t.equal(await count(orm, `select count(*) as n from auth_group where name = 'sales'`), 2);
      t.equal(await count(orm, `select count(*) as n from auth_policy where name = 'agents'`), 2);

      const duplicates: [string, (em: ReturnType<Database['em']['fork']>) => void][] = [
        ['group name', (em) => em.create(Group, { name: 'sales', slug: 'sales2', tenant: master })],
        [
          'group slug, other case',
          (em) => em.create(Group, { name: 'sales2', slug: 'SALES', tenant: master }),
        ],
        ['policy name', (em) => em.create(Policy, { name: 'agents', slug: 'agents2', tenant: other })],
        [
          'policy slug, other case',
          (em) => em.create(Policy, { name: 'agents2', slug: 'Agents', tenant: other }),
        ],
      ];
      for (const [label, create] of duplicates) {
        const em = orm.em.fork();
        create(em);
        t.ok((await rejection(em.flush())) instanceof UniqueConstraintViolationException, label);
      }
    });

    await t.test('deleting a tenant deletes what it owns', async (t) => {
      const tenant = await createTenant(orm, 'doomed');
      const em = orm.em.fork();
      const user = em.create(User, { username: 'doomed-user', tenant, purpose: 'user' });
      em.create(Email, { address: 'doomed@example.com', user });
      const group = em.create(Group, { name: 'g', slug: 'g', tenant });
      const policy = em.create(Policy, { name: 'p', slug: 'p', tenant });
      const access = em.create(Access, { access: 'doomed.read' });
      policy.accesses.add(access);
      group.users.add(user);
      group.policies.add(policy);
      user.policies.add(policy);
      const refresh = em.create(RefreshToken, { clientId: 'doomed', user });
      const session = em.create(Session, { tenant });
      em.create(Token, { session, authId: user.uuid, acl: ['doomed.read'], refreshToken: refresh });
      await em.flush();

      const rows = (table: string, column: string, uuid: string) =>
        count(orm, `select count(*) as n from ${table} where ${column} = ?`, [uuid]);
      const links = async () => [
        await rows('auth_user_group', 'group_uuid', group.uuid),
        await rows('auth_group_policy', 'group_uuid', group.uuid),
        await rows('auth_user_policy', 'user_uuid', user.uuid),
        await rows('auth_policy_access', 'policy_uuid', policy.uuid),
        await rows('auth_token', 'auth_id', user.uuid),
      ];
      t.same(await links(), [1, 1, 1, 1, 1], 'before');

      await orm.em.fork().nativeDelete(Tenant, { uuid: tenant });

      t.same(await links(), [0, 0, 0, 0, 0], 'after');
      t.equal(await rows('auth_tenant', 'uuid', tenant), 0);
      t.equal(await rows('auth_user', 'tenant_uuid', tenant), 0);
      t.equal(await rows('auth_email', 'user_uuid', user.uuid), 0);
      t.equal(await rows('auth_group', 'tenant_uuid', tenant), 0);
      t.equal(await rows('auth_policy', 'tenant_uuid', tenant), 0);
      t.equal(await rows('auth_session', 'tenant_uuid', tenant), 0);
      t.equal(await rows('auth_refresh_token', 'uuid', refresh.uuid), 0);
      t.equal(
        await count(orm, `select count(*) as n from auth_access where access = 'doomed.read'`),
        1,
        'access strings stay',
      );
    });

    await t.test('deleting a user keeps its sessions and tokens', async (t) => {
      const master = await masterUuid(orm);
      const tenant = await createTenant(orm, 'contact');
      const em = orm.em.fork();
      const user = em.create(User, {
        username: 'leaver',
        tenant: master,
        purpose: 'internal',
        passwordSalt: Buffer.from([0, 1, 2, 255]),
      });
      em.create(Email, { address: 'leaver@example.com', user });
      const group = await em.findOneOrFail(Group, { name: allUsersGroupName(master) });
      group.users.add(user);
      user.policies.add(await em.findOneOrFail(Policy, { slug: MASTER_USER_POLICY_SLUG }));
      const refresh = em.create(RefreshToken, {
        clientId: 'leaver-app',
        user,
        metadata: { tenant_uuid: master },
      });
      const session = em.create(Session, { tenant: master, mobile: true });
      const token = em.create(Token, {
        session,
        authId: user.uuid,
        acl: ['confd.users.me.read', 'auth.#'],
        metadata: { uuid: user.uuid, purpose: 'internal' },
        issuedT: 1_700_000_000,
        expireT: 1_700_003_600,
        refreshToken: refresh,
      });
      (await em.findOneOrFail(Tenant, tenant)).contact = user;
      await em.flush();

      const read = await orm.em.fork().findOneOrFail(User, user.uuid, { populate: ['groups', 'policies'] });
      t.same([...(read.passwordSalt ?? [])], [0, 1, 2, 255], 'bytea/blob round trip');
      t.equal(read.enabled, true, 'database default');
      t.equal(read.authenticationMethod, 'default');
      t.same(
        read.groups.getItems().map((g) => g.name),
        [allUsersGroupName(master)],
      );
      t.same(
        read.policies.getItems().map((p) => p.slug),
        [MASTER_USER_POLICY_SLUG],
      );
      const storedRefresh = await orm.em.fork().findOneOrFail(RefreshToken, refresh.uuid);
      t.same(storedRefresh.metadata, { tenant_uuid: master });
      t.equal(storedRefresh.mobile, false);
      t.ok(storedRefresh.createdAt instanceof Date);

      await orm.em.fork().nativeDelete(User, { uuid: user.uuid });

      t.equal(await count(orm, 'select count(*) as n from auth_email where user_uuid = ?', [user.uuid]), 0);
      t.equal(
        await count(orm, 'select count(*) as n from auth_user_group where user_uuid = ?', [user.uuid]),
        0,
      );
      t.equal(
        await count(orm, 'select count(*) as n from auth_user_policy where user_uuid = ?', [user.uuid]),
        0,
      );
      t.equal(
        await count(orm, 'select count(*) as n from auth_refresh_token where user_uuid = ?', [user.uuid]),
        0,
      );
      const kept = await orm.em.fork().findOneOrFail(Token, token.uuid, { populate: ['session'] });
      t.equal(kept.authId, user.uuid);
      t.same(kept.acl, ['confd.users.me.read', 'auth.#'], 'JSON ACL round trip');
      t.same(kept.metadata, { uuid: user.uuid, purpose: 'internal' });
      t.equal(kept.issuedT, 1_700_000_000);
      t.equal(kept.expireT, 1_700_003_600);
      t.equal(kept.userAgent, '');
      t.equal(kept.refreshToken, null, 'the refresh token went with the user');
      t.equal(kept.session.uuid, session.uuid);
      t.equal(kept.session.mobile, true);
      t.equal((await orm.em.fork().findOneOrFail(Tenant, tenant)).contact, null, 'contact set to null');
      t.equal(
        await count(orm, 'select count(*) as n from auth_group where name = ?', [allUsersGroupName(master)]),
        1,
      );
    });

    await t.test('deleting a refresh token nulls the link of its tokens', async (t) => {
      const master = await masterUuid(orm);
      const em = orm.em.fork();
      const user = em.create(User, { username: 'refresher', tenant: master, purpose: 'user' });
      const refresh = em.create(RefreshToken, { clientId: 'app', user });
      const session = em.create(Session, { tenant: master });
      const token = em.create(Token, { session, authId: user.uuid, refreshToken: refresh });
      await em.flush();

      await orm.em.fork().nativeDelete(RefreshToken, { uuid: refresh.uuid });
      const kept = await orm.em.fork().findOneOrFail(Token, token.uuid);
      t.equal(kept.refreshToken, null);
      t.same(kept.acl, [], 'default ACL');
      t.equal(await count(orm, 'select count(*) as n from auth_session where uuid = ?', [session.uuid]), 1);
    });

    await t.test('refresh tokens are unique per client and user', async (t) => {
      const master = await masterUuid(orm);
      const em = orm.em.fork();
      const user = em.create(User, { username: 'twice', tenant: master, purpose: 'user' });
      em.create(RefreshToken, { clientId: 'same', user });
      await em.flush();
      const em2 = orm.em.fork();
      em2.create(RefreshToken, { clientId: 'same', user: user.uuid });
      t.ok((await rejection(em2.flush())) instanceof UniqueConstraintViolationException);
    });

    await t.test('CHECK constraints reject unknown values', async (t) => {
      const master = await masterUuid(orm);
      const purpose = rejection(
        query(orm, `insert into auth_user (uuid, tenant_uuid, purpose) values (?, ?, 'admin')`, [
          randomUUID(),
          master,
        ]),
      );
      t.ok((await purpose) instanceof CheckConstraintViolationException, 'purpose admin');
      const security = rejection(
        query(
          orm,
          `insert into auth_ldap_config (tenant_uuid, host, port, user_base_dn, protocol_security)
           values (?, 'ldap.example.com', 389, 'dc=example', 'ssl')`,
          [master],
        ),
      );
      t.ok((await security) instanceof CheckConstraintViolationException, 'protocol_security ssl');
      t.equal(await count(orm, `select count(*) as n from auth_user where purpose = 'admin'`), 0);
    });

    await t.test('foreign keys are enforced', async (t) => {
      if (dialect === 'sqlite') {
        // Make the pool replace its connection, as it does after 10 s: the new one must enforce them too.
        const client = orm.em.getConnection().getKnex().client;
        const connection = await client.acquireConnection();
        const replaced: string = connection.__knexUid;
        connection.__created = 0;
        await client.releaseConnection(connection);
        t.same(await query(orm, 'pragma foreign_keys'), [{ foreign_keys: 1 }]);
        const current = await client.acquireConnection();
        t.not(current.__knexUid, replaced, 'a new connection');
        await client.releaseConnection(current);
      }
      const em = orm.em.fork();
      em.create(User, { username: 'orphan', tenant: randomUUID(), purpose: 'user' });
      t.ok((await rejection(em.flush())) instanceof ForeignKeyConstraintViolationException, 'unknown tenant');
      const master = await masterUuid(orm);
      const parent = rejection(orm.em.fork().nativeDelete(Tenant, { uuid: master }));
      t.ok((await parent) instanceof ForeignKeyConstraintViolationException, 'a tenant with children stays');
      t.equal(await masterUuid(orm), master);
    });
  });
}

suite('postgresql', createTestDatabase);
suite('sqlite', async () => ({ uri: sqliteTempUri(), drop: async () => {} }));
