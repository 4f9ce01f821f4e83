import uWS from 'uWebSockets.js';
import { type ConnectionDependencies, PushConnection, type Socket } from './connection.js';
import { CLOSE, type Close } from './frames.js';
import { type Handshake, readHandshake } from './handshake.js';

/**
 * The paths clients use: `/api/websocketd/` behind the Wazo proxy (what `@wazo/sdk` opens on the REST
 * host), and `/0.1/websocketd/` beside the API. Upstream ignores the path below them.
 */
const PATHS = ['/api/websocketd', '/api/websocketd/*', '/0.1/websocketd', '/0.1/websocketd/*'];

/** Upstream's limit on a client message (websocket.md §8); larger ones close with 1009. */
const MAX_MESSAGE = 1024 * 1024;

interface UserData {
  handshake: Handshake;
  connection: PushConnection | null;
  closed: boolean;
}

const decoder = new TextDecoder();

function socketOf(ws: uWS.WebSocket<UserData>): Socket {
  const data = ws.getUserData();
  return {
    send(text) {
      if (!data.closed) ws.cork(() => ws.send(text, false));
    },
    end({ code, reason }: Close) {
      if (!data.closed) ws.cork(() => ws.end(code, reason));
    },
  };
}

/** The mounted endpoint, as the rest of the server sees it. */
export interface PushEndpoint {
  /** Open WebSocket connections, authenticated or not. */
  readonly open: number;
  /** Refuses new connections (503) and closes every open one with `close`. */
  closeAll(close: Close): void;
}

/**
 * Serves the wazo-websocketd protocol on the REST listener (uWS). The upgrade always completes: every
 * refusal is a close code after it (clients recognise a bad token only by 4002), never an HTTP error.
 */
export function mountPushEndpoint(
  app: uWS.TemplatedApp,
  deps: ConnectionDependencies,
  capacity = Number.POSITIVE_INFINITY,
): PushEndpoint {
  let open = 0;
  let lastWarning = 0;
  let closing = false;
  // Also the connections still in their connect checks, which the hub does not know yet.
  const sockets = new Set<uWS.WebSocket<UserData>>();
  const behavior: uWS.WebSocketBehavior<UserData> = {
    compression: uWS.DISABLED,
    // Bigger than the protocol's limit, so that a message just over it gets its 1009 rather than a cut.
    maxPayloadLength: 4 * MAX_MESSAGE,
    // Pings keep the connection alive and find dead peers: ping within 20 s of silence, then close.
    idleTimeout: 20,
    sendPingsAutomatically: true,
    maxBackpressure: 16 * 1024 * 1024,
    upgrade(res, req, context) {
      if (closing) {
        res.cork(() => res.writeStatus('503 Service Unavailable').end());
        return;
      }
      if (open >= capacity) {
        // Full: refusing here keeps descriptors for the database; clients retry with backoff.
        if (Date.now() - lastWarning > 60_000) {
          lastWarning = Date.now();
          deps.log.warn({ open, capacity }, 'websocket: connection limit reached; refusing new ones');
        }
        res.cork(() => res.writeStatus('503 Service Unavailable').end());
        return;
      }
      const handshake = readHandshake(req.getQuery() ?? '', req.getHeader('x-auth-token'));
      // No subprotocol is ever negotiated (websocket.md §1).
      res.upgrade<UserData>(
        { handshake, connection: null, closed: false },
        req.getHeader('sec-websocket-key'),
        '',
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open(ws) {
      open++;
      sockets.add(ws);
      const data = ws.getUserData();
      data.connection = new PushConnection(socketOf(ws), deps);
      data.connection.open(data.handshake);
    },
    message(ws, message, isBinary) {
      const connection = ws.getUserData().connection!;
      if (message.byteLength > MAX_MESSAGE) return connection.close(CLOSE.messageTooBig);
      connection.receive(isBinary ? null : decoder.decode(message));
    },
    close(ws) {
      open--;
      sockets.delete(ws);
      const data = ws.getUserData();
      data.closed = true;
      data.connection?.gone();
    },
  };
  for (const path of PATHS) {
    app.ws(path, behavior);
    // A plain HTTP request where a WebSocket is expected (upstream's library answers the same).
    app.any(path, (res) => {
      res.cork(() =>
        res
          .writeStatus('426 Upgrade Required')
          .writeHeader('Content-Type', 'text/plain')
          .end('Failed to open a WebSocket connection: missing Upgrade header.\n'),
      );
    });
  }
  return {
    get open() {
      return open;
    },
    closeAll({ code, reason }: Close) {
      closing = true;
      // A copy: each end() runs the close handler at once, which removes the socket from the set.
      for (const ws of [...sockets]) {
        const data = ws.getUserData();
        if (!data.closed) ws.cork(() => ws.end(code, reason));
      }
    },
  };
}
