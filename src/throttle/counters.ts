/*
 * The failed-login counters of one worker: the keys (hashed usernames, addresses) whose shard it owns.
 * Plain synchronous state, so that a check and its reservation are one step even when several logins
 * of one key arrive together.
 */

import { leaked } from './budget.js';
import { Lru } from './lru.js';

export interface UsernamePolicy {
  /** Consecutive failures allowed before the back-off starts. */
  failures: number;
  /** Quiet time (after the last failure, or the end of the last block) after which the count is forgotten. */
  windowSeconds: number;
  /** The first block; each further failure doubles it. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
}

export interface AddressPolicy {
  /** Failures a source address may accumulate; they drain at `failures / windowSeconds` per second. */
  failures: number;
  windowSeconds: number;
}

export type Kind = 'username' | 'address';
export type Outcome = 'success' | 'failure' | 'neutral';
export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * A reservation whose login never reported back (its worker died) stops holding a slot after this:
 * longer than any login takes, LDAP timeouts included.
 */
const STALE_PENDING_MS = 60_000;

/** While attempts are in flight at the threshold, the next one is told to retry this soon. */
const IN_FLIGHT_RETRY_MS = 1000;

interface UsernameState {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
  pending: number;
  pendingAt: number;
}

interface AddressState {
  /** The leaky bucket's level, as of `at`. */
  level: number;
  at: number;
  pending: number;
  pendingAt: number;
}

export class ThrottleCounters {
  private readonly usernames: Lru<UsernameState>;
  private readonly addresses: Lru<AddressState>;
  /** Address failures drained per millisecond. */
  private readonly drain: number;

  constructor(
    private readonly username: UsernamePolicy,
    private readonly address: AddressPolicy,
    maxEntries: number,
  ) {
    this.usernames = new Lru(maxEntries, (state, now) => this.usernameIdle(state, now));
    this.addresses = new Lru(
      maxEntries,
      (state, now) => this.addressLevel(state, now) === 0 && state.pending === 0,
    );
    this.drain = address.failures / (address.windowSeconds * 1000);
  }

  /** Entries held, for tests and metrics. */
  get size(): { usernames: number; addresses: number } {
    return { usernames: this.usernames.size, addresses: this.addresses.size };
  }

  /** May a login of `key` be verified now? When it may, a slot is held until `settle`. */
  acquire(kind: Kind, key: string, now: number): Admission {
    return kind === 'username' ? this.acquireUsername(key, now) : this.acquireAddress(key, now);
  }

  /**
   * Whether an address is refused now, holding no slot: for logins with no password to guess, which
   * neither wait for in-flight verifications nor count as failures.
   */
  addressRefusal(key: string, now: number): Admission {
    const state = this.addresses.get(key);
    return state ? this.addressRoom(this.addressLevel(state, now), 0) : { ok: true };
  }

  settle(kind: Kind, key: string, outcome: Outcome, now: number): void {
    if (kind === 'username') this.settleUsername(key, outcome, now);
    else this.settleAddress(key, outcome, now);
  }

  private usernameIdle(state: UsernameState, now: number): boolean {
    const quietSince = Math.max(state.lastFailure, state.blockedUntil);
    return state.pending === 0 && now >= quietSince + this.username.windowSeconds * 1000;
  }

  private acquireUsername(key: string, now: number): Admission {
    let state = this.usernames.get(key);
    if (state && now - state.pendingAt > STALE_PENDING_MS) state.pending = 0;
    if (state && this.usernameIdle(state, now)) {
      this.usernames.delete(key);
      state = undefined;
    }
    if (!state) {
      state = { failures: 0, lastFailure: 0, blockedUntil: 0, pending: 0, pendingAt: 0 };
      this.usernames.set(key, state, now);
    }
    if (now < state.blockedUntil) return { ok: false, retryAfterMs: state.blockedUntil - now };
    // Attempts in flight may all fail: together with the failures they must stay under the threshold,
    // and past it one attempt at a time is verified.
    const slots = Math.max(1, this.username.failures - state.failures);
    if (state.pending >= slots) return { ok: false, retryAfterMs: IN_FLIGHT_RETRY_MS };
    state.pending++;
    state.pendingAt = now;
    return { ok: true };
  }

  private settleUsername(key: string, outcome: Outcome, now: number): void {
    const state = this.usernames.get(key);
    if (!state) return;
    state.pending = Math.max(0, state.pending - 1);
    if (outcome === 'success') {
      state.failures = 0;
      state.blockedUntil = 0;
      state.lastFailure = 0;
      if (state.pending === 0) this.usernames.delete(key);
      return;
    }
    if (outcome !== 'failure') return;
    state.failures++;
    state.lastFailure = now;
    const over = state.failures - this.username.failures;
    if (over >= 0) {
      const { backoffSeconds, maxBackoffSeconds } = this.username;
      const seconds = Math.min(backoffSeconds * 2 ** Math.min(over, 40), maxBackoffSeconds);
      state.blockedUntil = now + seconds * 1000;
    }
  }

  private addressLevel(state: AddressState, now: number): number {
    return leaked(state.level, now - state.at, this.drain);
  }

  /** Whether a bucket at `level`, with `pending` verifications in flight, has room for one more. */
  private addressRoom(level: number, pending: number): Admission {
    const capacity = this.address.failures;
    // A slot counts as free only once drained entirely: a burst of `failures` fills the bucket even
    // though it leaks a little meanwhile.
    if (Math.ceil(level) + pending < capacity) return { ok: true };
    const wait = pending > 0 ? IN_FLIGHT_RETRY_MS : (level - (capacity - 1)) / this.drain;
    return { ok: false, retryAfterMs: Math.max(wait, 1) };
  }

  private acquireAddress(key: string, now: number): Admission {
    let state = this.addresses.get(key);
    if (state && now - state.pendingAt > STALE_PENDING_MS) state.pending = 0;
    if (!state) {
      state = { level: 0, at: now, pending: 0, pendingAt: 0 };
      this.addresses.set(key, state, now);
    }
    state.level = this.addressLevel(state, now);
    state.at = now;
    const room = this.addressRoom(state.level, state.pending);
    if (!room.ok) return room;
    state.pending++;
    state.pendingAt = now;
    return { ok: true };
  }

  private settleAddress(key: string, outcome: Outcome, now: number): void {
    const state = this.addresses.get(key);
    if (!state) return;
    state.pending = Math.max(0, state.pending - 1);
    // A success does not drain the bucket: a sprayer would sprinkle logins of an account of their own.
    if (outcome !== 'failure') return;
    state.level = this.addressLevel(state, now) + 1;
    state.at = now;
  }
}
