import pg from 'pg';
import type { Logger } from '../log/logger.js';

/** The PostgreSQL channel on which every server process sharing a database hears of revocations. */
const CHANNEL = 'wazo_auth_tokens_revoked';
/** NOTIFY payloads are limited to 8000 bytes: token uuids go in chunks well under it. */
const PER_NOTICE = 150;

/**
 * Revocations across machines: several server instances (each with its primary and workers) share one
 * PostgreSQL database, so PostgreSQL itself carries the news. Every process listens; a revocation is
 * announced right after its commit, and the other instances drop the token from their caches within
 * milliseconds. Reconnects after losing the database, dropping every cached token it might have missed
 * news of meanwhile.
 */
export class RevocationNotices {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly uri: string,
    private readonly handlers: { revoked(tokens: string[]): void; missedSome(): void },
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.uri });
    client.on('notification', (notice) => {
      if (notice.channel !== CHANNEL || !notice.payload) return;
      try {
        this.handlers.revoked(JSON.parse(notice.payload) as string[]);
      } catch (error) {
        this.log.warn({ err: error }, 'unreadable revocation notice');
      }
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.log.warn({ err: error }, 'revocation notices: connection lost; reconnecting');
    this.handlers.missedSome();
    const reconnect = () => {
      this.retry = undefined;
      if (this.stopped) return;
      this.start().then(
        () => this.handlers.missedSome(),
        () => {
          this.retry = setTimeout(reconnect, 1000);
          this.retry.unref();
        },
      );
    };
    reconnect();
  }

  /** Tells every process on the database (this one included) that `tokens` are revoked. */
  async announce(tokens: readonly string[]): Promise<void> {
    const client = this.client;
    if (!client || tokens.length === 0) return;
    for (let i = 0; i < tokens.length; i += PER_NOTICE) {
      await client.query('select pg_notify($1, $2)', [
        CHANNEL,
        JSON.stringify(tokens.slice(i, i + PER_NOTICE)),
      ]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
