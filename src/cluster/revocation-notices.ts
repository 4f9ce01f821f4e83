import pg from 'pg';
import { REVOCATION_CHANNEL } from '../db/revocation-trigger.js';
import type { Logger } from '../log/logger.js';

/** Between two attempts to listen again, or to re-validate. */
const RETRY_MS = 1000;
/**
 * A connection whose peer vanished without a reset (a network cut) looks healthy until something is
 * sent on it: a query this often, answered within the timeout, proves it is still there.
 */
const HEARTBEAT_MS = 15_000;
const HEARTBEAT_TIMEOUT_MS = 5000;

export interface RevocationHandlers {
  /** Tokens deleted by some process on the database (this one included). */
  revoked(tokens: string[]): void;
  /**
   * Listening again after the connection was lost: notices sent meanwhile were missed, so what is held
   * must be checked against the database. A rejection is tried again while the connection stays up.
   */
  resumed(): Promise<{ checked: number; evicted: number }>;
}

/**
 * Revocations across processes and machines: every process holding a token cache listens on the
 * database's revocation channel, where the deleting transactions themselves announce (a trigger:
 * src/db/revocation-trigger.ts). This class only listens: it never announces, so nothing depends on its
 * connection being up for a revocation to reach the others.
 *
 * Losing the connection keeps the cache: while the database is unreachable nothing can be revoked, and
 * the tokens in memory go on answering. Once listening again, the cache is re-validated in one query,
 * which also covers a notice lost just before the outage.
 */
export class RevocationNotices {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly uri: string,
    private readonly handlers: RevocationHandlers,
    private readonly log: Logger,
  ) {}

  /** Listens; rejects when the database cannot be reached (at start the server needs it). */
  async start(): Promise<void> {
    this.client = await this.listen();
    this.beat();
  }

  private async listen(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.uri, keepAlive: true });
    client.on('notification', (notice) => {
      if (notice.channel !== REVOCATION_CHANNEL || !notice.payload) return;
      try {
        this.handlers.revoked(JSON.parse(notice.payload) as string[]);
      } catch (error) {
        this.log.warn({ err: error }, 'unreadable revocation notice');
      }
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    clearTimeout(this.heartbeat);
    void client.end().catch(() => {});
    this.log.warn(
      { err: error.message },
      'revocation notices: connection lost; cached tokens keep answering until it is back',
    );
    this.later(() => this.reconnect(), 0);
  }

  private later(run: () => Promise<void>, delayMs: number): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      if (!this.stopped) void run();
    }, delayMs);
    this.retry.unref();
  }

  private async reconnect(): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.listen();
    } catch {
      this.later(() => this.reconnect(), RETRY_MS);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.beat();
    await this.resume(client);
  }

  /** Re-validates the cache now that no notice can be missed any more (the LISTEN came first). */
  private async resume(client: pg.Client): Promise<void> {
    // The connection was lost again meanwhile: its own reconnection re-validates.
    if (this.client !== client) return;
    const started = performance.now();
    try {
      const outcome = await this.handlers.resumed();
      const ms = Math.round(performance.now() - started);
      this.log.info({ ...outcome, ms }, 'revocation notices: listening again; cached tokens re-validated');
    } catch (error) {
      if (this.client !== client) return;
      this.log.warn({ err: (error as Error).message }, 'revocation notices: re-validation failed; retrying');
      this.later(() => this.resume(client), RETRY_MS);
    }
  }

  private beat(): void {
    const client = this.client;
    if (!client || this.stopped) return;
    this.heartbeat = setTimeout(() => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer to the heartbeat')), HEARTBEAT_TIMEOUT_MS);
      });
      Promise.race([client.query('select 1'), timeout]).then(
        () => {
          clearTimeout(timer);
          if (this.client === client) this.beat();
        },
        (error: Error) => {
          clearTimeout(timer);
          this.lost(client, error);
        },
      );
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.heartbeat);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
