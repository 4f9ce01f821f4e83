import { keyedActors } from '../actors/keyed.js';
import type { ActorSystem } from '../actors/system.js';
import { errors } from '../http/errors.js';
import type { TokenCache } from './cache.js';
import { asStored, type LiveToken, type TokenRecord } from './record.js';
import type { TokenRepository } from './repository.js';

/**
 * Work a login does inside its user's actor, after the session limit passed and before the token is
 * written (offline logins create, reuse or purge refresh tokens there). It may fill the record in.
 */
export type BeforeIssue = (record: TokenRecord) => Promise<void>;

type UserMessage =
  | { kind: 'issue'; record: TokenRecord; sessionLimit: number | null; before?: BeforeIssue }
  | { kind: 'revoke-all' };
type TokenMessage = { kind: 'revoke' };

/**
 * Token life cycle. Mutations go through actors: a user's logins are serialised by its user actor, so the
 * concurrent-session limit is checked and the session written as one step; a token's revocation goes
 * through its token actor. Reads go straight to the cache.
 */
export class TokenService {
  private readonly users;
  private readonly tokens;

  constructor(
    system: ActorSystem,
    private readonly repository: TokenRepository,
    readonly cache: TokenCache,
  ) {
    this.users = keyedActors<UserMessage, LiveToken | TokenRecord[]>(system, {
      kind: 'user',
      handle: (authId, message) =>
        message.kind === 'issue' ? this.issueInActor(authId, message) : this.revokeAllInActor(authId),
    });
    this.tokens = keyedActors<TokenMessage, TokenRecord | null>(system, {
      kind: 'token',
      handle: (token) => this.revokeInActor(token),
    });
  }

  /**
   * Persists a new token and its session, then makes it live. `sessionLimit` is the user's
   * `max_user_concurrent_sessions` when the limit applies to it (tokens.md §3.2), else null.
   */
  issue(record: TokenRecord, sessionLimit: number | null, before?: BeforeIssue): Promise<LiveToken> {
    return this.users.ask(record.authId, {
      kind: 'issue',
      record,
      sessionLimit,
      ...(before ? { before } : {}),
    }) as Promise<LiveToken>;
  }

  /** Deletes the token and its session; resolves with what was deleted (null: nothing to delete). */
  revoke(token: string): Promise<TokenRecord | null> {
    return this.tokens.ask(token, { kind: 'revoke' });
  }

  /**
   * Revokes every session of a user (password change, user disabled: sessions.md §4); resolves with
   * what was deleted, one record per session.
   */
  revokeUserSessions(userUuid: string): Promise<TokenRecord[]> {
    // Through the user's actor: a login of that user already queued is issued first and then revoked,
    // one queued after it re-checks the user inside the actor (see LoginService).
    return this.users.ask(userUuid, { kind: 'revoke-all' }) as Promise<TokenRecord[]>;
  }

  /** A live, unexpired token, from memory when possible. */
  find(token: string): Promise<LiveToken | null> {
    return this.cache.get(token);
  }

  private async revokeAllInActor(userUuid: string): Promise<TokenRecord[]> {
    const revoked: TokenRecord[] = [];
    for (const token of await this.repository.tokensOf(userUuid)) {
      const record = await this.revoke(token);
      if (record) revoked.push(record);
    }
    return revoked;
  }

  private async issueInActor(
    authId: string,
    { record, sessionLimit, before }: Extract<UserMessage, { kind: 'issue' }>,
  ): Promise<LiveToken> {
    if (sessionLimit !== null && (await this.repository.countUserSessions(authId)) >= sessionLimit) {
      throw errors.legacy(429, `User ${authId} has exceeded the maximum number of active sessions`);
    }
    await before?.(record);
    const stored = asStored(record);
    await this.repository.insert(stored);
    // Only now, with the database holding it, does the token become visible to checks.
    return this.cache.put(stored);
  }

  private async revokeInActor(token: string): Promise<TokenRecord | null> {
    const deleted = await this.repository.delete(token);
    this.cache.evict(token);
    return deleted;
  }

  stop(): void {
    this.users.stop();
    this.tokens.stop();
    this.cache.close();
  }
}
