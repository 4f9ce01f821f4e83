import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import t from 'tap';
import { dialectOf, openDatabase, sqlitePathOf } from '../../src/entities/orm.js';
import { sqliteTempUri, TEST_DB_ADMIN_URI } from '../helpers/db.js';

t.test('dialectOf picks the driver from the URI scheme', async (t) => {
  t.equal(dialectOf('postgresql://u:p@localhost:5432/asterisk'), 'postgresql');
  t.equal(dialectOf('postgres://localhost/asterisk'), 'postgresql');
  t.equal(dialectOf('sqlite:./data/wazo-auth.db'), 'sqlite');
  t.equal(dialectOf('sqlite::memory:'), 'sqlite');
  t.equal(sqlitePathOf('sqlite:./data/wazo-auth.db'), './data/wazo-auth.db');
  t.equal(sqlitePathOf('sqlite::memory:'), ':memory:');
  for (const uri of ['mysql://localhost/db', '/var/lib/wazo-auth.db', '']) {
    t.throws(
      () => dialectOf(uri),
      /WAZO_AUTH_DB_URI \/ db_uri: expected `postgresql:\/\/.*` or `sqlite:PATH`/,
      uri,
    );
  }
  t.throws(() => sqlitePathOf('sqlite:'), /Empty SQLite path/);
});

t.test('an unsupported URI is refused before connecting', async (t) => {
  await t.rejects(openDatabase('mysql://localhost/wazo'), /WAZO_AUTH_DB_URI/);
});

t.test('a missing PostgreSQL database is an error, not created', async (t) => {
  const name = `wazo_auth_missing_${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_DB_ADMIN_URI);
  url.pathname = `/${name}`;
  url.username ||= 'postgres';
  url.password = 'secret';
  const error = await openDatabase(url.toString()).catch((e: unknown) => e);
  t.ok(error instanceof Error);
  t.match((error as Error).message, `Cannot open the database`);
  t.match((error as Error).message, `database "${name}" does not exist`);
  t.notMatch((error as Error).message, 'secret', 'the password is not shown');

  const admin = await openDatabase(TEST_DB_ADMIN_URI, { migrate: false });
  const rows = await admin.em
    .fork()
    .execute('select count(*) as n from pg_database where datname = ?', [name]);
  await admin.close(true);
  t.equal(Number(rows[0]?.n), 0);
});

t.test('SQLite: in memory, or a file whose folders are created', async (t) => {
  const memory = await openDatabase('sqlite::memory:');
  const [tenants] = await memory.em.fork().execute('select count(*) as n from auth_tenant');
  await memory.close(true);
  t.equal(tenants?.n, 1);

  const uri = sqliteTempUri().replace(/wazo-auth\.db$/, 'a/b/wazo-auth.db');
  const path = sqlitePathOf(uri);
  t.notOk(existsSync(dirname(path)));
  const file = await openDatabase(uri, { migrate: false });
  const tables = await file.em.fork().execute(`select name from sqlite_master where type = 'table'`);
  await file.close(true);
  t.ok(existsSync(path));
  t.same(tables, [], 'migrate: false leaves the database empty');
});
