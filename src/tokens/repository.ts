import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import {
  type BusEvent,
  metadataTenant,
  sessionCreated,
  sessionDeleted,
  sessionExpireSoon,
} from '../bus/events.js';
import type { Emit, Outbox } from '../bus/outbox.js';
import { type JsonObject, Session, Token, textArrayLiteral } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { Json } from '../http/errors.js';
import { Batcher, Failed } from './batching.js';
import type { TokenRecord } from './record.js';

function toRecord(row: Token): TokenRecord {
  return {
    token: row.uuid,
    authId: row.authId,
    pbxUserUuid: row.pbxUserUuid,
    xivoUuid: row.xivoUuid,
    issuedT: row.issuedT ?? 0,
    expireT: row.expireT,
    acl: row.acl ?? [],
    metadata: (row.metadata ?? {}) as { [key: string]: Json },
    sessionUuid: row.session.uuid,
    sessionTenantUuid: row.session.tenant.uuid,
    mobile: row.session.mobile,
    remoteAddr: row.remoteAddr ?? '',
    userAgent: row.userAgent ?? '',
    refreshTokenUuid: row.refreshToken?.uuid ?? null,
  };
}

/** The cleanup's events, for the tokens whose metadata names their tenant (the others get none). */
function announced(
  records: TokenRecord[],
  event: (record: TokenRecord, tenant: string) => BusEvent,
): BusEvent[] {
  return records.flatMap((record) => {
    const tenant = metadataTenant(record);
    return tenant === null ? [] : [event(record, tenant)];
  });
}

/** `values (?, ?), (?, ?)…` for `rows`, their values appended to `params` in the same order. */
function valuesOf(rows: unknown[][], params: unknown[]): string {
  const tuples = rows.map((row) => {
    params.push(...row);
    return `(${row.map(() => '?').join(', ')})`;
  });
  return `values ${tuples.join(', ')}`;
}

/**
 * The durable record of tokens and their sessions (`auth_token`, `auth_session`). Session events are
 * committed with the rows they describe (bus-events.md §3).
 */
export class TokenRepository {
  /**
   * Group commit: the tokens of concurrent logins (of different users: a user's logins come one at a
   * time from its actor) are written by one transaction, each caller answered after its commit.
   */
  private readonly inserts = new Batcher<TokenRecord, void>((records) => this.insertBatch(records));
  /** The session counts of the users whose logins are being issued, in one query. */
  private readonly counts = new Batcher<string, number>((authIds) => this.countBatch(authIds));

  /** PostgreSQL commits a lone statement by itself: a batch is then written in one round trip. */
  private readonly oneStatement: boolean;

  constructor(
    private readonly orm: Database,
    private readonly outbox: Outbox,
  ) {
    this.oneStatement = /^postgres/i.test(orm.config.get('clientUrl') ?? '');
  }

  /**
   * Writes the session and its token, with its `auth_session_created`, durably: resolves once committed
   * (times already truncated: `asStored`).
   */
  insert(record: TokenRecord): Promise<void> {
    return this.inserts.submit(record);
  }

  private async insertBatch(records: TokenRecord[]): Promise<(undefined | Failed)[]> {
    try {
      await this.write(records);
      return records.map(() => undefined);
    } catch (error) {
      if (records.length === 1) return [new Failed(error)];
      // One row the database refuses (its tenant or refresh token deleted meanwhile) fails its own login
      // only: each is tried again in a transaction of its own.
      return Promise.all(
        records.map((record) =>
          this.write([record]).then(
            () => undefined,
            (alone) => new Failed(alone),
          ),
        ),
      );
    }
  }

  private write(records: TokenRecord[]): Promise<void> {
    return this.oneStatement ? this.writeStatement(records) : this.writeTransaction(records);
  }

  /**
   * Sessions, tokens and events in one statement, committed alone (atomic, durable when it returns): a
   * transaction would cost three more round trips.
   */
  private async writeStatement(records: TokenRecord[]): Promise<void> {
    const staged = this.outbox.stage(records.map(sessionCreated));
    const params: unknown[] = [];
    const sessions = valuesOf(
      records.map((record) => [record.sessionUuid, record.sessionTenantUuid, record.mobile]),
      params,
    );
    const events =
      staged.rows.length === 0
        ? ''
        : `, events as (insert into auth_bus_outbox (routing_key, headers, body) ${valuesOf(
            staged.rows.map((row) => [row.routingKey, row.headers, row.body]),
            params,
          )})`;
    const tokens = valuesOf(
      records.map((record) => [
        record.token,
        record.sessionUuid,
        record.authId,
        record.pbxUserUuid,
        record.xivoUuid,
        record.issuedT,
        record.expireT,
        JSON.stringify(record.metadata),
        record.userAgent,
        record.remoteAddr,
        textArrayLiteral(record.acl), // this statement is PostgreSQL's: text[], as upstream
        record.refreshTokenUuid,
      ]),
      params,
    );
    await this.orm.em.getConnection().execute(
      `with sessions as (insert into auth_session (uuid, tenant_uuid, mobile) ${sessions})${events}
       insert into auth_token (uuid, session_uuid, auth_id, pbx_user_uuid, xivo_uuid, issued_t, expire_t,
         metadata, user_agent, remote_addr, acl, refresh_token_uuid) ${tokens}`,
      params,
      'run',
    );
    staged.committed();
  }

  private async writeTransaction(records: TokenRecord[]): Promise<void> {
    await this.outbox.transaction((em, emit) => insertTokens(em, emit, records));
  }

  async find(token: string): Promise<TokenRecord | null> {
    const row = await this.orm.em.fork().findOne(Token, { uuid: token }, { populate: ['session'] });
    return row ? toRecord(row) : null;
  }

  /**
   * Which of `tokens` still exist unexpired, in one query whatever their number (one JSON parameter,
   * not one bound parameter each: PostgreSQL takes at most 65535). PostgreSQL only: only processes that
   * can miss revocation notices ask.
   */
  async stillLive(tokens: readonly string[], now = Date.now() / 1000): Promise<Set<string>> {
    const rows: { uuid: string }[] = await this.orm.em.getConnection().execute(
      `select uuid from auth_token
       where uuid in (select json_array_elements_text(?::json)) and (expire_t is null or expire_t >= ?)`,
      [JSON.stringify(tokens), Math.trunc(now)],
    );
    return new Set(rows.map((row) => row.uuid));
  }

  /** Deletes the token's session (its token goes with it); returns what was deleted. */
  async delete(token: string): Promise<TokenRecord | null> {
    return this.outbox.transaction(async (em, emit) => {
      const row = await em.findOne(Token, { uuid: token }, { populate: ['session'] });
      if (!row) return null;
      await em.nativeDelete(Session, { uuid: row.session.uuid });
      const record = toRecord(row);
      emit(sessionDeleted(record));
      return record;
    });
  }

  /**
   * Deletes up to `batchSize` tokens expired before `now` (oldest first) with their sessions, in one
   * transaction; returns what was deleted. Tokens whose metadata names a tenant get their
   * `auth_session_deleted` under it (sessions.md §3).
   */
  async deleteExpired(now: number, batchSize: number): Promise<TokenRecord[]> {
    return this.outbox.transaction(async (em, emit) => {
      const rows = await em.find(
        Token,
        { expireT: { $lt: Math.trunc(now) } },
        { populate: ['session'], orderBy: { expireT: 'asc' }, limit: batchSize },
      );
      if (rows.length > 0)
        await em.nativeDelete(Session, { uuid: { $in: rows.map((row) => row.session.uuid) } });
      const records = rows.map(toRecord);
      emit(...announced(records, sessionDeleted));
      return records;
    });
  }

  /**
   * Publishes `auth_session_expire_soon` for the tokens expiring before `until` (sessions.md §3, step 3),
   * a page of `batchSize` per transaction; returns how many tokens were looked at. Nothing to do without
   * a broker.
   */
  async announceExpiring(until: number, batchSize: number): Promise<number> {
    if (!this.outbox.toBroker) return 0;
    const before = { expireT: { $lt: Math.trunc(until) } };
    let seen = 0;
    // Keyset paging on (expire_t, uuid): tokens created or purged meanwhile shift no page.
    for (let after: TokenRecord | undefined; ; ) {
      const where = after
        ? {
            $and: [
              before,
              {
                $or: [
                  { expireT: { $gt: after.expireT } },
                  { expireT: after.expireT, uuid: { $gt: after.token } },
                ],
              },
            ],
          }
        : before;
      const page = await this.outbox.transaction(async (em, emit) => {
        const rows = await em.find(Token, where, {
          populate: ['session'],
          orderBy: { expireT: 'asc', uuid: 'asc' },
          limit: batchSize,
        });
        const records = rows.map(toRecord);
        emit(...announced(records, (record, tenant) => sessionExpireSoon(record, tenant, true)));
        return records;
      });
      seen += page.length;
      if (page.length < batchSize) return seen;
      after = page.at(-1);
    }
  }

  /** The tokens of a user (by `auth_id`). */
  async tokensOf(authId: string): Promise<string[]> {
    const rows = await this.orm.em.fork().find(Token, { authId }, { fields: ['uuid'] });
    return rows.map((row) => row.uuid);
  }

  /** Sessions of a user, counted through their tokens' `auth_id` (tokens.md §3.2); expired ones count. */
  countUserSessions(authId: string): Promise<number> {
    return this.counts.submit(authId);
  }

  private async countBatch(authIds: string[]): Promise<number[]> {
    const rows: { auth_id: string; sessions: number | string }[] = await this.orm.em
      .getKnex()('auth_token')
      .select('auth_id')
      .count({ sessions: '*' })
      .whereIn('auth_id', [...new Set(authIds)])
      .groupBy('auth_id');
    // PostgreSQL answers a bigint count as text.
    const counted = new Map(rows.map((row) => [row.auth_id, Number(row.sessions)]));
    return authIds.map((authId) => counted.get(authId) ?? 0);
  }
}

/**
 * Sessions, tokens and their `auth_session_created` events, in the caller's transaction: for tokens the
 * server mints within a larger change (a confirmation mail's token commits only if the mail left).
 */
export async function insertTokens(
  em: SqlEntityManager,
  emit: Emit,
  records: readonly TokenRecord[],
): Promise<void> {
  await em.insertMany(
    Session,
    records.map((record) => ({
      uuid: record.sessionUuid,
      tenant: record.sessionTenantUuid,
      mobile: record.mobile,
    })),
  );
  await em.insertMany(
    Token,
    records.map((record) => ({
      uuid: record.token,
      session: record.sessionUuid,
      authId: record.authId,
      pbxUserUuid: record.pbxUserUuid,
      xivoUuid: record.xivoUuid,
      issuedT: record.issuedT,
      expireT: record.expireT,
      metadata: record.metadata as JsonObject,
      userAgent: record.userAgent,
      remoteAddr: record.remoteAddr,
      acl: [...record.acl],
      refreshToken: record.refreshTokenUuid,
    })),
  );
  emit(...records.map(sessionCreated));
}

/**
 * Deletes the sessions of the tokens `where` selects (their tokens go with them), with an
 * `auth_session_deleted` each, in the caller's transaction; returns what was deleted. The caller evicts
 * them from every cache once committed (`TokenService.evicted`).
 */
export async function deleteTokensWhere(
  em: SqlEntityManager,
  emit: Emit,
  where: FilterQuery<Token>,
): Promise<TokenRecord[]> {
  const rows = await em.find(Token, where, { populate: ['session'] });
  if (rows.length === 0) return [];
  await em.nativeDelete(Session, { uuid: { $in: rows.map((row) => row.session.uuid) } });
  const records = rows.map(toRecord);
  emit(...records.map((record) => sessionDeleted(record)));
  return records;
}
