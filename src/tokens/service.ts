import { keyedActors } from '../actors/keyed.js';
import type { ActorSystem } from '../actors/system.js';
import type { ClusterPeer } from '../cluster/peer.js';
import { errors, type Json } from '../http/errors.js';
import type { TokenCache } from './cache.js';
import { asStored, type LiveToken, type TokenRecord } from './record.js';
import type { TokenRepository } from './repository.js';

/**
 * Work a login does inside its user's actor, after the session limit passed and before the token is
 * written (offline logins create, reuse or purge refresh tokens there). It may fill the record in. The
 * plan is plain data, and so is the result, because the user's actor may live in another worker.
 */
export type PrepareIssue = (record: TokenRecord, plan: Json) => Promise<Json>;

type UserMessage =
  | { kind: 'issue'; record: TokenRecord; sessionLimit: number | null; plan: Json }
  | { kind: 'revoke-all' };
type Issued = { record: TokenRecord; extras: Json };

/** Commands other workers send to the owner of a shard. */
const COMMANDS = {
  issue: 'tokens.issue',
  revoke: 'tokens.revoke',
  revokeAll: 'tokens.revoke-all',
  evict: 'tokens.evict',
} as const;

export interface TokenServiceOptions {
  system: ActorSystem;
  repository: TokenRepository;
  cache: TokenCache;
  /** The workers of this machine; user and token actors live on the owner of their shard. */
  peer: ClusterPeer;
  prepareIssue: PrepareIssue;
}

/**
 * Token life cycle. Mutations go through actors: a user's logins are serialised by its user actor, so the
 * concurrent-session limit is checked and the session written as one step; a token's revocation goes
 * through its token actor. With several workers each actor lives on the worker owning its shard, and
 * requests reaching another worker are forwarded there. Reads go straight to the local cache, which every
 * revocation clears on every worker before it returns.
 */
export class TokenService {
  private readonly users;
  private readonly tokens;
  readonly cache: TokenCache;
  private readonly peer: ClusterPeer;

  constructor(private readonly options: TokenServiceOptions) {
    const { system, peer } = options;
    this.cache = options.cache;
    this.peer = peer;
    this.users = keyedActors<UserMessage, Issued | TokenRecord[]>(system, {
      kind: 'user',
      handle: (authId, message) =>
        message.kind === 'issue' ? this.issueInActor(authId, message) : this.revokeAllInActor(authId),
    });
    this.tokens = keyedActors<null, TokenRecord | null>(system, {
      kind: 'token',
      handle: (token) => this.revokeInActor(token),
    });
    peer.handle(COMMANDS.issue, (message) =>
      this.users.ask(
        (message as UserMessage & { record: TokenRecord }).record.authId,
        message as UserMessage,
      ),
    );
    peer.handle(COMMANDS.revoke, (token) => this.tokens.ask(token as string, null));
    peer.handle(COMMANDS.revokeAll, (user) => this.users.ask(user as string, { kind: 'revoke-all' }));
    peer.handle(COMMANDS.evict, (tokens) => {
      for (const token of tokens as string[]) this.cache.evict(token);
    });
  }

  /** Runs `local` on the worker owning `key`, forwarding `command` there when it is another one. */
  private onOwner<T>(key: string, command: string, payload: unknown, local: () => Promise<T>): Promise<T> {
    const owner = this.peer.owner(key);
    return owner === this.peer.index ? local() : this.peer.call<T>(owner, command, payload);
  }

  /**
   * Persists a new token and its session, then makes it live. `sessionLimit` is the user's
   * `max_user_concurrent_sessions` when the limit applies to it (tokens.md §3.2), else null.
   */
  async issue(
    record: TokenRecord,
    sessionLimit: number | null,
    plan: Json,
  ): Promise<{ token: LiveToken; extras: Json }> {
    const message: UserMessage = { kind: 'issue', record, sessionLimit, plan };
    const issued = (await this.onOwner(record.authId, COMMANDS.issue, message, () =>
      this.users.ask(record.authId, message),
    )) as Issued;
    const token = this.cache.peek(issued.record.token) ?? this.cache.put(issued.record);
    return { token, extras: issued.extras };
  }

  /** Deletes the token and its session; resolves with what was deleted (null: nothing to delete). */
  revoke(token: string): Promise<TokenRecord | null> {
    return this.onOwner(token, COMMANDS.revoke, token, () => this.tokens.ask(token, null));
  }

  /**
   * Revokes every session of a user (password change, user disabled: sessions.md §4); resolves with
   * what was deleted, one record per session.
   */
  revokeUserSessions(userUuid: string): Promise<TokenRecord[]> {
    // Through the user's actor: a login of that user already queued is issued first and then revoked,
    // one queued after it re-checks the user inside the actor (see LoginService).
    return this.onOwner(userUuid, COMMANDS.revokeAll, userUuid, () =>
      this.users.ask(userUuid, { kind: 'revoke-all' }),
    ) as Promise<TokenRecord[]>;
  }

  /**
   * Tokens the database lost (revoked, a tenant's cascade, the cleanup job), once committed: gone from
   * every worker of this machine when this resolves, so that the request deleting them answers only then.
   * Other machines (and, with PostgreSQL, this one's workers as well) hear of it from the deleting
   * transaction itself (src/db/revocation-trigger.ts), even if this process dies before getting here.
   */
  async evicted(tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    for (const token of tokens) this.cache.evict(token);
    await this.peer.broadcast(COMMANDS.evict, tokens);
  }

  /** A live, unexpired token, from memory when possible. */
  find(token: string): Promise<LiveToken | null> {
    return this.cache.get(token);
  }

  private async revokeAllInActor(userUuid: string): Promise<TokenRecord[]> {
    const revoked: TokenRecord[] = [];
    for (const token of await this.options.repository.tokensOf(userUuid)) {
      const record = await this.revoke(token);
      if (record) revoked.push(record);
    }
    return revoked;
  }

  private async issueInActor(
    authId: string,
    { record, sessionLimit, plan }: Extract<UserMessage, { kind: 'issue' }>,
  ): Promise<Issued> {
    const { repository } = this.options;
    if (sessionLimit !== null && (await repository.countUserSessions(authId)) >= sessionLimit) {
      throw errors.legacy(429, `User ${authId} has exceeded the maximum number of active sessions`);
    }
    const extras = await this.options.prepareIssue(record, plan);
    const stored = asStored(record);
    await repository.insert(stored);
    // Only now, with the database holding it, does the token become visible to checks.
    this.cache.put(stored);
    return { record: stored, extras };
  }

  private async revokeInActor(token: string): Promise<TokenRecord | null> {
    const deleted = await this.options.repository.delete(token);
    await this.evicted([token]);
    return deleted;
  }

  stop(): void {
    this.users.stop();
    this.tokens.stop();
    this.cache.close();
  }
}
