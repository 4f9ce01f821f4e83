import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// `pg` itself ships no type declarations; MikroORM re-exports knex, which drives it with types.
import { knex } from '@mikro-orm/postgresql';
import { type Database, openDatabase } from '../../src/entities/orm.js';

/** Admin connection used to create and drop the throw-away databases. */
export const TEST_DB_ADMIN_URI =
  process.env.WAZO_AUTH_TEST_DB_URI ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** `postgresql://…/wazo_auth_test_<random>`, ready for `openDatabase()`. */
  uri: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

async function admin<T>(run: (db: ReturnType<typeof knex>) => Promise<T>): Promise<T> {
  const db = knex({ client: 'pg', connection: TEST_DB_ADMIN_URI, pool: { min: 0, max: 1 } });
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}

/** Creates an empty, uniquely named PostgreSQL database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `wazo_auth_test_${randomBytes(6).toString('hex')}`;
  await admin((db) => db.raw(`create database "${name}"`));
  const url = new URL(TEST_DB_ADMIN_URI);
  url.pathname = `/${name}`;
  return {
    uri: url.toString(),
    drop: () => admin((db) => db.raw(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

const sqliteDirs = new Set<string>();

/** `sqlite:<fresh temp dir>/wazo-auth.db`; the folder is removed when the process exits. */
export function sqliteTempUri(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-test-'));
  if (sqliteDirs.size === 0) {
    process.once('exit', () => {
      for (const d of sqliteDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  sqliteDirs.add(dir);
  return `sqlite:${join(dir, 'wazo-auth.db')}`;
}

/** A fresh, migrated PostgreSQL database opened for the test, closed and dropped at its teardown. */
export async function migratedDatabase(t: { teardown(fn: () => unknown): void }): Promise<Database> {
  const db = await createTestDatabase();
  const orm = await openDatabase(db.uri);
  t.teardown(async () => {
    await orm.close();
    await db.drop();
  });
  return orm;
}
