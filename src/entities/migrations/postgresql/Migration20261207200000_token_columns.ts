import { Migration } from '@mikro-orm/migrations';

/**
 * `auth_token.acl` as `text[]` and `auth_token.metadata` as `text`, upstream's types, so that upstream
 * reading or writing this database (a rollback, a tool of its own) meets the rows it expects: its DAO
 * binds the ACL as an array (refused by a `jsonb` column) and reads the metadata with `json.loads` (which
 * a `jsonb` value, handed over already parsed, breaks). The ACL column is rebuilt because a column's
 * conversion cannot take a subquery, and a jsonb array becomes a text array only through one.
 */
export class Migration20261207200000_token_columns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "auth_token" add column "acl_text" text[] not null default '{}'`);
    this.addSql(
      `update "auth_token" set "acl_text" = array(select jsonb_array_elements_text("acl")) where "acl" <> '[]'`,
    );
    this.addSql('alter table "auth_token" drop column "acl"');
    this.addSql('alter table "auth_token" rename column "acl_text" to "acl"');
    this.addSql('alter table "auth_token" alter column "metadata" type text using "metadata"::text');
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "auth_token" add column "acl_json" jsonb not null default '[]'`);
    this.addSql(`update "auth_token" set "acl_json" = to_jsonb("acl")`);
    this.addSql('alter table "auth_token" drop column "acl"');
    this.addSql('alter table "auth_token" rename column "acl_json" to "acl"');
    this.addSql('alter table "auth_token" alter column "metadata" type jsonb using "metadata"::jsonb');
  }
}
