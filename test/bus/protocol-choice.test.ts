// Which AMQP carries the events (`amqp.protocol: auto`): the broker's own word, read from the 0-9-1
// handshake, decides; this machine's RabbitMQ 3.10 must get 0-9-1, the only way its headers reach
// wazo-bus consumers.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { tenantDeleted } from '../../src/bus/events.js';
import { Outbox } from '../../src/bus/outbox.js';
import { amqp10ReachesHeaderConsumers, busPublisher } from '../../src/bus/protocol-choice.js';
import { OutboxRelay } from '../../src/bus/relay.js';
import { createLogger } from '../../src/log/logger.js';
import { BUS_URI, testExchange, wazoBusConsumer } from '../helpers/bus.js';
import { migratedDatabase } from '../helpers/db.js';
import { LogSink } from '../helpers/server.js';

t.test('AMQP 1.0 only where the broker maps properties to headers with nothing to enable', async (t) => {
  const rabbit = (version: string) => amqp10ReachesHeaderConsumers({ product: 'RabbitMQ', version });
  t.equal(rabbit('3.10.8'), false, "Debian 12's: properties become an opaque blob");
  t.equal(rabbit('3.12.14'), false);
  t.equal(rabbit('3.13.7'), false, 'maps them, but AMQP 1.0 is a plugin there: 0-9-1 is as good');
  t.equal(rabbit('4.0.5'), true, 'AMQP 1.0 built in, properties become headers');
  t.equal(rabbit('4.1.0-rc.1'), true);
  t.equal(rabbit(''), false, 'a version that cannot be read keeps 0-9-1');
  t.equal(amqp10ReachesHeaderConsumers({ product: 'SomeBroker', version: '9.0' }), false);
});

t.test('auto on this RabbitMQ: 0-9-1 is chosen, logged, and the headers route', async (t) => {
  const exchange = await testExchange(t);
  const inbox = await wazoBusConsumer(t, exchange, [{ name: 'auth_tenant_deleted' }]);
  const orm = await migratedDatabase(t);
  const logs = new LogSink();
  const log = createLogger({ log_level: 'debug', debug: false }, logs);
  const publisher = busPublisher({ uri: BUS_URI, exchange, exchangeType: 'topic', protocol: 'auto' }, log);
  const relay = new OutboxRelay(orm, publisher, { dialect: 'postgresql' }, log);
  const outbox = new Outbox(orm, { toBroker: true, originUuid: randomUUID(), stored: () => relay.wake() });
  relay.start();
  t.teardown(() => relay.stop(1000));
  const tenant = randomUUID();
  await outbox.transaction(async (_em, emit) => emit(tenantDeleted(tenant)));
  const [message] = await inbox.take(1);
  t.equal(message?.body.data.uuid, tenant);
  const chosen = logs.lines
    .map((line) => JSON.parse(line))
    .find((line) => line.msg === 'bus: protocol chosen');
  t.match(chosen, { protocol: '0-9-1', broker: /^RabbitMQ \d+\./ });
});

t.test('a malformed broker URI fails at start-up, whatever the protocol', async (t) => {
  const log = createLogger({ log_level: 'error', debug: false }, new LogSink());
  for (const protocol of ['auto', '0-9-1', '1.0'] as const)
    t.throws(
      () => busPublisher({ uri: 'http://broker', exchange: 'xivo', exchangeType: 'topic', protocol }, log),
      /must start with amqp/,
      protocol,
    );
});
