import { raw } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import type { Config } from '../config/index.js';
import { allUsersGroupName, findMasterTenant, Group, Policy } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { Logger } from '../log/logger.js';
import { intern } from '../policies/repository.js';

/*
 * Start-up provisioning (bootstrap.md §3): the configuration's default policies, all-users policies and
 * default groups written into the database, then the config-managed policies the configuration dropped
 * removed. Every step is idempotent: a second run with the same configuration writes nothing.
 *
 * Where upstream would crash on data it did not expect (a name or slug already taken by another row, a
 * slug too long for its column), the entry is skipped with an error in the log instead, so that one bad
 * row does not keep the whole service from starting.
 */

/** The configuration keys provisioning reads. */
export type ProvisioningConfig = Pick<
  Config,
  'default_policies' | 'all_users_policies' | 'tenant_default_groups' | 'update_policy_on_startup'
>;

/** `auth_policy.slug`/`name` and `auth_group.slug` are `varchar(80)`. */
const SLUG_MAX_LENGTH = 80;
const DEFAULT_DESCRIPTION = 'Automatically created';
/** Arbitrary constant, distinct from the migrations' one: serialises provisioning of several processes. */
export const PROVISIONING_LOCK_KEY = 0x7761_7a70; // 'wazp'

/** Which tenants a step covers: every tenant (start-up) or one (tenant creation). */
type Scope = { kind: 'all' } | { kind: 'one'; tenant: string };

const tenantFilter = (scope: Scope) => (scope.kind === 'all' ? {} : { tenant: scope.tenant });

const usableSlug = (slug: string): boolean => slug.length > 0 && slug.length <= SLUG_MAX_LENGTH;

/**
 * The configured slugs a column can hold, each case-insensitively once (slugs are unique per tenant
 * case-insensitively): the others are logged and skipped.
 */
function usableSlugs(slugs: readonly string[], what: string, log: Logger): string[] {
  const seen = new Set<string>();
  return slugs.filter((slug) => {
    if (!usableSlug(slug)) {
      log.error({ slug }, `${what}: slug empty or longer than 80 characters: skipped`);
      return false;
    }
    if (seen.has(slug.toLowerCase())) {
      log.error({ slug }, `${what}: slug differing from another one only by case: skipped`);
      return false;
    }
    seen.add(slug.toLowerCase());
    return true;
  });
}

/**
 * The `where` condition of the rows a configured slug can clash with: slugs are unique per tenant
 * case-insensitively, names exactly (for policies and groups alike).
 */
const slugOrNameIn = (slugs: string[]) => ({
  $or: [
    { [raw((alias) => `lower(${alias}."slug")`)]: { $in: slugs.map((slug) => slug.toLowerCase()) } },
    { name: { $in: slugs } },
  ],
});

/**
 * Among one tenant's rows found with `slugOrNameIn`, the one that has this slug, and another that keeps
 * it from being written with the slug as its name and slug (same name, or same slug but for case).
 */
function bySlug<T extends { name: string; slug: string }>(
  candidates: readonly T[],
  slug: string,
): { found: T | undefined; clash: T | undefined } {
  const found = candidates.find((candidate) => candidate.slug === slug);
  const clash = candidates.find(
    (candidate) =>
      candidate !== found && (candidate.name === slug || candidate.slug.toLowerCase() === slug.toLowerCase()),
  );
  return { found, clash };
}

/** Upstream's `find_by(slug=…)`: the policy with that slug, any tenant; config-managed ones first. */
async function policiesBySlug(em: SqlEntityManager, slugs: readonly string[]): Promise<Map<string, Policy>> {
  const found = new Map<string, Policy>();
  if (slugs.length === 0) return found;
  const rows = await em.find(Policy, { slug: { $in: [...slugs] } }, { orderBy: { uuid: 'asc' } });
  // Several tenants may own a policy with that slug: prefer the configuration's own, then any.
  rows.sort((a, b) => Number(b.configManaged === true) - Number(a.configManaged === true));
  for (const row of rows) if (!found.has(row.slug)) found.set(row.slug, row);
  return found;
}

async function tenantUuids(em: SqlEntityManager, scope: Scope): Promise<string[]> {
  if (scope.kind === 'one') return [scope.tenant];
  const rows = await em.execute<{ uuid: string }[]>('select "uuid" from "auth_tenant" order by "uuid"');
  return rows.map((row) => row.uuid);
}

/**
 * Step 1: every `default_policies` entry as a config-managed policy of the master tenant, found by slug
 * and updated (name = slug, description, ACL replaced) or created.
 */
async function applyDefaultPolicies(
  em: SqlEntityManager,
  definitions: Config['default_policies'],
  master: string,
  log: Logger,
): Promise<void> {
  const slugs = usableSlugs(Object.keys(definitions), 'default_policies', log);
  if (slugs.length === 0) return;
  const existing = await em.find(
    Policy,
    { tenant: master, ...slugOrNameIn(slugs) },
    { populate: ['accesses'] },
  );
  for (const slug of slugs) {
    const definition = definitions[slug]!;
    const { found: policy, clash } = bySlug(existing, slug);
    if (clash) {
      log.error(
        { slug, conflicting: clash.uuid },
        'default_policies: another policy of the master tenant has this name or slug: skipped',
      );
      continue;
    }
    // upstream's `setdefault('description', …)`: an explicit null stays null.
    const description = definition.description === undefined ? DEFAULT_DESCRIPTION : definition.description;
    const shared = (definition as { shared?: unknown }).shared;
    const accesses = await intern(em, [...new Set(definition.acl)]);
    if (policy) {
      log.debug({ slug, policy: policy.uuid }, 'default_policies: updating policy');
      policy.name = slug;
      policy.description = description;
      policy.configManaged = true;
      if (typeof shared === 'boolean') policy.shared = shared;
      policy.accesses.set(accesses);
    } else {
      log.debug({ slug }, 'default_policies: creating policy');
      const created = em.create(Policy, {
        name: slug,
        slug,
        description,
        tenant: master,
        configManaged: true,
        shared: typeof shared === 'boolean' ? shared : false,
      });
      created.accesses.set(accesses);
    }
  }
  await em.flush();
}

/**
 * The all-users group of each tenant, with its policies loaded. A tenant without one (which only
 * damaged data or a tenant being created has) gets it now, as tenant creation makes it.
 */
async function allUsersGroups(
  em: SqlEntityManager,
  scope: Scope,
  tenants: readonly string[],
  log: Logger,
): Promise<Map<string, Group>> {
  const groups = await em.find(
    Group,
    { systemManaged: true, ...tenantFilter(scope) },
    { populate: ['policies'] },
  );
  const byTenant = new Map<string, Group>();
  for (const group of groups) {
    if (group.name === allUsersGroupName(group.tenant.uuid)) byTenant.set(group.tenant.uuid, group);
  }
  for (const tenant of tenants) {
    if (byTenant.has(tenant)) continue;
    const name = allUsersGroupName(tenant);
    if (scope.kind === 'all')
      log.warn({ tenant }, 'all_users: tenant without its all-users group: creating it');
    byTenant.set(tenant, em.create(Group, { name, slug: name, tenant, systemManaged: true }));
  }
  return byTenant;
}

/**
 * Step 2: each enabled `all_users_policies` policy (by slug, any tenant) attached to every tenant's
 * all-users group; config-managed policies owned by a tenant whose slug is not a key of the map detached
 * from that tenant's all-users group.
 */
async function applyAllUsersPolicies(
  em: SqlEntityManager,
  config: ProvisioningConfig,
  scope: Scope,
  tenants: readonly string[],
  log: Logger,
): Promise<void> {
  const keys = new Set(Object.keys(config.all_users_policies));
  const enabled = [...keys].filter((slug) => config.all_users_policies[slug] === true);
  const policies = await policiesBySlug(em, enabled);
  for (const slug of enabled) {
    if (!policies.has(slug)) log.error({ slug }, 'all_users_policies: no policy with this slug: skipped');
  }
  const groups = await allUsersGroups(em, scope, tenants, log);
  const managed = await em.find(Policy, { configManaged: true, ...tenantFilter(scope) });
  for (const tenant of tenants) {
    const group = groups.get(tenant)!;
    for (const policy of policies.values()) {
      if (group.policies.contains(policy)) continue;
      log.debug({ tenant, policy: policy.uuid }, 'all_users: attaching policy to the all-users group');
      group.policies.add(policy);
    }
    for (const policy of managed) {
      if (policy.tenant.uuid !== tenant || keys.has(policy.slug)) continue;
      if (!group.policies.contains(policy)) continue;
      log.debug({ tenant, policy: policy.uuid }, 'all_users: detaching policy from the all-users group');
      group.policies.remove(policy);
    }
  }
  await em.flush();
}

/**
 * Step 3: every `tenant_default_groups` entry as a group of each tenant (name = slug = key, not
 * system-managed): created with its enabled policies, or renamed to the key with the enabled policies it
 * lacks attached and those set to `false` detached.
 */
async function applyDefaultGroups(
  em: SqlEntityManager,
  config: ProvisioningConfig,
  scope: Scope,
  tenants: readonly string[],
  log: Logger,
): Promise<void> {
  const usable = new Set(
    usableSlugs(Object.keys(config.tenant_default_groups), 'tenant_default_groups', log),
  );
  const definitions = Object.entries(config.tenant_default_groups).filter(([slug]) => usable.has(slug));
  if (definitions.length === 0) return;
  const slugs = definitions.map(([slug]) => slug);
  const wanted = [
    ...new Set(
      definitions.flatMap(([, group]) => Object.keys(group.policies).filter((s) => group.policies[s])),
    ),
  ];
  const policies = await policiesBySlug(em, wanted);
  const reported = new Set<string>();
  const policyFor = (group: string, slug: string): Policy | undefined => {
    const policy = policies.get(slug);
    if (!policy && !reported.has(`${group}\n${slug}`)) {
      reported.add(`${group}\n${slug}`);
      log.error({ group, policy: slug }, 'tenant_default_groups: no policy with this slug: not attached');
    }
    return policy;
  };
  const existing = await em.find(
    Group,
    { ...tenantFilter(scope), ...slugOrNameIn(slugs) },
    { populate: ['policies'] },
  );
  const byTenant = new Map<string, Group[]>();
  for (const group of existing) {
    const list = byTenant.get(group.tenant.uuid) ?? [];
    list.push(group);
    byTenant.set(group.tenant.uuid, list);
  }
  for (const tenant of tenants) {
    const candidates = byTenant.get(tenant) ?? [];
    for (const [slug, definition] of definitions) {
      const { found: group, clash } = bySlug(candidates, slug);
      if (clash) {
        log.error(
          { tenant, group: slug, conflicting: clash.uuid },
          'tenant_default_groups: another group of the tenant has this name or slug: skipped',
        );
        continue;
      }
      const settings = Object.entries(definition.policies);
      if (!group) {
        log.debug({ tenant, group: slug }, 'tenant_default_groups: creating group');
        const created = em.create(Group, { name: slug, slug, tenant, systemManaged: false });
        for (const [policySlug, on] of settings) {
          const policy = on ? policyFor(slug, policySlug) : undefined;
          if (policy) created.policies.add(policy);
        }
        continue;
      }
      group.name = slug;
      const attached = group.policies.getItems();
      for (const [policySlug, on] of settings) {
        if (on) {
          if (attached.some((policy) => policy.slug === policySlug)) continue;
          const policy = policyFor(slug, policySlug);
          if (policy) group.policies.add(policy);
        } else {
          for (const policy of attached) if (policy.slug === policySlug) group.policies.remove(policy);
        }
      }
    }
  }
  await em.flush();
}

/**
 * Step 4: config-managed policies whose slug left `default_policies` are deleted, unless a user or a
 * group still holds them (then kept, with a warning).
 */
async function deleteOrphanPolicies(
  em: SqlEntityManager,
  definitions: Config['default_policies'],
  log: Logger,
): Promise<void> {
  const slugs = Object.keys(definitions);
  const orphans = await em.find(Policy, {
    configManaged: true,
    ...(slugs.length > 0 ? { slug: { $nin: slugs } } : {}),
  });
  for (const policy of orphans) {
    const [links] = await em.execute<{ count: number | string }[]>(
      `select (select count(*) from "auth_user_policy" where "policy_uuid" = ?)
            + (select count(*) from "auth_group_policy" where "policy_uuid" = ?) as "count"`,
      [policy.uuid, policy.uuid],
    );
    if (Number(links?.count ?? 0) > 0) {
      log.warn(
        { policy: policy.uuid, slug: policy.slug },
        'default_policies: policy no longer configured but still attached to users or groups: kept',
      );
      continue;
    }
    log.debug({ policy: policy.uuid, slug: policy.slug }, 'default_policies: deleting policy');
    await em.nativeDelete(Policy, { uuid: policy.uuid });
  }
}

/**
 * Holds, until `em`'s transaction ends, the lock under which the master tenant and the default
 * policies and groups are written: start-up provisioning and an import take turns.
 */
export async function lockProvisioning(em: SqlEntityManager): Promise<void> {
  // Several processes starting at once on one PostgreSQL database take turns; SQLite serialises writers.
  if (em.getPlatform().constructor.name.startsWith('PostgreSql')) {
    await em.execute('select pg_advisory_xact_lock(?)', [PROVISIONING_LOCK_KEY]);
  }
}

/**
 * Start-up provisioning (bootstrap.md §3), in one transaction: default policies in the master tenant,
 * all-users policies and default groups in every tenant, then the orphan cleanup. Does nothing when
 * `update_policy_on_startup` is false.
 */
export async function provision(orm: Database, config: ProvisioningConfig, logger: Logger): Promise<void> {
  if (!config.update_policy_on_startup) {
    logger.info('update_policy_on_startup is false: start-up provisioning skipped');
    return;
  }
  const log = logger.child({ component: 'provisioning' });
  const started = performance.now();
  const tenants = await orm.em.fork().transactional(async (em) => {
    await lockProvisioning(em);
    const master = await findMasterTenant(em);
    if (!master) throw new Error('the database has no master tenant: were the migrations applied?');
    const scope: Scope = { kind: 'all' };
    const all = await tenantUuids(em, scope);
    await applyDefaultPolicies(em, config.default_policies, master.uuid, log);
    await applyAllUsersPolicies(em, config, scope, all, log);
    await applyDefaultGroups(em, config, scope, all, log);
    await deleteOrphanPolicies(em, config.default_policies, log);
    return all.length;
  });
  log.info(
    {
      defaultPolicies: Object.keys(config.default_policies).length,
      allUsersPolicies: Object.keys(config.all_users_policies).length,
      defaultGroups: Object.keys(config.tenant_default_groups).length,
      tenants,
      ms: Math.round(performance.now() - started),
    },
    'start-up provisioning done',
  );
}

const silent: Logger = pino({ enabled: false });

/**
 * Steps 2 and 3 of the provisioning for one tenant, as tenant creation applies them (tenants.md): the
 * tenant's all-users group (created if it does not exist yet) gets the enabled `all_users_policies`,
 * and the `tenant_default_groups` are created in it with their enabled policies.
 *
 * Given an entity manager, works in it (typically the transaction creating the tenant, which must have
 * written the tenant row) and flushes it; given the database, runs in a transaction of its own. It runs
 * whatever `update_policy_on_startup` says, as upstream's tenant creation does.
 */
export async function provisionTenant(
  target: Database | SqlEntityManager,
  config: ProvisioningConfig,
  tenantUuid: string,
  logger: Logger = silent,
): Promise<void> {
  const log = logger.child({ component: 'provisioning', tenant: tenantUuid });
  const run = async (em: SqlEntityManager) => {
    // The caller's pending work (the tenant row, its all-users group) must be visible to the queries below.
    await em.flush();
    const scope: Scope = { kind: 'one', tenant: tenantUuid };
    await applyAllUsersPolicies(em, config, scope, [tenantUuid], log);
    await applyDefaultGroups(em, config, scope, [tenantUuid], log);
  };
  if ('em' in target) await target.em.fork().transactional(run);
  else await run(target);
}
