// Stops the machine's RabbitMQ application: a serial test (scripts/run-tests.mjs runs it alone).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { OutboxEntry } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { BUS_URI, durableQueue, testExchange } from '../helpers/bus.js';
import { adminCaller, ok } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

const exec = promisify(execFile);
const rabbitmqctl = (...args: string[]) => exec('rabbitmqctl', ['-q', ...args]);

t.test('while the broker is down the API answers, and every event arrives once it is back', async (t) => {
  const exchange = await testExchange(t);
  const queue = await durableQueue(t, exchange);
  const server = await startTestApp(t, (config) => {
    config.amqp.uri = BUS_URI;
    config.amqp.exchange_name = exchange;
  });
  const admin = await adminCaller(server);
  await createUser(server.orm, { username: 'erin', password: 'secret' });

  let started = true;
  const startBroker = async () => {
    if (started) return;
    await rabbitmqctl('start_app');
    await rabbitmqctl('await_startup');
    started = true;
  };
  t.teardown(startBroker);

  await rabbitmqctl('stop_app');
  started = false;
  const sessions: string[] = [];
  const tenants: string[] = [];
  const timings: number[] = [];
  for (let i = 0; i < 4; i++) {
    const began = Date.now();
    sessions.push((await tokenFor(server, 'erin', 'secret')).session_uuid);
    tenants.push(ok<{ uuid: string }>(await admin.post('/tenants', { name: `outage-${i}` })).uuid);
    timings.push(Date.now() - began);
  }
  t.ok(
    Math.max(...timings) < 2000,
    `writes answer without waiting for the broker (${timings.join(', ')} ms)`,
  );
  t.equal(await server.orm.em.fork().count(OutboxEntry, {}), 8, 'the events wait in the outbox');

  await startBroker();
  const inbox = await queue.consume();
  const received = await inbox.take(8 + 1, () => true, 30_000).catch(() => inbox.messages);
  const keys = received.map((message) => message.routingKey);
  const expected = sessions.flatMap((session, i) => [
    `auth.sessions.${session}.created`,
    `auth.tenants.${tenants[i]}.created`,
  ]);
  // The admin's own login may or may not have left before the broker stopped: it is first either way.
  t.same(
    keys.filter((key) => expected.includes(key)),
    expected,
    'every event written during the outage arrives, in order',
  );
  t.equal(keys.length, new Set(keys).size, 'no duplicates when nothing failed mid-batch');
  for (let i = 0; i < 50 && (await server.orm.em.fork().count(OutboxEntry, {})) > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(await server.orm.em.fork().count(OutboxEntry, {}), 0, 'the outbox is empty again');
  t.match(server.logs.lines.join('\n'), /bus: cannot publish events; retrying/);
  t.match(server.logs.lines.join('\n'), /bus: publishing again/);
});
