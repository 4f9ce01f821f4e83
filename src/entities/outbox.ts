import { BigIntType, EntitySchema, type PrimaryKeyProp } from '@mikro-orm/core';

/**
 * `auth_bus_outbox` (not an upstream table): bus events written in the transaction of the change they
 * describe, deleted once the broker has accepted them. The ascending `id` is the publication order.
 */
export interface OutboxEntry {
  [PrimaryKeyProp]?: 'id';
  id: number;
  routingKey: string;
  /** The Wazo headers, as JSON text: they become the message's application properties. */
  headers: string;
  /** The message body, JSON text: the headers plus `data`. */
  body: string;
}

export const OutboxEntry = new EntitySchema<OutboxEntry>({
  name: 'OutboxEntry',
  tableName: 'auth_bus_outbox',
  properties: {
    // 64 bits: at thousands of events a second, 32-bit ids would run out within weeks.
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    routingKey: { type: 'text' },
    headers: { type: 'text' },
    body: { type: 'text' },
  },
});
