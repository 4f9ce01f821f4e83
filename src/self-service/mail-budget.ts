import type { ClusterPeer } from '../cluster/peer.js';
import type { Config } from '../config/index.js';
import { ApiError } from '../http/errors.js';
import type { Admission } from '../throttle/counters.js';
import { KeyedBudget, keyOf } from '../throttle/index.js';

/** Who a mail goes to: its user (none yet for a registration) and its address. */
export interface Recipient {
  user: string | null;
  address: string;
}

export type Spent<T> = { sent: true; value: T } | { sent: false; retryAfterS: number };

const COMMANDS = { take: 'mail-budget.take', giveBack: 'mail-budget.give-back' } as const;

/**
 * How many confirmation and reset mails may go to one user and to one address (`mail_throttle`): the
 * requests that mail are cheap to make, some unauthenticated, and each mail also leaves a token row
 * behind. Each key is counted on the worker owning its shard (as the login throttle's counters), so
 * the limit is the same whatever the number of workers; per instance, in memory.
 */
export class MailBudget {
  private readonly budget: KeyedBudget | null;

  constructor(
    settings: Config['mail_throttle'],
    /** The cluster, when there are workers to share the counts with. */
    private readonly peer?: ClusterPeer,
    private readonly clock: () => number = Date.now,
  ) {
    this.budget = settings.enabled
      ? new KeyedBudget(
          { events: settings.mails, windowSeconds: settings.window_seconds },
          settings.max_entries,
        )
      : null;
    const budget = this.budget;
    if (!budget || !peer) return;
    peer.handle(COMMANDS.take, (key) => budget.take(key as string, this.clock()));
    peer.handle(COMMANDS.giveBack, (key) => budget.giveBack(key as string, this.clock()));
  }

  /**
   * Runs `send` (which mints the token and sends the mail) when neither the user nor the address is over
   * its budget; a mail that did not leave (`send` threw) is not counted.
   */
  async spend<T>(recipient: Recipient, send: () => Promise<T>): Promise<Spent<T>> {
    if (!this.budget) return { sent: true, value: await send() };
    const keys = [keyOf('a', recipient.address.toLowerCase())];
    if (recipient.user !== null) keys.push(keyOf('u', recipient.user));
    const taken: string[] = [];
    for (const key of keys) {
      const admission = await this.take(key);
      if (!admission.ok) {
        await Promise.all(taken.map((done) => this.giveBack(done)));
        return { sent: false, retryAfterS: Math.max(1, Math.ceil(admission.retryAfterMs / 1000)) };
      }
      taken.push(key);
    }
    try {
      return { sent: true, value: await send() };
    } catch (error) {
      await Promise.all(taken.map((key) => this.giveBack(key)));
      throw error;
    }
  }

  private async take(key: string): Promise<Admission> {
    try {
      return await this.onOwner(key, COMMANDS.take, (budget) => budget.take(key, this.clock()));
    } catch {
      // The owner is being replaced (its counts are lost anyway): resets must not stop meanwhile.
      return { ok: true };
    }
  }

  private async giveBack(key: string): Promise<void> {
    await this.onOwner(key, COMMANDS.giveBack, (budget) => budget.giveBack(key, this.clock())).catch(
      () => {},
    );
  }

  private onOwner<T>(key: string, command: string, local: (budget: KeyedBudget) => T): Promise<T> {
    const budget = this.budget as KeyedBudget;
    const owner = this.peer?.owner(key) ?? 0;
    if (!this.peer || owner === this.peer.index) return Promise.resolve(local(budget));
    return this.peer.call<T>(owner, command, key);
  }
}

/** The 429 of a mail over budget, in the API error envelope (the error catalogue has no mail limit). */
export function tooManyMails(resource: string, retryAfterS: number): ApiError {
  return new ApiError(
    429,
    'too-many-emails',
    'Too many e-mails sent to this user or address: retry later',
    { retry_after: retryAfterS },
    resource,
    { 'Retry-After': String(retryAfterS) },
  );
}
