import { compileAcl } from '../acl/index.js';
import { compactRecord, LiveToken, ReadBackShelf, StringPool, type TokenRecord } from './record.js';
import type { TokenRepository } from './repository.js';

/**
 * The in-memory read model of tokens: every token check is answered from here without waiting on a
 * mailbox or the database. Entries are written by the token and user actors after the database has the
 * change, loaded lazily from the database on a miss (after a restart, or when passivated), and dropped
 * when idle or expired.
 */
export class TokenCache {
  private readonly live = new Map<string, LiveToken>();
  private readonly loading = new Map<string, Promise<LiveToken | null>>();
  /**
   * Tokens revoked recently. A load that started before a revocation may finish after it: its result is
   * discarded rather than bringing the revoked token back.
   */
  private readonly revoked = new Map<string, number>();
  /**
   * How many re-validations have begun. A load that began before one and ends after it read the database
   * at a moment the re-validation does not cover: its token is answered but not kept.
   */
  private revalidations = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly revocationListeners: ((token: string) => void)[] = [];
  private readonly strings = new StringPool();
  private readonly readBacks = new ReadBackShelf();
  /** Origin of the tokens' `lastUsed`, in whole seconds from here. */
  private readonly epoch = Date.now();

  constructor(
    private readonly repository: TokenRepository,
    private readonly idleMs = 15 * 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, idleMs));
    this.sweeper.unref();
  }

  /**
   * The token if it is in memory and not expired; never touches the database. An expired one stays, for
   * `get` to answer without the database (the sweeper drops it).
   */
  peek(token: string): LiveToken | undefined {
    return this.held(token) ?? undefined;
  }

  /** The token if it is in memory; null if it is, but expired; undefined if it is not. */
  private held(token: string): LiveToken | null | undefined {
    const live = this.live.get(token);
    if (!live) return undefined;
    const now = Date.now();
    if (live.isExpired(now / 1000)) return null;
    live.lastUsed = this.clock(now);
    return live;
  }

  /** The live token, from memory or else from the database; null when unknown or expired. */
  async get(token: string): Promise<LiveToken | null> {
    // A token held but expired is known to be invalid without asking the database (maybe unreachable).
    const held = this.held(token);
    if (held === null) this.live.delete(token);
    if (held !== undefined) return held;
    let pending = this.loading.get(token);
    if (!pending) {
      const started = Date.now();
      const generation = this.revalidations;
      pending = this.repository.find(token).then((record) => {
        this.loading.delete(token);
        if (!record) return null;
        const revokedAt = this.revoked.get(token);
        if (revokedAt !== undefined && revokedAt >= started) return null;
        return generation === this.revalidations ? this.put(record) : this.build(record);
      });
      pending.catch(() => this.loading.delete(token));
      this.loading.set(token, pending);
    }
    const loaded = await pending;
    return loaded && !loaded.isExpired() ? loaded : null;
  }

  put(record: TokenRecord): LiveToken {
    const token = this.build(record);
    this.live.set(record.token, token);
    return token;
  }

  private build(record: TokenRecord): LiveToken {
    const acl = compileAcl(record.acl);
    const token = new LiveToken(compactRecord(record, acl, this.strings), acl, this.readBacks);
    token.lastUsed = this.clock(Date.now());
    return token;
  }

  private clock(now: number): number {
    return Math.floor((now - this.epoch) / 1000);
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
   * Checks every token held against the database after revocation notices may have been missed (the
   * connection that receives them was lost): `stillLive` answers, in one query, which of them still
   * exist unexpired; the others are evicted. Tokens loaded while it runs are not in the question, and are
   * not kept (see `revalidations`). A rejection of `stillLive` leaves the cache as it was.
   */
  async revalidate(
    stillLive: (tokens: string[]) => Promise<ReadonlySet<string>>,
  ): Promise<{ checked: number; evicted: number }> {
    this.revalidations++;
    const held = [...this.live.keys()];
    if (held.length === 0) return { checked: 0, evicted: 0 };
    const live = await stillLive(held);
    let evicted = 0;
    for (const token of held) {
      if (live.has(token)) continue;
      this.evict(token);
      evicted++;
    }
    return { checked: held.length, evicted };
  }

  get size(): number {
    return this.live.size;
  }

  private sweep(): void {
    const now = Date.now();
    const idleBefore = this.clock(now - this.idleMs);
    for (const [key, token] of this.live) {
      if (token.isExpired(now / 1000) || token.lastUsed < idleBefore) this.live.delete(key);
    }
    // A load never takes minutes: older revocation marks have done their job.
    for (const [key, at] of this.revoked) if (now - at > 60_000) this.revoked.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.live.clear();
    this.readBacks.clear();
    this.strings.clear();
  }
}
