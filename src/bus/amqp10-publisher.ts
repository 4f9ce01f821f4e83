import { randomUUID } from 'node:crypto';
import rhea, { type Connection, type ConnectionOptions, type Delivery, type Sender } from 'rhea';
import type { Logger } from '../log/logger.js';
import { brokerAddress } from './broker-address.js';
import type { BusMessage } from './message.js';
import {
  type BrokerLink,
  LinkSlot,
  type Publisher,
  type PublishResult,
  RejectedByBroker,
  settleInOrder,
} from './publisher.js';

export interface PublisherOptions {
  /** `amqp://user:password@host:port[/vhost]` (`amqps://` for TLS). */
  uri: string;
  /** The exchange events are routed through (upstream's `xivo` topic exchange). */
  exchange: string;
  /** How long to wait for the connection and the link to open, and for the broker to settle a batch. */
  timeoutMs?: number;
}

/** The rhea connection options of an AMQP URI; the vhost is presented RabbitMQ's way (`vhost:NAME`). */
export function connectionOptions(uri: string): ConnectionOptions {
  const { host, port, tls, username, password, vhost } = brokerAddress(uri);
  const options = {
    host,
    port,
    username,
    password,
    ...(vhost !== '/' ? { hostname: `vhost:${vhost}` } : {}),
    // rhea's own reconnection would re-send on its schedule: the relay owns retries and their backoff.
    reconnect: false,
    // Heartbeats, so that a broker that vanished without closing the socket is noticed.
    idle_time_out: 30_000,
  };
  return tls ? { ...options, transport: 'tls' } : options;
}

type Outcome = { resolve(): void; reject(error: Error): void };

/** One open connection with its sender link; fails as a whole. */
class Link implements BrokerLink {
  private readonly pending = new Map<Delivery, Outcome>();
  private creditWaiters: Outcome[] = [];
  private failure: Error | null = null;

  constructor(
    readonly connection: Connection,
    readonly sender: Sender,
  ) {}

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Resolves when the link may send one more message. */
  credit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.sender.sendable()) return Promise.resolve();
    return new Promise((resolve, reject) => this.creditWaiters.push({ resolve, reject }));
  }

  granted(): void {
    const waiters = this.creditWaiters;
    this.creditWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Sends one message; resolves once the broker accepted it. */
  send(message: BusMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const delivery = this.sender.send({
        message_id: String(message.id),
        subject: message.routingKey,
        durable: true,
        content_type: 'application/json',
        application_properties: message.headers,
        // A data section reaches AMQP 0-9-1 consumers as the plain JSON bytes.
        body: rhea.message.data_section(Buffer.from(message.body, 'utf8')),
      });
      this.pending.set(delivery, { resolve, reject });
    });
  }

  settled(delivery: Delivery, error: Error | null): void {
    const outcome = this.pending.get(delivery);
    if (!outcome) return;
    this.pending.delete(delivery);
    if (error) outcome.reject(error);
    else outcome.resolve();
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const outcome of [...this.pending.values(), ...this.creditWaiters]) outcome.reject(error);
    this.pending.clear();
    this.creditWaiters = [];
    this.connection.close();
  }
}

const describe = (error: unknown, fallback: string): Error => {
  if (error instanceof Error) return error;
  const amqp = error as { condition?: string; description?: string } | undefined;
  if (amqp?.condition) return new Error(`${amqp.condition}: ${amqp.description ?? ''}`.trim());
  return new Error(fallback);
};

/**
 * Publishes to one exchange over AMQP 1.0 (rhea), the Wazo headers as application properties: right for
 * brokers that hand those to AMQP 0-9-1 consumers as headers (RabbitMQ 3.13 and later), not for RabbitMQ
 * 3.12 and older, which wrap them in one opaque header. Reports, per message, whether the broker took it.
 * Connects on demand; after any failure the next `publish` opens a fresh connection.
 */
export class Amqp10Publisher implements Publisher {
  private readonly link = new LinkSlot(() => this.open());
  private readonly timeoutMs: number;

  constructor(
    private readonly options: PublisherOptions,
    private readonly log: Logger,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    connectionOptions(options.uri); // a malformed URI fails at start-up, not at the first event
  }

  /**
   * Sends the messages in order and waits for the broker to settle them. Resolves with how many, from the
   * first, the broker accepted, and the failure that stopped the count, if any. A message the broker
   * rejects outright counts as done (retrying cannot change its mind); it is logged.
   */
  async publish(messages: BusMessage[]): Promise<PublishResult> {
    const link = await this.link.get();
    const outcomes: Promise<void>[] = [];
    try {
      for (const message of messages) {
        await link.credit();
        const outcome = link.send(message);
        outcome.catch(() => {}); // awaited in order by settleInOrder
        outcomes.push(outcome);
      }
    } catch {
      // The link failed while waiting for credit: what was sent is counted below.
    }
    return settleInOrder(messages, outcomes, {
      timeoutMs: this.timeoutMs,
      abandon: (error) => link.fail(error),
      log: this.log,
    });
  }

  private open(): Promise<Link> {
    return new Promise((resolve, reject) => {
      const container = rhea.create_container({ id: `wazo-auth-${randomUUID()}` });
      const connection = container.connect(connectionOptions(this.options.uri));
      const sender = connection.open_sender({
        target: { address: `/exchange/${this.options.exchange}` },
        autosettle: true,
      });
      const link = new Link(connection, sender);
      let opened = false;
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (!opened) reject(error);
        link.fail(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`no answer from the broker within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      sender.on('sendable', () => {
        if (!opened) {
          opened = true;
          clearTimeout(timer);
          resolve(link);
        }
        link.granted();
      });
      sender.on('accepted', (context) => link.settled(context.delivery!, null));
      sender.on('rejected', (context) =>
        link.settled(
          context.delivery!,
          new RejectedByBroker(describe(context.delivery?.remote_state?.error, 'rejected')),
        ),
      );
      for (const event of ['released', 'modified'] as const)
        sender.on(event, (context) =>
          link.settled(context.delivery!, new Error(`the broker ${event} an event`)),
        );
      connection.on('disconnected', (context) =>
        fail(describe(context.error, 'disconnected from the broker')),
      );
      connection.on('connection_error', (context) =>
        fail(describe(context.connection.error, 'the broker closed the connection')),
      );
      connection.on('connection_close', () => fail(new Error('the broker closed the connection')));
      // RabbitMQ ends the session when the exchange does not exist (`amqp:not-found`).
      connection.on('session_error', (context) => {
        const error = context.session?.error as { condition?: string } | undefined;
        if (error?.condition === 'amqp:not-found')
          fail(
            new Error(
              `exchange "${this.options.exchange}" does not exist: declare it with \`npm run bus-setup\``,
            ),
          );
        else fail(describe(error, 'the broker ended the session'));
      });
      connection.on('session_close', () => fail(new Error('the broker ended the session')));
      connection.on('sender_error', (context) =>
        fail(describe(context.sender?.error, 'the broker closed the link')),
      );
      connection.on('sender_close', () => fail(new Error('the broker closed the link')));
      // rhea re-emits unhandled errors on the container: without a listener they would be thrown.
      container.on('error', (context) => fail(describe(context.error, 'AMQP error')));
      connection.on('protocol_error', (context) => fail(describe(context.error, 'AMQP protocol error')));
    });
  }

  close(): Promise<void> {
    return this.link.close(new Error('publisher closed'));
  }
}
