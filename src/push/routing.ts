import type { EventMessage } from '../bus/message.js';
import type { Json } from '../http/errors.js';

/**
 * Who a connection is, fixed when it connects (websocket.md §5.2): a token of the master tenant sees
 * every tenant's events, a privileged one (admin, internal, external_api) every event of its own
 * tenant, a plain user the events of its tenant aimed at it or at all of the tenant's users.
 */
export type Audience = 'master' | 'privileged' | 'user';

export interface Identity {
  audience: Audience;
  tenantUuid: string;
}

/** Python truthiness, which upstream applies to `metadata.admin`. */
function truthy(value: Json | undefined): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

export function classify(metadata: { [key: string]: Json }, masterTenantUuid: string): Audience {
  if (metadata.tenant_uuid === masterTenantUuid) return 'master';
  const purpose = metadata.purpose;
  if (truthy(metadata.admin) || purpose === 'internal' || purpose === 'external_api') return 'privileged';
  return 'user';
}

/** A `subscribe` op: an exact event name (or `*`), for the user the connection's token named then. */
export interface Subscription {
  name: string;
  userUuid: string | null;
}

/** The event's name: the `name` header, else the body's. */
function eventName(message: EventMessage): string | undefined {
  const name = message.headers.name;
  if (typeof name === 'string') return name;
  try {
    const body = JSON.parse(message.body) as { name?: unknown };
    return typeof body.name === 'string' ? body.name : undefined;
  } catch {
    return undefined;
  }
}

/** The routing stage of websocket.md §5.2 for one subscription. */
export function routes(
  identity: Identity,
  subscription: Subscription,
  message: EventMessage,
  originUuid: string,
): boolean {
  const { headers } = message;
  if (headers.origin_uuid !== originUuid) return false;
  if (subscription.name !== '*' && eventName(message) !== subscription.name) return false;
  if (identity.audience === 'master') return true;
  if (headers.tenant_uuid !== identity.tenantUuid) return false;
  if (identity.audience === 'privileged') return true;
  return headers[`user_uuid:${subscription.userUuid}`] === true || headers['user_uuid:*'] === true;
}
