// The column defaults of upstream's schema, compared with the schema the migrations build: another writer
// of a shared PostgreSQL database (upstream's DAO, a tool, a rollback to upstream) leaves those columns
// to the database, the uuid primary keys first of all.

import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { openDatabase } from '../../src/entities/orm.js';
import { createTestDatabase } from '../helpers/db.js';
import { restoreUpstreamFixture, upstreamQuery } from '../helpers/upstream-db.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface ColumnDefault {
  table_name: string;
  column_name: string;
  column_default: string | null;
}

/**
 * What a default does, so that equivalent spellings compare equal: `gen_random_uuid()` (built in) for
 * upstream's `uuid_generate_v4()` (uuid-ossp), `CURRENT_TIMESTAMP` for `now()`, and the empty ACL and
 * metadata of columns whose type is JSON here (`text[]` and `json` upstream). Anything else, literals and
 * `nextval('sequence'::regclass)` included, must be written the same.
 */
function kind(expression: string | null): string | null {
  if (expression === null) return null;
  const bare = expression.replace(/^public\./, '');
  if (/^(uuid_generate_v4|gen_random_uuid)\(\)$/.test(bare)) return 'a random uuid';
  if (/^(now\(\)|current_timestamp)$/i.test(bare)) return 'the current time';
  if (bare === `'{}'::text[]` || bare === `'[]'::jsonb`) return 'an empty array';
  if (/^'\{\}'::jsonb?$/.test(bare)) return 'an empty object';
  return bare;
}

/** `table.column` → kind of default, for every column of the public schema. */
async function columnDefaults(uri: string): Promise<Map<string, string | null>> {
  const rows = await upstreamQuery<ColumnDefault>(
    uri,
    `select table_name, column_name, column_default from information_schema.columns
     where table_schema = 'public' order by table_name, column_name`,
  );
  return new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, kind(row.column_default)]));
}

/** A fresh database migrated by this server, closed and dropped at the test's teardown. */
async function migrated(t: Test): Promise<string> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const orm = await openDatabase(db.uri);
  await orm.close(true);
  return db.uri;
}

t.test('every column default of upstream is kept', async (t) => {
  const upstream = await columnDefaults((await restoreUpstreamFixture(t)).uri);
  const ours = await columnDefaults(await migrated(t));

  const defaulted = [...upstream].filter(([, value]) => value !== null).map(([column]) => column);
  t.ok(defaulted.includes('auth_session.uuid'), 'the upstream schema was read');
  t.same(
    defaulted.filter((column) => !ours.has(column)),
    [],
    'no column with a default upstream is missing',
  );

  const shared = [...upstream.keys()].filter((column) => ours.has(column));
  t.same(
    Object.fromEntries(shared.map((column) => [column, ours.get(column)])),
    Object.fromEntries(shared.map((column) => [column, upstream.get(column)])),
    'the same kind of default (or none) on every column both schemas have',
  );
});

/**
 * Rows written as upstream's DAO writes them: its models leave the uuid primary keys and the other
 * server-side defaults out of the INSERT (`Session(tenant_uuid=…, mobile=…)` in `SessionDAO.create`).
 * Run against upstream's own schema too, so that the statements are upstream's reality, not a guess.
 */
async function writeAsUpstream(t: Test, uri: string): Promise<void> {
  const one = async (sql: string, params: unknown[] = []) => {
    const [row] = await upstreamQuery(uri, sql, params);
    if (!row) throw new Error(`no row: ${sql}`);
    return row;
  };
  const suffix = randomBytes(3).toString('hex');
  const { uuid: master } = await one('select uuid from auth_tenant where uuid = parent_uuid');

  const session = await one('insert into auth_session (tenant_uuid, mobile) values ($1, false) returning *', [
    master,
  ]);
  t.match(session.uuid, UUID, 'auth_session.uuid');

  const tenant = await one(
    'insert into auth_tenant (name, slug, parent_uuid) values ($1, $2, $3) returning *',
    [`dflt${suffix}`, `dflt${suffix}`, master],
  );
  t.match(tenant.uuid, UUID, 'auth_tenant.uuid');
  t.equal(tenant.default_authentication_method, 'native');

  const domain = await one('insert into auth_tenant_domain (tenant_uuid, name) values ($1, $2) returning *', [
    tenant.uuid,
    `${suffix}.defaults.example.com`,
  ]);
  t.match(domain.uuid, UUID, 'auth_tenant_domain.uuid');

  const address = await one('insert into auth_address (tenant_uuid) values ($1) returning *', [tenant.uuid]);
  t.type(address.id, 'number', 'auth_address.id');

  const user = await one(
    `insert into auth_user (username, tenant_uuid, purpose) values ($1, $2, 'user') returning *`,
    [`defaults-${suffix}`, tenant.uuid],
  );
  t.match(user.uuid, UUID, 'auth_user.uuid');
  t.equal(user.enabled, true);
  t.equal(user.authentication_method, 'default');

  const email = await one(
    'insert into auth_email (address, confirmed, main, user_uuid) values ($1, false, true, $2) returning *',
    [`defaults-${suffix}@example.com`, user.uuid],
  );
  t.match(email.uuid, UUID, 'auth_email.uuid');

  const group = await one(
    'insert into auth_group (name, slug, tenant_uuid) values ($1, $2, $3) returning *',
    [`defaults-${suffix}`, `defaults-${suffix}`, tenant.uuid],
  );
  t.match(group.uuid, UUID, 'auth_group.uuid');
  t.equal(group.system_managed, false);

  const policy = await one(
    'insert into auth_policy (name, slug, tenant_uuid) values ($1, $2, $3) returning *',
    [`defaults-${suffix}`, `defaults-${suffix}`, tenant.uuid],
  );
  t.match(policy.uuid, UUID, 'auth_policy.uuid');
  t.equal(policy.config_managed, false);
  t.equal(policy.shared, false);

  const access = await one('insert into auth_access (access) values ($1) returning *', [
    `defaults.${suffix}`,
  ]);
  t.type(access.id, 'number', 'auth_access.id');

  const type = await one('insert into auth_external_auth_type (name) values ($1) returning *', [
    `defaults-${suffix}`,
  ]);
  t.match(type.uuid, UUID, 'auth_external_auth_type.uuid');

  const refresh = await one(
    'insert into auth_refresh_token (client_id, user_uuid) values ($1, $2) returning *',
    [`defaults-${suffix}`, user.uuid],
  );
  t.match(refresh.uuid, UUID, 'auth_refresh_token.uuid');
  t.ok(refresh.created_at instanceof Date, 'auth_refresh_token.created_at');
  t.equal(refresh.mobile, false);
  t.same(refresh.metadata, {});

  const token = await one(
    `insert into auth_token (session_uuid, auth_id, issued_t, expire_t) values ($1, $2, 1, 2) returning *`,
    [session.uuid, user.uuid],
  );
  t.match(token.uuid, UUID, 'auth_token.uuid');
  t.equal(token.user_agent, '');
  t.equal(token.remote_addr, '');
  t.same(token.acl, []);

  const saml = await one(
    `insert into auth_saml_session (request_id, session_id, redirect_url, domain, relay_state)
     values ($1, $2, 'https://app.example.com/', 'example.com', $3) returning *`,
    [`id-${suffix}`, `id-${suffix}`, `relay-${suffix}`],
  );
  t.ok(saml.start_time instanceof Date, 'auth_saml_session.start_time');

  const uuids = [session, tenant, domain, user, email, group, policy, type, refresh, token].map(
    (r) => r.uuid,
  );
  t.equal(new Set(uuids).size, uuids.length, 'every generated uuid is new');
}

t.test("upstream's inserts, leaving the defaults to the database", async (t) => {
  await t.test("on upstream's schema", async (t) =>
    writeAsUpstream(t, (await restoreUpstreamFixture(t)).uri),
  );
  await t.test('on a database migrated here', async (t) => writeAsUpstream(t, await migrated(t)));
});
