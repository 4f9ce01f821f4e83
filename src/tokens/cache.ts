import { LiveToken, type TokenRecord } from './record.js';
import type { TokenRepository } from './repository.js';

/**
 * The in-memory read model of tokens: every token check is answered from here without waiting on a
 * mailbox or the database. Entries are written by the token and user actors after the database has the
 * change, loaded lazily from the database on a miss (after a restart, or when passivated), and dropped
 * when idle or expired.
 */
export class TokenCache {
  private readonly live = new Map<string, { token: LiveToken; lastUsed: number }>();
  private readonly loading = new Map<string, Promise<LiveToken | null>>();
  /**
   * Tokens revoked recently. A load that started before a revocation may finish after it: its result is
   * discarded rather than bringing the revoked token back.
   */
  private readonly revoked = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly revocationListeners: ((token: string) => void)[] = [];

  constructor(
    private readonly repository: TokenRepository,
    private readonly idleMs = 15 * 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, idleMs));
    this.sweeper.unref();
  }

  /** The token if it is in memory and not expired; never touches the database. */
  peek(token: string): LiveToken | undefined {
    const entry = this.live.get(token);
    if (!entry) return undefined;
    if (entry.token.isExpired()) {
      this.live.delete(token);
      return undefined;
    }
    entry.lastUsed = Date.now();
    return entry.token;
  }

  /** The live token, from memory or else from the database; null when unknown or expired. */
  async get(token: string): Promise<LiveToken | null> {
    const cached = this.peek(token);
    if (cached) return cached;
    let pending = this.loading.get(token);
    if (!pending) {
      const started = Date.now();
      pending = this.repository.find(token).then((record) => {
        this.loading.delete(token);
        if (!record) return null;
        const revokedAt = this.revoked.get(token);
        if (revokedAt !== undefined && revokedAt >= started) return null;
        return this.put(record);
      });
      pending.catch(() => this.loading.delete(token));
      this.loading.set(token, pending);
    }
    const loaded = await pending;
    return loaded && !loaded.isExpired() ? loaded : null;
  }

  put(record: TokenRecord): LiveToken {
    const token = new LiveToken(record);
    this.live.set(record.token, { token, lastUsed: Date.now() });
    return token;
  }

  /** The token is gone from the database (revoked, its session or tenant deleted, purged). */
  evict(token: string): void {
    this.live.delete(token);
    this.revoked.set(token, Date.now());
    for (const listener of this.revocationListeners) listener(token);
  }

  /** Calls `listener` with every token evicted from now on (open WebSocket connections close on it). */
  onRevoked(listener: (token: string) => void): void {
    this.revocationListeners.push(listener);
  }

  /**
   * Drops the entries `which` selects, without marking them revoked: they load again from the database,
   * which has the truth (a worker died before telling this one about its revocations).
   */
  forget(which: (token: string) => boolean): void {
    for (const token of this.live.keys()) if (which(token)) this.live.delete(token);
  }

  get size(): number {
    return this.live.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.live) {
      if (entry.token.isExpired(now / 1000) || now - entry.lastUsed > this.idleMs) this.live.delete(key);
    }
    // A load never takes minutes: older revocation marks have done their job.
    for (const [key, at] of this.revoked) if (now - at > 60_000) this.revoked.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.live.clear();
  }
}
