import { Token } from '../../entities/index.js';
import type { Database } from '../../entities/orm.js';

/** Whether a token session still lives: a logout or a revocation deletes it, an expiry ends it. */
export type SessionLiveness = (sessionUuid: string) => Promise<boolean>;

/** `SessionLiveness` from the token table: a token of the session that has not expired. */
export function sessionLiveness(orm: Database): SessionLiveness {
  return async (sessionUuid) => {
    const now = Math.floor(Date.now() / 1000);
    const live = await orm.em
      .fork()
      .count(Token, { session: sessionUuid, $or: [{ expireT: null }, { expireT: { $gt: now } }] });
    return live > 0;
  };
}
