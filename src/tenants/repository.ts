import {
  ForeignKeyConstraintViolationException,
  LockMode,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { QueryBuilder, SqlEntityManager } from '@mikro-orm/postgresql';
import { tenantAdded, tenantDeleted, tenantUpdated } from '../bus/events.js';
import type { Emit, Outbox } from '../bus/outbox.js';
import {
  Address,
  allUsersGroupName,
  findMasterTenant,
  Group,
  Tenant,
  TenantDomain,
  User,
} from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { type ApiError, errors } from '../http/errors.js';
import { likeColumn, orderAndPage, whereSearch } from '../lists/query.js';
import type { Logger } from '../log/logger.js';
import { randomSlug } from '../policies/slug.js';
import { type ProvisioningConfig, provisionTenant } from '../provisioning/index.js';
import type { ListParams } from '../validation/index.js';
import type { TenantView } from './format.js';
import type { TenantAddressInput } from './schemas.js';

const HAS_DOMAIN = `exists (select 1 from "auth_tenant_domain" "d"
  where "d"."tenant_uuid" = "t"."uuid" and "d"."name" = ?)`;
const SEARCH_TERMS = [
  likeColumn('"t"."name"'),
  likeColumn('"t"."slug"'),
  `exists (select 1 from "auth_tenant_domain" "d" where "d"."tenant_uuid" = "t"."uuid" and ${likeColumn('"d"."name"')})`,
];

/**
 * The tenant and all its descendants. `union` (not `union all`) stops on a cycle in corrupt data; the
 * master's self-reference is skipped so that the walk never climbs back up.
 */
const SUBTREE = `with recursive "below" ("uuid") as (
    select "uuid" from "auth_tenant" where "uuid" = ?
    union
    select "t"."uuid" from "auth_tenant" "t"
      join "below" "b" on "t"."parent_uuid" = "b"."uuid" and "t"."uuid" <> "t"."parent_uuid"
  ) select "uuid" from "below"`;

const SESSION_TOKENS = `select "tk"."uuid" from "auth_token" "tk"
  join "auth_session" "s" on "s"."uuid" = "tk"."session_uuid" where "s"."tenant_uuid" = ?`;

/** The exact-match filters of `GET /tenants` (conventions.md §5) and the search. */
function whereFiltersAndSearch(qb: QueryBuilder<Tenant>, params: ListParams): void {
  const { uuid, name, slug, domain_name } = params.filters;
  const uuids = params.multi.uuids;
  if (uuid !== undefined) qb.andWhere({ uuid });
  if (uuids !== undefined) qb.andWhere({ uuid: { $in: uuids } });
  if (name !== undefined) qb.andWhere({ name });
  if (slug !== undefined) qb.andWhere({ slug });
  if (domain_name !== undefined) qb.andWhere(HAS_DOMAIN, [domain_name]);
  whereSearch(qb, SEARCH_TERMS, params.searchPattern);
}

export interface TenantFields {
  name: string | null;
  contact: string | null;
  /**
   * The tenants the contact must belong to: the visible tenants of the scoping tenant (security #18 item
   * 11, the authorization matrix: upstream takes a user of any tenant, so a sub-tenant administrator could
   * make another tenant's user its contact and learn which user UUIDs exist anywhere). Absent: any tenant.
   */
  contactTenants?: readonly string[];
  phone: string | null;
  defaultAuthenticationMethod: string;
  /** Without repetitions. */
  domainNames: readonly string[];
  address: TenantAddressInput;
}

export interface NewTenant extends TenantFields {
  /** `null`: generated. */
  uuid: string | null;
  /** `null`: derived from the name, or random. */
  slug: string | null;
  parent: string;
}

/** Upstream's slug for a name: the characters a tenant slug may hold, cut to 10 (may be empty). */
export function slugFromName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '').slice(0, 10);
}

const isEmptyAddress = (address: TenantAddressInput): boolean =>
  Object.values(address).every((value) => value === null);

const addressColumns = (address: TenantAddressInput) => ({
  line1: address.line_1,
  line2: address.line_2,
  city: address.city,
  state: address.state,
  country: address.country,
  zipCode: address.zip_code,
});

/** Which unique index a violation names: PostgreSQL in `constraint`, SQLite only in its message. */
function violated(error: UniqueConstraintViolationException): 'uuid' | 'slug' | 'domain' | null {
  const text = `${(error as { constraint?: string }).constraint ?? ''} ${error.message}`;
  if (text.includes('auth_tenant_domain_name_key') || text.includes('auth_tenant_domain.name'))
    return 'domain';
  if (text.includes('auth_tenant_slug_key') || text.includes('auth_tenant.slug')) return 'slug';
  if (text.includes('auth_tenant_pkey') || text.includes('auth_tenant.uuid')) return 'uuid';
  return null;
}

/** A free slug: the one derived from the name, else random ones until one is unused (case-sensitively). */
async function freeSlug(em: SqlEntityManager, name: string | null): Promise<string> {
  for (let slug = name === null ? randomSlug() : slugFromName(name); ; slug = randomSlug()) {
    if ((await em.count(Tenant, { slug })) === 0) return slug;
  }
}

/** The contact is a user (of `tenants`, when given): else `404 unknown-user`, as for an unknown one. */
async function assertContactExists(
  em: SqlEntityManager,
  contact: string | null,
  tenants: readonly string[] | undefined,
): Promise<void> {
  const where = tenants === undefined ? { uuid: contact } : { uuid: contact, tenant: { $in: [...tenants] } };
  if (contact !== null && (await em.count(User, where)) === 0) {
    throw errors.unknown('users', contact);
  }
}

/** What a new tenant receives at creation: all-users policies and default groups (bootstrap.md §3). */
export interface TenantProvisioning {
  config: ProvisioningConfig;
  log: Logger;
}

/** Concurrent requests may pass the checks and then meet a unique index or a foreign key. */
const GENERATED_SLUG_ATTEMPTS = 5;

/** Tenants, their domains and addresses (`auth_tenant`, `auth_tenant_domain`, `auth_address`). */
export class TenantRepository {
  constructor(
    private readonly orm: Database,
    private readonly outbox: Outbox,
  ) {}

  /** `GET /tenants`: `total` counts the `visible` tenants, `filtered` those left by filters and search. */
  async list(
    visible: readonly string[],
    params: ListParams,
  ): Promise<{ items: TenantView[]; total: number; filtered: number }> {
    const em = this.orm.em.fork();
    const scoped = () => em.createQueryBuilder(Tenant, 't').where({ uuid: { $in: [...visible] } });
    const total = await scoped().getCount();
    const qb = scoped();
    whereFiltersAndSearch(qb, params);
    const filtered = await qb.clone().getCount();
    orderAndPage(qb, params, 'uuid');
    const items = await views(em, await qb.getResultList());
    return { items, total, filtered };
  }

  async find(uuid: string): Promise<TenantView | null> {
    const em = this.orm.em.fork();
    const tenant = await em.findOne(Tenant, { uuid });
    return tenant ? (await views(em, [tenant]))[0]! : null;
  }

  /** The tenant's domains, by name; null when the tenant does not exist. */
  async domains(uuid: string): Promise<TenantDomain[] | null> {
    const em = this.orm.em.fork();
    if ((await em.count(Tenant, { uuid })) === 0) return null;
    return em.find(TenantDomain, { tenant: uuid }, { orderBy: { name: 'asc' } });
  }

  /**
   * Creates the tenant with its domains, address, all-users group and configured default groups in one
   * transaction, after the checks of tenants.md §3 in their order.
   */
  async create(input: NewTenant, provisioning: TenantProvisioning): Promise<TenantView> {
    for (let attempt = 1; ; attempt++) {
      try {
        const uuid = await this.insert(input, provisioning);
        return (await this.find(uuid))!;
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) {
          const column = violated(error);
          // Another creation took the generated slug between the check and the insert: draw again.
          if (column === 'slug' && input.slug === null && attempt < GENERATED_SLUG_ATTEMPTS) continue;
          throw this.conflict(column, input) ?? error;
        }
        if (error instanceof ForeignKeyConstraintViolationException) throw await this.missing(error, input);
        throw error;
      }
    }
  }

  private insert(input: NewTenant, provisioning: TenantProvisioning): Promise<string> {
    return this.outbox.transaction((em, emit) => insertTenant(em, emit, input, provisioning));
  }

  private conflict(column: ReturnType<typeof violated>, input: NewTenant): ApiError | null {
    if (column === 'uuid' && input.uuid !== null) return errors.tenantIdentityConflict(input.uuid);
    if (column === 'slug' && input.slug !== null) return errors.tenantSlugConflict(input.slug);
    if (column === 'domain') return errors.tenantDomainConflict(input.domainNames);
    return null;
  }

  /** A foreign key failed: the contact (or the parent) was deleted meanwhile. */
  private async missing(
    error: ForeignKeyConstraintViolationException,
    input: TenantFields & { parent?: string },
  ) {
    const em = this.orm.em.fork();
    if (input.contact !== null && (await em.count(User, { uuid: input.contact })) === 0)
      return errors.unknown('users', input.contact);
    if (input.parent !== undefined && (await em.count(Tenant, { uuid: input.parent })) === 0)
      return errors.unknown('tenants', input.parent);
    return error;
  }

  /**
   * `PUT /tenants/{tenant_uuid}`: replaces the fields, the address (removed when all null) and the
   * domains (those kept keep their uuids) in one transaction. Null when the tenant does not exist.
   */
  async update(uuid: string, fields: TenantFields): Promise<TenantView | null> {
    try {
      const found = await this.outbox.transaction(async (em, emit) => {
        const tenant = await em.findOne(Tenant, { uuid });
        if (!tenant) return false;
        await replaceAddress(em, uuid, fields.address);
        await assertContactExists(em, fields.contact, fields.contactTenants);
        await assertDomainsFree(em, fields.domainNames, uuid);
        const kept = new Set<string>();
        for (const domain of await em.find(TenantDomain, { tenant: uuid })) {
          if (fields.domainNames.includes(domain.name)) kept.add(domain.name);
          else em.remove(domain);
        }
        for (const name of fields.domainNames) if (!kept.has(name)) em.create(TenantDomain, { tenant, name });
        em.assign(tenant, {
          name: fields.name,
          phone: fields.phone,
          contact: fields.contact,
          defaultAuthenticationMethod: fields.defaultAuthenticationMethod,
        });
        emit(tenantUpdated({ uuid, name: fields.name }));
        return true;
      });
      return found ? this.find(uuid) : null;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && violated(error) === 'domain')
        throw errors.tenantDomainConflict(fields.domainNames);
      if (error instanceof ForeignKeyConstraintViolationException) throw await this.missing(error, fields);
      throw error;
    }
  }

  /**
   * Moves `tenant` under `parent` unless that makes a cycle (409). Moves are serialised on the master
   * tenant's row, so that two concurrent moves cannot build a cycle together. False when the tenant is gone.
   */
  async reparent(tenant: string, parent: string, master: string): Promise<boolean> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await em.findOne(Tenant, { uuid: master }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const below = await em.execute<{ uuid: string }[]>(SUBTREE, [tenant]);
        if (below.some((row) => row.uuid === parent)) throw errors.tenantDescendantParent(tenant, parent);
        return (await em.nativeUpdate(Tenant, { uuid: tenant }, { parent })) > 0;
      });
    } catch (error) {
      if (error instanceof ForeignKeyConstraintViolationException) throw errors.unknown('tenants', parent);
      throw error;
    }
  }

  /**
   * Deletes the tenant (no children allowed: 400) and, through the database's cascades, its users,
   * groups, policies, sessions and tokens, domains and address. Returns the deleted tokens, for the
   * in-memory token cache; null when the tenant does not exist.
   */
  async delete(uuid: string): Promise<string[] | null> {
    try {
      return await this.outbox.transaction(async (em, emit) => {
        // The row lock holds back concurrent logins (their session's foreign key) and child creations
        // until the deletion is committed, so the tokens listed here are all the cascade removes.
        const tenant = await em.findOne(Tenant, { uuid }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!tenant) return null;
        if ((await em.count(Tenant, { parent: uuid, uuid: { $ne: uuid } })) > 0)
          throw errors.tenantHasChildren(uuid);
        const tokens = await em.execute<{ uuid: string }[]>(SESSION_TOKENS, [uuid]);
        await em.nativeDelete(Tenant, { uuid });
        emit(tenantDeleted(uuid));
        return tokens.map((row) => row.uuid);
      });
    } catch (error) {
      // A child created between the check and the deletion.
      if (error instanceof ForeignKeyConstraintViolationException) throw errors.tenantHasChildren(uuid);
      throw error;
    }
  }
}

/** The domain names used by another tenant than `owner` (any tenant when null): 409. */
async function assertDomainsFree(
  em: SqlEntityManager,
  names: readonly string[],
  owner: string | null,
): Promise<void> {
  if (names.length === 0) return;
  const where =
    owner === null ? { name: { $in: [...names] } } : { name: { $in: [...names] }, tenant: { $ne: owner } };
  if ((await em.count(TenantDomain, where)) > 0) throw errors.tenantDomainConflict(names);
}

/** The address is removed when every field is null, else its (first) row is updated or created. */
async function replaceAddress(
  em: SqlEntityManager,
  tenant: string,
  address: TenantAddressInput,
): Promise<void> {
  if (isEmptyAddress(address)) {
    await em.nativeDelete(Address, { tenant });
    return;
  }
  const [current] = await em.find(Address, { tenant }, { orderBy: { id: 'asc' }, limit: 1 });
  if (current) em.assign(current, addressColumns(address));
  else em.create(Address, { tenant, ...addressColumns(address) });
}

/** The tenants with their domains and first address row. */
async function views(em: SqlEntityManager, tenants: Tenant[]): Promise<TenantView[]> {
  if (tenants.length === 0) return [];
  await em.populate(tenants, ['domains']);
  const addresses = await em.find(
    Address,
    { tenant: { $in: tenants.map((tenant) => tenant.uuid) } },
    { orderBy: { id: 'asc' } },
  );
  const first = new Map<string, Address>();
  for (const address of addresses)
    if (!first.has(address.tenant.uuid)) first.set(address.tenant.uuid, address);
  return tenants.map((tenant) => ({
    tenant,
    domains: tenant.domains.getItems(),
    address: first.get(tenant.uuid) ?? null,
  }));
}

/**
 * The tenant with its domains, address, all-users group and configured default groups, in the caller's
 * transaction, after the checks of tenants.md §3 in their order (user self-registration creates one with
 * its user). Unique violations of a race surface as the database's exceptions.
 */
export async function insertTenant(
  em: SqlEntityManager,
  emit: Emit,
  input: NewTenant,
  provisioning: TenantProvisioning,
): Promise<string> {
  // Only the master tenant is its own parent, and there is one already.
  if (input.uuid !== null && input.uuid === input.parent && (await findMasterTenant(em)))
    throw errors.masterTenantConflict();
  if (input.uuid !== null && (await em.count(Tenant, { uuid: input.uuid })) > 0)
    throw errors.tenantIdentityConflict(input.uuid);
  if (input.slug !== null && (await em.count(Tenant, { slug: input.slug })) > 0)
    throw errors.tenantSlugConflict(input.slug);
  await assertDomainsFree(em, input.domainNames, null);
  await assertContactExists(em, input.contact, input.contactTenants);
  const tenant = em.create(Tenant, {
    ...(input.uuid !== null ? { uuid: input.uuid } : {}),
    name: input.name,
    slug: input.slug ?? (await freeSlug(em, input.name)),
    phone: input.phone,
    contact: input.contact,
    parent: input.parent,
    defaultAuthenticationMethod: input.defaultAuthenticationMethod,
  });
  for (const name of input.domainNames) em.create(TenantDomain, { tenant, name });
  if (!isEmptyAddress(input.address)) em.create(Address, { tenant, ...addressColumns(input.address) });
  emit(
    tenantAdded({
      uuid: tenant.uuid,
      name: tenant.name,
      slug: tenant.slug,
      domainNames: input.domainNames,
    }),
  );
  // Its all-users group, then what the configuration gives every tenant (bootstrap.md §3).
  const allUsers = allUsersGroupName(tenant.uuid);
  em.create(Group, { name: allUsers, slug: allUsers, tenant, systemManaged: true });
  await provisionTenant(em, provisioning.config, tenant.uuid, provisioning.log);
  return tenant.uuid;
}
