import { randomUUID } from 'node:crypto';
import { allUsersGroupName } from '../entities/index.js';
import type {
  UpAddress,
  UpDomain,
  UpEmail,
  UpExternalAuthType,
  UpGroup,
  UpLdapConfig,
  UpPolicy,
  UpPolicyAccess,
  UpRefreshToken,
  UpSamlConfig,
  UpSamlSession,
  UpSession,
  UpstreamSnapshot,
  UpTenant,
  UpToken,
  UpUser,
} from './source.js';
import { type Named, pair, type TargetGroup, type TargetState } from './target.js';

/*
 * The import decided before anything is written: which upstream rows are new to the target, which are
 * already there (a previous run), what is skipped and why, and the conflicts that forbid the import.
 * Rows already present are left as they are: an import adds what is missing and never overwrites, so
 * that running it again (say, just before switching over) only brings what upstream gained meanwhile.
 */

export interface TableSummary {
  table: string;
  /** Rows in the source. */
  source: number;
  imported: number;
  /** Already in the target (same key), left unchanged. */
  present: number;
  skipped: number;
  notes: string[];
}

/** How the target's seed master tenant gives way to upstream's (first run only). */
export interface MasterReplacement {
  /** The target's master tenant uuid, renamed to upstream's (foreign keys follow: ON UPDATE CASCADE). */
  seed: string;
  upstream: UpTenant;
  /** Target groups/policies of the seed master that upstream's rows of the same name or slug replace. */
  replacedGroups: Map<string, string>;
  replacedPolicies: Map<string, string>;
  /** Target groups/policies of the seed master kept (moved to upstream's master with it). */
  movedGroups: number;
  movedPolicies: number;
  /** The seed's all-users group, renamed when upstream has none for its master. */
  renameAllUsersGroup: string | null;
  /** The seed master's own settings that upstream's master replaces. */
  drop: { ldap: boolean; saml: boolean; addresses: boolean; externalAuthTypes: string[] };
}

export interface ExternalAuthConfigRow {
  type_uuid: string;
  tenant_uuid: string;
  data: string;
}

export interface UserExternalAuthRow {
  user_uuid: string;
  type_uuid: string;
  data: string;
}

export interface TokenRow extends Omit<UpToken, 'metadata'> {
  metadata: unknown;
}

export interface SamlSessionRow extends UpSamlSession {
  used: boolean;
}

export interface Plan {
  conflicts: string[];
  master: MasterReplacement | null;
  accesses: string[];
  externalAuthTypes: UpExternalAuthType[];
  /** Parents before children. */
  tenants: UpTenant[];
  tenantContacts: { uuid: string; contact_uuid: string }[];
  domains: UpDomain[];
  addresses: UpAddress[];
  users: UpUser[];
  emails: UpEmail[];
  groups: UpGroup[];
  policies: UpPolicy[];
  policyAccesses: UpPolicyAccess[];
  userGroups: { user_uuid: string; group_uuid: string }[];
  userPolicies: { user_uuid: string; policy_uuid: string }[];
  groupPolicies: { group_uuid: string; policy_uuid: string }[];
  refreshTokens: UpRefreshToken[];
  sessions: UpSession[];
  tokens: TokenRow[];
  externalAuthConfigs: ExternalAuthConfigRow[];
  userExternalAuths: UserExternalAuthRow[];
  ldapConfigs: UpLdapConfig[];
  samlConfigs: UpSamlConfig[];
  samlSessions: SamlSessionRow[];
  xivoUuid: { from: string | null; to: string } | null;
  summary: TableSummary[];
}

const lower = (text: string | null | undefined) => (text ?? '').toLowerCase();

class Summaries {
  readonly byTable = new Map<string, TableSummary>();

  table(table: string, source: number): TableSummary {
    let summary = this.byTable.get(table);
    if (!summary) {
      summary = { table, source, imported: 0, present: 0, skipped: 0, notes: [] };
      this.byTable.set(table, summary);
    }
    return summary;
  }
}

/** A group or policy clashing on upstream's unique keys: the same name, or the same slug but for case. */
const clashes = (a: { name: string; slug: string }, b: { name: string; slug: string }) =>
  a.name === b.name || lower(a.slug) === lower(b.slug);

export function planImport(source: UpstreamSnapshot, target: TargetState, now: number): Plan {
  const summaries = new Summaries();
  const conflicts: string[] = [];
  const masters = source.tenants.filter((tenant) => tenant.uuid === tenant.parent_uuid);
  if (masters.length !== 1) {
    conflicts.push(
      `the source has ${masters.length} master tenants (a tenant that is its own parent), not 1`,
    );
  }
  const upMaster = masters[0];
  if (!upMaster || conflicts.length > 0) return { ...emptyPlan(), conflicts };
  const replacing = target.master !== upMaster.uuid;
  /** Where a target row's tenant will be once the seed master has been renamed. */
  const finalTenant = (tenant: string) => (replacing && tenant === target.master ? upMaster.uuid : tenant);

  // Tenants.
  const tenantSummary = summaries.table('auth_tenant', source.tenants.length);
  const targetTenants = new Map(target.tenants.map((tenant) => [tenant.uuid, tenant]));
  const newTenants = new Set<string>();
  const slugOwners = new Map<string, string>();
  for (const tenant of target.tenants) {
    if (!(replacing && tenant.uuid === target.master)) slugOwners.set(tenant.slug, tenant.uuid);
  }
  for (const tenant of source.tenants) {
    const existing = targetTenants.get(tenant.uuid);
    if (tenant === upMaster && replacing) {
      if (existing)
        conflicts.push(`upstream's master tenant ${tenant.uuid} is a tenant of the target already`);
    } else if (existing) {
      if (existing.uuid === target.master && tenant !== upMaster) {
        conflicts.push(`tenant ${tenant.uuid} is the target's master tenant but not upstream's`);
      }
      tenantSummary.present++;
      continue;
    }
    const owner = slugOwners.get(tenant.slug);
    if (owner !== undefined && owner !== tenant.uuid) {
      conflicts.push(`tenant slug "${tenant.slug}" of tenant ${tenant.uuid} is taken by tenant ${owner}`);
    }
    slugOwners.set(tenant.slug, tenant.uuid);
    if (tenant !== upMaster) newTenants.add(tenant.uuid);
    tenantSummary.imported++;
  }
  if (replacing) {
    tenantSummary.notes.push(
      `upstream's master tenant ${upMaster.uuid} replaces the seed's ${target.master}`,
    );
  }
  const tenants = orderParentsFirst(
    source.tenants.filter((tenant) => newTenants.has(tenant.uuid)),
    upMaster.uuid,
  );
  const writtenTenants = new Set([...newTenants, ...(replacing ? [upMaster.uuid] : [])]);
  const tenantContacts = source.tenants
    .filter((tenant) => writtenTenants.has(tenant.uuid) && tenant.contact_uuid)
    .map((tenant) => ({ uuid: tenant.uuid, contact_uuid: tenant.contact_uuid! }));

  // Domains.
  const domainSummary = summaries.table('auth_tenant_domain', source.domains.length);
  const domains: UpDomain[] = [];
  for (const domain of source.domains) {
    const byUuid = target.domains.find((row) => row.uuid === domain.uuid);
    const byName = target.domains.find((row) => lower(row.name) === lower(domain.name));
    if (byUuid && byUuid.name === domain.name) {
      domainSummary.present++;
    } else if (byUuid) {
      conflicts.push(`domain ${domain.uuid} is "${byUuid.name}" in the target, "${domain.name}" upstream`);
    } else if (byName) {
      conflicts.push(`domain name "${domain.name}" belongs to tenant ${byName.tenant_uuid} in the target`);
    } else {
      domains.push(domain);
      domainSummary.imported++;
    }
  }

  // Addresses (serial ids differ between databases: imported with the tenant they belong to).
  const addressSummary = summaries.table('auth_address', source.addresses.length);
  const addresses = source.addresses.filter((address) => writtenTenants.has(address.tenant_uuid));
  addressSummary.imported = addresses.length;
  addressSummary.present = source.addresses.length - addresses.length;

  // Users.
  const userSummary = summaries.table('auth_user', source.users.length);
  const users: UpUser[] = [];
  const targetUsers = new Map(target.users.map((user) => [user.uuid, user]));
  const usernames = new Map<string, string>();
  for (const user of target.users) if (user.username) usernames.set(lower(user.username), user.uuid);
  for (const user of source.users) {
    const existing = targetUsers.get(user.uuid);
    const sameName = user.username ? usernames.get(lower(user.username)) : undefined;
    if (existing) {
      if (
        lower(existing.username) !== lower(user.username) ||
        finalTenant(existing.tenant_uuid) !== user.tenant_uuid
      ) {
        conflicts.push(
          `user ${user.uuid} ("${user.username ?? ''}") exists in the target as "${existing.username ?? ''}" of tenant ${existing.tenant_uuid}`,
        );
      } else {
        userSummary.present++;
      }
    } else if (sameName !== undefined) {
      conflicts.push(
        `username "${user.username}" of user ${user.uuid} is taken by user ${sameName} in the target`,
      );
    } else {
      users.push(user);
      userSummary.imported++;
    }
  }

  // Emails.
  const emailSummary = summaries.table('auth_email', source.emails.length);
  const emails: UpEmail[] = [];
  for (const email of source.emails) {
    const byUuid = target.emails.find((row) => row.uuid === email.uuid);
    const byAddress = target.emails.find((row) => lower(row.address) === lower(email.address));
    if (byUuid && byAddress === byUuid && byUuid.user_uuid === email.user_uuid) {
      emailSummary.present++;
    } else if (byAddress) {
      conflicts.push(
        `email "${email.address}" of user ${email.user_uuid} belongs to user ${byAddress.user_uuid} in the target`,
      );
    } else if (byUuid) {
      conflicts.push(`email ${email.uuid} is "${byUuid.address}" of user ${byUuid.user_uuid} in the target`);
    } else {
      emails.push(email);
      emailSummary.imported++;
    }
  }

  // Groups and policies: the seed master's ones give way to upstream's master's of the same name.
  const isAllUsersOf = (group: { name: string; system_managed: boolean }, tenant: string) =>
    group.system_managed && group.name === allUsersGroupName(tenant);
  const groupPlan = placeNamed(
    'auth_group',
    source.groups,
    target.groups,
    summaries,
    conflicts,
    finalTenant,
    replacing ? { seed: target.master, master: upMaster.uuid } : null,
    (up, seed) =>
      isAllUsersOf(up as UpGroup, upMaster.uuid) && isAllUsersOf(seed as TargetGroup, target.master),
  );
  const policyPlan = placeNamed(
    'auth_policy',
    source.policies,
    target.policies,
    summaries,
    conflicts,
    finalTenant,
    replacing ? { seed: target.master, master: upMaster.uuid } : null,
    () => false,
  );

  // Accesses, by text.
  const accessSummary = summaries.table('auth_access', source.accesses.length);
  const accesses = [...new Set(source.accesses)].filter((access) => !target.accesses.has(access));
  accessSummary.imported = accesses.length;
  accessSummary.present = source.accesses.length - accesses.length;
  const policyAccessSummary = summaries.table('auth_policy_access', source.policyAccesses.length);
  const newPolicies = new Set(policyPlan.inserted.map((policy) => policy.uuid));
  const policyAccesses = source.policyAccesses.filter((row) => newPolicies.has(row.policy_uuid));
  policyAccessSummary.imported = policyAccesses.length;
  policyAccessSummary.present = source.policyAccesses.length - policyAccesses.length;

  // Associations: upstream's missing ones, then the seed rows' links moved onto their replacements.
  const mapGroup = (uuid: string) => groupPlan.replaced.get(uuid) ?? uuid;
  const mapPolicy = (uuid: string) => policyPlan.replaced.get(uuid) ?? uuid;
  const userGroups = links(
    summaries.table('auth_user_group', source.userGroups.length),
    source.userGroups.map((row) => [row.user_uuid, row.group_uuid] as const),
    target.userGroups,
    (a, b) => [a, mapGroup(b)],
    (b) => groupPlan.replaced.has(b),
  ).map(([user_uuid, group_uuid]) => ({ user_uuid, group_uuid }));
  const userPolicies = links(
    summaries.table('auth_user_policy', source.userPolicies.length),
    source.userPolicies.map((row) => [row.user_uuid, row.policy_uuid] as const),
    target.userPolicies,
    (a, b) => [a, mapPolicy(b)],
    (b) => policyPlan.replaced.has(b),
  ).map(([user_uuid, policy_uuid]) => ({ user_uuid, policy_uuid }));
  const groupPolicies = links(
    summaries.table('auth_group_policy', source.groupPolicies.length),
    source.groupPolicies.map((row) => [row.group_uuid, row.policy_uuid] as const),
    target.groupPolicies,
    (a, b) => [mapGroup(a), mapPolicy(b)],
    (b, a) => policyPlan.replaced.has(b) || groupPlan.replaced.has(a),
  ).map(([group_uuid, policy_uuid]) => ({ group_uuid, policy_uuid }));

  // Refresh tokens: one per (client_id, user); a newer one made by this server for the same pair wins.
  const refreshSummary = summaries.table('auth_refresh_token', source.refreshTokens.length);
  const refreshTokens: UpRefreshToken[] = [];
  const skippedRefreshTokens = new Set<string>();
  const targetRefresh = new Set(target.refreshTokens.map((row) => row.uuid));
  for (const row of source.refreshTokens) {
    const samePair = target.refreshTokens.find(
      (other) =>
        row.client_id !== null &&
        row.user_uuid !== null &&
        other.client_id === row.client_id &&
        other.user_uuid === row.user_uuid,
    );
    if (targetRefresh.has(row.uuid)) {
      refreshSummary.present++;
    } else if (samePair) {
      skippedRefreshTokens.add(row.uuid);
      refreshSummary.skipped++;
    } else {
      refreshTokens.push(row);
      refreshSummary.imported++;
    }
  }
  if (refreshSummary.skipped > 0) {
    refreshSummary.notes.push(
      `${refreshSummary.skipped} skipped: the target already has another refresh token for the same client_id and user`,
    );
  }
  const refreshTokenOf = (uuid: string | null) => (uuid && !skippedRefreshTokens.has(uuid) ? uuid : null);

  // Sessions and tokens: only live tokens (the expired ones the cleanup would delete at once).
  const tokenSummary = summaries.table('auth_token', source.tokens.length);
  const sessionSummary = summaries.table('auth_session', source.sessions.length);
  const tokens: TokenRow[] = [];
  const liveSessions = new Set<string>();
  let badMetadata = 0;
  for (const token of source.tokens) {
    if (token.expire_t !== null && token.expire_t <= now) {
      tokenSummary.skipped++;
      continue;
    }
    liveSessions.add(token.session_uuid);
    if (target.tokens.has(token.uuid)) {
      tokenSummary.present++;
      continue;
    }
    let metadata: unknown = null;
    if (token.metadata !== null) {
      try {
        metadata = JSON.parse(token.metadata);
      } catch {
        badMetadata++;
      }
    }
    tokens.push({ ...token, metadata, refresh_token_uuid: refreshTokenOf(token.refresh_token_uuid) });
    tokenSummary.imported++;
  }
  if (tokenSummary.skipped > 0) tokenSummary.notes.push(`${tokenSummary.skipped} expired: not imported`);
  if (badMetadata > 0)
    tokenSummary.notes.push(`${badMetadata} with metadata that is not JSON: imported without`);
  const sessions: UpSession[] = [];
  for (const session of source.sessions) {
    if (!liveSessions.has(session.uuid)) sessionSummary.skipped++;
    else if (target.sessions.has(session.uuid)) sessionSummary.present++;
    else {
      sessions.push(session);
      sessionSummary.imported++;
    }
  }
  if (sessionSummary.skipped > 0) {
    sessionSummary.notes.push(`${sessionSummary.skipped} without a live token: not imported`);
  }

  // External auth: types are matched by name (the target registered its own at start-up).
  const typeSummary = summaries.table('auth_external_auth_type', source.externalAuthTypes.length);
  const typeUuids = new Map(target.externalAuthTypes);
  const takenTypeUuids = new Set(target.externalAuthTypes.values());
  const externalAuthTypes: UpExternalAuthType[] = [];
  for (const type of source.externalAuthTypes) {
    if (typeUuids.has(type.name)) {
      typeSummary.present++;
      continue;
    }
    const uuid = takenTypeUuids.has(type.uuid) ? randomUUID() : type.uuid;
    typeUuids.set(type.name, uuid);
    externalAuthTypes.push({ ...type, uuid });
    typeSummary.imported++;
  }
  const typeNames = [
    ...new Set([...source.externalAuthConfigs, ...source.userExternalAuths].map((r) => r.type_name)),
  ];
  for (const name of typeNames) {
    if (typeUuids.has(name)) continue;
    const uuid = randomUUID();
    typeUuids.set(name, uuid);
    externalAuthTypes.push({ uuid, name, enabled: false });
  }

  const dropExternal: string[] = [];
  const configSummary = summaries.table('auth_external_auth_config', source.externalAuthConfigs.length);
  const externalAuthConfigs: ExternalAuthConfigRow[] = [];
  for (const row of source.externalAuthConfigs) {
    const type_uuid = typeUuids.get(row.type_name)!;
    const seedHasOne =
      replacing &&
      row.tenant_uuid === upMaster.uuid &&
      target.externalAuthConfigs.has(pair(type_uuid, target.master));
    if (seedHasOne) dropExternal.push(type_uuid);
    if (!seedHasOne && target.externalAuthConfigs.has(pair(type_uuid, row.tenant_uuid))) {
      configSummary.present++;
    } else {
      externalAuthConfigs.push({ type_uuid, tenant_uuid: row.tenant_uuid, data: row.data });
      configSummary.imported++;
    }
  }
  const userExternalSummary = summaries.table('auth_user_external_auth', source.userExternalAuths.length);
  const userExternalAuths: UserExternalAuthRow[] = [];
  for (const row of source.userExternalAuths) {
    const type_uuid = typeUuids.get(row.type_name)!;
    if (target.userExternalAuths.has(pair(row.user_uuid, type_uuid))) userExternalSummary.present++;
    else {
      userExternalAuths.push({ user_uuid: row.user_uuid, type_uuid, data: row.data });
      userExternalSummary.imported++;
    }
  }

  // LDAP and SAML configuration: one per tenant.
  const seedLdap = replacing && target.ldapConfigs.has(target.master);
  const ldapSummary = summaries.table('auth_ldap_config', source.ldapConfigs.length);
  const ldapConfigs = source.ldapConfigs.filter((row) =>
    row.tenant_uuid === upMaster.uuid && seedLdap ? true : !target.ldapConfigs.has(row.tenant_uuid),
  );
  ldapSummary.imported = ldapConfigs.length;
  ldapSummary.present = source.ldapConfigs.length - ldapConfigs.length;
  const samlTenants = new Set(target.samlConfigs.map((row) => row.tenant_uuid));
  const seedSaml = replacing && samlTenants.has(target.master);
  const samlSummary = summaries.table('auth_saml_config', source.samlConfigs.length);
  const samlConfigs = source.samlConfigs.filter((row) =>
    row.tenant_uuid === upMaster.uuid && seedSaml ? true : !samlTenants.has(row.tenant_uuid),
  );
  samlSummary.imported = samlConfigs.length;
  samlSummary.present = source.samlConfigs.length - samlConfigs.length;
  const samlSessionSummary = summaries.table('auth_saml_session', source.samlSessions.length);
  const samlSessions: SamlSessionRow[] = source.samlSessions
    .filter((row) => !target.samlSessions.has(pair(row.request_id, row.session_id)))
    .map((row) => ({
      ...row,
      refresh_token_uuid: refreshTokenOf(row.refresh_token_uuid),
      // Upstream marks an exchanged session by overwriting its session id and linking its refresh token.
      used: row.refresh_token_uuid !== null,
    }));
  samlSessionSummary.imported = samlSessions.length;
  samlSessionSummary.present = source.samlSessions.length - samlSessions.length;

  for (const [table, rows] of Object.entries(source.notImported)) {
    summaries.table(table, rows).skipped = rows;
    summaries
      .table(table, rows)
      .notes.push("pysaml2's identity cache: this server keeps what logout needs on the SAML session");
  }

  const upMasterHasAllUsers = source.groups.some((group) => isAllUsersOf(group, upMaster.uuid));
  const seedAllUsers = target.groups.find((group) => isAllUsersOf(group, target.master));
  const master: MasterReplacement | null = replacing
    ? {
        seed: target.master,
        upstream: upMaster,
        replacedGroups: groupPlan.replaced,
        replacedPolicies: policyPlan.replaced,
        movedGroups: groupPlan.moved,
        movedPolicies: policyPlan.moved,
        renameAllUsersGroup: !upMasterHasAllUsers && seedAllUsers ? seedAllUsers.uuid : null,
        drop: {
          ldap: seedLdap && source.ldapConfigs.some((row) => row.tenant_uuid === upMaster.uuid),
          saml: seedSaml && source.samlConfigs.some((row) => row.tenant_uuid === upMaster.uuid),
          addresses:
            target.addressTenants.has(target.master) &&
            source.addresses.some((row) => row.tenant_uuid === upMaster.uuid),
          externalAuthTypes: dropExternal,
        },
      }
    : null;

  const xivoUuid =
    source.xivoUuid && source.xivoUuid !== target.xivoUuid
      ? { from: target.xivoUuid, to: source.xivoUuid }
      : null;

  return {
    conflicts,
    master,
    accesses,
    externalAuthTypes,
    tenants,
    tenantContacts,
    domains,
    addresses,
    users,
    emails,
    groups: groupPlan.inserted as UpGroup[],
    policies: policyPlan.inserted as UpPolicy[],
    policyAccesses,
    userGroups,
    userPolicies,
    groupPolicies,
    refreshTokens,
    sessions,
    tokens,
    externalAuthConfigs,
    userExternalAuths,
    ldapConfigs,
    samlConfigs,
    samlSessions,
    xivoUuid,
    summary: [...summaries.byTable.values()],
  };
}

function emptyPlan(): Plan {
  return {
    conflicts: [],
    master: null,
    accesses: [],
    externalAuthTypes: [],
    tenants: [],
    tenantContacts: [],
    domains: [],
    addresses: [],
    users: [],
    emails: [],
    groups: [],
    policies: [],
    policyAccesses: [],
    userGroups: [],
    userPolicies: [],
    groupPolicies: [],
    refreshTokens: [],
    sessions: [],
    tokens: [],
    externalAuthConfigs: [],
    userExternalAuths: [],
    ldapConfigs: [],
    samlConfigs: [],
    samlSessions: [],
    xivoUuid: null,
    summary: [],
  };
}

/** Tenants ordered so that each comes after its parent (the parent foreign key is checked per row). */
function orderParentsFirst(tenants: UpTenant[], master: string): UpTenant[] {
  const pending = new Map(tenants.map((tenant) => [tenant.uuid, tenant]));
  const placed = new Set([master]);
  const ordered: UpTenant[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter(
      (tenant) => placed.has(tenant.parent_uuid) || !pending.has(tenant.parent_uuid),
    );
    if (ready.length === 0) {
      // A cycle cannot be inserted row by row: let the database refuse it with its own message.
      ordered.push(...pending.values());
      break;
    }
    for (const tenant of ready) {
      ordered.push(tenant);
      placed.add(tenant.uuid);
      pending.delete(tenant.uuid);
    }
  }
  return ordered;
}

interface NamedPlan {
  inserted: (UpGroup | UpPolicy)[];
  /** seed row uuid → upstream row uuid */
  replaced: Map<string, string>;
  moved: number;
}

/**
 * Groups or policies: present by uuid, new, replacing a seed master row of the same name or slug, or in
 * conflict with another row of their tenant.
 */
function placeNamed<T extends Named>(
  table: string,
  rows: readonly (UpGroup | UpPolicy)[],
  existing: readonly T[],
  summaries: Summaries,
  conflicts: string[],
  finalTenant: (tenant: string) => string,
  replacing: { seed: string; master: string } | null,
  sameRole: (up: UpGroup | UpPolicy, seed: T) => boolean,
): NamedPlan {
  const summary = summaries.table(table, rows.length);
  const what = table === 'auth_group' ? 'group' : 'policy';
  const byUuid = new Map(existing.map((row) => [row.uuid, row]));
  const replaced = new Map<string, string>();
  const inserted: (UpGroup | UpPolicy)[] = [];
  for (const row of rows) {
    const present = byUuid.get(row.uuid);
    if (present) {
      if (finalTenant(present.tenant_uuid) !== row.tenant_uuid) {
        conflicts.push(
          `${what} ${row.uuid} ("${row.name}") belongs to tenant ${present.tenant_uuid} in the target`,
        );
      } else {
        summary.present++;
      }
      continue;
    }
    const rivals = existing.filter(
      (other) =>
        finalTenant(other.tenant_uuid) === row.tenant_uuid && (clashes(other, row) || sameRole(row, other)),
    );
    for (const rival of rivals) {
      if (replacing && rival.tenant_uuid === replacing.seed && !replaced.has(rival.uuid)) {
        replaced.set(rival.uuid, row.uuid);
      } else {
        conflicts.push(
          `${what} "${row.name}" (${row.uuid}) of tenant ${row.tenant_uuid} clashes with ${what} "${rival.name}" (${rival.uuid}) of the target`,
        );
      }
    }
    inserted.push(row);
    summary.imported++;
  }
  const moved = replacing
    ? existing.filter((row) => row.tenant_uuid === replacing.seed && !replaced.has(row.uuid)).length
    : 0;
  if (replaced.size > 0) {
    summary.notes.push(`${replaced.size} of the seed master replaced by upstream's of the same name or slug`);
  }
  if (moved > 0) summary.notes.push(`${moved} of the target's master tenant kept in upstream's master`);
  return { inserted, replaced, moved };
}

/**
 * Association rows to write: upstream's missing ones, then the target's links of replaced seed rows
 * carried over to their replacements (`carried` says which target links those are).
 */
function links(
  summary: TableSummary,
  upstream: readonly (readonly [string, string])[],
  existing: ReadonlySet<string>,
  map: (a: string, b: string) => [string, string],
  carried: (b: string, a: string) => boolean,
): [string, string][] {
  const out = new Map<string, [string, string]>();
  for (const [a, b] of upstream) {
    if (existing.has(pair(a, b))) summary.present++;
    else if (!out.has(pair(a, b))) {
      out.set(pair(a, b), [a, b]);
      summary.imported++;
    }
  }
  let moved = 0;
  for (const key of existing) {
    const [a, b] = key.split(' ') as [string, string];
    if (!carried(b, a)) continue;
    const [ma, mb] = map(a, b);
    if (out.has(pair(ma, mb)) || existing.has(pair(ma, mb))) continue;
    out.set(pair(ma, mb), [ma, mb]);
    moved++;
  }
  if (moved > 0) summary.notes.push(`${moved} moved from replaced seed rows to their replacements`);
  return [...out.values()];
}
