import type { Logger } from '../log/logger.js';
import { Amqp10Publisher } from './amqp10-publisher.js';
import { Amqp091Publisher, type BrokerIdentity } from './amqp091-publisher.js';
import { brokerAddress } from './broker-address.js';
import type { BusMessage } from './message.js';
import type { Publisher, PublishResult } from './publisher.js';

/** `amqp.protocol`: which AMQP the events leave in; `auto` asks the broker. */
export type BusProtocol = 'auto' | '0-9-1' | '1.0';

export interface BusPublisherOptions {
  uri: string;
  exchange: string;
  exchangeType: string;
  protocol: BusProtocol;
  timeoutMs?: number;
}

/**
 * Whether AMQP 1.0 reaches wazo-bus consumers from this broker: only when it turns application properties
 * into AMQP 0-9-1 headers and speaks 1.0 without a plugin to enable. RabbitMQ converts properties since 3.13
 * (message containers) but speaks 1.0 out of the box only from 4.0; 3.13 keeps 0-9-1, which is as good
 * there. Any other product, or a version that cannot be read, keeps 0-9-1: the way that is known to work.
 */
export function amqp10ReachesHeaderConsumers(broker: BrokerIdentity): boolean {
  if (broker.product !== 'RabbitMQ') return false;
  const major = /^(\d+)\./.exec(broker.version)?.[1];
  return major !== undefined && Number(major) >= 4;
}

/**
 * `auto`: opens an AMQP 0-9-1 connection (which declares the exchange), reads what the broker advertises,
 * and either keeps that connection or moves to AMQP 1.0. Asked again after any failure, so a broker
 * upgraded while the server runs is met with the right protocol when the relay reconnects.
 */
class ChoosingPublisher implements Publisher {
  private chosen: Publisher | undefined;

  constructor(
    private readonly options: BusPublisherOptions,
    private readonly log: Logger,
  ) {
    brokerAddress(options.uri); // a malformed URI fails at start-up, not at the first event
  }

  async publish(messages: BusMessage[]): Promise<PublishResult> {
    try {
      this.chosen ??= await this.choose();
      const result = await this.chosen.publish(messages);
      if (result.error) await this.forget();
      return result;
    } catch (error) {
      await this.forget();
      throw error;
    }
  }

  private async choose(): Promise<Publisher> {
    const classic = new Amqp091Publisher(this.options, this.log);
    let broker: BrokerIdentity;
    try {
      broker = await classic.broker();
    } catch (error) {
      await classic.close();
      throw error;
    }
    const protocol = amqp10ReachesHeaderConsumers(broker) ? '1.0' : '0-9-1';
    this.log.info({ broker: `${broker.product} ${broker.version}`.trim(), protocol }, 'bus: protocol chosen');
    if (protocol === '0-9-1') return classic;
    await classic.close();
    return new Amqp10Publisher(this.options, this.log);
  }

  private async forget(): Promise<void> {
    const chosen = this.chosen;
    this.chosen = undefined;
    await chosen?.close();
  }

  async close(): Promise<void> {
    await this.forget();
  }
}

/** The publisher `amqp.protocol` asks for. */
export function busPublisher(options: BusPublisherOptions, log: Logger): Publisher {
  switch (options.protocol) {
    case '0-9-1':
      return new Amqp091Publisher(options, log);
    case '1.0':
      return new Amqp10Publisher(options, log);
    case 'auto':
      return new ChoosingPublisher(options, log);
  }
}
