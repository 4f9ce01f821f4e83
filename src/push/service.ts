import type uWS from 'uWebSockets.js';
import type { EventMessage } from '../bus/message.js';
import type { Logger } from '../log/logger.js';
import type { TokenService } from '../tokens/service.js';
import { connectionCapacity } from './capacity.js';
import { mountPushEndpoint, type PushEndpoint } from './endpoint.js';
import { CLOSE } from './frames.js';
import { PushHub } from './hub.js';
import { SessionWatch } from './session-watch.js';

export interface PushOptions {
  tokens: TokenService;
  masterTenantUuid: string;
  originUuid: string;
  /** `token_cleanup_interval`: how long before its expiry a connection's token is announced. */
  leadSeconds: number;
  /** `websocket.max_connections` (null: from the open-files limit). */
  maxConnections: number | null;
  log: Logger;
}

/**
 * WebSocket push (wazo-websocketd's protocol, built in): the connections, the timers of their tokens,
 * and the events this process commits, delivered to them.
 */
/** How long a revoked token's connections stay open for the events committed with the revocation. */
const CLOSE_AFTER_REVOCATION_MS = 150;

export class PushService {
  readonly hub = new PushHub();
  readonly watch: SessionWatch;
  private endpoint: PushEndpoint | null = null;

  constructor(private readonly options: PushOptions) {
    this.watch = new SessionWatch({
      leadSeconds: options.leadSeconds,
      originUuid: options.originUuid,
      publish: (message) => this.hub.publish([message]),
    });
    // A revoked token (logout, deleted session or tenant, password change) closes its connections now,
    // not at a later re-check as upstream does.
    // The revocation may arrive (PostgreSQL's notice of the committed delete) before the events of that
    // same transaction reach the hub; clients must get `auth_session_deleted` before the close
    // (websocket.md §6), so the close waits a moment.
    options.tokens.cache.onRevoked((token) => {
      setTimeout(() => this.watch.ended(token), CLOSE_AFTER_REVOCATION_MS).unref();
    });
  }

  mount(app: uWS.TemplatedApp): void {
    const { tokens, masterTenantUuid, originUuid, log } = this.options;
    this.endpoint = mountPushEndpoint(
      app,
      {
        findToken: (token) => tokens.find(token),
        hub: this.hub,
        watch: this.watch,
        masterTenantUuid,
        originUuid,
        log: log.child({ component: 'websocket' }),
      },
      connectionCapacity(this.options.maxConnections),
    );
  }

  /** Committed events, for the connections that may see them. */
  deliver(messages: readonly EventMessage[]): void {
    this.hub.publish(messages);
  }

  /** Open WebSocket connections (a metric). */
  get connections(): number {
    return this.endpoint?.open ?? 0;
  }

  /**
   * Shutdown: refuses new connections and closes every open one with 1001 (going away), the code
   * browsers and `@wazo/sdk` treat as "reconnect elsewhere"; drops the timers.
   */
  stop(): void {
    this.hub.closeAll(CLOSE.shuttingDown);
    this.endpoint?.closeAll(CLOSE.shuttingDown);
    this.watch.stop();
  }
}
