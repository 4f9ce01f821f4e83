import { Migration } from '@mikro-orm/migrations';

/**
 * SAML (src/saml): what single logout needs of an assertion, the one-time use of a session id, the
 * lookups by RelayState and session id, and one configuration per tenant.
 */
export class Migration20261130120000_saml_session extends Migration {
  override async up(): Promise<void> {
    for (const column of [
      '"used" boolean not null default false',
      '"name_id_format" text null',
      '"name_qualifier" text null',
      '"sp_name_qualifier" text null',
      '"session_index" text null',
      '"idp_entity_id" text null',
      '"logout_request_id" text null',
    ]) {
      this.addSql(`alter table "auth_saml_session" add column ${column}`);
    }
    this.addSql('create index "auth_saml_session__idx__relay_state" on "auth_saml_session" ("relay_state")');
    this.addSql('create index "auth_saml_session__idx__session_id" on "auth_saml_session" ("session_id")');
    this.addSql(
      'create unique index "auth_saml_config_tenant_uuid_key" on "auth_saml_config" ("tenant_uuid")',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "auth_saml_config_tenant_uuid_key"');
    this.addSql('drop index if exists "auth_saml_session__idx__session_id"');
    this.addSql('drop index if exists "auth_saml_session__idx__relay_state"');
    for (const column of [
      'logout_request_id',
      'idp_entity_id',
      'session_index',
      'sp_name_qualifier',
      'name_qualifier',
      'name_id_format',
      'used',
    ]) {
      this.addSql(`alter table "auth_saml_session" drop column "${column}"`);
    }
  }
}
