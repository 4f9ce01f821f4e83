import { Migration } from '@mikro-orm/migrations';

const FOREIGN_KEYS = `constraint "auth_policy_access_policy_uuid_fkey" foreign key("policy_uuid") references "auth_policy"("uuid") on delete cascade on update cascade,
      constraint "auth_policy_access_access_id_fkey" foreign key("access_id") references "auth_access"("id") on delete cascade on update cascade`;

const INDEXES = [
  'create index "auth_policy_access_policy_uuid_index" on "auth_policy_access" ("policy_uuid")',
  'create index "auth_policy_access_access_id_index" on "auth_policy_access" ("access_id")',
];

/**
 * A policy's ACL keeps the order it was given: `position` (see the PostgreSQL migration of the same name).
 * SQLite cannot change a primary key in place, so the table is rebuilt, its rows copied in insertion
 * (rowid) order. No table refers to this one: dropping it needs no change to foreign keys.
 */
export class Migration20261207190000_policy_acl_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth_policy_access__ordered" (
      "position" integer not null primary key autoincrement,
      "policy_uuid" text not null,
      "access_id" integer not null,
      ${FOREIGN_KEYS}
    )`);
    this.addSql(
      'insert into "auth_policy_access__ordered" ("policy_uuid", "access_id") select "policy_uuid", "access_id" from "auth_policy_access" order by rowid',
    );
    this.addSql('drop table "auth_policy_access"');
    this.addSql('alter table "auth_policy_access__ordered" rename to "auth_policy_access"');
    for (const index of INDEXES) this.addSql(index);
    this.addSql(
      'create unique index "auth_policy_access_policy_uuid_access_id_unique" on "auth_policy_access" ("policy_uuid", "access_id")',
    );
  }

  override async down(): Promise<void> {
    this.addSql(`create table "auth_policy_access__pair" (
      "policy_uuid" text not null,
      "access_id" integer not null,
      ${FOREIGN_KEYS},
      primary key ("policy_uuid", "access_id")
    )`);
    this.addSql(
      'insert into "auth_policy_access__pair" ("policy_uuid", "access_id") select "policy_uuid", "access_id" from "auth_policy_access" order by "position"',
    );
    this.addSql('drop table "auth_policy_access"');
    this.addSql('alter table "auth_policy_access__pair" rename to "auth_policy_access"');
    for (const index of INDEXES) this.addSql(index);
  }
}
