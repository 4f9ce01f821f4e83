import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { allUsersGroupName, storedTextList, XIVO_UUID_SETTING } from '../entities/index.js';
import type { Plan } from './plan.js';

/*
 * Writing a plan, inside the caller's transaction. Plain parameterised SQL valid on both dialects: the
 * values are strings, numbers, booleans, null, Dates and Buffers, which both drivers bind natively,
 * and JSON columns receive JSON text.
 */

type Value = string | number | boolean | null | Date | Buffer;

/** Rows per statement: far below SQLite's limit of bound parameters for the widest table. */
const BATCH = 200;

export class WriteError extends Error {
  override name = 'WriteError';
}

/**
 * What failed, without the statement: the drivers' messages quote the SQL with its values, and those
 * include password hashes and tokens.
 */
function describe(error: unknown): string {
  const {
    message = String(error),
    constraint,
    code,
  } = error as {
    message?: string;
    constraint?: string;
    code?: string;
  };
  const reason = message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message;
  return [reason.split('\n')[0], constraint && `constraint ${constraint}`, code && `code ${code}`]
    .filter(Boolean)
    .join(', ');
}

async function step(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new WriteError(`writing ${what} failed: ${describe(error)}`, { cause: error });
  }
}

async function insert(
  em: SqlEntityManager,
  table: string,
  columns: string[],
  rows: Value[][],
): Promise<void> {
  await step(table, async () => {
    const names = columns.map((column) => `"${column}"`).join(', ');
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (let start = 0; start < rows.length; start += BATCH) {
      const chunk = rows.slice(start, start + BATCH);
      await em.execute(
        `insert into "${table}" (${names}) values ${chunk.map(() => tuple).join(', ')}`,
        chunk.flat(),
        'run',
      );
    }
  });
}

const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

/** `in (?, ?, …)` over uuids, in batches. */
async function deleteIn(
  em: SqlEntityManager,
  table: string,
  column: string,
  values: string[],
): Promise<void> {
  await step(table, async () => {
    for (let start = 0; start < values.length; start += BATCH) {
      const chunk = values.slice(start, start + BATCH);
      await em.execute(
        `delete from "${table}" where "${column}" in (${chunk.map(() => '?').join(', ')})`,
        chunk,
        'run',
      );
    }
  });
}

/**
 * The seed master becomes upstream's: its replaced groups and policies and its settings that upstream
 * overrides go, then the row itself takes upstream's uuid and values. Every foreign key to
 * `auth_tenant` is ON UPDATE CASCADE (both dialects' migrations), so whatever the target holds in its
 * master tenant (users, sessions, sub-tenants, provisioned groups and policies) follows the rename.
 */
async function replaceMaster(em: SqlEntityManager, plan: Plan): Promise<void> {
  const master = plan.master!;
  const seed = master.seed;
  const up = master.upstream;
  await deleteIn(em, 'auth_group', 'uuid', [...master.replacedGroups.keys()]);
  await deleteIn(em, 'auth_policy', 'uuid', [...master.replacedPolicies.keys()]);
  if (master.drop.ldap) await deleteIn(em, 'auth_ldap_config', 'tenant_uuid', [seed]);
  if (master.drop.saml) await deleteIn(em, 'auth_saml_config', 'tenant_uuid', [seed]);
  if (master.drop.addresses) await deleteIn(em, 'auth_address', 'tenant_uuid', [seed]);
  for (const type of master.drop.externalAuthTypes) {
    await step('auth_external_auth_config', () =>
      em.execute(
        'delete from "auth_external_auth_config" where "type_uuid" = ? and "tenant_uuid" = ?',
        [type, seed],
        'run',
      ),
    );
  }
  await step('auth_tenant', () =>
    em.execute(
      `update "auth_tenant" set "uuid" = ?, "name" = ?, "slug" = ?, "phone" = ?, "default_authentication_method" = ?
        where "uuid" = ?`,
      [up.uuid, up.name, up.slug, up.phone, up.default_authentication_method, seed],
      'run',
    ),
  );
  if (master.renameAllUsersGroup) {
    const name = allUsersGroupName(up.uuid);
    await step('auth_group', () =>
      em.execute('update "auth_group" set "name" = ?, "slug" = ? where "uuid" = ?', [
        name,
        name,
        master.renameAllUsersGroup,
      ]),
    );
  }
  // Tokens keep their tenant in their metadata (no foreign key there): the target's own live tokens of
  // the master tenant would otherwise name a tenant that no longer exists.
  await step('auth_token', async () => {
    const rows = await em.execute<{ uuid: string; metadata: unknown }[]>(
      `select "t"."uuid", "t"."metadata" from "auth_token" "t"
         join "auth_session" "s" on "s"."uuid" = "t"."session_uuid" where "s"."tenant_uuid" = ?`,
      [up.uuid],
    );
    for (const row of rows) {
      const metadata = typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata;
      if (!metadata || typeof metadata !== 'object' || metadata.tenant_uuid !== seed) continue;
      await em.execute(
        'update "auth_token" set "metadata" = ? where "uuid" = ?',
        [JSON.stringify({ ...metadata, tenant_uuid: up.uuid }), row.uuid],
        'run',
      );
    }
  });
}

async function accessIds(em: SqlEntityManager, texts: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let start = 0; start < texts.length; start += BATCH) {
    const chunk = texts.slice(start, start + BATCH);
    const rows = await em.execute<{ id: number; access: string }[]>(
      `select "id", "access" from "auth_access" where "access" in (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const row of rows) ids.set(row.access, Number(row.id));
  }
  return ids;
}

export async function applyPlan(em: SqlEntityManager, plan: Plan): Promise<void> {
  if (plan.master) await replaceMaster(em, plan);

  await insert(
    em,
    'auth_access',
    ['access'],
    plan.accesses.map((access) => [access]),
  );
  await insert(
    em,
    'auth_external_auth_type',
    ['uuid', 'name', 'enabled'],
    plan.externalAuthTypes.map((row) => [row.uuid, row.name, row.enabled]),
  );
  await insert(
    em,
    'auth_tenant',
    ['uuid', 'name', 'slug', 'phone', 'contact_uuid', 'parent_uuid', 'default_authentication_method'],
    plan.tenants.map((row) => [
      row.uuid,
      row.name,
      row.slug,
      row.phone,
      null,
      row.parent_uuid,
      row.default_authentication_method,
    ]),
  );
  await insert(
    em,
    'auth_tenant_domain',
    ['uuid', 'tenant_uuid', 'name'],
    plan.domains.map((row) => [row.uuid, row.tenant_uuid, row.name]),
  );
  await insert(
    em,
    'auth_address',
    ['tenant_uuid', 'line_1', 'line_2', 'city', 'state', 'zip_code', 'country'],
    plan.addresses.map((row) => [
      row.tenant_uuid,
      row.line_1,
      row.line_2,
      row.city,
      row.state,
      row.zip_code,
      row.country,
    ]),
  );
  await insert(
    em,
    'auth_user',
    [
      'uuid',
      'username',
      'password_hash',
      'password_salt',
      'firstname',
      'lastname',
      'enabled',
      'tenant_uuid',
      'purpose',
      'authentication_method',
    ],
    plan.users.map((row) => [
      row.uuid,
      row.username,
      row.password_hash,
      row.password_salt,
      row.firstname,
      row.lastname,
      row.enabled,
      row.tenant_uuid,
      row.purpose,
      row.authentication_method,
    ]),
  );
  await insert(
    em,
    'auth_email',
    ['uuid', 'address', 'confirmed', 'main', 'user_uuid'],
    plan.emails.map((row) => [row.uuid, row.address, row.confirmed, row.main, row.user_uuid]),
  );
  for (const row of plan.tenantContacts) {
    await step('auth_tenant', () =>
      em.execute(
        'update "auth_tenant" set "contact_uuid" = ? where "uuid" = ?',
        [row.contact_uuid, row.uuid],
        'run',
      ),
    );
  }
  await insert(
    em,
    'auth_group',
    ['uuid', 'name', 'slug', 'tenant_uuid', 'system_managed'],
    plan.groups.map((row) => [row.uuid, row.name, row.slug, row.tenant_uuid, row.system_managed]),
  );
  await insert(
    em,
    'auth_policy',
    ['uuid', 'name', 'slug', 'description', 'tenant_uuid', 'config_managed', 'shared'],
    plan.policies.map((row) => [
      row.uuid,
      row.name,
      row.slug,
      row.description,
      row.tenant_uuid,
      row.config_managed,
      row.shared,
    ]),
  );
  const ids = await accessIds(em, [...new Set(plan.policyAccesses.map((row) => row.access))]);
  await insert(
    em,
    'auth_policy_access',
    ['policy_uuid', 'access_id'],
    plan.policyAccesses.map((row) => [row.policy_uuid, ids.get(row.access)!]),
  );
  await insert(
    em,
    'auth_user_group',
    ['group_uuid', 'user_uuid'],
    plan.userGroups.map((row) => [row.group_uuid, row.user_uuid]),
  );
  await insert(
    em,
    'auth_user_policy',
    ['user_uuid', 'policy_uuid'],
    plan.userPolicies.map((row) => [row.user_uuid, row.policy_uuid]),
  );
  await insert(
    em,
    'auth_group_policy',
    ['group_uuid', 'policy_uuid'],
    plan.groupPolicies.map((row) => [row.group_uuid, row.policy_uuid]),
  );
  await insert(
    em,
    'auth_refresh_token',
    [
      'uuid',
      'client_id',
      'user_uuid',
      'backend',
      'login',
      'user_agent',
      'remote_addr',
      'created_at',
      'mobile',
      'metadata',
    ],
    plan.refreshTokens.map((row) => [
      row.uuid,
      row.client_id,
      row.user_uuid,
      row.backend,
      row.login,
      row.user_agent,
      row.remote_addr,
      row.created_at,
      row.mobile,
      json(row.metadata ?? {}),
    ]),
  );
  await insert(
    em,
    'auth_session',
    ['uuid', 'tenant_uuid', 'mobile'],
    plan.sessions.map((row) => [row.uuid, row.tenant_uuid, row.mobile]),
  );
  await insert(
    em,
    'auth_token',
    [
      'uuid',
      'session_uuid',
      'auth_id',
      'pbx_user_uuid',
      'xivo_uuid',
      'issued_t',
      'expire_t',
      'metadata',
      'user_agent',
      'remote_addr',
      'acl',
      'refresh_token_uuid',
    ],
    plan.tokens.map((row) => [
      row.uuid,
      row.session_uuid,
      row.auth_id,
      row.pbx_user_uuid,
      row.xivo_uuid,
      row.issued_t,
      row.expire_t,
      json(row.metadata),
      row.user_agent,
      row.remote_addr,
      storedTextList(row.acl, em.getPlatform()),
      row.refresh_token_uuid,
    ]),
  );
  await insert(
    em,
    'auth_external_auth_config',
    ['type_uuid', 'tenant_uuid', 'data'],
    plan.externalAuthConfigs.map((row) => [row.type_uuid, row.tenant_uuid, row.data]),
  );
  await insert(
    em,
    'auth_user_external_auth',
    ['user_uuid', 'external_auth_type_uuid', 'data'],
    plan.userExternalAuths.map((row) => [row.user_uuid, row.type_uuid, row.data]),
  );
  await insert(
    em,
    'auth_ldap_config',
    [
      'tenant_uuid',
      'host',
      'port',
      'protocol_version',
      'protocol_security',
      'bind_dn',
      'bind_password',
      'user_base_dn',
      'user_login_attribute',
      'user_email_attribute',
      'search_filters',
    ],
    plan.ldapConfigs.map((row) => [
      row.tenant_uuid,
      row.host,
      row.port,
      row.protocol_version,
      row.protocol_security,
      row.bind_dn,
      row.bind_password,
      row.user_base_dn,
      row.user_login_attribute,
      row.user_email_attribute,
      row.search_filters,
    ]),
  );
  await insert(
    em,
    'auth_saml_config',
    ['tenant_uuid', 'domain_uuid', 'entity_id', 'idp_metadata', 'acs_url'],
    plan.samlConfigs.map((row) => [
      row.tenant_uuid,
      row.domain_uuid,
      row.entity_id,
      row.idp_metadata,
      row.acs_url,
    ]),
  );
  await insert(
    em,
    'auth_saml_session',
    [
      'request_id',
      'session_id',
      'redirect_url',
      'domain',
      'relay_state',
      'login',
      'start_time',
      'saml_name_id',
      'refresh_token_uuid',
      'used',
    ],
    plan.samlSessions.map((row) => [
      row.request_id,
      row.session_id,
      row.redirect_url,
      row.domain,
      row.relay_state,
      row.login,
      row.start_time,
      row.saml_name_id,
      row.refresh_token_uuid,
      row.used,
    ]),
  );
  if (plan.xivoUuid) {
    const value = plan.xivoUuid.to;
    await step('auth_settings', async () => {
      await em.execute('delete from "auth_settings" where "key" = ?', [XIVO_UUID_SETTING], 'run');
      await em.execute(
        'insert into "auth_settings" ("key", "value") values (?, ?)',
        [XIVO_UUID_SETTING, value],
        'run',
      );
    });
  }
}
