import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { XIVO_UUID_SETTING } from '../entities/index.js';

/*
 * What the plan needs to know of the target: the keys of its rows (primary and unique ones), never
 * secrets. Read inside the import's transaction, so that the plan and the writes see the same data.
 */

export interface TargetTenant {
  uuid: string;
  slug: string;
  parent_uuid: string;
}

export interface TargetUser {
  uuid: string;
  username: string | null;
  tenant_uuid: string;
}

export interface TargetEmail {
  uuid: string;
  address: string;
  user_uuid: string;
}

export interface Named {
  uuid: string;
  name: string;
  slug: string;
  tenant_uuid: string;
}

export interface TargetGroup extends Named {
  system_managed: boolean;
}

export interface TargetRefreshToken {
  uuid: string;
  client_id: string | null;
  user_uuid: string | null;
}

export interface TargetState {
  master: string;
  tenants: TargetTenant[];
  domains: { uuid: string; name: string; tenant_uuid: string }[];
  /** Tenants having at least one address row. */
  addressTenants: Set<string>;
  users: TargetUser[];
  emails: TargetEmail[];
  groups: TargetGroup[];
  policies: Named[];
  /** access text → id */
  accesses: Map<string, number>;
  userGroups: Set<string>;
  userPolicies: Set<string>;
  groupPolicies: Set<string>;
  sessions: Set<string>;
  tokens: Set<string>;
  refreshTokens: TargetRefreshToken[];
  /** type name → uuid */
  externalAuthTypes: Map<string, string>;
  /** `type_uuid tenant_uuid` */
  externalAuthConfigs: Set<string>;
  /** `user_uuid type_uuid` */
  userExternalAuths: Set<string>;
  ldapConfigs: Set<string>;
  samlConfigs: { tenant_uuid: string; domain_uuid: string }[];
  /** `request_id session_id` */
  samlSessions: Set<string>;
  xivoUuid: string | null;
}

/** A key of two columns, for the sets above. */
export const pair = (a: string, b: string): string => `${a} ${b}`;

const truthy = (value: unknown): boolean => value === true || value === 1 || value === '1';

export class TargetError extends Error {
  override name = 'TargetError';
}

export async function readTarget(em: SqlEntityManager): Promise<TargetState> {
  const select = <T extends object>(sql: string) => em.execute<T[]>(sql);
  const tenants = await select<TargetTenant>('select "uuid", "slug", "parent_uuid" from "auth_tenant"');
  const masters = tenants.filter((tenant) => tenant.uuid === tenant.parent_uuid);
  if (masters.length !== 1) {
    throw new TargetError(
      `the target has ${masters.length} master tenants (expected 1): is it a database this server initialised?`,
    );
  }
  const keys = async (sql: string) =>
    new Set(
      (await select<{ a: string; b?: string }>(sql)).map((row) => (row.b ? pair(row.a, row.b) : row.a)),
    );
  const settings = await select<{ value: string }>(
    `select "value" from "auth_settings" where "key" = '${XIVO_UUID_SETTING}'`,
  );
  return {
    master: masters[0]!.uuid,
    tenants,
    domains: await select('select "uuid", "name", "tenant_uuid" from "auth_tenant_domain"'),
    addressTenants: await keys('select distinct "tenant_uuid" as "a" from "auth_address"'),
    users: await select<TargetUser>('select "uuid", "username", "tenant_uuid" from "auth_user"'),
    emails: await select<TargetEmail>('select "uuid", "address", "user_uuid" from "auth_email"'),
    groups: (
      await select<TargetGroup>(
        'select "uuid", "name", "slug", "tenant_uuid", "system_managed" from "auth_group"',
      )
    ).map((group) => ({ ...group, system_managed: truthy(group.system_managed) })),
    policies: await select<Named>('select "uuid", "name", "slug", "tenant_uuid" from "auth_policy"'),
    accesses: new Map(
      (await select<{ id: number; access: string }>('select "id", "access" from "auth_access"')).map(
        (row) => [row.access, Number(row.id)],
      ),
    ),
    userGroups: await keys('select "user_uuid" as "a", "group_uuid" as "b" from "auth_user_group"'),
    userPolicies: await keys('select "user_uuid" as "a", "policy_uuid" as "b" from "auth_user_policy"'),
    groupPolicies: await keys('select "group_uuid" as "a", "policy_uuid" as "b" from "auth_group_policy"'),
    sessions: await keys('select "uuid" as "a" from "auth_session"'),
    tokens: await keys('select "uuid" as "a" from "auth_token"'),
    refreshTokens: await select<TargetRefreshToken>(
      'select "uuid", "client_id", "user_uuid" from "auth_refresh_token"',
    ),
    externalAuthTypes: new Map(
      (
        await select<{ uuid: string; name: string }>('select "uuid", "name" from "auth_external_auth_type"')
      ).map((row) => [row.name, row.uuid]),
    ),
    externalAuthConfigs: await keys(
      'select "type_uuid" as "a", "tenant_uuid" as "b" from "auth_external_auth_config"',
    ),
    userExternalAuths: await keys(
      'select "user_uuid" as "a", "external_auth_type_uuid" as "b" from "auth_user_external_auth"',
    ),
    ldapConfigs: await keys('select "tenant_uuid" as "a" from "auth_ldap_config"'),
    samlConfigs: await select('select "tenant_uuid", "domain_uuid" from "auth_saml_config"'),
    samlSessions: await keys('select "request_id" as "a", "session_id" as "b" from "auth_saml_session"'),
    xivoUuid: settings[0]?.value ?? null,
  };
}
