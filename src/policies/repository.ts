import {
  type FilterQuery,
  ForeignKeyConstraintViolationException,
  type ObjectQuery,
  raw,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { QueryBuilder, SqlEntityManager } from '@mikro-orm/postgresql';
import { Access, Policy } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors, type LegacyError } from '../http/errors.js';
import { likeColumn, orderAndPage, whereSearch } from '../lists/query.js';
import type { ListParams } from '../validation/index.js';
import { noSuchPolicy, type PolicyRef } from './reference.js';
import type { PolicyScope } from './scope.js';
import { randomSlug, slugFromName } from './slug.js';

const LINKED_TO_USER =
  'exists (select 1 from "auth_user_policy" "up" where "up"."policy_uuid" = "p"."uuid" and "up"."user_uuid" = ?)';
const LINKED_TO_GROUP =
  'exists (select 1 from "auth_group_policy" "gp" where "gp"."policy_uuid" = "p"."uuid" and "gp"."group_uuid" = ?)';
const SEARCH_TERMS = [likeColumn('"p"."name"'), likeColumn('"p"."description"')];

/** policies.md §2: own policies, config-managed ones, and shared ones of the tenant or its ancestors. */
function visibleIn(scope: PolicyScope): ObjectQuery<Policy> {
  return {
    $or: [
      { tenant: { $in: [...scope.own] } },
      { configManaged: true },
      { shared: true, tenant: { $in: [...scope.lineage] } },
    ],
  };
}

/**
 * The exact-match filters of policy lists (conventions.md §5; `tenant_uuid` is the real owner) and the
 * search on name and description.
 */
function whereFiltersAndSearch(qb: QueryBuilder<Policy>, params: ListParams): void {
  const { uuid, name, slug, tenant_uuid, user_uuid, group_uuid } = params.filters;
  if (uuid !== undefined) qb.andWhere({ uuid });
  if (name !== undefined) qb.andWhere({ name });
  if (slug !== undefined) qb.andWhere({ slug });
  if (tenant_uuid !== undefined) qb.andWhere({ tenant: tenant_uuid });
  if (user_uuid !== undefined) qb.andWhere(LINKED_TO_USER, [user_uuid]);
  if (group_uuid !== undefined) qb.andWhere(LINKED_TO_GROUP, [group_uuid]);
  whereSearch(qb, SEARCH_TERMS, params.searchPattern);
}

/** One page of a filtered query, sorted, with each policy's ACL loaded. */
async function page(em: SqlEntityManager, qb: QueryBuilder<Policy>, params: ListParams): Promise<Policy[]> {
  orderAndPage(qb, params, 'uuid');
  const items = await qb.getResultList();
  await em.populate(items, ['accesses']);
  return items;
}

export interface NewPolicy {
  name: string;
  /** `null`: derive one from the name. */
  slug: string | null;
  description: string | null;
  acl: readonly string[];
  shared: boolean;
  tenant: string;
}

/** What `PUT /policies/{…}` rewrites; the slug and the shared flag never change after creation. */
export interface PolicyChanges {
  name: string;
  description: string | null;
  acl: readonly string[];
}

/** The tenants around the owner of a new policy, for the duplicate rules of policies.md §4. */
export interface Lineage {
  /** The owner and its ancestors. */
  above: readonly string[];
  /** The owner and its descendants (only consulted for a shared policy). */
  below: readonly string[];
}

const duplicate = (name: string): LegacyError => errors.legacy(409, `Policy "${name}" already exists`);

/** Policies and their ACL (`auth_policy`, `auth_access`, `auth_policy_access`). */
export class PolicyRepository {
  constructor(private readonly orm: Database) {}

  /** The policy `ref` names among those visible in `scope`, or anywhere when `scope` is null; else 404. */
  async get(ref: PolicyRef, scope: PolicyScope | null): Promise<Policy> {
    const where: FilterQuery<Policy> = scope ? { $and: [ref, visibleIn(scope)] } : ref;
    const found = await this.orm.em.fork().find(Policy, where, { populate: ['accesses'] });
    // A slug may be both the caller's own and an inherited one: its own wins.
    const policy = found.find((candidate) => scope?.own.has(candidate.tenant.uuid)) ?? found[0];
    if (!policy) throw noSuchPolicy(ref);
    return policy;
  }

  /**
   * `GET /policies`: `total` counts every visible policy; `read_only` narrows to own policies (false) or
   * to what upstream lists as inherited (true: config-managed, and shared policies of the master tenant).
   */
  async list(
    scope: PolicyScope,
    params: ListParams,
    readOnly: boolean | undefined,
  ): Promise<{ items: Policy[]; total: number }> {
    const em = this.orm.em.fork();
    const visible = () => em.createQueryBuilder(Policy, 'p').where(visibleIn(scope));
    const total = await visible().getCount();
    const qb = visible();
    if (readOnly === true)
      qb.andWhere({ $or: [{ configManaged: true }, { shared: true, tenant: scope.master }] });
    if (readOnly === false) qb.andWhere({ tenant: { $in: [...scope.own] } });
    whereFiltersAndSearch(qb, params);
    return { items: await page(em, qb, params), total };
  }

  /**
   * `GET /users/{u}/policies`: the policies linked to the user directly, those visible in `scope` (all
   * when null).
   */
  async listForUser(
    userUuid: string,
    params: ListParams,
    scope: PolicyScope | null,
  ): Promise<{ items: Policy[]; total: number; filtered: number }> {
    const em = this.orm.em.fork();
    const linked = () => {
      const qb = em.createQueryBuilder(Policy, 'p').where(LINKED_TO_USER, [userUuid]);
      return scope ? qb.andWhere(visibleIn(scope)) : qb;
    };
    const total = await linked().getCount();
    const qb = linked();
    whereFiltersAndSearch(qb, params);
    const filtered = await qb.clone().getCount();
    return { items: await page(em, qb, params), total, filtered };
  }

  /**
   * Creates a policy with its ACL, interning new access strings, in one transaction. Refuses duplicates
   * (409): same name or slug in the tenant; a shared policy with that name or slug above it; for a
   * shared policy, any policy with that name or slug below it.
   */
  async create(input: NewPolicy, lineage: Lineage): Promise<Policy> {
    const uuid = await this.insert(input, lineage).catch((error: unknown) => {
      // A concurrent creation won the race for the name or the slug.
      throw error instanceof UniqueConstraintViolationException ? duplicate(input.name) : error;
    });
    // Read back, as upstream does, so that the ACL comes in the order every later read shows.
    return this.get({ uuid }, null);
  }

  private insert(input: NewPolicy, lineage: Lineage): Promise<string> {
    return this.orm.em.fork().transactional(async (em) => {
      const slug = input.slug ?? (await freeSlug(em, input.name, input.tenant));
      const sameIdentity = { $or: [{ name: input.name }, { slug }] };
      const clashes: ObjectQuery<Policy>[] = [
        // The tenant's slugs are unique case-insensitively (`auth_policy__idx__slug`).
        { tenant: input.tenant, $or: [{ name: input.name }, { [raw('lower(slug)')]: slug.toLowerCase() }] },
        { shared: true, tenant: { $in: [...lineage.above] }, ...sameIdentity },
      ];
      if (input.shared) clashes.push({ tenant: { $in: [...lineage.below] }, ...sameIdentity });
      if ((await em.count(Policy, { $or: clashes })) > 0) throw duplicate(input.name);
      const policy = em.create(Policy, {
        name: input.name,
        slug,
        description: input.description,
        tenant: input.tenant,
        configManaged: false,
        shared: input.shared,
      });
      policy.accesses.set(await intern(em, [...new Set(input.acl)]));
      return policy.uuid;
    });
  }

  /**
   * Rewrites the name, description and ACL of the policy if one of `owners` owns it (null otherwise), in
   * one transaction, and reads it back. Another policy of its tenant with that name is a 409 (upstream
   * fails there with a 500).
   */
  async update(uuid: string, owners: ReadonlySet<string>, changes: PolicyChanges): Promise<Policy | null> {
    const updated = await this.orm.em
      .fork()
      .transactional(async (em) => {
        const policy = await em.findOne(
          Policy,
          { uuid, tenant: { $in: [...owners] } },
          { populate: ['accesses'] },
        );
        if (!policy) return false;
        const sameName = { tenant: policy.tenant, name: changes.name, uuid: { $ne: uuid } };
        if ((await em.count(Policy, sameName)) > 0) throw duplicate(changes.name);
        policy.name = changes.name;
        policy.description = changes.description;
        policy.accesses.set(await intern(em, [...new Set(changes.acl)]));
        return true;
      })
      .catch((error: unknown) => {
        // A concurrent rename or creation took the name.
        throw error instanceof UniqueConstraintViolationException ? duplicate(changes.name) : error;
      });
    return updated ? this.get({ uuid }, null) : null;
  }

  /**
   * Adds one entry to the policy's ACL if one of `owners` owns it: `present` if it had the entry, `gone`
   * when the policy is no more, or not theirs.
   */
  async addAccess(
    uuid: string,
    owners: ReadonlySet<string>,
    access: string,
  ): Promise<'added' | 'present' | 'gone'> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        if (!(await ownedBy(em, uuid, owners))) return 'gone';
        const [interned] = await intern(em, [access]);
        const result = await em.execute<{ affectedRows: number }>(
          'insert into "auth_policy_access" ("policy_uuid", "access_id") values (?, ?) on conflict do nothing',
          [uuid, interned!.id],
          'run',
        );
        return result.affectedRows > 0 ? 'added' : 'present';
      });
    } catch (error) {
      // Deleted meanwhile: policies never change tenant, so ownership cannot have changed otherwise.
      if (error instanceof ForeignKeyConstraintViolationException) return 'gone';
      throw error;
    }
  }

  /** Removes one entry from the ACL of the policy if one of `owners` owns it; an absent entry is no error. */
  async removeAccess(uuid: string, owners: ReadonlySet<string>, access: string): Promise<void> {
    const em = this.orm.em.fork();
    if (!(await ownedBy(em, uuid, owners))) return;
    await em.execute(
      `delete from "auth_policy_access" where "policy_uuid" = ?
         and "access_id" in (select "id" from "auth_access" where "access" = ?)`,
      [uuid, access],
      'run',
    );
  }

  /** Deletes the policy if one of `owners` owns it; its links go with it, its access strings stay. */
  async delete(uuid: string, owners: ReadonlySet<string>): Promise<boolean> {
    return (await this.orm.em.fork().nativeDelete(Policy, { uuid, tenant: { $in: [...owners] } })) > 0;
  }
}

/** Whether the policy exists and one of `owners` owns it. */
async function ownedBy(em: SqlEntityManager, uuid: string, owners: ReadonlySet<string>): Promise<boolean> {
  return (await em.count(Policy, { uuid, tenant: { $in: [...owners] } })) > 0;
}

/** The slug derived from the name, or random ones until one is free in the tenant (case-sensitively). */
async function freeSlug(em: SqlEntityManager, name: string, tenant: string): Promise<string> {
  for (let slug = slugFromName(name); ; slug = randomSlug()) {
    if ((await em.count(Policy, { tenant, slug })) === 0) return slug;
  }
}

/** The `auth_access` rows of `acl`, in its order, inserting the strings not interned yet. */
export async function intern(em: SqlEntityManager, acl: readonly string[]): Promise<Access[]> {
  if (acl.length === 0) return [];
  // `on conflict do nothing`: another transaction may intern the same string at the same time.
  await em
    .createQueryBuilder(Access)
    .insert(acl.map((access) => ({ access })))
    .onConflict('access')
    .ignore()
    .execute();
  const rows = await em.find(Access, { access: { $in: [...acl] } });
  const byText = new Map(rows.map((row) => [row.access, row]));
  return acl.map((access) => byText.get(access)!);
}
