import { refreshTokenCreated, refreshTokenDeleted } from '../bus/events.js';
import type { Outbox } from '../bus/outbox.js';
import { type JsonObject, RefreshToken, Token } from '../entities/index.js';
import type { Database } from '../entities/orm.js';

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

/**
 * `auth_refresh_token`: at most one per (user, client_id); it never expires. Creations and deletions
 * commit their bus events with them (bus-events.md §3).
 */
export class RefreshTokenRepository {
  constructor(
    private readonly orm: Database,
    private readonly outbox: Outbox,
  ) {}

  async findByClient(userUuid: string, clientId: string): Promise<RefreshToken | null> {
    return this.orm.em.fork().findOne(RefreshToken, { user: userUuid, clientId });
  }

  /** The refresh token presented at a login, only if it was issued to that client. */
  async findForLogin(uuid: string, clientId: string): Promise<RefreshToken | null> {
    return this.orm.em.fork().findOne(RefreshToken, { uuid, clientId }, { populate: ['user'] });
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
      return true;
    });
  }

  /** Access tokens minted from a refresh token (its offline login and later refresh-token logins). */
  async mintedTokens(uuid: string): Promise<string[]> {
    const rows = await this.orm.em.fork().find(Token, { refreshToken: uuid }, { fields: ['uuid'] });
    return rows.map((row) => row.uuid);
  }
}
