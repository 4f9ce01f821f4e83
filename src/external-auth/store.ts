import { randomUUID } from 'node:crypto';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { type ExternalAuthChange, externalAuthChanged } from '../bus/events.js';
import type { Emit, Outbox } from '../bus/outbox.js';
import type { Database } from '../entities/orm.js';
import { errors, type Json } from '../http/errors.js';
import type { ListParams } from '../validation/index.js';

/** A stored JSON object: a tenant's configuration or a user's data for one external auth type. */
export type Blob = { [key: string]: Json };

interface TypeRow {
  uuid: string;
  enabled: boolean | number | null;
}

/** The tenant of the user, or `unknown-user`. */
async function userTenant(em: SqlEntityManager, user: string): Promise<string> {
  const rows = await em.execute<{ tenant_uuid: string }[]>(
    'select "tenant_uuid" from "auth_user" where "uuid" = ?',
    [user],
  );
  if (rows.length === 0) throw errors.unknown('users', user);
  return rows[0]!.tenant_uuid;
}

async function findType(em: SqlEntityManager, name: string): Promise<TypeRow | null> {
  const rows = await em.execute<TypeRow[]>(
    'select "uuid", "enabled" from "auth_external_auth_type" where "name" = ?',
    [name],
  );
  return rows[0] ?? null;
}

/** The type's uuid; a name seen for the first time becomes a disabled type (upstream's auto-creation). */
async function typeUuid(em: SqlEntityManager, name: string): Promise<string> {
  await em.execute(
    'insert into "auth_external_auth_type" ("uuid", "name", "enabled") values (?, ?, ?) on conflict ("name") do nothing',
    [randomUUID(), name, false],
    'run',
  );
  return (await findType(em, name))!.uuid;
}

const parse = (text: string): Blob => {
  const value = JSON.parse(text) as Json;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
};

/**
 * The external auth tables (external-auth.md §1): the type registry, each tenant's configuration per type
 * and each user's data per type. Changes to user data are committed with their bus events.
 */
export class ExternalAuthStore {
  constructor(
    private readonly orm: Database,
    private readonly outbox: Outbox,
  ) {}

  /** Start-up: the configured types exist and are the only enabled ones (upstream's `enable_all`). */
  async enableOnly(names: readonly string[]): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      for (const name of names) await typeUuid(em, name);
      const wanted = [...names];
      const enabled = wanted.length > 0 ? `"name" in (${wanted.map(() => '?').join(', ')})` : 'false';
      await em.execute(`update "auth_external_auth_type" set "enabled" = (${enabled})`, wanted, 'run');
    });
  }

  // Tenant configurations.

  /** `unknown-config` for a type never registered, `unknown-external-auth` for a tenant without one. */
  async config(type: string, tenant: string): Promise<Blob> {
    const em = this.orm.em.fork();
    const found = await findType(em, type);
    if (!found) throw errors.externalAuthConfigNotDefined(type);
    const rows = await em.execute<{ data: string }[]>(
      'select "data" from "auth_external_auth_config" where "type_uuid" = ? and "tenant_uuid" = ?',
      [found.uuid, tenant],
    );
    if (rows.length === 0) throw errors.externalAuthConfigMissing(type);
    return parse(rows[0]!.data);
  }

  async createConfig(type: string, tenant: string, data: Blob): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      const typeId = await typeUuid(em, type);
      const inserted = await em.execute<{ affectedRows: number }>(
        `insert into "auth_external_auth_config" ("type_uuid", "tenant_uuid", "data") values (?, ?, ?)
         on conflict ("type_uuid", "tenant_uuid") do nothing`,
        [typeId, tenant, JSON.stringify(data)],
        'run',
      );
      if (inserted.affectedRows === 0) throw errors.externalAuthConfigExists(type);
    });
  }

  /** Replaces the whole object: unknown type or no configuration yet → 404. */
  async replaceConfig(type: string, tenant: string, data: Blob): Promise<void> {
    await this.changeConfig(type, tenant, 'update "auth_external_auth_config" set "data" = ?', [
      JSON.stringify(data),
    ]);
  }

  async deleteConfig(type: string, tenant: string): Promise<void> {
    await this.changeConfig(type, tenant, 'delete from "auth_external_auth_config"', []);
  }

  private async changeConfig(type: string, tenant: string, statement: string, values: Json[]) {
    const em = this.orm.em.fork();
    const found = await findType(em, type);
    if (!found) throw errors.externalAuthTypeUnknown(type);
    const changed = await em.execute<{ affectedRows: number }>(
      `${statement} where "type_uuid" = ? and "tenant_uuid" = ?`,
      [...values, found.uuid, tenant],
      'run',
    );
    if (changed.affectedRows === 0) throw errors.externalAuthConfigMissing(type);
  }

  // Users' data.

  /** The user's data: unknown type, unknown user, then no data, in upstream's order of checks. */
  async data(user: string, type: string): Promise<Blob> {
    const em = this.orm.em.fork();
    const rows = await em.execute<{ data: string }[]>(
      `select "uea"."data" from "auth_user_external_auth" "uea"
       join "auth_external_auth_type" "t" on "t"."uuid" = "uea"."external_auth_type_uuid"
       where "uea"."user_uuid" = ? and "t"."name" = ?`,
      [user, type],
    );
    if (rows.length > 0) return parse(rows[0]!.data);
    if (!(await findType(em, type))) throw errors.externalAuthTypeUnknown(type);
    await userTenant(em, user);
    throw errors.externalAuthMissing(type);
  }

  /** Stores new data: `conflict` when the user already has some, `unknown-user`; event `added`. */
  async create(user: string, type: string, data: Blob): Promise<void> {
    await this.write(user, type, async (em, typeId, emit, facts) => {
      if (!(await insertData(em, user, typeId, data))) throw errors.externalAuthExists(type);
      emit(externalAuthChanged('added', facts));
    });
  }

  /** Creates or replaces; event `added` or `updated`. */
  async put(user: string, type: string, data: Blob): Promise<ExternalAuthChange> {
    return this.write(user, type, async (em, typeId, emit, facts) => {
      let change: ExternalAuthChange = 'added';
      if (!(await insertData(em, user, typeId, data))) {
        if (await updateData(em, user, typeId, data)) change = 'updated';
        // Deleted between the two statements: what the caller asked for is a fresh copy.
        else await insertData(em, user, typeId, data);
      }
      emit(externalAuthChanged(change, facts));
      return change;
    });
  }

  /**
   * Replaces existing data only (an OAuth2 refresh): false, and nothing written, when it was deleted
   * meanwhile. `authorized` adds that event after `updated`.
   */
  async replace(user: string, type: string, data: Blob): Promise<boolean> {
    return this.write(user, type, async (em, typeId, emit, facts) => {
      if (!(await updateData(em, user, typeId, data))) return false;
      emit(externalAuthChanged('updated', facts));
      return true;
    });
  }

  /** Deletes the data: unknown type, unknown user or no data → 404; event `deleted`. */
  async delete(user: string, type: string): Promise<void> {
    await this.outbox.transaction(async (em, emit) => {
      const found = await findType(em, type);
      if (!found) throw errors.externalAuthTypeUnknown(type);
      const tenantUuid = await userTenant(em, user);
      const removed = await em.execute<{ affectedRows: number }>(
        'delete from "auth_user_external_auth" where "user_uuid" = ? and "external_auth_type_uuid" = ?',
        [user, found.uuid],
        'run',
      );
      if (removed.affectedRows === 0) throw errors.externalAuthMissing(type);
      emit(externalAuthChanged('deleted', { userUuid: user, tenantUuid, type }));
    });
  }

  /** A write to a user's data in one transaction with its events; the user's tenant names the events. */
  private write<T>(
    user: string,
    type: string,
    work: (
      em: SqlEntityManager,
      typeId: string,
      emit: Emit,
      facts: { userUuid: string; tenantUuid: string; type: string },
    ) => Promise<T>,
  ): Promise<T> {
    return this.outbox
      .transaction(async (em, emit) => {
        const tenantUuid = await userTenant(em, user);
        const typeId = await typeUuid(em, type);
        return work(em, typeId, emit, { userUuid: user, tenantUuid, type });
      })
      .catch((error: unknown) => {
        // The user was deleted between the check and the write.
        if (error instanceof ForeignKeyConstraintViolationException) throw errors.unknown('users', user);
        throw error;
      });
  }

  /**
   * `GET /users/{uuid}/external`: the enabled types, each saying whether the user has data for it. `total`
   * counts every enabled type, `filtered` those left by `search` and `type`.
   */
  async listForUser(
    /** `null`: nobody, every type is listed without data. */
    user: string | null,
    params: ListParams,
  ): Promise<{ total: number; filtered: number; items: { type: string; enabled: boolean }[] }> {
    const em = this.orm.em.fork();
    const where = ['"t"."enabled" = ?'];
    const values: Json[] = [true];
    if (params.searchPattern !== null) {
      where.push('lower("t"."name") like lower(?)');
      values.push(params.searchPattern);
    }
    if (params.filters.type !== undefined) {
      where.push('"t"."name" = ?');
      values.push(params.filters.type);
    }
    const direction = params.direction === 'desc' ? 'desc' : 'asc';
    const rows = await em.execute<{ name: string; linked: number | boolean }[]>(
      `select "t"."name", exists (select 1 from "auth_user_external_auth" "uea"
         where "uea"."external_auth_type_uuid" = "t"."uuid" and "uea"."user_uuid" = ?) as "linked"
       from "auth_external_auth_type" "t" where ${where.join(' and ')}
       order by "t"."name" ${direction}`,
      [user, ...values],
    );
    const [enabled] = await em.execute<{ n: number | string }[]>(
      'select count(*) as "n" from "auth_external_auth_type" where "enabled" = ?',
      [true],
    );
    // A handful of types: paged here rather than in dialect-specific SQL.
    const end = params.limit === null ? undefined : params.offset + params.limit;
    return {
      total: Number(enabled!.n),
      filtered: rows.length,
      items: rows.slice(params.offset, end).map((row) => ({ type: row.name, enabled: Boolean(row.linked) })),
    };
  }

  /**
   * `GET /external/{type}/users`: users of `tenants` with data for the (enabled) type and at least one
   * session — upstream's "connected users". An unknown type is a 404, a disabled one an empty list.
   */
  async connectedUsers(
    type: string,
    tenants: readonly string[],
    page: { limit: number | null; offset: number },
  ): Promise<{ total: number; uuids: string[] }> {
    const em = this.orm.em.fork();
    if (!(await findType(em, type))) throw errors.externalAuthTypeUnknown(type);
    if (tenants.length === 0) return { total: 0, uuids: [] };
    const from = `from "auth_user_external_auth" "uea"
      join "auth_external_auth_type" "t" on "t"."uuid" = "uea"."external_auth_type_uuid"
      join "auth_user" "u" on "u"."uuid" = "uea"."user_uuid"
      where "t"."name" = ? and "t"."enabled" = ? and "u"."tenant_uuid" in (${tenants.map(() => '?').join(', ')})
      and exists (select 1 from "auth_token" "tk" join "auth_session" "s" on "s"."uuid" = "tk"."session_uuid"
        where "tk"."auth_id" = "uea"."user_uuid")`;
    const args: Json[] = [type, true, ...tenants];
    const total = Number(
      (await em.execute<{ n: number | string }[]>(`select count(*) as "n" ${from}`, args))[0]!.n,
    );
    // Both dialects take a limit with an offset; SQLite needs one.
    const rows = await em.execute<{ user_uuid: string }[]>(
      `select "uea"."user_uuid" ${from} order by "uea"."user_uuid" limit ? offset ?`,
      [...args, page.limit ?? Number.MAX_SAFE_INTEGER, page.offset],
    );
    return { total, uuids: rows.map((row) => row.user_uuid) };
  }
}

async function insertData(em: SqlEntityManager, user: string, typeId: string, data: Blob): Promise<boolean> {
  const inserted = await em.execute<{ affectedRows: number }>(
    `insert into "auth_user_external_auth" ("user_uuid", "external_auth_type_uuid", "data") values (?, ?, ?)
     on conflict ("user_uuid", "external_auth_type_uuid") do nothing`,
    [user, typeId, JSON.stringify(data)],
    'run',
  );
  return inserted.affectedRows > 0;
}

async function updateData(em: SqlEntityManager, user: string, typeId: string, data: Blob): Promise<boolean> {
  const updated = await em.execute<{ affectedRows: number }>(
    'update "auth_user_external_auth" set "data" = ? where "user_uuid" = ? and "external_auth_type_uuid" = ?',
    [JSON.stringify(data), user, typeId],
    'run',
  );
  return updated.affectedRows > 0;
}
