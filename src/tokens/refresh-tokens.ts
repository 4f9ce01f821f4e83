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
}

/** `auth_refresh_token`: at most one per (user, client_id); it never expires. */
export class RefreshTokenRepository {
  constructor(private readonly orm: Database) {}

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
    const em = this.orm.em.fork();
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
    await em.flush();
    return created.uuid;
  }

  async delete(uuid: string): Promise<boolean> {
    return (await this.orm.em.fork().nativeDelete(RefreshToken, { uuid })) > 0;
  }

  /** Access tokens minted from a refresh token (its offline login and later refresh-token logins). */
  async mintedTokens(uuid: string): Promise<string[]> {
    const rows = await this.orm.em.fork().find(Token, { refreshToken: uuid }, { fields: ['uuid'] });
    return rows.map((row) => row.uuid);
  }
}
