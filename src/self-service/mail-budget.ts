import type { Config } from '../config/index.js';
import { ApiError } from '../http/errors.js';
import { KeyedBudget, keyOf } from '../throttle/index.js';

/** Who a mail goes to: its user (none yet for a registration) and its address. */
export interface Recipient {
  user: string | null;
  address: string;
}

export type Spent<T> = { sent: true; value: T } | { sent: false; retryAfterS: number };

/**
 * How many confirmation and reset mails may go to one user and to one address (`mail_throttle`): the
 * requests that mail are cheap to make, some unauthenticated, and each mail also leaves a token row
 * behind. Counted in this process's memory.
 */
export class MailBudget {
  private readonly budget: KeyedBudget | null;

  constructor(
    settings: Config['mail_throttle'],
    private readonly clock: () => number = Date.now,
  ) {
    this.budget = settings.enabled
      ? new KeyedBudget(
          { events: settings.mails, windowSeconds: settings.window_seconds },
          settings.max_entries,
        )
      : null;
  }

  /**
   * Runs `send` (which mints the token and sends the mail) when neither the user nor the address is over
   * its budget; a mail that did not leave (`send` threw) is not counted.
   */
  async spend<T>(recipient: Recipient, send: () => Promise<T>): Promise<Spent<T>> {
    const { budget } = this;
    if (!budget) return { sent: true, value: await send() };
    const keys = [keyOf('a', recipient.address.toLowerCase())];
    if (recipient.user !== null) keys.push(keyOf('u', recipient.user));
    const now = this.clock();
    const taken: string[] = [];
    for (const key of keys) {
      const admission = budget.take(key, now);
      if (!admission.ok) {
        for (const done of taken) budget.giveBack(done, now);
        return { sent: false, retryAfterS: Math.max(1, Math.ceil(admission.retryAfterMs / 1000)) };
      }
      taken.push(key);
    }
    try {
      return { sent: true, value: await send() };
    } catch (error) {
      for (const key of taken) budget.giveBack(key, this.clock());
      throw error;
    }
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
