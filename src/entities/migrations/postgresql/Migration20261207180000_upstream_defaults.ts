import { Migration } from '@mikro-orm/migrations';

/** Upstream's uuid primary keys, every one defaulting to `uuid_generate_v4()` in its schema. */
const UUID_KEYED_TABLES = [
  'auth_email',
  'auth_external_auth_type',
  'auth_group',
  'auth_policy',
  'auth_refresh_token',
  'auth_session',
  'auth_tenant',
  'auth_tenant_domain',
  'auth_token',
  'auth_user',
] as const;

/**
 * Upstream's column defaults the initial migration lacked, for the writers other than this server
 * (upstream's DAO leaves the uuid of a new row to the database, and so may any tool or a rollback to
 * upstream): every uuid primary key defaults to a random uuid, and `auth_access.id` draws from a
 * sequence under upstream's name. `gen_random_uuid()` rather than upstream's `uuid_generate_v4()`: it is
 * built into PostgreSQL 13 and later, where `uuid_generate_v4()` needs the `uuid-ossp` extension, which
 * a database created for this server does not have (and its role may not be allowed to create).
 */
export class Migration20261207180000_upstream_defaults extends Migration {
  override async up(): Promise<void> {
    for (const table of UUID_KEYED_TABLES) {
      this.addSql(`alter table "${table}" alter column "uuid" set default gen_random_uuid()`);
    }
    // The column default refers to the sequence by oid: it follows the rename.
    this.addSql('alter sequence "auth_access_id_seq" rename to "auth_acl_template_id_seq"');
  }

  override async down(): Promise<void> {
    this.addSql('alter sequence "auth_acl_template_id_seq" rename to "auth_access_id_seq"');
    for (const table of UUID_KEYED_TABLES) {
      this.addSql(`alter table "${table}" alter column "uuid" drop default`);
    }
  }
}
