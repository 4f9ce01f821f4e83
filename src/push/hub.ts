import type { EventMessage } from '../bus/message.js';
import type { Close } from './frames.js';
import type { Identity } from './routing.js';

/** What the hub needs of a connection. */
export interface Subscriber {
  readonly identity: Identity;
  /** Passes the event through the connection's own filters and sends it if they let it through. */
  deliver(message: EventMessage): void;
  close(close: Close): void;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

const USER_HEADER = 'user_uuid:';

/**
 * The open connections, indexed the way events are routed (websocket.md §5.2) so that an event is
 * offered only to the connections that may receive it: every master-tenant connection, the privileged
 * connections of its tenant, and the user connections of its tenant that subscribed as the user it
 * targets (or all of them for a tenant-wide event). Each connection then applies its own filters.
 */
export class PushHub {
  private readonly master = new Set<Subscriber>();
  private readonly privileged = new Map<string, Set<Subscriber>>();
  private readonly tenantUsers = new Map<string, Set<Subscriber>>();
  private readonly users = new Map<string, Set<Subscriber>>();
  private readonly userKeys = new Map<Subscriber, Set<string>>();

  add(subscriber: Subscriber): void {
    const { audience, tenantUuid } = subscriber.identity;
    if (audience === 'master') this.master.add(subscriber);
    else if (audience === 'privileged') addTo(this.privileged, tenantUuid, subscriber);
    else addTo(this.tenantUsers, tenantUuid, subscriber);
  }

  /** A user connection subscribed as `userUuid`: events aimed at that user are offered to it. */
  subscribedAs(subscriber: Subscriber, userUuid: string | null): void {
    if (subscriber.identity.audience !== 'user' || userUuid === null) return;
    const key = `${subscriber.identity.tenantUuid}/${userUuid}`;
    addTo(this.users, key, subscriber);
    addTo(this.userKeys, subscriber, key);
  }

  remove(subscriber: Subscriber): void {
    const { audience, tenantUuid } = subscriber.identity;
    this.master.delete(subscriber);
    if (audience === 'privileged') removeFrom(this.privileged, tenantUuid, subscriber);
    if (audience === 'user') removeFrom(this.tenantUsers, tenantUuid, subscriber);
    for (const key of this.userKeys.get(subscriber) ?? []) removeFrom(this.users, key, subscriber);
    this.userKeys.delete(subscriber);
  }

  publish(messages: readonly EventMessage[]): void {
    for (const message of messages) {
      for (const subscriber of this.master) subscriber.deliver(message);
      const tenant = message.headers.tenant_uuid;
      if (typeof tenant !== 'string') continue;
      for (const subscriber of this.privileged.get(tenant) ?? []) subscriber.deliver(message);
      if (message.headers[`${USER_HEADER}*`] === true) {
        for (const subscriber of this.tenantUsers.get(tenant) ?? []) subscriber.deliver(message);
        continue;
      }
      for (const [header, value] of Object.entries(message.headers)) {
        if (value !== true || !header.startsWith(USER_HEADER)) continue;
        const user = header.slice(USER_HEADER.length);
        for (const subscriber of this.users.get(`${tenant}/${user}`) ?? []) subscriber.deliver(message);
      }
    }
  }

  /** Open connections. */
  get size(): number {
    let size = this.master.size;
    for (const group of [this.privileged, this.tenantUsers])
      for (const set of group.values()) size += set.size;
    return size;
  }

  closeAll(close: Close): void {
    const all = [this.master, ...this.privileged.values(), ...this.tenantUsers.values()].flatMap((set) => [
      ...set,
    ]);
    for (const subscriber of all) subscriber.close(close);
  }
}
