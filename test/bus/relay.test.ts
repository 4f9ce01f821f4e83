import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import t from 'tap';
import { tenantDeleted } from '../../src/bus/events.js';
import { Outbox } from '../../src/bus/outbox.js';
import { type BusProtocol, busPublisher } from '../../src/bus/protocol-choice.js';
import { OutboxRelay } from '../../src/bus/relay.js';
import { OutboxEntry } from '../../src/entities/index.js';
import { type Database, openDatabase } from '../../src/entities/orm.js';
import { createLogger } from '../../src/log/logger.js';
import { BUS_URI, classicConsumer, testExchange } from '../helpers/bus.js';
import { createTestDatabase } from '../helpers/db.js';
import { LogSink } from '../helpers/server.js';

/** A relay of its own (its own connection to the database and to the broker), like another process's. */
function relayOn(orm: Database, exchange: string, protocol: BusProtocol, logs = new LogSink()): OutboxRelay {
  const log = createLogger({ log_level: 'debug', debug: false }, logs);
  const publisher = busPublisher(
    { uri: BUS_URI, exchange, exchangeType: 'topic', protocol, timeoutMs: 3000 },
    log,
  );
  return new OutboxRelay(
    orm,
    publisher,
    { dialect: 'postgresql', retryDelayMs: { first: 50, max: 200 } },
    log,
  );
}

async function twoConnections(t: { teardown(fn: () => unknown): void }): Promise<[Database, Database]> {
  const db = await createTestDatabase();
  const one = await openDatabase(db.uri);
  const two = await openDatabase(db.uri, { migrate: false });
  t.teardown(async () => {
    await one.close();
    await two.close();
    await db.drop();
  });
  return [one, two];
}

/** `count` events, each in its own transaction, in a known order: tenant uuids 0…count-1. */
async function stage(outbox: Outbox, count: number): Promise<string[]> {
  const uuids = Array.from(
    { length: count },
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
  for (const uuid of uuids) await outbox.transaction(async (_em, emit) => emit(tenantDeleted(uuid)));
  return uuids;
}

// The relay's guarantees hold whichever protocol carries the events.
for (const protocol of ['0-9-1', '1.0'] as const) {
  t.test(`${protocol}: two relays on one database: each event once, in commit order`, async (t) => {
    const exchange = await testExchange(t);
    const inbox = await classicConsumer(t, exchange);
    const [one, two] = await twoConnections(t);
    const relays = [relayOn(one, exchange, protocol), relayOn(two, exchange, protocol)];
    const outbox = new Outbox(one, {
      toBroker: true,
      originUuid: randomUUID(),
      // Both are told, as if each process had seen the commits.
      stored: () => {
        for (const relay of relays) relay.wake();
      },
    });
    for (const relay of relays) relay.start();
    t.teardown(() => Promise.all(relays.map((relay) => relay.stop(1000))));
    const uuids = await stage(outbox, 300);
    const received = await inbox.take(300);
    t.same(
      received.map((message) => message.body.data.uuid),
      uuids,
      'in order',
    );
    const ids = received.map((message) => Number(message.messageId));
    t.same(
      ids,
      [...ids].sort((a, b) => a - b),
      'message ids ascend',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.equal(inbox.messages.length, 300, 'no duplicates');
  });

  t.test(`${protocol}: stopping publishes what the last requests left`, async (t) => {
    const exchange = await testExchange(t);
    const inbox = await classicConsumer(t, exchange);
    const [orm] = await twoConnections(t);
    const relay = relayOn(orm, exchange, protocol);
    // Never woken and never polling: only `stop` can publish these.
    const outbox = new Outbox(orm, { toBroker: true, originUuid: randomUUID() });
    await stage(outbox, 5);
    await relay.stop(5000);
    t.equal(await orm.em.fork().count(OutboxEntry, {}), 0);
    t.equal((await inbox.take(5)).length, 5);
  });
}

t.test('AMQP 1.0: a missing exchange is reported with the set-up command; the events wait', async (t) => {
  const [orm] = await twoConnections(t);
  const logs = new LogSink();
  const relay = relayOn(orm, `missing-${randomUUID()}`, '1.0', logs);
  const outbox = new Outbox(orm, { toBroker: true, originUuid: randomUUID(), stored: () => relay.wake() });
  relay.start();
  t.teardown(() => relay.stop(0));
  await stage(outbox, 3);
  for (let i = 0; i < 50 && !logs.lines.some((line) => line.includes('bus-setup')); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const warning = logs.lines.find((line) => line.includes('cannot publish'));
  t.match(JSON.parse(warning ?? '{}'), {
    msg: /cannot publish events/,
    err: { message: /npm run bus-setup/ },
  });
  t.equal(await orm.em.fork().count(OutboxEntry, {}), 3);
});

t.test("AMQP 0-9-1 declares a missing exchange, as upstream's publisher does", async (t) => {
  const [orm] = await twoConnections(t);
  const exchange = `wazo-auth-test-${randomUUID()}`;
  t.teardown(async () => {
    const connection = await amqp.connect(BUS_URI);
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange);
    await connection.close();
  });
  const relay = relayOn(orm, exchange, '0-9-1');
  const outbox = new Outbox(orm, { toBroker: true, originUuid: randomUUID(), stored: () => relay.wake() });
  relay.start();
  t.teardown(() => relay.stop(0));
  await stage(outbox, 2);
  for (let i = 0; i < 100 && (await orm.em.fork().count(OutboxEntry, {})) > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(await orm.em.fork().count(OutboxEntry, {}), 0, 'published');
  const connection = await amqp.connect(BUS_URI);
  const channel = await connection.createChannel();
  t.ok(await channel.checkExchange(exchange), 'the exchange exists');
  await connection.close();
});

t.test('an exchange of another type is reported with the setting to correct; the events wait', async (t) => {
  const [orm] = await twoConnections(t);
  const exchange = await testExchange(t); // a topic exchange
  const logs = new LogSink();
  const log = createLogger({ log_level: 'debug', debug: false }, logs);
  const publisher = busPublisher(
    { uri: BUS_URI, exchange, exchangeType: 'headers', protocol: 'auto', timeoutMs: 3000 },
    log,
  );
  const relay = new OutboxRelay(
    orm,
    publisher,
    { dialect: 'postgresql', retryDelayMs: { first: 50, max: 200 } },
    log,
  );
  const outbox = new Outbox(orm, { toBroker: true, originUuid: randomUUID(), stored: () => relay.wake() });
  relay.start();
  t.teardown(() => relay.stop(0));
  await stage(outbox, 1);
  for (let i = 0; i < 50 && !logs.lines.some((line) => line.includes('cannot publish')); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const warning = logs.lines.find((line) => line.includes('cannot publish'));
  t.match(JSON.parse(warning ?? '{}'), { err: { message: /amqp.exchange_type "headers"/ } });
  t.equal(await orm.em.fork().count(OutboxEntry, {}), 1);
});
