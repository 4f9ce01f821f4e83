import {
  ForeignKeyConstraintViolationException,
  type ObjectQuery,
  raw,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { QueryBuilder, SqlEntityManager } from '@mikro-orm/postgresql';
import { Group, Policy, User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors, type LegacyError } from '../http/errors.js';
import { likeColumn, orderAndPage, whereSearch } from '../lists/query.js';
import { randomSlug, slugFromName } from '../policies/slug.js';
import type { ListParams } from '../validation/index.js';

const HAS_MEMBER = `exists (select 1 from "auth_user_group" "ug"
  where "ug"."group_uuid" = "g"."uuid" and "ug"."user_uuid" = ?)`;
const HAS_POLICY_UUID = `exists (select 1 from "auth_group_policy" "gp"
  where "gp"."group_uuid" = "g"."uuid" and "gp"."policy_uuid" = ?)`;
const HAS_POLICY_SLUG = `exists (select 1 from "auth_group_policy" "gp"
  join "auth_policy" "p" on "p"."uuid" = "gp"."policy_uuid"
  where "gp"."group_uuid" = "g"."uuid" and "p"."slug" = ?)`;
const GROUP_SEARCH = [likeColumn('"g"."name"')];

const POLICY_IN_GROUP = `exists (select 1 from "auth_group_policy" "gp"
  where "gp"."policy_uuid" = "p"."uuid" and "gp"."group_uuid" = ?)`;
const POLICY_OF_USER = `exists (select 1 from "auth_user_policy" "up"
  where "up"."policy_uuid" = "p"."uuid" and "up"."user_uuid" = ?)`;
const POLICY_SEARCH = [likeColumn('"p"."name"'), likeColumn('"p"."description"')];

/** The exact-match filters of group lists (conventions.md §5) and the search on the name. */
function whereFiltersAndSearch(qb: QueryBuilder<Group>, params: ListParams): void {
  const { uuid, name, slug, user_uuid, policy_uuid, policy_slug } = params.filters;
  if (uuid !== undefined) qb.andWhere({ uuid });
  if (name !== undefined) qb.andWhere({ name });
  if (slug !== undefined) qb.andWhere({ slug });
  if (user_uuid !== undefined) qb.andWhere(HAS_MEMBER, [user_uuid]);
  // Upstream tests the policy filters for truthiness: an empty value filters nothing.
  if (policy_uuid) qb.andWhere(HAS_POLICY_UUID, [policy_uuid]);
  if (policy_slug) qb.andWhere(HAS_POLICY_SLUG, [policy_slug]);
  const readOnly = params.booleans.read_only;
  if (readOnly !== undefined) qb.andWhere({ systemManaged: readOnly });
  whereSearch(qb, GROUP_SEARCH, params.searchPattern);
}

/** Which groups a list covers: those of some tenants (`GET /groups`) or those of a member. */
export type GroupListScope = { tenants: readonly string[] } | { member: string };

export interface NewGroup {
  name: string;
  /** `null`: derive one from the name. */
  slug: string | null;
  tenant: string;
}

export type MemberOutcome = 'done' | 'unknown-group' | 'unknown-user';
export type LinkOutcome = 'linked' | 'unknown-group' | 'unknown-policy';

const duplicate = (name: string): LegacyError => errors.legacy(409, `Group "${name}" already exists`);

/** A unique index refused the write: a concurrent request took the name or the slug. */
const asDuplicate =
  (name: string) =>
  (error: unknown): never => {
    throw error instanceof UniqueConstraintViolationException ? duplicate(name) : error;
  };

/** Groups, their members and their policy links (`auth_group`, `auth_user_group`, `auth_group_policy`). */
export class GroupRepository {
  constructor(private readonly orm: Database) {}

  /** A group list: `total` counts the groups of `scope`, `filtered` those left by filters and search. */
  async list(
    scope: GroupListScope,
    params: ListParams,
  ): Promise<{ items: Group[]; total: number; filtered: number }> {
    const em = this.orm.em.fork();
    const scoped = () => {
      const qb = em.createQueryBuilder(Group, 'g');
      if ('tenants' in scope) qb.where({ tenant: { $in: [...scope.tenants] } });
      else qb.where(HAS_MEMBER, [scope.member]);
      return qb;
    };
    const total = await scoped().getCount();
    const qb = scoped();
    whereFiltersAndSearch(qb, params);
    const filtered = await qb.clone().getCount();
    orderAndPage(qb, params, 'uuid');
    return { items: await qb.getResultList(), total, filtered };
  }

  /** The group if one of `tenants` owns it. */
  findIn(uuid: string, tenants: readonly string[]): Promise<Group | null> {
    return this.orm.em.fork().findOne(Group, { uuid, tenant: { $in: [...tenants] } });
  }

  /**
   * Creates an ordinary group in one transaction. The same name, or the same slug case-insensitively, in
   * the tenant is the legacy 409 naming the submitted name (also when the clash is on the slug).
   */
  async create(input: NewGroup): Promise<Group> {
    return this.orm.em
      .fork()
      .transactional(async (em) => {
        const slug = input.slug ?? (await freeSlug(em, input.name, input.tenant));
        const clash: ObjectQuery<Group> = {
          tenant: input.tenant,
          $or: [{ name: input.name }, { [raw('lower(slug)')]: slug.toLowerCase() }],
        };
        if ((await em.count(Group, clash)) > 0) throw duplicate(input.name);
        return em.create(Group, { name: input.name, slug, tenant: input.tenant, systemManaged: false });
      })
      .catch(asDuplicate(input.name));
  }

  /**
   * Renames the group if one of `tenants` owns it, in one transaction: unknown → 404, system-managed →
   * 403, the name of another group of its tenant → 409.
   */
  async rename(uuid: string, tenants: readonly string[], name: string): Promise<Group> {
    return this.orm.em
      .fork()
      .transactional(async (em) => {
        const group = await writable(em, uuid, tenants);
        if ((await em.count(Group, { tenant: group.tenant, name, uuid: { $ne: uuid } })) > 0)
          throw duplicate(name);
        group.name = name;
        return group;
      })
      .catch(asDuplicate(name));
  }

  /**
   * Deletes the group if one of `tenants` owns it and it is not system-managed (404, 403 otherwise); the
   * database cascades to its memberships and policy links.
   */
  async deleteIn(uuid: string, tenants: readonly string[]): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      await writable(em, uuid, tenants);
      await em.nativeDelete(Group, { uuid });
    });
  }

  async exists(uuid: string): Promise<boolean> {
    return (await this.orm.em.fork().count(Group, { uuid })) > 0;
  }

  /** Adds the member; an existing membership is left as it is. */
  async addMember(groupUuid: string, userUuid: string): Promise<MemberOutcome> {
    try {
      await this.orm.em
        .fork()
        .execute(
          'insert into "auth_user_group" ("group_uuid", "user_uuid") values (?, ?) on conflict do nothing',
          [groupUuid, userUuid],
          'run',
        );
      return 'done';
    } catch (error) {
      if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
      // Deleted since it was looked up: the foreign key says which side is gone.
      return (await this.exists(groupUuid)) ? 'unknown-user' : 'unknown-group';
    }
  }

  /**
   * Removes the member, in one transaction. Nothing removed: an unknown group or an unknown user (in any
   * tenant) is reported, a user who was not a member is not.
   */
  async removeMember(groupUuid: string, userUuid: string): Promise<MemberOutcome> {
    return this.orm.em.fork().transactional(async (em) => {
      const removed = await em.execute<{ affectedRows: number }>(
        'delete from "auth_user_group" where "group_uuid" = ? and "user_uuid" = ?',
        [groupUuid, userUuid],
        'run',
      );
      if (removed.affectedRows > 0) return 'done';
      if ((await em.count(Group, { uuid: groupUuid })) === 0) return 'unknown-group';
      if ((await em.count(User, { uuid: userUuid })) === 0) return 'unknown-user';
      return 'done';
    });
  }

  /** How many users the group has. */
  async countMembers(groupUuid: string): Promise<number> {
    const [row] = await this.orm.em
      .fork()
      .execute<{ count: string | number }[]>(
        'select count(*) as "count" from "auth_user_group" where "group_uuid" = ?',
        [groupUuid],
      );
    return Number(row?.count ?? 0);
  }

  /**
   * The tenants of the group's members: its own, normally, but a database written by older upstream
   * versions, which did not check, may hold members of other tenants.
   */
  async memberTenants(groupUuid: string): Promise<string[]> {
    const rows = await this.orm.em.fork().execute<{ tenant_uuid: string }[]>(
      `select distinct "u"."tenant_uuid" from "auth_user" "u"
         join "auth_user_group" "ug" on "ug"."user_uuid" = "u"."uuid" where "ug"."group_uuid" = ?`,
      [groupUuid],
    );
    return rows.map((row) => row.tenant_uuid);
  }

  /** Links the policy to the group; an existing link is left as it is. */
  async linkPolicy(groupUuid: string, policyUuid: string): Promise<LinkOutcome> {
    try {
      await this.orm.em
        .fork()
        .execute(
          'insert into "auth_group_policy" ("group_uuid", "policy_uuid") values (?, ?) on conflict do nothing',
          [groupUuid, policyUuid],
          'run',
        );
      return 'linked';
    } catch (error) {
      if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
      return (await this.exists(groupUuid)) ? 'unknown-policy' : 'unknown-group';
    }
  }

  /** Removes the link; false when there was none. */
  async unlinkPolicy(groupUuid: string, policyUuid: string): Promise<boolean> {
    const result = await this.orm.em
      .fork()
      .execute<{ affectedRows: number }>(
        'delete from "auth_group_policy" where "group_uuid" = ? and "policy_uuid" = ?',
        [groupUuid, policyUuid],
        'run',
      );
    return result.affectedRows > 0;
  }

  /**
   * The `total` (no `params`) and `filtered` counts of `GET /groups/{uuid}/policies`: every policy linked
   * to the group, whatever its tenant, that the filters and search of `params` leave.
   */
  async countPolicies(groupUuid: string, params?: ListParams): Promise<number> {
    const qb = this.orm.em.fork().createQueryBuilder(Policy, 'p').where(POLICY_IN_GROUP, [groupUuid]);
    if (params) {
      const { uuid, name, tenant_uuid, user_uuid, group_uuid } = params.filters;
      // Upstream compares `group_uuid` with the link row itself: another group leaves nothing.
      if (group_uuid !== undefined && group_uuid !== groupUuid) return 0;
      if (uuid !== undefined) qb.andWhere({ uuid });
      if (name !== undefined) qb.andWhere({ name });
      if (tenant_uuid !== undefined) qb.andWhere({ tenant: tenant_uuid });
      if (user_uuid !== undefined) qb.andWhere(POLICY_OF_USER, [user_uuid]);
      whereSearch(qb, POLICY_SEARCH, params.searchPattern);
    }
    return qb.getCount();
  }
}

/** The group a write may change: one of `tenants` owns it (404) and it is not system-managed (403). */
async function writable(em: SqlEntityManager, uuid: string, tenants: readonly string[]): Promise<Group> {
  const group = await em.findOne(Group, { uuid, tenant: { $in: [...tenants] } });
  if (!group) throw errors.unknown('groups', uuid);
  if (group.systemManaged) throw errors.forbiddenGroup(uuid);
  return group;
}

/** The slug derived from the name, or random ones until one is free in the tenant (case-sensitively). */
async function freeSlug(em: SqlEntityManager, name: string, tenant: string): Promise<string> {
  for (let slug = slugFromName(name); ; slug = randomSlug()) {
    if ((await em.count(Group, { tenant, slug })) === 0) return slug;
  }
}
