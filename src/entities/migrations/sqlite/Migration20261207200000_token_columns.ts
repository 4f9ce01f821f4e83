import { Migration } from '@mikro-orm/migrations';

/**
 * Nothing to do on SQLite, recorded so that both dialects list the same migrations. On PostgreSQL this
 * migration gives `auth_token.acl` and `metadata` upstream's types (`text[]`, `text`) for upstream's own
 * readers and writers of a shared database; SQLite has no arrays and no other writer, and its `json`
 * columns already hold JSON text.
 */
export class Migration20261207200000_token_columns extends Migration {
  override async up(): Promise<void> {}

  override async down(): Promise<void> {}
}
