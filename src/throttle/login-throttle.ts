import type { ClusterPeer } from '../cluster/peer.js';
import { errors } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import {
  type AddressPolicy,
  type Admission,
  type Kind,
  type Outcome,
  ThrottleCounters,
  type UsernamePolicy,
} from './counters.js';
import { keyOf } from './keys.js';

export interface ThrottleSettings {
  enabled: boolean;
  username: UsernamePolicy;
  address: AddressPolicy;
  /** Keys remembered per kind and worker; the least recently seen go first. */
  maxEntries: number;
}

const COMMANDS = {
  acquire: 'throttle.acquire',
  settle: 'throttle.settle',
  addressRefusal: 'throttle.address-refusal',
} as const;

interface Slot {
  kind: Kind;
  key: string;
}

/** A verification the throttle let through: tell it how the login ended. */
export interface Ticket {
  settle(outcome: Outcome): Promise<void>;
}

const NO_TICKET: Ticket = { settle: async () => {} };

/**
 * Brute-force protection of `POST /token`: failed logins per username (exponential back-off) and per
 * source address (a leaky bucket). Each key's counters live on the worker owning the key's shard, as
 * user actors do, so every worker sees the same counts; a single process holds them all.
 */
export class LoginThrottle {
  private readonly counters: ThrottleCounters;

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly peer: ClusterPeer,
    private readonly logger?: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.counters = new ThrottleCounters(settings.username, settings.address, settings.maxEntries);
    peer.handle(COMMANDS.acquire, (slot) => {
      const { kind, key } = slot as Slot;
      return this.counters.acquire(kind, key, this.clock());
    });
    peer.handle(COMMANDS.addressRefusal, (key) => this.counters.addressRefusal(key as string, this.clock()));
    peer.handle(COMMANDS.settle, (payload) => {
      const { kind, key, outcome } = payload as Slot & { outcome: Outcome };
      this.counters.settle(kind, key, outcome, this.clock());
    });
  }

  /** Entries this worker holds. */
  get size(): { usernames: number; addresses: number } {
    return this.counters.size;
  }

  /**
   * Reserves the right to verify a login, or throws the 429 (before any password is checked). `login`
   * is the Basic login when there is one (case-insensitive), `address` the client's address.
   */
  async admit(login: string | null, address: string): Promise<Ticket> {
    if (!this.settings.enabled) return NO_TICKET;
    const addressKey = keyOf('a', address);
    if (login === null) {
      // A refresh token or SAML session id is a random UUID: nothing to guess. Such logins hold no slot
      // (a service or a proxy may run hundreds at once from one address) and their failures do not
      // count; only an address already refused for password failures is refused for them too.
      const admission = await this.admission(addressKey, COMMANDS.addressRefusal, addressKey, () =>
        this.counters.addressRefusal(addressKey, this.clock()),
      );
      if (!admission.ok) this.refuse(address, ['address'], admission.retryAfterMs);
      return NO_TICKET;
    }
    const slots: Slot[] = [
      { kind: 'address', key: addressKey },
      { kind: 'username', key: keyOf('u', login.toLowerCase()) },
    ];
    const admissions = await Promise.all(slots.map((slot) => this.acquire(slot)));
    const granted = slots.filter((_, i) => admissions[i]!.ok);
    if (granted.length < slots.length) {
      await Promise.all(granted.map((slot) => this.settle(slot, 'neutral')));
      this.refuse(
        address,
        slots.filter((_, i) => !admissions[i]!.ok).map((s) => s.kind),
        Math.max(...admissions.map((a) => (a.ok ? 0 : a.retryAfterMs))),
      );
    }
    let settled = false;
    return {
      settle: async (outcome) => {
        if (settled) return;
        settled = true;
        await Promise.all(slots.map((slot) => this.settle(slot, outcome)));
      },
    };
  }

  private refuse(address: string, throttled: Kind[], waitMs: number): never {
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    this.logger?.info({ remoteAddr: address, throttled }, 'login throttled for %ds', retryAfter);
    throw errors.tooManyLoginFailures(retryAfter);
  }

  private onOwner<T>(key: string, command: string, payload: unknown, local: () => T): Promise<T> {
    const owner = this.peer.owner(key);
    if (owner === this.peer.index) return Promise.resolve(local());
    return this.peer.call<T>(owner, command, payload);
  }

  private acquire(slot: Slot): Promise<Admission> {
    return this.admission(slot.key, COMMANDS.acquire, slot, () =>
      this.counters.acquire(slot.kind, slot.key, this.clock()),
    );
  }

  /** An admission decided on the key's owner; when the owner does not answer, the login is admitted. */
  private async admission(
    key: string,
    command: string,
    payload: unknown,
    local: () => Admission,
  ): Promise<Admission> {
    try {
      return await this.onOwner(key, command, payload, local);
    } catch (error) {
      // The owner is being replaced (its counters are lost anyway): logins must not stop meanwhile.
      this.logger?.warn({ err: error }, 'login throttle unavailable: login admitted');
      return { ok: true };
    }
  }

  private async settle(slot: Slot, outcome: Outcome): Promise<void> {
    try {
      await this.onOwner(slot.key, COMMANDS.settle, { ...slot, outcome }, () =>
        this.counters.settle(slot.kind, slot.key, outcome, this.clock()),
      );
    } catch (error) {
      this.logger?.warn({ err: error }, 'login throttle unavailable: outcome not counted');
    }
  }
}
