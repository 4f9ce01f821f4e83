import { Migration } from '@mikro-orm/migrations';
import { INITIAL_TABLES_DROP_ORDER, initialSeedStatements } from '../initial-seed.js';

/**
 * Initial SQLite schema: upstream's baseline (database.md), generated from the entities with
 * `orm.schema.getCreateSchemaSQL()` and then checked by hand, plus the `auth_settings` table and the
 * seed rows of bootstrap.md §1. One statement per `addSql()`: the SQLite driver runs only the first
 * statement of a string.
 */
export class Migration20261129000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth_access" (
      "id" integer not null primary key autoincrement,
      "access" text not null
    )`);
    this.addSql(`create unique index "auth_access_access" on "auth_access" ("access")`);

    this.addSql(`create table "auth_external_auth_type" (
      "uuid" text not null,
      "name" text not null,
      "enabled" integer null,
      primary key ("uuid")
    )`);
    this.addSql(
      `create unique index "auth_external_auth_type_name_key" on "auth_external_auth_type" ("name")`,
    );

    this.addSql(`create table "auth_settings" (
      "key" text not null,
      "value" text not null,
      primary key ("key")
    )`);

    this.addSql(`create table "auth_tenant" (
      "uuid" text not null,
      "name" text null,
      "slug" text not null,
      "phone" text null,
      "contact_uuid" text null,
      "parent_uuid" text not null,
      "default_authentication_method" text not null default 'native',
      constraint "auth_tenant_contact_uuid_fkey" foreign key("contact_uuid") references "auth_user"("uuid") on delete set null on update cascade,
      constraint "auth_tenant_parent_uuid_fkey" foreign key("parent_uuid") references "auth_tenant"("uuid") on delete no action on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create unique index "auth_tenant_slug_key" on "auth_tenant" ("slug")`);
    this.addSql(`create index "auth_tenant__idx__contact_uuid" on "auth_tenant" ("contact_uuid")`);
    this.addSql(`create index "auth_tenant__idx__parent_uuid" on "auth_tenant" ("parent_uuid")`);

    this.addSql(`create table "auth_user" (
      "uuid" text not null,
      "username" text null,
      "password_hash" text null,
      "password_salt" blob null,
      "firstname" text null,
      "lastname" text null,
      "enabled" integer null default true,
      "tenant_uuid" text not null,
      "purpose" text check ("purpose" in ('user', 'internal', 'external_api')) not null,
      "authentication_method" text not null default 'default',
      constraint "auth_user_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_user__idx__tenant_uuid" on "auth_user" ("tenant_uuid")`);
    this.addSql(`create unique index "auth_user_username_key" on "auth_user" (lower("username"))`);

    this.addSql(`create table "auth_tenant_domain" (
      "uuid" text not null,
      "tenant_uuid" text not null,
      "name" text not null,
      constraint "auth_tenant_domain_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(
      `create index "auth_tenant_domain__idx__tenant_uuid" on "auth_tenant_domain" ("tenant_uuid")`,
    );
    this.addSql(`create unique index "auth_tenant_domain_name_key" on "auth_tenant_domain" ("name")`);

    this.addSql(`create table "auth_session" (
      "uuid" text not null,
      "tenant_uuid" text not null,
      "mobile" integer not null,
      constraint "auth_session_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_session__idx__tenant_uuid" on "auth_session" ("tenant_uuid")`);

    this.addSql(`create table "auth_saml_config" (
      "tenant_uuid" text not null,
      "domain_uuid" varchar(38) not null,
      "entity_id" text not null,
      "idp_metadata" text not null,
      "acs_url" text not null,
      constraint "auth_saml_config_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      constraint "auth_saml_config_domain_uuid_fkey" foreign key("domain_uuid") references "auth_tenant_domain"("uuid") on delete cascade on update cascade,
      primary key ("tenant_uuid", "domain_uuid")
    )`);
    this.addSql(`create index "auth_saml_config_tenant_uuid_index" on "auth_saml_config" ("tenant_uuid")`);
    this.addSql(`create index "auth_saml_config_domain_uuid_index" on "auth_saml_config" ("domain_uuid")`);

    this.addSql(`create table "auth_policy" (
      "uuid" text not null,
      "name" text not null,
      "slug" text not null,
      "description" text null,
      "tenant_uuid" text not null,
      "config_managed" integer null default false,
      "shared" integer not null default false,
      constraint "auth_policy_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_policy__idx__tenant_uuid" on "auth_policy" ("tenant_uuid")`);
    this.addSql(`create unique index "auth_policy_name_tenant" on "auth_policy" ("name", "tenant_uuid")`);
    this.addSql(
      `create unique index "auth_policy__idx__slug" on "auth_policy" (lower("slug"), "tenant_uuid")`,
    );

    this.addSql(`create table "auth_policy_access" (
      "policy_uuid" text not null,
      "access_id" integer not null,
      constraint "auth_policy_access_policy_uuid_fkey" foreign key("policy_uuid") references "auth_policy"("uuid") on delete cascade on update cascade,
      constraint "auth_policy_access_access_id_fkey" foreign key("access_id") references "auth_access"("id") on delete cascade on update cascade,
      primary key ("policy_uuid", "access_id")
    )`);
    this.addSql(
      `create index "auth_policy_access_policy_uuid_index" on "auth_policy_access" ("policy_uuid")`,
    );
    this.addSql(`create index "auth_policy_access_access_id_index" on "auth_policy_access" ("access_id")`);

    this.addSql(`create table "auth_ldap_config" (
      "tenant_uuid" text not null,
      "host" text not null,
      "port" integer not null,
      "protocol_version" integer null,
      "protocol_security" text check ("protocol_security" in ('ldaps', 'tls')) null,
      "bind_dn" text null,
      "bind_password" text null,
      "user_base_dn" text not null,
      "user_login_attribute" text null,
      "user_email_attribute" text null,
      "search_filters" text null,
      constraint "auth_ldap_config_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("tenant_uuid")
    )`);
    this.addSql(`create index "auth_ldap_config_tenant_uuid_index" on "auth_ldap_config" ("tenant_uuid")`);

    this.addSql(`create table "auth_group" (
      "uuid" text not null,
      "name" text not null,
      "slug" text not null,
      "tenant_uuid" text not null,
      "system_managed" integer not null default false,
      constraint "auth_group_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_group__idx__tenant_uuid" on "auth_group" ("tenant_uuid")`);
    this.addSql(`create unique index "auth_group_name_tenant" on "auth_group" ("name", "tenant_uuid")`);
    this.addSql(`create unique index "auth_group__idx__slug" on "auth_group" (lower("slug"), "tenant_uuid")`);

    this.addSql(`create table "auth_group_policy" (
      "group_uuid" text not null,
      "policy_uuid" text not null,
      constraint "auth_group_policy_group_uuid_fkey" foreign key("group_uuid") references "auth_group"("uuid") on delete cascade on update cascade,
      constraint "auth_group_policy_policy_uuid_fkey" foreign key("policy_uuid") references "auth_policy"("uuid") on delete cascade on update cascade,
      primary key ("group_uuid", "policy_uuid")
    )`);
    this.addSql(`create index "auth_group_policy_group_uuid_index" on "auth_group_policy" ("group_uuid")`);
    this.addSql(`create index "auth_group_policy_policy_uuid_index" on "auth_group_policy" ("policy_uuid")`);

    this.addSql(`create table "auth_external_auth_config" (
      "type_uuid" varchar(36) not null,
      "tenant_uuid" text not null,
      "data" text not null,
      constraint "auth_external_auth_config_type_uuid_fkey" foreign key("type_uuid") references "auth_external_auth_type"("uuid") on delete cascade on update cascade,
      constraint "auth_external_auth_config_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade,
      primary key ("type_uuid", "tenant_uuid")
    )`);
    this.addSql(
      `create index "auth_external_auth_config__idx__type_uuid" on "auth_external_auth_config" ("type_uuid")`,
    );
    this.addSql(
      `create index "auth_external_auth_config_tenant_uuid_index" on "auth_external_auth_config" ("tenant_uuid")`,
    );

    this.addSql(`create table "auth_address" (
      "id" integer not null primary key autoincrement,
      "tenant_uuid" text not null,
      "line_1" text null,
      "line_2" text null,
      "city" text null,
      "state" text null,
      "zip_code" text null,
      "country" text null,
      constraint "auth_address_tenant_uuid_fkey" foreign key("tenant_uuid") references "auth_tenant"("uuid") on delete cascade on update cascade
    )`);
    this.addSql(`create index "auth_address__idx__tenant_uuid" on "auth_address" ("tenant_uuid")`);

    this.addSql(`create table "auth_refresh_token" (
      "uuid" text not null,
      "client_id" text null,
      "user_uuid" varchar(36) null,
      "backend" text null,
      "login" text null,
      "user_agent" text null,
      "remote_addr" text null,
      "created_at" datetime null default current_timestamp,
      "mobile" integer not null default false,
      "metadata" json not null default '{}',
      constraint "auth_refresh_token_user_uuid_fkey" foreign key("user_uuid") references "auth_user"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_refresh_token__idx__user_uuid" on "auth_refresh_token" ("user_uuid")`);
    this.addSql(
      `create unique index "auth_refresh_token_client_id_user_uuid" on "auth_refresh_token" ("client_id", "user_uuid")`,
    );

    this.addSql(`create table "auth_token" (
      "uuid" text not null,
      "session_uuid" text not null,
      "auth_id" text not null,
      "pbx_user_uuid" text null,
      "xivo_uuid" text null,
      "issued_t" integer null,
      "expire_t" integer null,
      "metadata" json null,
      "user_agent" text null default '',
      "remote_addr" text null default '',
      "acl" json not null default '[]',
      "refresh_token_uuid" text null,
      constraint "auth_token_session_uuid_fkey" foreign key("session_uuid") references "auth_session"("uuid") on delete cascade on update cascade,
      constraint "auth_token_refresh_token_uuid_fkey" foreign key("refresh_token_uuid") references "auth_refresh_token"("uuid") on delete set null on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_token__idx__session_uuid" on "auth_token" ("session_uuid")`);
    this.addSql(`create index "auth_token_refresh_token_uuid_index" on "auth_token" ("refresh_token_uuid")`);

    this.addSql(`create table "auth_saml_session" (
      "request_id" text not null,
      "session_id" text not null,
      "redirect_url" text not null,
      "domain" text not null,
      "relay_state" text not null,
      "login" text null,
      "start_time" datetime null default current_timestamp,
      "saml_name_id" text null,
      "refresh_token_uuid" text null,
      constraint "auth_saml_session_refresh_token_uuid_fkey" foreign key("refresh_token_uuid") references "auth_refresh_token"("uuid") on delete set null on update cascade,
      primary key ("request_id", "session_id")
    )`);
    this.addSql(
      `create index "auth_saml_session_refresh_token_uuid_index" on "auth_saml_session" ("refresh_token_uuid")`,
    );

    this.addSql(`create table "auth_email" (
      "uuid" text not null,
      "address" text not null,
      "confirmed" integer not null,
      "main" integer not null,
      "user_uuid" text not null,
      constraint "auth_email_user_uuid_fkey" foreign key("user_uuid") references "auth_user"("uuid") on delete cascade on update cascade,
      primary key ("uuid")
    )`);
    this.addSql(`create index "auth_email__idx__user_uuid" on "auth_email" ("user_uuid")`);
    this.addSql(`create unique index "auth_email_address_key" on "auth_email" (lower("address"))`);

    this.addSql(`create table "auth_user_policy" (
      "user_uuid" text not null,
      "policy_uuid" text not null,
      constraint "auth_user_policy_user_uuid_fkey" foreign key("user_uuid") references "auth_user"("uuid") on delete cascade on update cascade,
      constraint "auth_user_policy_policy_uuid_fkey" foreign key("policy_uuid") references "auth_policy"("uuid") on delete cascade on update cascade,
      primary key ("user_uuid", "policy_uuid")
    )`);
    this.addSql(`create index "auth_user_policy_user_uuid_index" on "auth_user_policy" ("user_uuid")`);
    this.addSql(`create index "auth_user_policy_policy_uuid_index" on "auth_user_policy" ("policy_uuid")`);

    this.addSql(`create table "auth_user_group" (
      "group_uuid" text not null,
      "user_uuid" text not null,
      constraint "auth_user_group_group_uuid_fkey" foreign key("group_uuid") references "auth_group"("uuid") on delete cascade on update cascade,
      constraint "auth_user_group_user_uuid_fkey" foreign key("user_uuid") references "auth_user"("uuid") on delete cascade on update cascade,
      primary key ("group_uuid", "user_uuid")
    )`);
    this.addSql(`create index "auth_user_group_group_uuid_index" on "auth_user_group" ("group_uuid")`);
    this.addSql(`create index "auth_user_group_user_uuid_index" on "auth_user_group" ("user_uuid")`);

    this.addSql(`create table "auth_user_external_auth" (
      "user_uuid" text not null,
      "external_auth_type_uuid" text not null,
      "data" text not null,
      constraint "auth_user_external_auth_user_uuid_fkey" foreign key("user_uuid") references "auth_user"("uuid") on delete cascade on update cascade,
      constraint "auth_user_external_auth_external_auth_type_uuid_fkey" foreign key("external_auth_type_uuid") references "auth_external_auth_type"("uuid") on delete cascade on update cascade,
      primary key ("user_uuid", "external_auth_type_uuid")
    )`);
    this.addSql(
      `create index "auth_user_external_auth_user_uuid_index" on "auth_user_external_auth" ("user_uuid")`,
    );
    this.addSql(
      `create index "auth_user_external_auth_external_auth_type_uuid_index" on "auth_user_external_auth" ("external_auth_type_uuid")`,
    );

    for (const statement of initialSeedStatements()) this.addSql(statement);
  }

  override async down(): Promise<void> {
    for (const table of INITIAL_TABLES_DROP_ORDER) this.addSql(`drop table if exists "${table}"`);
  }
}
