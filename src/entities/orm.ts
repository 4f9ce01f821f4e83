import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MigrationObject, MikroORM, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/postgresql';
import { installRevocationTrigger } from '../db/revocation-trigger.js';
import { entities } from './index.js';
import { postgresqlMigrations } from './migrations/postgresql/index.js';
import { sqliteMigrations } from './migrations/sqlite/index.js';
import { WazoNamingStrategy } from './naming.js';

/** An open database: both drivers are knex based, so the SQL entity manager API is available. */
export type Database = MikroORM<AbstractSqlDriver, SqlEntityManager<AbstractSqlDriver>>;

export type Dialect = 'postgresql' | 'sqlite';

export interface OpenDatabaseOptions {
  /** Log every SQL statement through MikroORM's logger (default false). */
  debug?: boolean;
  /** Apply the pending migrations before returning (default true). */
  migrate?: boolean;
}

/** Bookkeeping table of the migrations (upstream's alembic one is `alembic_version_auth`). */
export const MIGRATIONS_TABLE = 'wazo_auth_migrations';

/** Arbitrary constant: serializes migrations of several processes sharing one PostgreSQL database. */
const MIGRATION_LOCK_KEY = 0x7761_7a6f; // 'wazo'

const ACCEPTED = '`postgresql://user[:password]@host[:port]/database` or `sqlite:PATH` (`sqlite::memory:`)';

/** Which driver a `db_uri` needs; throws on anything else. */
export function dialectOf(uri: string): Dialect {
  if (/^postgres(ql)?:\/\//i.test(uri)) return 'postgresql';
  if (/^sqlite:/i.test(uri)) return 'sqlite';
  throw new Error(`Unsupported database URI in WAZO_AUTH_DB_URI / db_uri: expected ${ACCEPTED}`);
}

/** The file path of a `sqlite:PATH` URI (`:memory:` for an in-memory database). */
export function sqlitePathOf(uri: string): string {
  const path = uri.slice('sqlite:'.length);
  if (path === '') throw new Error(`Empty SQLite path in WAZO_AUTH_DB_URI / db_uri: expected ${ACCEPTED}`);
  return path;
}

/** The raw libsql connection, as far as the pool hook needs it. */
interface RawSqliteConnection {
  exec(sql: string): unknown;
}

/**
 * SQLite only enforces foreign keys on connections that ask for it. MikroORM sends the PRAGMA once, at
 * connect time, but knex's pool replaces file connections older than 10 s
 * (`LibSqlKnexDialect.validateConnection`); the libsql build in use happens to default to ON, which
 * is not something to rely on. This hook runs on every connection the pool creates.
 */
function enableForeignKeys(connection: RawSqliteConnection, done: (error: Error | null, c: unknown) => void) {
  try {
    connection.exec('PRAGMA foreign_keys = ON');
    done(null, connection);
  } catch (error) {
    done(error as Error, connection);
  }
}

function commonOptions(dialect: Dialect, debug: boolean) {
  const migrationsList: MigrationObject[] =
    dialect === 'postgresql' ? postgresqlMigrations : sqliteMigrations;
  return {
    entities,
    namingStrategy: WazoNamingStrategy,
    extensions: [Migrator],
    debug,
    // Never create a missing database: a mistyped name must fail, not start a fresh master tenant.
    ensureDatabase: false,
    // The entities are listed explicitly: no folder discovery, and nothing to warn about.
    discovery: { warnWhenNoEntities: false },
    // Run `onCreate` (uuid primary keys, defaults) in `em.create()` rather than at flush time, so that
    // a new entity's uuid can be used before it is flushed.
    processOnCreateHooksEarly: true,
    // Timestamps are written and read as UTC whatever the server's time zone.
    forceUtcTimezone: true,
    migrations: {
      tableName: MIGRATIONS_TABLE,
      migrationsList,
      // Versioned migrations are written by hand: no snapshot file, no output on the console.
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  } satisfies Options;
}

/**
 * Opens the database named by a `db_uri` (`postgresql://…` or `sqlite:PATH`), creating the parent
 * folder of a SQLite file, and applies the pending migrations unless `migrate` is false.
 */
export async function openDatabase(uri: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const dialect = dialectOf(uri);
  const common = commonOptions(dialect, options.debug ?? false);
  let orm: Database;
  if (dialect === 'postgresql') {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    orm = await MikroORM.init({ ...common, clientUrl: uri });
  } else {
    const path = sqlitePathOf(uri);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const { MikroORM } = await import('@mikro-orm/libsql');
    orm = await MikroORM.init({ ...common, dbName: path, pool: { afterCreate: enableForeignKeys } });
  }
  const status = await orm.checkConnection();
  if (!status.ok) {
    await orm.close(true);
    throw new Error(`Cannot open the database ${redact(uri)}: ${status.reason}`, { cause: status.error });
  }
  if (options.migrate ?? true) {
    try {
      await applyMigrations(orm, dialect);
    } catch (error) {
      await orm.close(true);
      throw error;
    }
  }
  return orm;
}

/** The URI without its password, for error messages. */
function redact(uri: string): string {
  return uri.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

/** Applies the pending migrations; returns the names of those that ran. */
export async function applyMigrations(orm: Database, dialect: Dialect): Promise<string[]> {
  const migrator = orm.getMigrator();
  if (dialect === 'sqlite') {
    return (await migrator.up()).map((m) => m.name);
  }
  // Several workers may start at once: a transaction-scoped advisory lock makes the others wait, and
  // they then find nothing pending.
  const connection = orm.em.getConnection();
  return connection.transactional(async (trx) => {
    await connection.execute('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY], 'all', trx);
    const applied = (await migrator.up({ transaction: trx })).map((m) => m.name);
    // Not a versioned migration: it is checked on every start, so that a schema restored or migrated by
    // another tool still announces its revocations to every instance.
    await installRevocationTrigger((sql, params = []) => connection.execute(sql, params, 'all', trx));
    return applied;
  });
}
