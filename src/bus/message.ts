import type { BusEvent } from './events.js';

/** An event in its envelope: routed by its key, the Wazo headers beside a JSON body. */
export interface EventMessage {
  routingKey: string;
  headers: { [name: string]: string | boolean };
  /** JSON text: the headers plus `data` (bus-events.md §1). */
  body: string;
}

/** A message as it leaves for the broker. */
export interface BusMessage extends EventMessage {
  /** Outbox row id: the publication order, and the AMQP `message_id` consumers may deduplicate on. */
  id: number;
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

/** The event in its envelope, as published at `at` by the platform `originUuid`. */
export function envelope(event: BusEvent, originUuid: string, at = new Date()): EventMessage {
  const headers = eventHeaders(event, originUuid, at);
  return { routingKey: event.routingKey, headers, body: JSON.stringify({ ...headers, data: event.data }) };
}

/** The headers of bus-events.md §2, in upstream's order. */
function eventHeaders(event: BusEvent, originUuid: string, at: Date): EventMessage['headers'] {
  const headers: EventMessage['headers'] = {
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
