import { randomBytes } from 'node:crypto';
// `pg` ships no type declarations; MikroORM re-exports knex, which drives it with types.
import { knex } from '@mikro-orm/postgresql';

/** The server the throw-away databases are created on; its settings are left as they are. */
const ADMIN_URI = process.env.BENCH_DB_URI ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  uri: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const db = knex({ client: 'pg', connection: ADMIN_URI, pool: { min: 0, max: 1 } });
  try {
    await db.raw(sql);
  } finally {
    await db.destroy();
  }
}

/** An empty PostgreSQL database with a random name, dropped (connections and all) by `drop`. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `wazo_auth_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create database "${name}"`);
  const url = new URL(ADMIN_URI);
  url.pathname = `/${name}`;
  return { uri: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}
