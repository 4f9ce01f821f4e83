import type { Admission } from './counters.js';
import { Lru } from './lru.js';

/** A leaky bucket's level after `elapsedMs` draining at `drainPerMs`. */
export const leaked = (level: number, elapsedMs: number, drainPerMs: number): number =>
  Math.max(0, level - elapsedMs * drainPerMs);

export interface BudgetPolicy {
  /** Events a key may have in a burst; they drain at `events / windowSeconds` per second. */
  events: number;
  windowSeconds: number;
}

interface Bucket {
  level: number;
  at: number;
}

/**
 * At most `events` events per key and `windowSeconds` (a leaky bucket per key, as the failed-login
 * address counter): for actions that cost the server or a third party (mails). Plain synchronous state,
 * so that a check and its count are one step; at most `maxEntries` keys are kept, the emptied and the
 * least recently seen going first.
 */
export class KeyedBudget {
  private readonly buckets: Lru<Bucket>;
  /** Events drained per millisecond. */
  private readonly drain: number;

  constructor(
    private readonly policy: BudgetPolicy,
    maxEntries: number,
  ) {
    this.drain = policy.events / (policy.windowSeconds * 1000);
    this.buckets = new Lru(maxEntries, (bucket, now) => this.level(bucket, now) === 0);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Counts one event of `key` when there is room for it; otherwise counts nothing and says when to retry. */
  take(key: string, now: number): Admission {
    const bucket = this.buckets.get(key) ?? { level: 0, at: now };
    const level = this.level(bucket, now);
    // A slot counts as free only once drained entirely: a burst of `events` fills the bucket even though
    // it leaks a little meanwhile.
    if (Math.ceil(level) >= this.policy.events) {
      return { ok: false, retryAfterMs: Math.max(1, (level - (this.policy.events - 1)) / this.drain) };
    }
    bucket.level = level + 1;
    bucket.at = now;
    this.buckets.set(key, bucket, now);
    return { ok: true };
  }

  /** Uncounts an event `take` counted that did not happen after all. */
  giveBack(key: string, now: number): void {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    bucket.level = Math.max(0, this.level(bucket, now) - 1);
    bucket.at = now;
  }

  private level(bucket: Bucket, now: number): number {
    return leaked(bucket.level, now - bucket.at, this.drain);
  }
}
