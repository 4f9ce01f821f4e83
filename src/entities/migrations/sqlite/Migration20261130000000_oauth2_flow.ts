import { Migration } from '@mikro-orm/migrations';

/** Pending OAuth2 authorizations of the external auth types (`src/external-auth/oauth2`). */
export class Migration20261130000000_oauth2_flow extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth_oauth2_flow" (
      "state_hash" text not null primary key,
      "auth_type" text not null,
      "user_uuid" text not null references "auth_user" ("uuid") on update cascade on delete cascade,
      "tenant_uuid" text not null references "auth_tenant" ("uuid") on update cascade on delete cascade,
      "scope" text not null,
      "code_verifier" text null,
      "expires_at" integer not null
    )`);
    this.addSql('create index "auth_oauth2_flow__idx__user_uuid" on "auth_oauth2_flow" ("user_uuid")');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "auth_oauth2_flow"');
  }
}
