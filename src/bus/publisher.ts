import type { Logger } from '../log/logger.js';
import type { BusMessage } from './message.js';

/** What the outbox relay needs of a broker client, whichever protocol it speaks. */
export interface Publisher {
  /**
   * Sends the messages in order and waits for the broker to settle them. Resolves with how many, from the
   * first, the broker took; throws when it cannot reach the broker at all.
   */
  publish(messages: BusMessage[]): Promise<PublishResult>;
  close(): Promise<void>;
}

/** What a publisher reports of one batch: how many, from the first, the broker took, and why it stopped. */
export interface PublishResult {
  accepted: number;
  error: Error | null;
}

/**
 * A refusal that retrying cannot change (the broker judged the message itself): the message counts as
 * done and is logged, so that one bad message does not hold every later event back forever.
 */
export class RejectedByBroker extends Error {
  constructor(cause: Error) {
    super(`the broker rejected the event: ${cause.message}`, { cause });
  }
}

/**
 * Waits, in publication order, for the broker to settle the messages sent (`outcomes[i]` is `messages[i]`'s;
 * fewer outcomes than messages means the link failed while sending). `abandon` is called when the broker
 * settled nothing more within `timeoutMs`: it must fail the link, which rejects what is still pending.
 */
export async function settleInOrder(
  messages: BusMessage[],
  outcomes: Promise<void>[],
  options: { timeoutMs: number; abandon(error: Error): void; log: Logger },
): Promise<PublishResult> {
  const timer = setTimeout(
    () => options.abandon(new Error(`the broker settled nothing within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  let accepted = 0;
  try {
    for (const [i, outcome] of outcomes.entries()) {
      try {
        await outcome;
      } catch (error) {
        if (!(error instanceof RejectedByBroker)) return { accepted, error: error as Error };
        options.log.error(
          { routingKey: messages[i]!.routingKey, err: error },
          'the broker rejected an event',
        );
      }
      accepted++;
    }
    return {
      accepted,
      error: outcomes.length < messages.length ? new Error('the broker link failed') : null,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A broker connection that fails as a whole. */
export interface BrokerLink {
  readonly failed: boolean;
  fail(error: Error): void;
}

/**
 * The one live link of a publisher: opened on demand, shared by concurrent callers while it opens, and
 * opened afresh after it failed (or failed to open).
 */
export class LinkSlot<L extends BrokerLink> {
  private link: Promise<L> | undefined;

  constructor(private readonly open: () => Promise<L>) {}

  get(): Promise<L> {
    const current = this.link;
    if (current) {
      return current.then((link) => {
        if (!link.failed) return link;
        if (this.link === current) this.link = undefined;
        return this.get();
      });
    }
    const opening = this.open();
    this.link = opening;
    opening.catch(() => {
      if (this.link === opening) this.link = undefined;
    });
    return opening;
  }

  /** Fails the link, if any, and forgets it. */
  async close(reason: Error): Promise<void> {
    const current = this.link;
    this.link = undefined;
    const link = await current?.catch(() => undefined);
    link?.fail(reason);
  }
}
