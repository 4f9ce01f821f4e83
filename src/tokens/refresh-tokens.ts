import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { refreshTokenCreated, refreshTokenDeleted } from '../bus/events.js';
import type { Emit, Outbox } from '../bus/outbox.js';
import { type JsonObject, RefreshToken, Token, type UserPurpose } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { Batcher } from './batching.js';
import { deleteTokensWhere } from './repository.js';

export interface NewRefreshToken {
  clientId: string;
  userUuid: string;
  backend: string;
  login: string;
  userAgent: string;
  remoteAddr: string;
  mobile: boolean;
  metadata: JsonObject;
  /** The user's tenant, for the event (the row does not store it). */
  tenantUuid: string;
}

/** A refresh token presented at a login, with what issuing a token needs of its owner. */
export interface LoginRefreshToken {
  uuid: string;
  login: string | null;
  metadata: JsonObject;
  user: { uuid: string; purpose: UserPurpose; tenantUuid: string } | null;
}

interface LoginRow {
  uuid: string;
  client_id: string | null;
  login: string | null;
  metadata: JsonObject | string;
  user_uuid: string | null;
  purpose: UserPurpose | null;
  tenant_uuid: string | null;
}

/**
 * `auth_refresh_token`: at most one per (user, client_id); it never expires. Creations and deletions
 * commit their bus events with them (bus-events.md §3).
 */
export class RefreshTokenRepository {
  /** The refresh tokens of concurrent logins, with their owners, in one query. */
  private readonly logins = new Batcher<string, LoginRow | undefined>((uuids) => this.loginBatch(uuids));

  constructor(
    private readonly orm: Database,
    private readonly outbox: Outbox,
  ) {}

  async findByClient(userUuid: string, clientId: string): Promise<RefreshToken | null> {
    return this.orm.em.fork().findOne(RefreshToken, { user: userUuid, clientId });
  }

  /** The refresh token presented at a login, only if it was issued to that client. */
  async findForLogin(uuid: string, clientId: string): Promise<LoginRefreshToken | null> {
    const row = await this.logins.submit(uuid);
    if (row?.client_id !== clientId) return null;
    return {
      uuid: row.uuid,
      login: row.login,
      // SQLite hands JSON columns over as text.
      metadata: typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata,
      user:
        row.user_uuid && row.purpose && row.tenant_uuid
          ? { uuid: row.user_uuid, purpose: row.purpose, tenantUuid: row.tenant_uuid }
          : null,
    };
  }

  private async loginBatch(uuids: string[]): Promise<(LoginRow | undefined)[]> {
    const rows: LoginRow[] = await this.orm.em
      .getKnex()('auth_refresh_token as rt')
      .leftJoin('auth_user as u', 'u.uuid', 'rt.user_uuid')
      .select(
        'rt.uuid',
        'rt.client_id',
        'rt.login',
        'rt.metadata',
        'rt.user_uuid',
        'u.purpose',
        'u.tenant_uuid',
      )
      .whereIn('rt.uuid', [...new Set(uuids)]);
    const found = new Map(rows.map((row) => [row.uuid, row]));
    return uuids.map((uuid) => found.get(uuid));
  }

  async mobileOf(userUuid: string): Promise<RefreshToken[]> {
    return this.orm.em.fork().find(RefreshToken, { user: userUuid, mobile: true });
  }

  async create(input: NewRefreshToken): Promise<string> {
    return this.outbox.transaction(async (em, emit) => {
      const created = em.create(RefreshToken, {
        clientId: input.clientId,
        user: input.userUuid,
        backend: input.backend,
        login: input.login,
        userAgent: input.userAgent,
        remoteAddr: input.remoteAddr,
        mobile: input.mobile,
        metadata: input.metadata,
        createdAt: new Date(),
      });
      emit(refreshTokenCreated(input));
      return created.uuid;
    });
  }

  /** Deletes one refresh token, by uuid or by its user and client id; false when there is none. */
  async delete(which: { uuid: string } | { user: string; clientId: string }): Promise<boolean> {
    return this.outbox.transaction(async (em, emit) => {
      const row = await em.findOne(RefreshToken, which, { populate: ['user'] });
      if (!row) return false;
      await deleteAnnounced(em, emit, row);
      return true;
    });
  }

  /**
   * `DELETE /users/{u}/tokens/{client_id}`: deletes one refresh token and, in the same transaction, the
   * sessions of the access tokens minted from it (upstream leaves them valid: a deliberate difference).
   * Null when there is no such refresh token; otherwise the access tokens deleted, for the caller to evict
   * from every cache. The row is locked first: a login through this refresh token writing its access token
   * meanwhile either committed before (and is deleted here) or fails on the foreign key once it is gone.
   */
  async deleteWithMinted(which: { user: string; clientId: string }): Promise<{ revoked: string[] } | null> {
    return this.outbox.transaction(async (em, emit) => {
      const row = await em.findOne(RefreshToken, which, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) return null;
      // Before the refresh token: its deletion sets their `refresh_token_uuid` to null.
      const revoked = await deleteTokensWhere(em, emit, { refreshToken: row.uuid });
      if (row.user) await em.populate(row, ['user']);
      await deleteAnnounced(em, emit, row);
      return { revoked: revoked.map((record) => record.token) };
    });
  }

  /** Access tokens minted from a refresh token (its offline login and later refresh-token logins). */
  async mintedTokens(uuid: string): Promise<string[]> {
    const rows = await this.orm.em.fork().find(Token, { refreshToken: uuid }, { fields: ['uuid'] });
    return rows.map((row) => row.uuid);
  }
}

/** Deletes the row (its `user` populated) with the `auth_refresh_token_deleted` of a user's token. */
async function deleteAnnounced(em: SqlEntityManager, emit: Emit, row: RefreshToken): Promise<void> {
  await em.nativeDelete(RefreshToken, { uuid: row.uuid });
  if (row.user && row.clientId !== null) {
    emit(
      refreshTokenDeleted({
        clientId: row.clientId,
        mobile: row.mobile,
        userUuid: row.user.uuid,
        tenantUuid: row.user.tenant.uuid,
      }),
    );
  }
}
