import type { BusEvent } from './events.js';

/** A message as it leaves for the broker: routed by its key, the Wazo headers beside a JSON body. */
export interface BusMessage {
  /** Outbox row id: the publication order, and the AMQP `message_id` consumers may deduplicate on. */
  id: number;
  routingKey: string;
  headers: { [name: string]: string | boolean };
  /** JSON text: the headers plus `data` (bus-events.md §1). */
  body: string;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * Upstream's `timestamp` header: the server's local time, without zone, with microseconds
 * (`2024-03-01T10:00:00.123456`); JavaScript clocks give milliseconds.
 */
export function naiveLocalTimestamp(date: Date): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day}T${time}.${pad(date.getMilliseconds(), 3)}000`;
}

/** The headers of bus-events.md §2, in upstream's order. */
export function eventHeaders(event: BusEvent, originUuid: string, at: Date): BusMessage['headers'] {
  const headers: BusMessage['headers'] = {
    name: event.name,
    origin_uuid: originUuid,
    timestamp: naiveLocalTimestamp(at),
    required_access: `event.${event.name}`,
    required_acl: `events.${event.routingKey}`,
    tenant_uuid: event.tenantUuid,
  };
  if ('tenant' in event.audience) headers['user_uuid:*'] = true;
  else if (event.audience.user !== null) headers[`user_uuid:${event.audience.user}`] = true;
  return { ...headers, ...event.headers };
}

/** The body: every header, then `data`. */
export const eventBody = (headers: BusMessage['headers'], event: BusEvent): string =>
  JSON.stringify({ ...headers, data: event.data });
