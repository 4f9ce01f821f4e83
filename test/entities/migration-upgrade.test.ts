// The migrations of this session applied to a database that already holds data, as on a server being
// upgraded, then rolled back and applied again: policy ACL order and token ACL/metadata survive.
import { randomUUID } from 'node:crypto';
import t, { type Test as Tap } from 'tap';
import { Policy, Token } from '../../src/entities/index.js';
import { type Database, type Dialect, openDatabase } from '../../src/entities/orm.js';
import { createTestDatabase, sqliteTempUri } from '../helpers/db.js';
import { masterUuid } from '../helpers/fixtures.js';

/** The last migration before the ones under test. */
const BEFORE = 'Migration20261207180000_upstream_defaults';
const ACL = ['z.last', 'a.first', 'NULL', ' padded ', 'quote"d'];

async function openAt(dialect: Dialect, t: { teardown(fn: () => unknown): void }): Promise<Database> {
  if (dialect === 'sqlite') return openDatabase(sqliteTempUri(), { migrate: false });
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  return openDatabase(db.uri, { migrate: false });
}

for (const dialect of ['postgresql', 'sqlite'] as const) {
  t.test(`${dialect}: upgrading a database with policies and tokens`, async (t) => {
    const orm = await openAt(dialect, t);
    t.teardown(() => orm.close(true));
    const migrator = orm.getMigrator();
    await migrator.up({ to: BEFORE });
    const master = await masterUuid(orm);
    const sql = orm.em.getConnection();

    // The old shapes: the pivot keyed by the pair, the token's ACL and metadata as JSON.
    const policy = randomUUID();
    await sql.execute(
      `insert into auth_policy (uuid, name, slug, tenant_uuid, config_managed, shared) values (?, 'p', 'p', ?, false, false)`,
      [policy, master],
    );
    // Interned in the reverse order of the ACL: ids must not decide the order after the upgrade.
    for (const access of [...ACL].reverse())
      await sql.execute('insert into auth_access (access) values (?)', [access]);
    for (const access of ACL)
      await sql.execute(
        'insert into auth_policy_access (policy_uuid, access_id) select ?, id from auth_access where access = ?',
        [policy, access],
      );
    const session = randomUUID();
    const token = randomUUID();
    await sql.execute('insert into auth_session (uuid, tenant_uuid, mobile) values (?, ?, false)', [
      session,
      master,
    ]);
    await sql.execute(
      `insert into auth_token (uuid, session_uuid, auth_id, metadata, acl) values (?, ?, 'someone', ?, ?)`,
      [token, session, JSON.stringify({ tenant_uuid: master }), JSON.stringify(ACL)],
    );

    const check = async (t: Tap, when: string) => {
      const em = orm.em.fork();
      const loaded = await em.findOneOrFail(Policy, { uuid: policy }, { populate: ['accesses'] });
      t.strictSame(
        loaded.accesses.getItems().map((a) => a.access),
        ACL,
        `${when}: the policy's ACL in its insertion order`,
      );
      const row = await em.findOneOrFail(Token, { uuid: token });
      t.strictSame(row.acl, ACL, `${when}: the token's ACL`);
      t.strictSame(row.metadata, { tenant_uuid: master }, `${when}: the token's metadata`);
    };

    await migrator.up();
    await check(t, 'upgraded');
    await migrator.down({ to: BEFORE });
    const [raw] = await sql.execute<{ acl: unknown }[]>('select acl from auth_token where uuid = ?', [token]);
    t.strictSame(
      typeof raw!.acl === 'string' ? JSON.parse(raw!.acl) : raw!.acl,
      ACL,
      'rolled back: the ACL is JSON again',
    );
    await migrator.up();
    await check(t, 'upgraded again');
  });
}
