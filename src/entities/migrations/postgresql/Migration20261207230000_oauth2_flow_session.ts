import { Migration } from '@mikro-orm/migrations';

/**
 * The session of the token that started an OAuth2 flow (issue #18 item 10): the flow completes only while
 * that session lives, and goes with it. Pending flows live minutes; those of before have no session and
 * could never complete, so they are dropped.
 */
export class Migration20261207230000_oauth2_flow_session extends Migration {
  override async up(): Promise<void> {
    this.addSql('delete from "auth_oauth2_flow"');
    this.addSql(
      'alter table "auth_oauth2_flow" add column "session_uuid" varchar(36) null references "auth_session" ("uuid") on update cascade on delete cascade',
    );
    this.addSql('create index "auth_oauth2_flow__idx__session_uuid" on "auth_oauth2_flow" ("session_uuid")');
  }

  override async down(): Promise<void> {
    this.addSql('drop index "auth_oauth2_flow__idx__session_uuid"');
    this.addSql('alter table "auth_oauth2_flow" drop column "session_uuid"');
  }
}
