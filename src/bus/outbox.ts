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
    const staged = new StagedEvents(this.options);
    const result = await this.orm.em.fork().transactional(async (em) => {
      const value = await work(em, (...events) => staged.add(events));
      // One statement for the events of a whole batch of logins, rather than one entity each to flush.
      if (staged.rows.length > 0) await em.insertMany<OutboxEntry>(OutboxEntry, staged.rows);
      return value;
    });
    staged.committed();
    return result;
  }

  /**
   * For a change the caller commits itself, together with the returned rows (a single PostgreSQL
   * statement commits alone, atomically, in one round trip): call `committed()` once it is.
   */
  stage(events: readonly BusEvent[]): StagedEvents {
    const staged = new StagedEvents(this.options);
    staged.add(events);
    return staged;
  }
}

/** Events waiting for the commit of their change. */
export class StagedEvents {
  /** What goes to `auth_bus_outbox` with the change: nothing without a broker. */
  readonly rows: Omit<OutboxEntry, 'id'>[] = [];
  private readonly local: EventMessage[] = [];

  constructor(private readonly options: OutboxOptions) {}

  add(events: readonly BusEvent[]): void {
    for (const event of events) {
      const message = envelope(event, this.options.originUuid);
      if (this.options.toBroker) {
        this.rows.push({
          routingKey: message.routingKey,
          headers: JSON.stringify(message.headers),
          body: message.body,
        });
      }
      if (!event.busOnly) this.local.push(message);
    }
  }

  /** Wakes the relay and hands the events to this process's subscribers. */
  committed(): void {
    if (this.rows.length > 0) this.options.stored?.();
    if (this.local.length > 0) this.options.committed?.(this.local);
  }
}
