import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { OutboxEntry } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { BusEvent } from './events.js';
import { type EventMessage, envelope } from './message.js';

/** Records events in the transaction at hand. */
export type Emit = (...events: BusEvent[]) => void;

export interface OutboxOptions {
  /** `origin_uuid` of every event: the platform uuid. */
  originUuid: string;
  /** A broker is configured: rows are kept for the relay. Without one, events only reach local subscribers. */
  toBroker: boolean;
  /** After a commit that stored rows (the relay wakes up). */
  stored?: () => void;
  /** After a commit, with its events for this process's subscribers (the WebSocket connections). */
  committed?: (messages: EventMessage[]) => void;
}

/**
 * The transactional outbox: a change and the events describing it are committed together, so an event is
 * neither lost (the process dies before publishing) nor announced for a change that rolled back. The
 * relay (`relay.ts`) takes the rows to the broker afterwards; local subscribers get the events right
 * after the commit.
 */
export class Outbox {
  constructor(
    private readonly orm: Database,
    private readonly options: OutboxOptions,
  ) {}

  get toBroker(): boolean {
    return this.options.toBroker;
  }

  /** Runs `work` in one transaction of its own; what it emits is committed with it. */
  async transaction<T>(work: (em: SqlEntityManager, emit: Emit) => Promise<T>): Promise<T> {
    let stored = false;
    const local: EventMessage[] = [];
    const result = await this.orm.em.fork().transactional((em) =>
      work(em, (...events) => {
        for (const event of events) {
          const message = envelope(event, this.options.originUuid);
          if (this.options.toBroker) {
            em.create(OutboxEntry, {
              routingKey: message.routingKey,
              headers: JSON.stringify(message.headers),
              body: message.body,
            });
            stored = true;
          }
          if (!event.busOnly) local.push(message);
        }
      }),
    );
    if (stored) this.options.stored?.();
    if (local.length > 0) this.options.committed?.(local);
    return result;
  }
}
