import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '../log/logger.js';
import { brokerAddress } from './broker-address.js';
import type { BusMessage } from './message.js';
import { type BrokerLink, LinkSlot, type Publisher, type PublishResult, settleInOrder } from './publisher.js';

export interface Amqp091Options {
  /** `amqp://user:password@host:port[/vhost]` (`amqps://` for TLS). */
  uri: string;
  /** The exchange events are routed through (upstream's `xivo`). */
  exchange: string;
  /** Its type, as declared when missing (upstream's `amqp.exchange_type`). */
  exchangeType: string;
  /** How long to wait for the connection to open and for the broker to confirm a batch. */
  timeoutMs?: number;
}

/** What a broker says of itself when a 0-9-1 connection opens (its `server-properties`). */
export interface BrokerIdentity {
  product: string;
  version: string;
}

/** One connection with its confirm channel; fails as a whole. */
class Link implements BrokerLink {
  private failure: Error | null = null;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly connection: ChannelModel,
    readonly channel: ConfirmChannel,
  ) {
    channel.on('drain', () => this.drained());
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /**
   * Sends one message; resolves once the broker confirmed it. A nack is a failure, not a refusal of the
   * message: RabbitMQ nacks only on an internal error of the queue, so the message is retried.
   */
  send(exchange: string, message: BusMessage): { outcome: Promise<void>; full: boolean } {
    let full = false;
    const outcome = new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      try {
        full = !this.channel.publish(
          exchange,
          message.routingKey,
          Buffer.from(message.body, 'utf8'),
          {
            // What wazo-bus consumers bind on: `x-match: all` over these, through a headers exchange.
            headers: message.headers,
            contentType: 'application/json',
            messageId: String(message.id),
            persistent: true,
          },
          (error) => (error ? reject(new Error('the broker could not take an event (nack)')) : resolve()),
        );
      } catch (error) {
        reject(error as Error);
      }
    });
    return { outcome, full };
  }

  /** Resolves when the channel's write buffer has room again (or the link failed). */
  drain(): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private drained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter();
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.drained();
    // Closing the connection rejects every unconfirmed message (amqplib: `channel closed`).
    this.connection.close().catch(() => {});
  }
}

/**
 * Publishes to one exchange over AMQP 0-9-1 (amqplib) with publisher confirms, the Wazo headers as real
 * message headers: what a wazo-bus consumer on any RabbitMQ receives. Declares the exchange when it
 * connects, as upstream's publisher does, so a fresh broker needs no set-up step. Connects on demand;
 * after any failure the next `publish` opens a fresh connection.
 */
export class Amqp091Publisher implements Publisher {
  private readonly link = new LinkSlot(() => this.open());
  private readonly timeoutMs: number;

  constructor(
    private readonly options: Amqp091Options,
    private readonly log: Logger,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    brokerAddress(options.uri); // a malformed URI fails at start-up, not at the first event
  }

  /** Connects if needed and tells what the broker advertised; throws when it cannot be reached. */
  async broker(): Promise<BrokerIdentity> {
    const { connection } = await this.link.get();
    const properties = connection.connection.serverProperties as Record<string, unknown>;
    return { product: String(properties.product ?? ''), version: String(properties.version ?? '') };
  }

  async publish(messages: BusMessage[]): Promise<PublishResult> {
    const link = await this.link.get();
    const outcomes: Promise<void>[] = [];
    for (const message of messages) {
      if (link.failed) break;
      const { outcome, full } = link.send(this.options.exchange, message);
      outcome.catch(() => {}); // awaited in order by settleInOrder
      outcomes.push(outcome);
      if (full) await link.drain();
    }
    return settleInOrder(messages, outcomes, {
      timeoutMs: this.timeoutMs,
      abandon: (error) => link.fail(error),
      log: this.log,
    });
  }

  private async open(): Promise<Link> {
    const { host, port, tls, username, password, vhost } = brokerAddress(this.options.uri);
    const connection = await amqp.connect(
      {
        protocol: tls ? 'amqps' : 'amqp',
        hostname: host,
        port,
        username,
        password,
        vhost,
        // Heartbeats, so that a broker that vanished without closing the socket is noticed.
        heartbeat: 30,
      },
      { timeout: this.timeoutMs, clientProperties: { connection_name: 'wazo-auth' } },
    );
    let link: Link | undefined;
    const failed = (error: Error) => link?.fail(error);
    // Without listeners these would be thrown; the link fails instead and the relay retries.
    connection.on('error', (error: Error) => failed(error));
    connection.on('close', () => failed(new Error('the broker closed the connection')));
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) => failed(error));
      channel.on('close', () => failed(new Error('the broker closed the channel')));
      link = new Link(connection, channel);
      await channel.assertExchange(this.options.exchange, this.options.exchangeType, { durable: true });
      return link;
    } catch (error) {
      connection.close().catch(() => {});
      throw describeDeclareError(error as Error, this.options);
    }
  }

  close(): Promise<void> {
    return this.link.close(new Error('publisher closed'));
  }
}

/** A declaration refused because the exchange exists with another type says which setting to correct. */
function describeDeclareError(error: Error, options: Amqp091Options): Error {
  if (!/PRECONDITION_FAILED|inequivalent arg/i.test(error.message)) return error;
  return new Error(
    `exchange "${options.exchange}" exists with another type or options than amqp.exchange_type ` +
      `"${options.exchangeType}" (durable): ${error.message}`,
    { cause: error },
  );
}
