// Taking over an upstream wazo-auth database (the fixture, plus users with PBKDF2 hashes of known
// passwords) into a PostgreSQL target this server initialised: logins, live tokens, refresh tokens and
// every resource read back through the API; the dry run; a second run.
import t, { type Test } from 'tap';
import type { Config } from '../../src/config/index.js';
import { type Database, openDatabase } from '../../src/entities/orm.js';
import { importUpstream } from '../../src/import/index.js';
import { JSON_HEADERS, startServer, type TestApp } from '../helpers/app.js';
import { caller } from '../helpers/callers.js';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { tokenFor } from '../helpers/tokens.js';
import {
  ADDED,
  enrichUpstream,
  FIXTURE,
  restoreUpstreamFixture,
  targetContents,
  upstreamQuery,
} from '../helpers/upstream-db.js';

type Row = Record<string, unknown>;

/** Provisioning of the target before the import: its seed master gets rows of its own to give way. */
function provisioned(config: Config): void {
  config.default_policies = { imp_provisioned_policy: { acl: ['imp.provisioned.read'] } };
  config.all_users_policies = { imp_provisioned_policy: true };
  config.tenant_default_groups = {
    'bench-group': { policies: {} },
    imp_default_group: { policies: { imp_provisioned_policy: true } },
  };
}

/** A PostgreSQL database initialised by one start of the server (seed and provisioning). */
async function initialisedTarget(t: Test, configure: (config: Config) => void = () => {}) {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const { app } = await startServer(db.uri, configure);
  await app.stop();
  const orm = await openDatabase(db.uri, { migrate: false });
  t.teardown(() => orm.close());
  return { uri: db.uri, orm };
}

/** The server on the imported target, as a `TestApp` for the callers. */
async function serve(t: Test, uri: string, orm: Database): Promise<TestApp & { stop(): Promise<void> }> {
  // Provisioning off: the API then shows exactly what the import wrote.
  const { app, logs } = await startServer(uri, (config) => {
    config.update_policy_on_startup = false;
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await app.stop();
    stopped = true;
  };
  t.teardown(stop);
  const base = `http://127.0.0.1:${app.address.port}`;
  return { app, base, orm, uri, logs, call: (req) => request(base, req), stop };
}

const sorted = <T>(values: T[]) => [...values].sort();

t.test('an upstream database taken over by a PostgreSQL target', async (t) => {
  const source = await restoreUpstreamFixture(t);
  const added = await enrichUpstream(source.uri);
  const target = await initialisedTarget(t, provisioned);
  const seedMaster = (
    await target.orm.em.fork().execute<Row[]>('select "uuid" from "auth_tenant" where "uuid" = "parent_uuid"')
  )[0]!.uuid as string;
  t.not(seedMaster, FIXTURE.master, "the seed's master differs from upstream's");

  const q = <T extends object = Row>(sql: string) => upstreamQuery<T>(source.uri, sql);
  const now = Math.floor(Date.now() / 1000);
  const liveTokens = await q<{ uuid: string; session_uuid: string }>(
    `select uuid, session_uuid from auth_token where expire_t > ${now}`,
  );

  await t.test('dry run: the report, nothing written', async (t) => {
    const before = await targetContents(target.orm);
    const result = await importUpstream({ from: source.uri, orm: target.orm, dryRun: true });
    t.equal(result.written, false);
    t.strictSame(result.plan.conflicts, []);
    const users = result.plan.summary.find((row) => row.table === 'auth_user')!;
    t.match(users, { source: 9, imported: 9, present: 0 });
    t.ok(result.plan.master, 'the master replacement is planned');
    t.strictSame(await targetContents(target.orm), before, 'no row changed');
  });

  const result = await importUpstream({ from: source.uri, orm: target.orm });
  t.equal(result.written, true);
  const summary = Object.fromEntries(result.plan.summary.map((row) => [row.table, row]));
  t.match(summary.auth_tenant, { source: 3, imported: 3 });
  t.match(summary.auth_user, { source: 9, imported: 9 });
  t.match(summary.auth_token, { imported: liveTokens.length, skipped: 546 - liveTokens.length });
  t.match(summary.auth_saml_session, { imported: 1 });
  t.match(summary.auth_ldap_config, { imported: 1 });

  await t.test('the seed master gave way to upstream’s', async (t) => {
    const em = target.orm.em.fork();
    const masters = await em.execute<Row[]>('select * from "auth_tenant" where "uuid" = "parent_uuid"');
    t.strictSame(
      masters.map((row) => row.uuid),
      [FIXTURE.master],
    );
    t.strictSame(await em.execute('select * from "auth_tenant" where "uuid" = ?', [seedMaster]), []);
    const masterGroups = await em.execute<Row[]>(
      'select "uuid", "name" from "auth_group" where "tenant_uuid" = ? order by "name"',
      [FIXTURE.master],
    );
    const defaultGroup = masterGroups.find((row) => row.name === 'imp_default_group');
    t.ok(defaultGroup, 'a provisioned group of the seed master is kept in the new master');
    t.strictSame(
      masterGroups
        .filter((row) => String(row.name).startsWith('wazo-all-users-tenant-'))
        .map((row) => row.uuid),
      [FIXTURE.masterAllUsers],
      "one all-users group: upstream's",
    );
    t.strictSame(
      masterGroups.filter((row) => row.name === 'bench-group').map((row) => row.uuid),
      ['91a41461-93b4-4fa1-ad14-c7fb34ffd87a'],
      "upstream's group replaces the provisioned one of the same name",
    );
    const masterPolicies = await em.execute<Row[]>(
      'select "uuid", "slug" from "auth_policy" where "slug" = ?',
      ['wazo_default_master_user_policy'],
    );
    t.strictSame(
      masterPolicies.map((row) => row.uuid),
      [FIXTURE.masterPolicy],
    );
    const provisionedPolicy = (
      await em.execute<Row[]>('select "uuid", "tenant_uuid" from "auth_policy" where "slug" = ?', [
        'imp_provisioned_policy',
      ])
    )[0]!;
    t.equal(provisionedPolicy.tenant_uuid, FIXTURE.master);
    t.strictSame(
      (
        await em.execute<Row[]>('select "group_uuid" from "auth_group_policy" where "policy_uuid" = ?', [
          provisionedPolicy.uuid,
        ])
      )
        .map((row) => row.group_uuid)
        .sort(),
      sorted([FIXTURE.masterAllUsers, defaultGroup!.uuid as string]),
      "the seed all-users group's policy link moved to upstream's all-users group",
    );
    const settings = await em.execute<Row[]>(`select "value" from "auth_settings" where "key" = 'xivo_uuid'`);
    t.equal(settings[0]!.value, FIXTURE.xivoUuid, "upstream's platform uuid (from its tokens)");
  });

  const server = await serve(t, target.uri, target.orm);

  await t.test('logins with upstream PBKDF2 hashes, upgraded to argon2id', async (t) => {
    const admin = await tokenFor(server, ADDED.admin.username, ADDED.admin.password);
    t.equal(admin.metadata.uuid, added.admin);
    t.equal(admin.metadata.tenant_uuid, FIXTURE.master);
    const userA = await tokenFor(server, ADDED.userA.username, ADDED.userA.password);
    t.equal(userA.metadata.tenant_uuid, FIXTURE.tenantA);
    const byEmail = await tokenFor(server, ADDED.userA.email, ADDED.userA.password);
    t.equal(byEmail.metadata.uuid, added.userA, 'login by email address');
    const stored = await target.orm.em
      .fork()
      .execute<Row[]>('select "password_hash", "password_salt" from "auth_user" where "uuid" = ?', [
        added.admin,
      ]);
    t.match(stored[0]!.password_hash, /^\$argon2id\$/);
    t.equal(stored[0]!.password_salt, null);
    const wrong = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: {
        ...JSON_HEADERS,
        Authorization: `Basic ${Buffer.from('imp-user-a:nope').toString('base64')}`,
      },
      body: '{}',
    });
    t.equal(wrong.status, 401);
  });

  await t.test("upstream's live tokens keep working", async (t) => {
    const rows = await q<Row>(`select * from auth_token where uuid = '${FIXTURE.liveToken}'`);
    const row = rows[0]!;
    const res = await server.call({ path: `/0.1/token/${FIXTURE.liveToken}` });
    t.equal(res.status, 200);
    const data = res.json<{ data: Row }>().data;
    t.match(data, {
      token: FIXTURE.liveToken,
      session_uuid: row.session_uuid,
      auth_id: row.auth_id,
      xivo_uuid: row.xivo_uuid,
      metadata: JSON.parse(row.metadata as string),
    });
    t.strictSame(sorted(data.acl as string[]), sorted(row.acl as string[]));
    const scoped = await server.call({ path: `/0.1/token/${FIXTURE.liveToken}?scope=auth.users.me.read` });
    t.equal(scoped.status, 200, 'its ACL still grants');
    const denied = await server.call({ path: `/0.1/token/${FIXTURE.liveToken}?scope=confd.users.read` });
    t.equal(denied.status, 403);
    for (const token of liveTokens) {
      t.equal((await server.call({ method: 'HEAD', path: `/0.1/token/${token.uuid}` })).status, 204, 'live');
    }
    const expired = (
      await q<{ uuid: string }>(`select uuid from auth_token where expire_t <= ${now} limit 1`)
    )[0]!;
    t.equal((await server.call({ path: `/0.1/token/${expired.uuid}` })).status, 404, 'expired ones are not');
  });

  await t.test("upstream's refresh tokens keep working", async (t) => {
    for (const [refresh, clientId, user] of [
      [FIXTURE.fxRefreshToken, 'bars-fixture', FIXTURE.fxUser],
      [FIXTURE.adminRefreshToken, 'ceo-bench2', FIXTURE.admin],
    ] as const) {
      const res = await server.call({
        method: 'POST',
        path: '/0.1/token',
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh_token: refresh, client_id: clientId }),
      });
      t.equal(res.status, 200, clientId);
      t.equal(res.json<{ data: { metadata: Row } }>().data.metadata.uuid, user);
    }
  });

  await t.test('every resource through the API equals the source rows', async (t) => {
    const admin = caller(server, (await tokenFor(server, ADDED.admin.username, ADDED.admin.password)).token);

    const tenants = (await admin.get('/tenants')).json<{ items: Row[] }>().items;
    const domains = await q<Row>('select * from auth_tenant_domain');
    const addresses = await q<Row>('select * from auth_address');
    for (const row of await q<Row>('select * from auth_tenant')) {
      const address = addresses.find((a) => a.tenant_uuid === row.uuid);
      t.strictSame(
        tenants.find((item) => item.uuid === row.uuid),
        {
          uuid: row.uuid,
          parent_uuid: row.parent_uuid,
          name: row.name,
          slug: row.slug,
          contact: row.contact_uuid,
          phone: row.phone,
          default_authentication_method: row.default_authentication_method,
          domain_names: domains.filter((d) => d.tenant_uuid === row.uuid).map((d) => d.name),
          address: {
            line_1: address?.line_1 ?? null,
            line_2: address?.line_2 ?? null,
            city: address?.city ?? null,
            state: address?.state ?? null,
            country: address?.country ?? null,
            zip_code: address?.zip_code ?? null,
          },
        },
        `tenant ${row.slug}`,
      );
    }
    t.equal(tenants.length, 3, 'no other tenant');

    const users = (await admin.get('/users?recurse=true')).json<{ items: Row[] }>().items;
    const emails = await q<Row>('select * from auth_email');
    for (const row of await q<Row>('select * from auth_user')) {
      t.strictSame(
        users.find((item) => item.uuid === row.uuid),
        {
          uuid: row.uuid,
          username: row.username,
          firstname: row.firstname,
          lastname: row.lastname,
          purpose: row.purpose,
          authentication_method: row.authentication_method,
          enabled: row.enabled,
          tenant_uuid: row.tenant_uuid,
          emails: emails
            .filter((e) => e.user_uuid === row.uuid)
            .map((e) => ({ uuid: e.uuid, address: e.address, main: e.main, confirmed: e.confirmed })),
        },
        `user ${row.username}`,
      );
    }
    t.equal(users.length, 9, 'no other user');

    const groups = (await admin.get('/groups?recurse=true')).json<{ items: Row[] }>().items;
    const memberships = await q<Row>('select * from auth_user_group');
    const groupPolicies = await q<Row>('select * from auth_group_policy');
    for (const row of await q<Row>('select * from auth_group')) {
      t.match(
        groups.find((item) => item.uuid === row.uuid),
        { name: row.name, slug: row.slug, tenant_uuid: row.tenant_uuid, read_only: row.system_managed },
        `group ${row.name}`,
      );
      const members = (await admin.get(`/groups/${row.uuid}/users`, row.tenant_uuid as string)).json<{
        items: Row[];
      }>().items;
      t.strictSame(
        sorted(members.map((m) => m.uuid)),
        sorted(memberships.filter((m) => m.group_uuid === row.uuid).map((m) => m.user_uuid)),
        `members of ${row.name}`,
      );
      const linked = (await admin.get(`/groups/${row.uuid}/policies`, row.tenant_uuid as string)).json<{
        items: Row[];
      }>().items;
      const expected = groupPolicies.filter((g) => g.group_uuid === row.uuid).map((g) => g.policy_uuid);
      const carried =
        row.uuid === FIXTURE.masterAllUsers ? linked.filter((p) => p.slug === 'imp_provisioned_policy') : [];
      t.strictSame(
        sorted(linked.map((p) => p.uuid)),
        sorted([...expected, ...carried.map((p) => p.uuid)]),
        `policies of ${row.name}`,
      );
    }

    const policies = (await admin.get('/policies?recurse=true')).json<{ items: Row[] }>().items;
    const acl = await q<Row>(
      'select pa.policy_uuid, a.access from auth_policy_access pa join auth_access a on a.id = pa.access_id',
    );
    const userPolicies = await q<Row>('select * from auth_user_policy');
    for (const row of await q<Row>('select * from auth_policy')) {
      const item = policies.find((p) => p.uuid === row.uuid)!;
      t.match(
        item,
        {
          tenant_uuid: row.tenant_uuid,
          name: row.name,
          slug: row.slug,
          description: row.description,
          shared: row.shared,
          read_only: row.config_managed === true,
        },
        `policy ${row.name}`,
      );
      t.strictSame(
        sorted(item.acl as string[]),
        sorted(acl.filter((a) => a.policy_uuid === row.uuid).map((a) => a.access)),
        `ACL of ${row.name}`,
      );
    }
    for (const row of await q<Row>('select * from auth_user')) {
      const tenant = row.tenant_uuid as string;
      const linked = (await admin.get(`/users/${row.uuid}/policies`, tenant)).json<{ items: Row[] }>().items;
      t.strictSame(
        sorted(linked.map((p) => p.uuid)),
        sorted(userPolicies.filter((u) => u.user_uuid === row.uuid).map((u) => u.policy_uuid)),
        `policies of user ${row.username}`,
      );
      const refresh = await q<Row>(
        `select client_id from auth_refresh_token where user_uuid = '${row.uuid}'`,
      );
      const tokens = (await admin.get(`/users/${row.uuid}/tokens`, tenant)).json<{ items: Row[] }>().items;
      t.strictSame(
        sorted(tokens.map((r) => r.client_id)),
        sorted(refresh.map((r) => r.client_id)),
        `refresh tokens of ${row.username}`,
      );
    }

    const google = await q<{ data: string }>(
      `select c.data from auth_external_auth_config c join auth_external_auth_type t on t.uuid = c.type_uuid
        where t.name = 'google'`,
    );
    const config = await admin.get('/external/google/config', FIXTURE.tenantA);
    t.equal(config.status, 200);
    t.strictSame(config.json(), JSON.parse(google[0]!.data), 'the Google configuration of tenant A');
    const mobile = await admin.get(`/users/${FIXTURE.fxUser}/external/mobile`, FIXTURE.tenantA);
    t.equal(mobile.status, 200);
    t.equal(mobile.json<Row>().token, ADDED.mobileToken, "a user's mobile data");

    const ldapRow = (await q<Row>('select * from auth_ldap_config'))[0]!;
    const ldap = await admin.get('/backends/ldap', FIXTURE.tenantB);
    t.strictSame(ldap.json(), {
      tenant_uuid: ldapRow.tenant_uuid,
      host: ldapRow.host,
      port: ldapRow.port,
      protocol_version: ldapRow.protocol_version,
      protocol_security: ldapRow.protocol_security,
      bind_dn: ldapRow.bind_dn,
      user_base_dn: ldapRow.user_base_dn,
      user_login_attribute: ldapRow.user_login_attribute,
      user_email_attribute: ldapRow.user_email_attribute,
      search_filters: ldapRow.search_filters,
    });
    const ldapStored = await target.orm.em
      .fork()
      .execute<Row[]>('select "bind_password" from "auth_ldap_config" where "tenant_uuid" = ?', [
        FIXTURE.tenantB,
      ]);
    t.equal(
      ldapStored[0]!.bind_password,
      ADDED.ldapBindPassword,
      'the bind password, which the API never shows',
    );

    const samlRow = (await q<Row>('select * from auth_saml_config'))[0]!;
    const saml = await admin.get('/backends/saml', FIXTURE.tenantA);
    t.strictSame(saml.json(), {
      domain_uuid: samlRow.domain_uuid,
      entity_id: samlRow.entity_id,
      acs_url: samlRow.acs_url,
      tenant_uuid: samlRow.tenant_uuid,
    });
    const metadata = await admin.get('/backends/saml/metadata', FIXTURE.tenantA);
    t.equal(metadata.text, ADDED.samlMetadata);
    const samlSession = await target.orm.em
      .fork()
      .execute<Row[]>('select "refresh_token_uuid", "used", "login" from "auth_saml_session"');
    t.match(samlSession, [
      { refresh_token_uuid: FIXTURE.fxRefreshToken, used: true, login: ADDED.userA.email },
    ]);

    const sessions = (await admin.get(`/users/${FIXTURE.fxUser}/sessions`, FIXTURE.tenantA)).json<{
      items: Row[];
    }>().items;
    const live = liveTokens.find((token) => token.uuid === FIXTURE.liveToken)!;
    t.ok(
      sessions.some((s) => s.uuid === live.session_uuid),
      "the live token's session is listed",
    );
  });

  await t.test('a second import changes nothing', async (t) => {
    await server.stop();
    const before = await targetContents(target.orm);
    const again = await importUpstream({ from: source.uri, orm: target.orm });
    t.strictSame(again.plan.conflicts, []);
    t.strictSame(
      again.plan.summary.filter((row) => row.imported > 0).map((row) => row.table),
      [],
      'nothing new',
    );
    t.equal(again.plan.master, null);
    t.equal(again.plan.xivoUuid, null);
    t.strictSame(await targetContents(target.orm), before, 'no row changed');
  });
});
