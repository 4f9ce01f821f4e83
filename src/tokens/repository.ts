import {
  type BusEvent,
  metadataTenant,
  sessionCreated,
  sessionDeleted,
  sessionExpireSoon,
} from '../bus/events.js';
import type { Outbox } from '../bus/outbox.js';
import { type JsonObject, Session, Token } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { Json } from '../http/errors.js';
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

/**
 * The durable record of tokens and their sessions (`auth_token`, `auth_session`). Session events are
 * committed with the rows they describe (bus-events.md §3).
 */
export class TokenRepository {
  constructor(
    private readonly orm: Database,
    private readonly outbox: Outbox,
  ) {}

  /** Writes the session and its token in one transaction (times already truncated: `asStored`). */
  async insert(record: TokenRecord): Promise<void> {
    await this.outbox.transaction(async (em, emit) => {
      const session = em.create(Session, {
        uuid: record.sessionUuid,
        tenant: record.sessionTenantUuid,
        mobile: record.mobile,
      });
      em.create(Token, {
        uuid: record.token,
        session,
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
      });
      emit(sessionCreated(record));
    });
  }

  async find(token: string): Promise<TokenRecord | null> {
    const row = await this.orm.em.fork().findOne(Token, { uuid: token }, { populate: ['session'] });
    return row ? toRecord(row) : null;
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
  async countUserSessions(authId: string): Promise<number> {
    return this.orm.em.fork().count(Token, { authId });
  }
}
