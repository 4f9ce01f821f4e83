// The real broker, as Wazo daemons see it: 0-9-1 consumers (plain JSON bodies, routing keys, headers),
// among them one bound the way wazo-bus binds (a headers exchange, `x-match: all`), and an AMQP 1.0 receiver.

import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import rhea, { type Message } from 'rhea';
import { declareExchange } from '../../src/bus/declare.js';

export const BUS_URI = process.env.WAZO_AUTH_TEST_BUS_URI ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The keys of an event body, in upstream's order (bus-events.md §2, §5): `audience` is the user header. */
export const envelopeKeys = (audience: string, ...extra: string[]) => [
  'name',
  'origin_uuid',
  'timestamp',
  'required_access',
  'required_acl',
  'tenant_uuid',
  audience,
  ...extra,
  'data',
];

export type Teardown = { teardown(fn: () => unknown): void };

/** A fresh topic exchange for one test, deleted at teardown: tests running at once do not see each other. */
export async function testExchange(t: Teardown): Promise<string> {
  const name = `wazo-auth-test-${randomUUID()}`;
  await declareExchange(BUS_URI, name, 'topic');
  t.teardown(async () => {
    const connection = await amqp.connect(BUS_URI);
    const channel = await connection.createChannel();
    await channel.deleteExchange(name);
    await connection.close();
  });
  return name;
}

/** Messages as they arrive, and a way to wait for some. */
export class Inbox<T> {
  readonly messages: T[] = [];
  private waiters: (() => void)[] = [];

  push(message: T): void {
    this.messages.push(message);
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves with the first `count` messages matching `filter`; rejects after `timeoutMs`. */
  async take(count: number, filter: (m: T) => boolean = () => true, timeoutMs = 15_000): Promise<T[]> {
    const matching = () => this.messages.filter(filter);
    if (matching().length >= count) return matching().slice(0, count);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`${matching().length} of ${count} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (matching().length < count) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(matching().slice(0, count));
      };
      this.waiters.push(check);
    });
  }
}

/** What a Wazo daemon on AMQP 0-9-1 receives. */
export interface ClassicMessage {
  routingKey: string;
  /** The body bytes as text: must be the plain JSON. */
  text: string;
  body: { name: string; data: Record<string, unknown>; [header: string]: unknown };
  contentType: string | undefined;
  messageId: string | undefined;
  /** The AMQP 0-9-1 headers: what a headers exchange routes on. */
  headers: Record<string, unknown>;
}

/** A 0-9-1 consumer on an exclusive queue bound to `exchange` with `bindingKey`. */
export async function classicConsumer(
  t: Teardown,
  exchange: string,
  bindingKey = '#',
): Promise<Inbox<ClassicMessage>> {
  const connection = await amqp.connect(BUS_URI);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, bindingKey);
  return consumeQueue(t, connection, channel, queue);
}

/** One `x-match: all` binding of a wazo-bus consumer: every header named must be there with that value. */
export type HeaderBinding = Record<string, string | boolean>;

/**
 * A consumer declared the way wazo-bus declares one: a `headers` exchange (wazo-bus's `wazo-headers`; named
 * per test here) bound to the events' exchange with `#`, and a queue bound to it once per binding with
 * `x-match: all`. Only messages whose AMQP headers match a binding arrive.
 */
export async function wazoBusConsumer(
  t: Teardown,
  exchange: string,
  bindings: HeaderBinding[],
): Promise<Inbox<ClassicMessage>> {
  const headersExchange = `wazo-headers-test-${randomUUID()}`;
  const connection = await amqp.connect(BUS_URI);
  const channel = await connection.createChannel();
  await channel.assertExchange(headersExchange, 'headers', { durable: false, autoDelete: false });
  await channel.bindExchange(headersExchange, exchange, '#');
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  for (const binding of bindings)
    await channel.bindQueue(queue, headersExchange, '', { 'x-match': 'all', ...binding });
  t.teardown(async () => {
    const cleanup = await amqp.connect(BUS_URI);
    const channel = await cleanup.createChannel();
    await channel.deleteExchange(headersExchange);
    await cleanup.close();
  });
  return consumeQueue(t, connection, channel, queue);
}

async function consumeQueue(
  t: Teardown,
  connection: amqp.ChannelModel,
  channel: amqp.Channel,
  queue: string,
): Promise<Inbox<ClassicMessage>> {
  const inbox = new Inbox<ClassicMessage>();
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const text = message.content.toString('utf8');
      inbox.push({
        routingKey: message.fields.routingKey,
        text,
        body: JSON.parse(text),
        contentType: message.properties.contentType,
        messageId: message.properties.messageId,
        headers: (message.properties.headers ?? {}) as Record<string, unknown>,
      });
    },
    { noAck: true },
  );
  // The connection dies with the broker in outage tests; that is expected.
  connection.on('error', () => {});
  t.teardown(() => connection.close().catch(() => {}));
  return inbox;
}

/** What an AMQP 1.0 client receives: the routing key as subject and the headers as application properties. */
export interface AmqpMessage {
  subject: string;
  headers: Record<string, unknown>;
  text: string;
}

/** An AMQP 1.0 receiver on a private queue the broker binds to `exchange` with `bindingKey`. */
export async function amqp10Receiver(
  t: Teardown,
  exchange: string,
  bindingKey = '#',
): Promise<Inbox<AmqpMessage>> {
  const container = rhea.create_container({ id: `test-${randomUUID()}` });
  const url = new URL(BUS_URI);
  const connection = container.connect({
    host: url.hostname,
    port: Number(url.port || 5672),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    reconnect: false,
  });
  const inbox = new Inbox<AmqpMessage>();
  const receiver = connection.open_receiver({ source: { address: `/exchange/${exchange}/${bindingKey}` } });
  await new Promise<void>((resolve, reject) => {
    receiver.once('receiver_open', () => resolve());
    connection.once('disconnected', (context) => reject(context.error ?? new Error('disconnected')));
  });
  receiver.on('message', (context) => {
    const message = context.message as Message;
    const body = message.body as { content?: Buffer; typecode?: number };
    inbox.push({
      subject: String(message.subject),
      headers: (message.application_properties ?? {}) as Record<string, unknown>,
      text: Buffer.isBuffer(body?.content) ? body.content.toString('utf8') : String(message.body),
    });
  });
  t.teardown(() => connection.close());
  return inbox;
}

/**
 * A durable queue bound to `exchange`, for tests that stop the broker: unlike a consumer's exclusive
 * queue it outlives the connection, so nothing published after a restart is routed nowhere. `consume`
 * reads it (again after a restart); the queue is deleted at teardown.
 */
export async function durableQueue(
  t: Teardown,
  exchange: string,
): Promise<{ consume(): Promise<Inbox<ClassicMessage>> }> {
  const name = `wazo-auth-test-${randomUUID()}`;
  const connection = await amqp.connect(BUS_URI);
  const channel = await connection.createChannel();
  await channel.assertQueue(name, { durable: true });
  await channel.bindQueue(name, exchange, '#');
  await connection.close();
  t.teardown(async () => {
    const cleanup = await amqp.connect(BUS_URI);
    const channel = await cleanup.createChannel();
    await channel.deleteQueue(name);
    await cleanup.close();
  });
  return {
    async consume() {
      const connection = await amqp.connect(BUS_URI);
      return consumeQueue(t, connection, await connection.createChannel(), name);
    },
  };
}
