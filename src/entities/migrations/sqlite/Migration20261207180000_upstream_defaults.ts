import { Migration } from '@mikro-orm/migrations';

/**
 * Nothing to do on SQLite, recorded so that both dialects list the same migrations. On PostgreSQL this
 * migration gives the uuid primary keys upstream's database default, for the other writers a shared
 * PostgreSQL database may have (upstream's DAO, tools, a rollback to upstream). An embedded SQLite file
 * has no other writer: this server always writes the uuid itself (`newUuid()`), as does the import, and
 * upstream never runs on SQLite. SQLite cannot add a default to an existing column either: it would take
 * a rebuild of ten tables, their indexes and the foreign keys pointing at them, for no reader.
 */
export class Migration20261207180000_upstream_defaults extends Migration {
  override async up(): Promise<void> {}

  override async down(): Promise<void> {}
}
