import type { EventMessage } from '../bus/message.js';
import type { Logger } from '../log/logger.js';
import type { LiveToken } from '../tokens/record.js';
import { CLOSE, type ClientOp, type Close, frames, type ProtocolVersion, parseOp } from './frames.js';
import type { Handshake } from './handshake.js';
import type { PushHub, Subscriber } from './hub.js';
import { classify, type Identity, routes, type Subscription } from './routing.js';
import type { SessionWatch, Watcher } from './session-watch.js';

/** The transport under a connection (a uWS WebSocket). */
export interface Socket {
  send(text: string): void;
  end(close: Close): void;
}

export interface ConnectionDependencies {
  /** Live, unexpired tokens (the in-memory read model). */
  findToken(token: string): Promise<LiveToken | null>;
  hub: PushHub;
  watch: SessionWatch;
  masterTenantUuid: string;
  originUuid: string;
  log: Logger;
}

/** The ACL a token needs to open a connection or to be swapped in (websocket.md §2 step 4). */
const REQUIRED_ACL = 'websocketd';

/**
 * One client of the wazo-websocketd protocol. Everything it receives, the connect checks included, runs
 * one step at a time in arrival order (clients send `subscribe` and `start` without waiting); events go
 * out only after `start`, through the routing and ACL stages of websocket.md §5.
 */
export class PushConnection implements Subscriber, Watcher {
  identity: Identity = { audience: 'user', tenantUuid: '' };
  private version: ProtocolVersion = 1;
  private token: LiveToken | null = null;
  private started = false;
  private closed = false;
  private readonly subscriptions: Subscription[] = [];
  private steps: Promise<void> = Promise.resolve();
  /** The last expiry warning sent, so that a repeated `start` does not send it twice. */
  private lastWarning: EventMessage | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDependencies,
  ) {}

  /** Runs the connect checks, then sends `init`; frames that arrive meanwhile wait their turn. */
  open(handshake: Handshake): void {
    this.enqueue(() => this.authenticate(handshake));
  }

  /** A frame from the client: its text, or null for a binary frame (a protocol error). */
  receive(text: string | null): void {
    this.enqueue(() => this.handle(text === null ? null : parseOp(text)));
  }

  /** The socket is gone (closed by either side): forget the connection. */
  gone(): void {
    this.closed = true;
    this.release();
  }

  close(close: Close): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.socket.end(close);
  }

  tokenEnded(token: string): void {
    // Queued: a `token` op already received is taken into account first.
    this.enqueue(() => {
      if (this.token?.record.token === token) this.close(CLOSE.authenticationExpired);
    });
  }

  deliver(message: EventMessage): void {
    const token = this.token;
    if (!this.started || this.closed || !token) return;
    const { originUuid } = this.deps;
    if (!this.subscriptions.some((subscription) => routes(this.identity, subscription, message, originUuid)))
      return;
    // The deprecated `required_acl` header is what upstream checks, not `required_access`.
    const required = message.headers.required_acl;
    if (typeof required !== 'string' || !token.matcher.allows(required)) return;
    if (message.headers.name === 'auth_session_expire_soon') this.lastWarning = message;
    this.socket.send(frames.event(this.version, message.body));
  }

  private enqueue(step: () => void | Promise<void>): void {
    this.steps = this.steps
      .then(() => (this.closed ? undefined : step()))
      .catch((error) => {
        this.deps.log.error({ err: error }, 'websocket: unexpected error');
        this.close(CLOSE.unexpected);
      });
  }

  private async authenticate(handshake: Handshake): Promise<void> {
    if ('close' in handshake) return this.close(handshake.close);
    this.version = handshake.version;
    const token = await this.validate(handshake.token);
    if (!token) return this.close(CLOSE.authenticationFailed);
    const { metadata } = token.record;
    if (typeof metadata.uuid !== 'string' || typeof metadata.tenant_uuid !== 'string')
      return this.close(CLOSE.unexpected);
    this.identity = {
      audience: classify(metadata, this.deps.masterTenantUuid),
      tenantUuid: metadata.tenant_uuid,
    };
    this.bind(token);
    this.deps.hub.add(this);
    this.socket.send(frames.init(this.version));
  }

  private async validate(candidate: string): Promise<LiveToken | null> {
    const token = await this.deps.findToken(candidate);
    return token && !token.isExpired() && token.matcher.allows(REQUIRED_ACL) ? token : null;
  }

  /**
   * A renewal must stay in the tenant the connection was scoped to at connect. Upstream takes any valid
   * token (websocket.md §6.3), so a connection scoped to one tenant would check its ACLs and expiry
   * against another tenant's token (a master-tenant connection kept alive by a sub-tenant's token).
   */
  private sameTenant(token: LiveToken): boolean {
    return token.record.metadata.tenant_uuid === this.identity.tenantUuid;
  }

  private bind(token: LiveToken): void {
    if (this.token) this.deps.watch.unbind(this, this.token);
    this.token = token;
    this.deps.watch.bind(this, token);
  }

  private release(): void {
    this.deps.hub.remove(this);
    if (this.token) this.deps.watch.unbind(this, this.token);
  }

  /** v1 answers `subscribe` and `token` only until `start`; v2 always. */
  private replyAfterStart(op: 'subscribe' | 'token'): void {
    if (this.version === 2 || !this.started) this.socket.send(frames.reply(op));
  }

  private async handle(op: ClientOp | null): Promise<void> {
    if (!op) return this.close(CLOSE.protocolError);
    switch (op.op) {
      case 'subscribe': {
        const userUuid = this.token?.userUuid ?? null;
        this.subscriptions.push({ name: op.eventName, userUuid });
        this.deps.hub.subscribedAs(this, userUuid);
        return this.replyAfterStart('subscribe');
      }
      case 'start': {
        this.started = true;
        this.socket.send(frames.reply('start'));
        // A token already within its warning window when the client started still gets its warning.
        const warning = this.token ? this.deps.watch.warningFor(this.token) : null;
        if (warning && warning !== this.lastWarning) this.deliver(warning);
        return;
      }
      case 'token': {
        const token = await this.validate(op.token);
        if (!token || !this.sameTenant(token)) return this.close(CLOSE.authenticationFailed);
        this.bind(token);
        return this.replyAfterStart('token');
      }
      case 'ping':
        if (this.version === 2) this.socket.send(frames.pong(op.payload));
        return;
    }
  }
}
