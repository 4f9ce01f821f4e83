import pg from 'pg';

/*
 * Reading an upstream wazo-auth PostgreSQL database (database.md). Rows keep upstream's column names.
 * Columns added by later upstream versions are read with their upstream default when the source
 * predates them, so that an older deployment can be imported too; tables it lacks read as empty.
 */

export interface UpTenant {
  uuid: string;
  name: string | null;
  slug: string;
  phone: string | null;
  contact_uuid: string | null;
  parent_uuid: string;
  default_authentication_method: string;
}

export interface UpDomain {
  uuid: string;
  tenant_uuid: string;
  name: string;
}

export interface UpAddress {
  tenant_uuid: string;
  line_1: string | null;
  line_2: string | null;
  city: string | null;
  state: string | null;
  zip_code: string | null;
  country: string | null;
}

export interface UpUser {
  uuid: string;
  username: string | null;
  password_hash: string | null;
  password_salt: Buffer | null;
  firstname: string | null;
  lastname: string | null;
  enabled: boolean | null;
  tenant_uuid: string;
  purpose: string;
  authentication_method: string;
}

export interface UpEmail {
  uuid: string;
  address: string;
  confirmed: boolean;
  main: boolean;
  user_uuid: string;
}

export interface UpGroup {
  uuid: string;
  name: string;
  slug: string;
  tenant_uuid: string;
  system_managed: boolean;
}

export interface UpPolicy {
  uuid: string;
  name: string;
  slug: string;
  description: string | null;
  tenant_uuid: string;
  config_managed: boolean | null;
  shared: boolean;
}

/** `auth_policy_access` joined with `auth_access`: access ids differ between databases, texts do not. */
export interface UpPolicyAccess {
  policy_uuid: string;
  access: string;
}

export interface UpUserGroup {
  group_uuid: string;
  user_uuid: string;
}

export interface UpUserPolicy {
  user_uuid: string;
  policy_uuid: string;
}

export interface UpGroupPolicy {
  group_uuid: string;
  policy_uuid: string;
}

export interface UpSession {
  uuid: string;
  tenant_uuid: string;
  mobile: boolean;
}

export interface UpToken {
  uuid: string;
  session_uuid: string;
  auth_id: string;
  pbx_user_uuid: string | null;
  xivo_uuid: string | null;
  issued_t: number | null;
  expire_t: number | null;
  /** JSON text upstream. */
  metadata: string | null;
  user_agent: string | null;
  remote_addr: string | null;
  acl: string[];
  refresh_token_uuid: string | null;
}

export interface UpRefreshToken {
  uuid: string;
  client_id: string | null;
  user_uuid: string | null;
  backend: string | null;
  login: string | null;
  user_agent: string | null;
  remote_addr: string | null;
  created_at: Date | null;
  mobile: boolean;
  metadata: unknown;
}

export interface UpExternalAuthType {
  uuid: string;
  name: string;
  enabled: boolean | null;
}

/** Types are named rather than referenced by uuid: the target registers its own. */
export interface UpExternalAuthConfig {
  type_name: string;
  tenant_uuid: string;
  data: string;
}

export interface UpUserExternalAuth {
  user_uuid: string;
  type_name: string;
  data: string;
}

export interface UpLdapConfig {
  tenant_uuid: string;
  host: string;
  port: number;
  protocol_version: number | null;
  protocol_security: string | null;
  bind_dn: string | null;
  bind_password: string | null;
  user_base_dn: string;
  user_login_attribute: string | null;
  user_email_attribute: string | null;
  search_filters: string | null;
}

export interface UpSamlConfig {
  tenant_uuid: string;
  domain_uuid: string;
  entity_id: string;
  idp_metadata: string;
  acs_url: string;
}

export interface UpSamlSession {
  request_id: string;
  session_id: string;
  redirect_url: string;
  domain: string;
  relay_state: string;
  login: string | null;
  start_time: Date | null;
  saml_name_id: string | null;
  refresh_token_uuid: string | null;
}

/** Everything read from the source, in one consistent snapshot. */
export interface UpstreamSnapshot {
  tenants: UpTenant[];
  domains: UpDomain[];
  addresses: UpAddress[];
  users: UpUser[];
  emails: UpEmail[];
  groups: UpGroup[];
  policies: UpPolicy[];
  accesses: string[];
  policyAccesses: UpPolicyAccess[];
  userGroups: UpUserGroup[];
  userPolicies: UpUserPolicy[];
  groupPolicies: UpGroupPolicy[];
  sessions: UpSession[];
  tokens: UpToken[];
  refreshTokens: UpRefreshToken[];
  externalAuthTypes: UpExternalAuthType[];
  externalAuthConfigs: UpExternalAuthConfig[];
  userExternalAuths: UpUserExternalAuth[];
  ldapConfigs: UpLdapConfig[];
  samlConfigs: UpSamlConfig[];
  samlSessions: UpSamlSession[];
  /** Rows of the tables deliberately not imported, by table, for the report. */
  notImported: Record<string, number>;
  /** The platform uuid the source knows, if any (see `platformUuid`). */
  xivoUuid: string | null;
  /** `alembic_version_auth`, for the report. */
  schemaVersion: string | null;
}

export class SourceError extends Error {
  override name = 'SourceError';
}

type Row = Record<string, unknown>;

/** Upstream's defaults for columns that older upstream schemas lack. */
const COLUMN_DEFAULTS: Record<string, Row> = {
  auth_tenant: { default_authentication_method: 'native', phone: null, contact_uuid: null },
  auth_user: { authentication_method: 'default', purpose: 'user', enabled: true },
  auth_group: { system_managed: false },
  auth_policy: { config_managed: false, shared: false },
  auth_refresh_token: { mobile: false, metadata: {} },
  auth_session: { mobile: false },
  auth_token: { acl: [], refresh_token_uuid: null, user_agent: '', remote_addr: '' },
};

/** The password part of a connection URI, hidden for messages and reports. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

class SourceReader {
  private tables = new Set<string>();

  constructor(private readonly client: pg.Client) {}

  async init(): Promise<void> {
    const { rows } = await this.client.query<{ table_name: string }>(
      `select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    this.tables = new Set(rows.map((row) => row.table_name));
    const missing = ['auth_tenant', 'auth_user', 'auth_policy'].filter((table) => !this.tables.has(table));
    if (missing.length > 0) {
      throw new SourceError(
        `the source is not a wazo-auth database: no ${missing.join(', ')} table (is the search_path right?)`,
      );
    }
  }

  has(table: string): boolean {
    return this.tables.has(table);
  }

  /** Every row of a table (none when the source has no such table), upstream's defaults filled in. */
  async rows<T>(table: string, orderBy: string): Promise<T[]> {
    if (!this.has(table)) return [];
    const { rows } = await this.client.query<Row>(`select * from "${table}" order by ${orderBy}`);
    const defaults = COLUMN_DEFAULTS[table] ?? {};
    return rows.map((row) => {
      const filled: Row = { ...row };
      for (const [column, value] of Object.entries(defaults)) if (!(column in filled)) filled[column] = value;
      return filled as T;
    });
  }

  async query<T extends Row>(text: string): Promise<T[]> {
    return (await this.client.query<T>(text)).rows;
  }

  async count(table: string): Promise<number> {
    if (!this.has(table)) return 0;
    const [row] = await this.query<{ n: string }>(`select count(*) as n from "${table}"`);
    return Number(row?.n ?? 0);
  }
}

/** Upstream's `xml` column arrives as text already; `json` as a parsed value. */
async function readSnapshot(reader: SourceReader): Promise<UpstreamSnapshot> {
  const tenants = await reader.rows<UpTenant>('auth_tenant', 'uuid');
  const groups = (await reader.rows<UpGroup & { slug?: string }>('auth_group', 'uuid')).map((group) => ({
    ...group,
    // Groups had no slug before upstream added one derived from the name.
    slug: group.slug ?? group.name,
  }));
  const policies = (await reader.rows<UpPolicy & { slug?: string }>('auth_policy', 'uuid')).map((policy) => ({
    ...policy,
    slug: policy.slug ?? policy.name,
  }));
  const policyAccesses = reader.has('auth_policy_access')
    ? await reader.query<UpPolicyAccess & Row>(
        // Each policy's entries in the order upstream shows them: the table's physical order.
        `select pa.policy_uuid, a.access from auth_policy_access pa
           join auth_access a on a.id = pa.access_id order by pa.policy_uuid, pa.ctid`,
      )
    : [];
  const accesses = reader.has('auth_access')
    ? (await reader.query<{ access: string }>('select access from auth_access order by id')).map(
        (row) => row.access,
      )
    : [];
  const hasTypes = reader.has('auth_external_auth_type');
  const externalAuthConfigs =
    hasTypes && reader.has('auth_external_auth_config')
      ? await reader.query<UpExternalAuthConfig & Row>(
          `select t.name as type_name, c.tenant_uuid, c.data from auth_external_auth_config c
             join auth_external_auth_type t on t.uuid = c.type_uuid order by t.name, c.tenant_uuid`,
        )
      : [];
  const userExternalAuths =
    hasTypes && reader.has('auth_user_external_auth')
      ? await reader.query<UpUserExternalAuth & Row>(
          `select u.user_uuid, t.name as type_name, u.data from auth_user_external_auth u
             join auth_external_auth_type t on t.uuid = u.external_auth_type_uuid
            order by t.name, u.user_uuid`,
        )
      : [];
  const tokens = (await reader.rows<UpToken>('auth_token', 'uuid')).map((token) => ({
    ...token,
    acl: Array.isArray(token.acl) ? token.acl : [],
  }));
  const notImported: Record<string, number> = {};
  const pysaml2 = await reader.count('auth_saml_pysaml2_cache');
  if (pysaml2 > 0) notImported.auth_saml_pysaml2_cache = pysaml2;
  const version = reader.has('alembic_version_auth')
    ? ((await reader.query<{ version_num: string }>('select version_num from alembic_version_auth'))[0]
        ?.version_num ?? null)
    : null;
  return {
    tenants,
    domains: await reader.rows<UpDomain>('auth_tenant_domain', 'uuid'),
    addresses: await reader.rows<UpAddress>('auth_address', 'id'),
    users: await reader.rows<UpUser>('auth_user', 'uuid'),
    emails: await reader.rows<UpEmail>('auth_email', 'uuid'),
    groups,
    policies,
    accesses,
    policyAccesses,
    userGroups: await reader.rows<UpUserGroup>('auth_user_group', 'group_uuid, user_uuid'),
    userPolicies: await reader.rows<UpUserPolicy>('auth_user_policy', 'user_uuid, policy_uuid'),
    groupPolicies: await reader.rows<UpGroupPolicy>('auth_group_policy', 'group_uuid, policy_uuid'),
    sessions: await reader.rows<UpSession>('auth_session', 'uuid'),
    tokens,
    refreshTokens: await reader.rows<UpRefreshToken>('auth_refresh_token', 'uuid'),
    externalAuthTypes: await reader.rows<UpExternalAuthType>('auth_external_auth_type', 'name'),
    externalAuthConfigs,
    userExternalAuths,
    ldapConfigs: await reader.rows<UpLdapConfig>('auth_ldap_config', 'tenant_uuid'),
    samlConfigs: await reader.rows<UpSamlConfig>('auth_saml_config', 'tenant_uuid, domain_uuid'),
    samlSessions: await reader.rows<UpSamlSession>('auth_saml_session', 'request_id, session_id'),
    notImported,
    xivoUuid: await platformUuid(reader, tokens),
    schemaVersion: version,
  };
}

/**
 * Upstream keeps the platform uuid outside its database (XIVO_UUID in the environment) but stamps it on
 * every token, so the newest stamped token tells it. A source that does have our `auth_settings`
 * table (a database of this server) says it directly.
 */
async function platformUuid(reader: SourceReader, tokens: readonly UpToken[]): Promise<string | null> {
  if (reader.has('auth_settings')) {
    const [row] = await reader.query<{ value: string }>(
      `select value from auth_settings where key = 'xivo_uuid'`,
    );
    if (row) return row.value;
  }
  let newest: UpToken | undefined;
  for (const token of tokens) {
    if (!token.xivo_uuid) continue;
    if (!newest || (token.issued_t ?? 0) > (newest.issued_t ?? 0)) newest = token;
  }
  return newest?.xivo_uuid ?? null;
}

/**
 * Reads the whole source in one repeatable-read, read-only transaction, so that rows written by a
 * still running upstream during the read cannot leave a token without its session.
 */
export async function readUpstream(uri: string): Promise<UpstreamSnapshot> {
  const client = new pg.Client({ connectionString: uri, application_name: 'wazo-auth-ts import' });
  try {
    await client.connect();
  } catch (error) {
    throw new SourceError(`cannot connect to the source ${redactUri(uri)}: ${(error as Error).message}`);
  }
  try {
    await client.query('begin isolation level repeatable read read only');
    const reader = new SourceReader(client);
    await reader.init();
    const snapshot = await readSnapshot(reader);
    await client.query('commit');
    return snapshot;
  } finally {
    await client.end();
  }
}
