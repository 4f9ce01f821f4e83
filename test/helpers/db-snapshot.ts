// Telling whether a request changed the database (the authorization matrix: "a refused request wrote
// nothing"), on a PostgreSQL test database, two ways:
//
// - `databaseDigest`: a digest of every row of every `auth_*` table, per table, independent of the rows'
//   order. Taken before and after, equal digests mean nothing changed. One query, but it reads every row.
// - `changeJournal`: row triggers on every `auth_*` table append the table's name to a journal for every
//   row inserted, deleted or really updated (an update writing the same values is not a change), in the
//   writing transaction (a rolled-back change leaves nothing). Reading what was journaled since a mark is
//   one small query: cheap enough for every request; stricter than the digest too (a change undone by the
//   same request still shows).
//
// Both see only the tables that exist when they are set up (the server's migrations have run by then).

import type { Database } from '../../src/entities/orm.js';

export type Digest = Readonly<Record<string, string>>;

export interface DatabaseDigest {
  /** Each table's digest now. */
  take(): Promise<Digest>;
  /** The tables whose digest differs (empty: nothing changed). */
  changed(before: Digest, after: Digest): string[];
}

async function tablesOf(orm: Database, prefix: string): Promise<string[]> {
  const rows = await orm.em.fork().execute<{ table_name: string }[]>(
    `select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name like ?
      order by table_name`,
    [`${prefix.replace(/_/g, '\\_')}%`],
  );
  const tables = rows.map((row) => row.table_name);
  if (tables.length === 0) throw new Error(`no table named ${prefix}*`);
  return tables;
}

/** Digests of the tables whose name starts with `prefix` (every `auth_*` table by default). */
export async function databaseDigest(orm: Database, prefix = 'auth_'): Promise<DatabaseDigest> {
  const tables = await tablesOf(orm, prefix);
  // Per table: the row count and the sum of a 64-bit hash of each row's text, which no order of the rows
  // changes and which needs no sort (a row changed, added or removed changes it, barring a collision).
  const columns = tables.map(
    (table) =>
      `(select count(*) || ':' || coalesce(sum(hashtextextended("r"::text, 0)), 0) from "${table}" "r") as "${table}"`,
  );
  const query = `select ${columns.join(', ')}`;
  return {
    async take() {
      const [digest] = await orm.em.fork().execute<Record<string, string>[]>(query);
      return digest!;
    },
    changed: (before, after) => tables.filter((table) => before[table] !== after[table]),
  };
}

export interface ChangeJournal {
  /** The tables covered. */
  readonly tables: readonly string[];
  /** A mark: what is journaled from now on is `since` it. */
  mark(): Promise<number>;
  /** The tables changed since `mark` (each once, in the order of their first change), and the new mark. */
  since(mark: number): Promise<{ tables: string[]; mark: number }>;
}

const JOURNAL = 'test_change_journal';

/** Installs the journal's triggers on the tables whose name starts with `prefix` (every `auth_*` table). */
export async function changeJournal(orm: Database, prefix = 'auth_'): Promise<ChangeJournal> {
  const tables = await tablesOf(orm, prefix);
  const em = orm.em.fork();
  await em.execute(
    `create table if not exists "${JOURNAL}" ("id" bigserial primary key, "tbl" text not null)`,
  );
  await em.execute(`
    create or replace function "${JOURNAL}_row"() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and old::text is not distinct from new::text then return null; end if;
      insert into "${JOURNAL}" ("tbl") values (tg_table_name);
      return null;
    end $$`);
  for (const table of tables) {
    await em.execute(`drop trigger if exists "${JOURNAL}" on "${table}"`);
    await em.execute(
      `create trigger "${JOURNAL}" after insert or update or delete on "${table}"
         for each row execute function "${JOURNAL}_row"()`,
    );
  }
  const journal: ChangeJournal = {
    tables,
    async mark() {
      const [row] = await orm.em
        .fork()
        .execute<{ id: string | number | null }[]>(`select max("id") as "id" from "${JOURNAL}"`);
      return Number(row?.id ?? 0);
    },
    async since(mark) {
      const rows = await orm.em
        .fork()
        .execute<{ id: string | number; tbl: string }[]>(
          `select "id", "tbl" from "${JOURNAL}" where "id" > ? order by "id"`,
          [mark],
        );
      return {
        tables: [...new Set(rows.map((row) => row.tbl))],
        mark: rows.length > 0 ? Number(rows.at(-1)!.id) : mark,
      };
    },
  };
  return journal;
}
