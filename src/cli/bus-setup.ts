import { parseArgs } from 'node:util';
import { brokerName } from '../bus/broker-address.js';
import { declareExchange } from '../bus/declare.js';
import { loadConfig } from '../config/index.js';

const USAGE = `usage: npm run bus-setup -- [--uri URI] [--exchange NAME] [--type TYPE]

Declares on the broker the exchange the server publishes its events to. The server declares it itself
when it publishes over AMQP 0-9-1 (amqp.protocol auto or 0-9-1); over AMQP 1.0 it cannot, and this is
the operator's step. Defaults come from the server's configuration:
  --uri URI        amqp.uri [WAZO_AUTH_BUS_URI]
  --exchange NAME  amqp.exchange_name (default: xivo)
  --type TYPE      amqp.exchange_type (default: topic)`;

function fail(message: string, code = 1): never {
  console.error(`wazo-auth bus-setup: ${message}`);
  process.exit(code);
}

try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      uri: { type: 'string' },
      exchange: { type: 'string' },
      type: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { amqp } = loadConfig().config;
  const uri = values.uri ?? amqp.uri;
  if (!uri) fail(`no broker: set WAZO_AUTH_BUS_URI, amqp.uri or --uri\n${USAGE}`, 2);
  const exchange = values.exchange ?? amqp.exchange_name;
  const type = values.type ?? amqp.exchange_type;
  await declareExchange(uri, exchange, type);
  console.log(`exchange "${exchange}" (${type}, durable) is declared on ${brokerName(uri)}`);
} catch (error) {
  fail((error as Error).message);
}
