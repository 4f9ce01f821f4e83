import { Migration } from '@mikro-orm/migrations';

/**
 * A policy's ACL keeps the order it was given (upstream returns the pivot's rows in physical order, which
 * is that order in practice). `position` draws from a sequence, so a writer naming only the pair still
 * appends; existing rows are numbered in the order the table is scanned, the order upstream showed them.
 * The pair, the key until now, stays unique.
 */
export class Migration20261207190000_policy_acl_order extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "auth_policy_access" drop constraint "auth_policy_access_pkey"');
    this.addSql('alter table "auth_policy_access" add column "position" serial not null');
    this.addSql(
      'alter table "auth_policy_access" add constraint "auth_policy_access_policy_uuid_access_id_unique" unique ("policy_uuid", "access_id")',
    );
    this.addSql(
      'alter table "auth_policy_access" add constraint "auth_policy_access_pkey" primary key ("position")',
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table "auth_policy_access" drop constraint "auth_policy_access_pkey"');
    this.addSql(
      'alter table "auth_policy_access" drop constraint "auth_policy_access_policy_uuid_access_id_unique"',
    );
    this.addSql('alter table "auth_policy_access" drop column "position"');
    this.addSql(
      'alter table "auth_policy_access" add constraint "auth_policy_access_pkey" primary key ("policy_uuid", "access_id")',
    );
  }
}
