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

/** The durable record of tokens and their sessions (`auth_token`, `auth_session`). */
export class TokenRepository {
  constructor(private readonly orm: Database) {}

  /** Writes the session and its token in one transaction (times already truncated: `asStored`). */
  async insert(record: TokenRecord): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
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
    });
  }

  async find(token: string): Promise<TokenRecord | null> {
    const row = await this.orm.em.fork().findOne(Token, { uuid: token }, { populate: ['session'] });
    return row ? toRecord(row) : null;
  }

  /** Deletes the token's session (its token goes with it); returns what was deleted. */
  async delete(token: string): Promise<TokenRecord | null> {
    return this.orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(Token, { uuid: token }, { populate: ['session'] });
      if (!row) return null;
      await em.nativeDelete(Session, { uuid: row.session.uuid });
      return toRecord(row);
    });
  }

  /**
   * Deletes up to `batchSize` tokens expired before `now` (oldest first) with their sessions, in one
   * transaction; returns what was deleted.
   */
  async deleteExpired(now: number, batchSize: number): Promise<TokenRecord[]> {
    return this.orm.em.fork().transactional(async (em) => {
      const rows = await em.find(
        Token,
        { expireT: { $lt: Math.trunc(now) } },
        { populate: ['session'], orderBy: { expireT: 'asc' }, limit: batchSize },
      );
      if (rows.length > 0)
        await em.nativeDelete(Session, { uuid: { $in: rows.map((row) => row.session.uuid) } });
      return rows.map(toRecord);
    });
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
