import { randomUUID } from 'node:crypto';

/**
 * The rows of bootstrap.md §1, as SQL valid on both PostgreSQL and SQLite. Part of the initial
 * migrations: once released, never change it (add a new migration instead).
 *
 * The master tenant is its own parent, inserted in one statement so that the self-referencing foreign
 * key is satisfied when it is checked (end of statement on both dialects).
 */
export function initialSeedStatements(): string[] {
  const master = randomUUID();
  const allUsersGroup = `wazo-all-users-tenant-${master}`;
  const policy = randomUUID();
  const description =
    'Default Wazo policy for the "master" user\n\nDo not modify this policy, it can be modified in future Wazo upgrades\n';
  return [
    `insert into "auth_access" ("access") values ('#')`,
    `insert into "auth_tenant" ("uuid", "name", "slug", "parent_uuid", "default_authentication_method")
      values ('${master}', 'master', 'master', '${master}', 'native')`,
    `insert into "auth_group" ("uuid", "name", "slug", "tenant_uuid", "system_managed")
      values ('${randomUUID()}', '${allUsersGroup}', '${allUsersGroup}', '${master}', true)`,
    `insert into "auth_policy" ("uuid", "name", "slug", "description", "tenant_uuid", "config_managed", "shared")
      values ('${policy}', 'wazo_default_master_user_policy', 'wazo_default_master_user_policy',
              ${sqlString(description)}, '${master}', false, false)`,
    `insert into "auth_policy_access" ("policy_uuid", "access_id")
      select '${policy}', "id" from "auth_access" where "access" = '#'`,
    `insert into "auth_settings" ("key", "value") values ('xivo_uuid', '${randomUUID()}')`,
  ];
}

/** A SQL string literal; the text has no backslash escapes, so doubling quotes suffices on both dialects. */
function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Tables of the initial migration, dependents first: the order in which `down()` drops them. */
export const INITIAL_TABLES_DROP_ORDER = [
  'auth_user_external_auth',
  'auth_user_group',
  'auth_user_policy',
  'auth_email',
  'auth_saml_session',
  'auth_token',
  'auth_refresh_token',
  'auth_address',
  'auth_external_auth_config',
  'auth_group_policy',
  'auth_group',
  'auth_ldap_config',
  'auth_policy_access',
  'auth_policy',
  'auth_saml_config',
  'auth_session',
  'auth_tenant_domain',
  'auth_user',
  'auth_tenant',
  'auth_settings',
  'auth_external_auth_type',
  'auth_access',
] as const;
