import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { OutboxEntry } from '../entities/index.js';
import type { Database, Dialect } from '../entities/orm.js';
import type { Logger } from '../log/logger.js';
import type { BusMessage } from './message.js';
import type { Publisher } from './publisher.js';

export interface RelayOptions {
  dialect: Dialect;
  /** Rows published per round trip. */
  batchSize?: number;
  /** Looks for rows without being woken (other processes' commits, leftovers of a crash). */
  pollIntervalMs?: number;
  /** Retry delays while the broker is unreachable: doubling from the first to the last. */
  retryDelayMs?: { first: number; max: number };
}

/** Arbitrary constant: one relay at a time per PostgreSQL database keeps events in commit order. */
const RELAY_LOCK_KEY = 0x7761_7a62; // 'wazb'

const toMessage = (entry: OutboxEntry): BusMessage => ({
  id: Number(entry.id),
  routingKey: entry.routingKey,
  headers: JSON.parse(entry.headers) as BusMessage['headers'],
  body: entry.body,
});

/**
 * Takes outbox rows to the broker, oldest first, at least once: a row is deleted only after the broker
 * accepted its message. While the broker is down it retries with backoff; rows survive restarts, so a
 * process that died between commit and publication has its events sent by the next one.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private poller: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private readonly batchSize: number;
  private readonly retry: { first: number; max: number };
  private failing = false;

  constructor(
    private readonly orm: Database,
    private readonly publisher: Publisher,
    private readonly options: RelayOptions,
    private readonly log: Logger,
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.retry = options.retryDelayMs ?? { first: 250, max: 5000 };
    this.delay = this.retry.first;
  }

  start(): void {
    this.poller = setInterval(() => this.wake(), this.options.pollIntervalMs ?? 1000);
    this.poller.unref();
    this.wake();
  }

  /** There may be rows to publish: drain now, or right after the pass in progress. */
  wake(): void {
    if (this.stopped || this.retryTimer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.retryTimer) this.wake();
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      this.again = false;
      let published: number;
      try {
        published = await this.publishBatch();
      } catch (error) {
        this.backOff(error as Error);
        return;
      }
      if (this.failing) {
        this.failing = false;
        this.log.info('bus: publishing again');
      }
      this.delay = this.retry.first;
      if (published < this.batchSize && !this.again) return;
    }
  }

  private backOff(error: Error): void {
    if (!this.failing)
      this.log.warn({ err: error, retryInMs: this.delay }, 'bus: cannot publish events; retrying');
    this.failing = true;
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, this.delay);
    this.retryTimer.unref();
    this.delay = Math.min(this.delay * 2, this.retry.max);
  }

  /** Publishes the oldest rows; resolves with how many left the outbox, throws on a broker failure. */
  private async publishBatch(): Promise<number> {
    let failure: Error | null = null;
    const published = await this.exclusively(async (em) => {
      const rows = await em.find(OutboxEntry, {}, { orderBy: { id: 'asc' }, limit: this.batchSize });
      if (rows.length === 0) return 0;
      const { accepted, error } = await this.publisher.publish(rows.map(toMessage));
      failure = error;
      if (accepted > 0)
        await em.nativeDelete(OutboxEntry, { id: { $in: rows.slice(0, accepted).map((r) => r.id) } });
      return accepted;
    });
    if (failure) throw failure;
    return published;
  }

  /**
   * Runs `work` holding the relay lock: on PostgreSQL a transaction-scoped advisory lock, so that of
   * several processes on one database only one publishes at a time (another holder means nothing to
   * do here); SQLite has a single process and needs none, and no transaction held across the broker's
   * round trip either.
   */
  private async exclusively(work: (em: SqlEntityManager) => Promise<number>): Promise<number> {
    if (this.options.dialect === 'sqlite') return work(this.orm.em.fork());
    return this.orm.em.fork().transactional(async (em) => {
      const [row] = await em.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [
        RELAY_LOCK_KEY,
      ]);
      return row?.locked ? work(em) : 0;
    });
  }

  /** Rows waiting for the broker (every process's, on a shared database): the metrics' outbox depth. */
  depth(): Promise<number> {
    return this.orm.em.fork().count(OutboxEntry, {});
  }

  /**
   * Stops polling and, within `deadlineMs`, publishes what is left (events of the last requests); rows
   * still there stay for the next start.
   */
  async stop(deadlineMs = 5000): Promise<void> {
    clearInterval(this.poller);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    } else {
      this.wake();
    }
    this.stopped = true;
    const deadline = new Promise((resolve) => setTimeout(resolve, deadlineMs).unref());
    await Promise.race([this.running, deadline]);
    await this.publisher.close();
    await Promise.race([this.running, deadline]);
  }
}
