import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { OutboxEntry } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { BusEvent } from './events.js';
import { eventBody, eventHeaders } from './message.js';

/** Records events in the transaction at hand. */
export type Emit = (...events: BusEvent[]) => void;

export interface OutboxOptions {
  /** False when no broker is configured: events are then dropped, not kept. */
  enabled: boolean;
  /** `origin_uuid` of every event: the platform uuid. */
  originUuid: string;
  /** Called after a transaction that recorded events has committed (the relay wakes up). */
  committed?: () => void;
  clock?: () => Date;
}

/**
 * The transactional outbox: a change and the events describing it are committed together, so an event is
 * neither lost (the process dies before publishing) nor announced for a change that rolled back. The
 * relay (`relay.ts`) takes the rows to the broker afterwards.
 */
export class Outbox {
  constructor(
    private readonly orm: Database,
    private readonly options: OutboxOptions,
  ) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Runs `work` in one transaction of its own; what it emits is committed with it. */
  async transaction<T>(work: (em: SqlEntityManager, emit: Emit) => Promise<T>): Promise<T> {
    let recorded = false;
    const result = await this.orm.em.fork().transactional((em) =>
      work(em, (...events) => {
        if (!this.options.enabled) return;
        for (const event of events) em.create(OutboxEntry, this.entry(event));
        recorded ||= events.length > 0;
      }),
    );
    if (recorded) this.options.committed?.();
    return result;
  }

  private entry(event: BusEvent): Omit<OutboxEntry, 'id'> {
    const headers = eventHeaders(event, this.options.originUuid, this.options.clock?.() ?? new Date());
    return {
      routingKey: event.routingKey,
      headers: JSON.stringify(headers),
      body: eventBody(headers, event),
    };
  }
}
