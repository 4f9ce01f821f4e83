import type { Logger } from '../log/logger.js';
import type { TokenRepository } from './repository.js';

export interface CleanupOptions {
  /** `token_cleanup_interval` in seconds; below 1 the job is disabled, as upstream. */
  intervalS: number;
  /** `token_cleanup_batch_size`. */
  batchSize: number;
}

/**
 * The periodic job of sessions.md §3: batches of the oldest expired tokens are deleted with their
 * sessions until a batch comes back short (expired tokens are already refused by every check; this keeps
 * the tables from growing), then the tokens expiring before the next run are announced on the bus.
 */
export class TokenCleanup {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly repository: TokenRepository,
    /** Takes purged tokens out of every worker's cache. */
    private readonly evicted: (tokens: string[]) => Promise<void>,
    private readonly options: CleanupOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.options.intervalS < 1) return;
    this.timer = setInterval(() => void this.run(), this.options.intervalS * 1000);
    this.timer.unref();
  }

  /** One pass; a pass still running is joined rather than overlapped. Resolves with the tokens purged. */
  run(now = Date.now() / 1000): Promise<number> {
    this.running ??= this.purge(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purge(now: number): Promise<number> {
    let purged = 0;
    try {
      for (;;) {
        const batch = await this.repository.deleteExpired(now, this.options.batchSize);
        await this.evicted(batch.map((record) => record.token));
        purged += batch.length;
        if (batch.length < this.options.batchSize) break;
      }
      await this.repository.announceExpiring(now + this.options.intervalS, this.options.batchSize);
    } catch (error) {
      this.log.error({ err: error }, 'token cleanup failed; retrying at the next interval');
    }
    if (purged > 0) this.log.info({ purged }, 'expired tokens purged');
    return purged;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
