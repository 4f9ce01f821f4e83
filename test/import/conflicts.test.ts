// A target already holding users that clash with upstream's (same username but for case, same uuid,
// same email address): the import reports each one and writes nothing. Also the CLI: its report, its
// exit status, and no secret in its output.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import t from 'tap';
import { storedTextList } from '../../src/entities/index.js';
import { openDatabase } from '../../src/entities/orm.js';
import { ImportConflictError, importUpstream } from '../../src/import/index.js';
import { PROVISIONING_LOCK_KEY } from '../../src/provisioning/provision.js';
import { createTestDatabase } from '../helpers/db.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { run } from '../helpers/process.js';
import {
  ADDED,
  enrichUpstream,
  FIXTURE,
  restoreUpstreamFixture,
  targetContents,
  UPSTREAM_FIXTURE,
  upstreamQuery,
} from '../helpers/upstream-db.js';

t.test('conflicting users abort the import before anything is written', async (t) => {
  const source = await restoreUpstreamFixture(t);
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const orm = await openDatabase(db.uri);
  t.teardown(() => orm.close());
  const clashing = await createUser(orm, {
    username: 'ALICE',
    password: 'pw',
    email: { address: 'FX-User@fixture-a.example.com', confirmed: true },
  });
  await orm.em
    .fork()
    .execute(
      `insert into "auth_user" ("uuid", "username", "tenant_uuid", "purpose") values (?, 'someone-else', ?, 'user')`,
      [FIXTURE.fxUser, await masterUuid(orm)],
    );
  const before = await targetContents(orm);

  const error = await importUpstream({ from: source.uri, orm }).catch((e: unknown) => e);
  t.type(error, ImportConflictError);
  const conflicts = (error as ImportConflictError).result.plan.conflicts;
  t.match(conflicts, [
    /username "alice" of user 85af03ea-572e-4f3b-a652-5bf5a6f029f0 is taken by user .* in the target/,
    /user e0da5f47-f4dd-46aa-b783-17f70bec573b \("fx-user"\) exists in the target as "someone-else"/,
    new RegExp(`email "fx-user@fixture-a.example.com" of user ${FIXTURE.fxUser} belongs to user ${clashing}`),
  ]);
  t.equal(conflicts.length, 3);
  t.strictSame(await targetContents(orm), before, 'nothing written');

  const cli = await run('src/cli/import.ts', ['--from', source.uri], { WAZO_AUTH_DB_URI: db.uri });
  t.equal(cli.code, 1);
  t.match(cli.stdout, /conflicts \(3\), nothing was imported:/);
  t.match(cli.stderr, /3 conflict\(s\)/);
  t.strictSame(await targetContents(orm), before, 'nothing written by the CLI either');
});

t.test('an import and start-up provisioning take turns on the provisioning lock', async (t) => {
  const source = await restoreUpstreamFixture(t);
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const orm = await openDatabase(db.uri);
  t.teardown(() => orm.close());
  const before = await targetContents(orm);

  // Another process provisioning: it holds the provisioning lock for its transaction.
  const provisioning = new pg.Client({ connectionString: db.uri });
  await provisioning.connect();
  t.teardown(() => provisioning.end());
  await provisioning.query('begin');
  await provisioning.query('select pg_advisory_xact_lock($1)', [PROVISIONING_LOCK_KEY]);

  let settled = false;
  const running = importUpstream({ from: source.uri, orm }).finally(() => {
    settled = true;
  });
  await sleep(1500);
  t.notOk(settled, 'the import waits while provisioning runs');
  t.strictSame(await targetContents(orm), before, 'and has written nothing');

  await provisioning.query('commit');
  const result = await running;
  t.ok(result.written, 'then it imports');
  const users = (await orm.em.fork().execute('select count(*) as n from "auth_user"')) as { n: string }[];
  t.ok(Number(users[0]!.n) > 1, 'upstream users are there');

  // A server provisioning at start-up can go on once the import committed.
  await provisioning.query('begin');
  const lock = await provisioning.query<{ locked: boolean }>(
    'select pg_try_advisory_xact_lock($1) as locked',
    [PROVISIONING_LOCK_KEY],
  );
  t.ok(lock.rows[0]!.locked, 'the import released the lock with its transaction');
  await provisioning.query('rollback');
});

t.test('the CLI: dry run, import, and never a secret in its output', async (t) => {
  const source = await restoreUpstreamFixture(t);
  await enrichUpstream(source.uri);
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = { WAZO_AUTH_DB_URI: db.uri };

  const usage = await run('src/cli/import.ts', [], env);
  t.equal(usage.code, 2, 'without --from');

  const uninitialised = await run('src/cli/import.ts', ['--from', source.uri, '--dry-run'], env);
  t.equal(uninitialised.code, 1);
  t.match(uninitialised.stderr, /not initialised/);

  const imported = await run('src/cli/import.ts', ['--from', source.uri], env);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout, /auth_user\s+9\s+9\s+0\s+0/);
  t.match(
    imported.stdout,
    /master tenant: the seed's .* becomes upstream's 614f21e9-a16c-4e1b-a224-68acc16becee/,
  );
  t.match(imported.stdout, /auth_saml_pysaml2_cache|auth_token\s+546/);

  const dry = await run('src/cli/import.ts', ['--from', source.uri, '--dry-run'], env);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /to import/);
  t.match(dry.stdout, /auth_user\s+9\s+0\s+9\s+0/);
  t.match(dry.stdout, /dry run: nothing was written/);

  const secrets = [
    ...(await upstreamQuery<{ v: string }>(source.uri, 'select uuid as v from auth_token')).map((r) => r.v),
    ...(await upstreamQuery<{ v: string }>(source.uri, 'select uuid as v from auth_refresh_token')).map(
      (r) => r.v,
    ),
    ...(await upstreamQuery<{ v: string }>(source.uri, 'select password_hash as v from auth_user')).map(
      (r) => r.v,
    ),
    'fx-secret',
    ADDED.ldapBindPassword,
    ADDED.mobileToken,
  ];
  t.ok(readFileSync(UPSTREAM_FIXTURE, 'utf8').includes('fx-secret'), 'the fixture does hold that secret');
  const output = [imported.stdout, imported.stderr, dry.stdout, dry.stderr].join('\n');
  t.strictSame(
    secrets.filter((secret) => output.includes(secret)),
    [],
    'no token, refresh token, hash or secret printed',
  );
});

t.test("a target's own users of the seed master move to upstream's master", async (t) => {
  const source = await restoreUpstreamFixture(t);
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const orm = await openDatabase(db.uri);
  t.teardown(() => orm.close());
  const seed = await masterUuid(orm);
  const local = await createUser(orm, { username: 'local-admin', password: 'pw', acl: ['#'] });
  const em = orm.em.fork();
  await em.execute(`insert into "auth_session" ("uuid", "tenant_uuid", "mobile") values (?, ?, false)`, [
    'a0000000-0000-4000-8000-000000000001',
    seed,
  ]);
  await em.execute(
    `insert into "auth_token" ("uuid", "session_uuid", "auth_id", "issued_t", "expire_t", "metadata", "acl")
     values (?, ?, ?, ?, ?, ?, ?)`,
    [
      'a0000000-0000-4000-8000-000000000002',
      'a0000000-0000-4000-8000-000000000001',
      local,
      1,
      2_000_000_000,
      JSON.stringify({ uuid: local, tenant_uuid: seed }),
      storedTextList(['#'], em.getPlatform()),
    ],
  );

  const result = await importUpstream({ from: source.uri, orm });
  t.strictSame(result.plan.conflicts, []);
  const rows = await orm.em.fork().execute<Record<string, unknown>[]>(
    `select "u"."tenant_uuid", "g"."group_uuid" from "auth_user" "u"
       join "auth_user_group" "g" on "g"."user_uuid" = "u"."uuid" where "u"."uuid" = ?`,
    [local],
  );
  t.strictSame(rows, [{ tenant_uuid: FIXTURE.master, group_uuid: FIXTURE.masterAllUsers }]);
  const token = await orm.em
    .fork()
    .execute<{ metadata: string }[]>(`select "metadata" from "auth_token" where "auth_id" = ?`, [local]);
  t.equal(
    JSON.parse(token[0]!.metadata).tenant_uuid,
    FIXTURE.master,
    "its token's metadata names the new master",
  );
  const session = await orm.em
    .fork()
    .execute(
      `select "tenant_uuid" from "auth_session" where "uuid" = 'a0000000-0000-4000-8000-000000000001'`,
    );
  t.strictSame(session, [{ tenant_uuid: FIXTURE.master }]);
});
