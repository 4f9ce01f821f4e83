import type { Config } from '../config/index.js';
import { type Database, dialectOf } from '../entities/orm.js';
import type { Logger } from '../log/logger.js';
import { brokerName } from './broker-address.js';
import type { EventMessage } from './message.js';
import { Outbox } from './outbox.js';
import { busPublisher } from './protocol-choice.js';
import { OutboxRelay } from './relay.js';

export interface Bus {
  outbox: Outbox;
  /** Null when no broker is configured (`amqp.uri` / `WAZO_AUTH_BUS_URI` unset). */
  relay: OutboxRelay | null;
}

/**
 * The outbox every change writes its events to, the relay to the configured broker if any, and the
 * local delivery of committed events (`deliver`: the WebSocket connections of this process).
 */
export function createBus(
  config: Config,
  orm: Database,
  platformUuid: string,
  log: Logger,
  deliver?: (messages: EventMessage[]) => void,
): Bus {
  const { uri, exchange_name: exchange, exchange_type: exchangeType, protocol } = config.amqp;
  const local = deliver ? { committed: deliver } : {};
  if (uri === null) {
    log.info('bus: no broker configured (WAZO_AUTH_BUS_URI); events are not published');
    return { outbox: new Outbox(orm, { toBroker: false, originUuid: platformUuid, ...local }), relay: null };
  }
  const publisher = busPublisher({ uri, exchange, exchangeType, protocol }, log);
  const relay = new OutboxRelay(orm, publisher, { dialect: dialectOf(config.db_uri) }, log);
  const outbox = new Outbox(orm, {
    toBroker: true,
    originUuid: platformUuid,
    stored: () => relay.wake(),
    ...local,
  });
  log.info({ broker: brokerName(uri), exchange, protocol }, 'bus: publishing events');
  return { outbox, relay };
}
