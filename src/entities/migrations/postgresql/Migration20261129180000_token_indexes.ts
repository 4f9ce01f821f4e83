import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes upstream's schema lacks: every login counts the user's sessions by `auth_id` (a scan of every
 * token without it), and a refresh token's deletion or purge finds its tokens by `refresh_token_uuid`.
 */
export class Migration20261129180000_token_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index "auth_token__idx__auth_id" on "auth_token" ("auth_id")');
    this.addSql('create index "auth_token_refresh_token_uuid_index" on "auth_token" ("refresh_token_uuid")');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "auth_token__idx__auth_id"');
    this.addSql('drop index if exists "auth_token_refresh_token_uuid_index"');
  }
}
