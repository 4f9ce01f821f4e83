// Tokens written straight to the database, as a login would write them, without the login: no password
// hashing (argon2 costs about 100 ms a login), and the running server has never seen them, so it loads
// them lazily from the database on first use, as after a restart.

import { randomUUID } from 'node:crypto';
import { Outbox } from '../../src/bus/outbox.js';
import type { UserPurpose } from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import type { Json } from '../../src/http/errors.js';
import { TokenRepository } from '../../src/tokens/repository.js';

/** The user a token is issued to. */
export interface TokenOwner {
  uuid: string;
  tenant: string;
  purpose: UserPurpose;
}

export interface StoredTokenOptions {
  acl: readonly string[];
  /** Seconds from now; negative for a token already expired (still in the database). */
  expiresIn?: number;
  /** Metadata beyond what a `wazo_user` login puts there (`admin`, for instance). */
  metadata?: { [key: string]: Json };
}

export interface StoredToken {
  token: string;
  session: string;
}

/**
 * A writer of tokens into `orm`'s database. Their `auth_session_created` events are emitted into an
 * outbox that neither keeps them nor hands them to anyone: the server's connections never see them.
 */
export function tokenStore(
  orm: Database,
): (owner: TokenOwner, options: StoredTokenOptions) => Promise<StoredToken> {
  const repository = new TokenRepository(orm, new Outbox(orm, { toBroker: false, originUuid: randomUUID() }));
  return async (owner, { acl, expiresIn = 3600, metadata = {} }) => {
    const now = Math.trunc(Date.now() / 1000);
    const stored = { token: randomUUID(), session: randomUUID() };
    const pbxUser = owner.purpose === 'user' ? owner.uuid : null;
    await repository.insert({
      token: stored.token,
      authId: owner.uuid,
      pbxUserUuid: pbxUser,
      xivoUuid: null,
      issuedT: now,
      expireT: now + expiresIn,
      acl,
      // The metadata of a `wazo_user` token (tokens.md §2.1).
      metadata: {
        uuid: owner.uuid,
        tenant_uuid: owner.tenant,
        auth_id: owner.uuid,
        pbx_user_uuid: pbxUser,
        xivo_uuid: null,
        purpose: owner.purpose,
        ...metadata,
      },
      sessionUuid: stored.session,
      sessionTenantUuid: owner.tenant,
      mobile: false,
      remoteAddr: '127.0.0.1',
      userAgent: 'test',
      refreshTokenUuid: null,
    });
    return stored;
  };
}
