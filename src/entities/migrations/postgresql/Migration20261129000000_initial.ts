import { Migration } from '@mikro-orm/migrations';
import { INITIAL_TABLES_DROP_ORDER, initialSeedStatements } from '../initial-seed.js';

/**
 * Initial PostgreSQL schema: upstream's baseline (database.md), generated from the entities with
 * `orm.schema.getCreateSchemaSQL()` and then checked by hand, plus the `auth_settings` table and the
 * seed rows of bootstrap.md §1. One statement per `addSql()`: the SQLite driver runs only the first
 * statement of a string.
 */
export class Migration20261129000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth_access" (
      "id" serial primary key,
      "access" text not null
    )`);
    this.addSql(`alter table "auth_access" add constraint "auth_access_access" unique ("access")`);

    this.addSql(`create table "auth_external_auth_type" (
      "uuid" varchar(38) not null,
      "name" text not null,
      "enabled" boolean null,
      constraint "auth_external_auth_type_pkey" primary key ("uuid")
    )`);
    this.addSql(
      `alter table "auth_external_auth_type" add constraint "auth_external_auth_type_name_key" unique ("name")`,
    );

    this.addSql(`create table "auth_settings" (
      "key" text not null,
      "value" text not null,
      constraint "auth_settings_pkey" primary key ("key")
    )`);

    this.addSql(`create table "auth_tenant" (
      "uuid" varchar(38) not null,
      "name" text null,
      "slug" varchar(10) not null,
      "phone" text null,
      "contact_uuid" varchar(38) null,
      "parent_uuid" varchar(38) not null,
      "default_authentication_method" text not null default 'native',
      constraint "auth_tenant_pkey" primary key ("uuid")
    )`);
    this.addSql(`alter table "auth_tenant" add constraint "auth_tenant_slug_key" unique ("slug")`);
    this.addSql(`create index "auth_tenant__idx__contact_uuid" on "auth_tenant" ("contact_uuid")`);
    this.addSql(`create index "auth_tenant__idx__parent_uuid" on "auth_tenant" ("parent_uuid")`);

    this.addSql(`create table "auth_user" (
      "uuid" varchar(38) not null,
      "username" varchar(256) null,
      "password_hash" text null,
      "password_salt" bytea null,
      "firstname" text null,
      "lastname" text null,
      "enabled" boolean null default true,
      "tenant_uuid" varchar(38) not null,
      "purpose" text check ("purpose" in ('user', 'internal', 'external_api')) not null,
      "authentication_method" text not null default 'default',
      constraint "auth_user_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_user__idx__tenant_uuid" on "auth_user" ("tenant_uuid")`);
    this.addSql(`create unique index "auth_user_username_key" on "auth_user" (lower("username"))`);

    this.addSql(`create table "auth_tenant_domain" (
      "uuid" varchar(36) not null,
      "tenant_uuid" varchar(38) not null,
      "name" varchar(253) not null,
      constraint "auth_tenant_domain_pkey" primary key ("uuid")
    )`);
    this.addSql(
      `create index "auth_tenant_domain__idx__tenant_uuid" on "auth_tenant_domain" ("tenant_uuid")`,
    );
    this.addSql(
      `alter table "auth_tenant_domain" add constraint "auth_tenant_domain_name_key" unique ("name")`,
    );

    this.addSql(`create table "auth_session" (
      "uuid" varchar(36) not null,
      "tenant_uuid" varchar(38) not null,
      "mobile" boolean not null,
      constraint "auth_session_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_session__idx__tenant_uuid" on "auth_session" ("tenant_uuid")`);

    this.addSql(`create table "auth_saml_config" (
      "tenant_uuid" varchar(38) not null,
      "domain_uuid" varchar(38) not null,
      "entity_id" varchar(512) not null,
      "idp_metadata" text not null,
      "acs_url" varchar(512) not null,
      constraint "auth_saml_config_pkey" primary key ("tenant_uuid", "domain_uuid")
    )`);

    this.addSql(`create table "auth_policy" (
      "uuid" varchar(38) not null,
      "name" varchar(80) not null,
      "slug" varchar(80) not null,
      "description" text null,
      "tenant_uuid" varchar(38) not null,
      "config_managed" boolean null default false,
      "shared" boolean not null default false,
      constraint "auth_policy_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_policy__idx__tenant_uuid" on "auth_policy" ("tenant_uuid")`);
    this.addSql(
      `alter table "auth_policy" add constraint "auth_policy_name_tenant" unique ("name", "tenant_uuid")`,
    );
    this.addSql(
      `create unique index "auth_policy__idx__slug" on "auth_policy" (lower("slug"), "tenant_uuid")`,
    );

    this.addSql(`create table "auth_policy_access" (
      "policy_uuid" varchar(38) not null,
      "access_id" int not null,
      constraint "auth_policy_access_pkey" primary key ("policy_uuid", "access_id")
    )`);

    this.addSql(`create table "auth_ldap_config" (
      "tenant_uuid" varchar(38) not null,
      "host" varchar(512) not null,
      "port" int not null,
      "protocol_version" smallint null,
      "protocol_security" text check ("protocol_security" in ('ldaps', 'tls')) null,
      "bind_dn" varchar(256) null,
      "bind_password" text null,
      "user_base_dn" varchar(256) not null,
      "user_login_attribute" varchar(64) null,
      "user_email_attribute" varchar(64) null,
      "search_filters" text null,
      constraint "auth_ldap_config_pkey" primary key ("tenant_uuid")
    )`);

    this.addSql(`create table "auth_group" (
      "uuid" varchar(38) not null,
      "name" text not null,
      "slug" varchar(80) not null,
      "tenant_uuid" varchar(38) not null,
      "system_managed" boolean not null default false,
      constraint "auth_group_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_group__idx__tenant_uuid" on "auth_group" ("tenant_uuid")`);
    this.addSql(
      `alter table "auth_group" add constraint "auth_group_name_tenant" unique ("name", "tenant_uuid")`,
    );
    this.addSql(`create unique index "auth_group__idx__slug" on "auth_group" (lower("slug"), "tenant_uuid")`);

    this.addSql(`create table "auth_group_policy" (
      "group_uuid" varchar(38) not null,
      "policy_uuid" varchar(38) not null,
      constraint "auth_group_policy_pkey" primary key ("group_uuid", "policy_uuid")
    )`);

    this.addSql(`create table "auth_external_auth_config" (
      "type_uuid" varchar(36) not null,
      "tenant_uuid" varchar(38) not null,
      "data" text not null,
      constraint "auth_external_auth_config_pkey" primary key ("type_uuid", "tenant_uuid")
    )`);
    this.addSql(
      `create index "auth_external_auth_config__idx__type_uuid" on "auth_external_auth_config" ("type_uuid")`,
    );

    this.addSql(`create table "auth_address" (
      "id" serial primary key,
      "tenant_uuid" varchar(38) not null,
      "line_1" text null,
      "line_2" text null,
      "city" text null,
      "state" text null,
      "zip_code" text null,
      "country" text null
    )`);
    this.addSql(`create index "auth_address__idx__tenant_uuid" on "auth_address" ("tenant_uuid")`);

    this.addSql(`create table "auth_refresh_token" (
      "uuid" varchar(36) not null,
      "client_id" text null,
      "user_uuid" varchar(36) null,
      "backend" text null,
      "login" text null,
      "user_agent" text null,
      "remote_addr" text null,
      "created_at" timestamptz null default current_timestamp,
      "mobile" boolean not null default false,
      "metadata" jsonb not null default '{}',
      constraint "auth_refresh_token_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_refresh_token__idx__user_uuid" on "auth_refresh_token" ("user_uuid")`);
    this.addSql(
      `alter table "auth_refresh_token" add constraint "auth_refresh_token_client_id_user_uuid" unique ("client_id", "user_uuid")`,
    );

    this.addSql(`create table "auth_token" (
      "uuid" varchar(38) not null,
      "session_uuid" varchar(36) not null,
      "auth_id" text not null,
      "pbx_user_uuid" varchar(36) null,
      "xivo_uuid" varchar(38) null,
      "issued_t" int null,
      "expire_t" int null,
      "metadata" jsonb null,
      "user_agent" text null default '',
      "remote_addr" text null default '',
      "acl" jsonb not null default '[]',
      "refresh_token_uuid" varchar(36) null,
      constraint "auth_token_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_token__idx__session_uuid" on "auth_token" ("session_uuid")`);

    this.addSql(`create table "auth_saml_session" (
      "request_id" varchar(40) not null,
      "session_id" varchar(22) not null,
      "redirect_url" varchar(512) not null,
      "domain" varchar(512) not null,
      "relay_state" varchar(100) not null,
      "login" varchar(512) null,
      "start_time" timestamptz null default current_timestamp,
      "saml_name_id" text null,
      "refresh_token_uuid" varchar(36) null,
      constraint "auth_saml_session_pkey" primary key ("request_id", "session_id")
    )`);

    this.addSql(`create table "auth_email" (
      "uuid" varchar(38) not null,
      "address" text not null,
      "confirmed" boolean not null,
      "main" boolean not null,
      "user_uuid" varchar(38) not null,
      constraint "auth_email_pkey" primary key ("uuid")
    )`);
    this.addSql(`create index "auth_email__idx__user_uuid" on "auth_email" ("user_uuid")`);
    this.addSql(`create unique index "auth_email_address_key" on "auth_email" (lower("address"))`);

    this.addSql(`create table "auth_user_policy" (
      "user_uuid" varchar(38) not null,
      "policy_uuid" varchar(38) not null,
      constraint "auth_user_policy_pkey" primary key ("user_uuid", "policy_uuid")
    )`);

    this.addSql(`create table "auth_user_group" (
      "group_uuid" varchar(38) not null,
      "user_uuid" varchar(38) not null,
      constraint "auth_user_group_pkey" primary key ("group_uuid", "user_uuid")
    )`);

    this.addSql(`create table "auth_user_external_auth" (
      "user_uuid" varchar(38) not null,
      "external_auth_type_uuid" varchar(38) not null,
      "data" text not null,
      constraint "auth_user_external_auth_pkey" primary key ("user_uuid", "external_auth_type_uuid")
    )`);

    this.addSql(
      `alter table "auth_tenant" add constraint "auth_tenant_contact_uuid_fkey" foreign key ("contact_uuid") references "auth_user" ("uuid") on update cascade on delete set null`,
    );
    this.addSql(
      `alter table "auth_tenant" add constraint "auth_tenant_parent_uuid_fkey" foreign key ("parent_uuid") references "auth_tenant" ("uuid") on update cascade on delete no action`,
    );

    this.addSql(
      `alter table "auth_user" add constraint "auth_user_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_tenant_domain" add constraint "auth_tenant_domain_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_session" add constraint "auth_session_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_saml_config" add constraint "auth_saml_config_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_saml_config" add constraint "auth_saml_config_domain_uuid_fkey" foreign key ("domain_uuid") references "auth_tenant_domain" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_policy" add constraint "auth_policy_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_policy_access" add constraint "auth_policy_access_policy_uuid_fkey" foreign key ("policy_uuid") references "auth_policy" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_policy_access" add constraint "auth_policy_access_access_id_fkey" foreign key ("access_id") references "auth_access" ("id") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_ldap_config" add constraint "auth_ldap_config_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_group" add constraint "auth_group_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_group_policy" add constraint "auth_group_policy_group_uuid_fkey" foreign key ("group_uuid") references "auth_group" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_group_policy" add constraint "auth_group_policy_policy_uuid_fkey" foreign key ("policy_uuid") references "auth_policy" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_external_auth_config" add constraint "auth_external_auth_config_type_uuid_fkey" foreign key ("type_uuid") references "auth_external_auth_type" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_external_auth_config" add constraint "auth_external_auth_config_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_address" add constraint "auth_address_tenant_uuid_fkey" foreign key ("tenant_uuid") references "auth_tenant" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_refresh_token" add constraint "auth_refresh_token_user_uuid_fkey" foreign key ("user_uuid") references "auth_user" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_token" add constraint "auth_token_session_uuid_fkey" foreign key ("session_uuid") references "auth_session" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_token" add constraint "auth_token_refresh_token_uuid_fkey" foreign key ("refresh_token_uuid") references "auth_refresh_token" ("uuid") on update cascade on delete set null`,
    );

    this.addSql(
      `alter table "auth_saml_session" add constraint "auth_saml_session_refresh_token_uuid_fkey" foreign key ("refresh_token_uuid") references "auth_refresh_token" ("uuid") on update cascade on delete set null`,
    );

    this.addSql(
      `alter table "auth_email" add constraint "auth_email_user_uuid_fkey" foreign key ("user_uuid") references "auth_user" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_user_policy" add constraint "auth_user_policy_user_uuid_fkey" foreign key ("user_uuid") references "auth_user" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_user_policy" add constraint "auth_user_policy_policy_uuid_fkey" foreign key ("policy_uuid") references "auth_policy" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_user_group" add constraint "auth_user_group_group_uuid_fkey" foreign key ("group_uuid") references "auth_group" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_user_group" add constraint "auth_user_group_user_uuid_fkey" foreign key ("user_uuid") references "auth_user" ("uuid") on update cascade on delete cascade`,
    );

    this.addSql(
      `alter table "auth_user_external_auth" add constraint "auth_user_external_auth_user_uuid_fkey" foreign key ("user_uuid") references "auth_user" ("uuid") on update cascade on delete cascade`,
    );
    this.addSql(
      `alter table "auth_user_external_auth" add constraint "auth_user_external_auth_external_auth_type_uuid_fkey" foreign key ("external_auth_type_uuid") references "auth_external_auth_type" ("uuid") on update cascade on delete cascade`,
    );

    for (const statement of initialSeedStatements()) this.addSql(statement);
  }

  override async down(): Promise<void> {
    for (const table of INITIAL_TABLES_DROP_ORDER) this.addSql(`drop table if exists "${table}" cascade`);
  }
}
