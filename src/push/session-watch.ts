import { metadataTenant, sessionExpireSoon } from '../bus/events.js';
import { type EventMessage, envelope } from '../bus/message.js';
import type { LiveToken } from '../tokens/record.js';
import { at, type Later } from './timers.js';

/** What the watch needs of a connection: to be told that its token is over. */
export interface Watcher {
  /** The token `token` expired or was revoked: close if it is still the connection's current token. */
  tokenEnded(token: string): void;
}

interface Watched {
  token: LiveToken;
  watchers: Set<Watcher>;
  timers: Later[];
  /** The `auth_session_expire_soon` event, once its time has come. */
  warning: EventMessage | null;
}

export interface SessionWatchOptions {
  /** How long before its expiry a token is announced: `token_cleanup_interval`, upstream's lead. */
  leadSeconds: number;
  originUuid: string;
  /** Hands the warning to every connection that may see it (the hub). */
  publish: (message: EventMessage) => void;
}

/**
 * Timers for the tokens that open WebSocket connections are bound to: at `expire_t − lead` the
 * `auth_session_expire_soon` event, at `expire_t` the end of the token; a revocation ends it at once.
 * Only tokens with a connection have timers, and they go when their last connection does.
 */
export class SessionWatch {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly options: SessionWatchOptions) {}

  bind(watcher: Watcher, token: LiveToken): void {
    const id = token.record.token;
    let entry = this.watched.get(id);
    if (!entry) {
      entry = { token, watchers: new Set(), timers: [], warning: null };
      this.watched.set(id, entry);
      this.schedule(entry);
    }
    entry.watchers.add(watcher);
  }

  unbind(watcher: Watcher, token: LiveToken): void {
    const id = token.record.token;
    const entry = this.watched.get(id);
    if (!entry) return;
    entry.watchers.delete(watcher);
    if (entry.watchers.size > 0) return;
    for (const timer of entry.timers) timer.cancel();
    this.watched.delete(id);
  }

  /** The token's warning if its time has come (a connection that starts late still gets it). */
  warningFor(token: LiveToken): EventMessage | null {
    return this.watched.get(token.record.token)?.warning ?? null;
  }

  /** The token is gone (revoked, session or tenant deleted, expired): its connections close. */
  ended(token: string): void {
    const entry = this.watched.get(token);
    if (!entry) return;
    for (const watcher of [...entry.watchers]) watcher.tokenEnded(token);
  }

  /** Tokens with at least one connection. */
  get size(): number {
    return this.watched.size;
  }

  private schedule(entry: Watched): void {
    const { expireT } = entry.token.record;
    if (expireT === null) return;
    const id = entry.token.record.token;
    entry.timers.push(
      at((expireT - this.options.leadSeconds) * 1000, () => this.warn(entry)),
      at(expireT * 1000, () => this.ended(id)),
    );
  }

  private warn(entry: Watched): void {
    const { record } = entry.token;
    const tenant = metadataTenant(record) ?? record.sessionTenantUuid;
    entry.warning = envelope(sessionExpireSoon(record, tenant), this.options.originUuid);
    this.options.publish(entry.warning);
  }

  stop(): void {
    for (const entry of this.watched.values()) for (const timer of entry.timers) timer.cancel();
    this.watched.clear();
  }
}
