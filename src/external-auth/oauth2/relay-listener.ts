import WebSocket from 'ws';
import type { Logger } from '../../log/logger.js';

/** How long the reply to `POST /users/{uuid}/external/<type>` may wait for the relay connection. */
const OPEN_WAIT_MS = 2000;

/**
 * The client side of the wazo-oauth2 relay (external-auth.md §7): a WebSocket to `<websocket_host>/ws/<state>`
 * on which the relay pushes, as one JSON frame, the query parameters the provider's redirect brought it.
 * Each connection lives until its frame arrives or its flow times out.
 */
export class RelayListeners {
  /** The connection of each `key` (a user and a type): one waits per key. */
  private readonly open = new Map<string, WebSocket>();

  constructor(private readonly log: Logger) {}

  /**
   * Connects for one flow and resolves once connected (or failed, or after 2 s): a browser quick to
   * consent must not reach the relay before anyone waits there. A connection already waiting under `key`
   * (a superseded flow's) is closed.
   */
  listen(
    key: string,
    url: string,
    timeoutMs: number,
    delivered: (parameters: URLSearchParams) => Promise<void>,
  ): Promise<void> {
    this.open.get(key)?.terminate();
    return new Promise((ready) => {
      const done = () => ready();
      const socket = new WebSocket(url, { handshakeTimeout: OPEN_WAIT_MS });
      this.open.set(key, socket);
      const expiry = setTimeout(() => socket.terminate(), timeoutMs);
      const waited = setTimeout(done, OPEN_WAIT_MS);
      socket.on('open', () => {
        clearTimeout(waited);
        done();
      });
      socket.once('message', (frame) => {
        socket.close();
        const parameters = toParameters(frame.toString());
        if (!parameters) {
          this.log.warn({ component: 'oauth2-relay' }, 'relay sent a frame that is not a JSON object');
          return;
        }
        delivered(parameters).catch((error: unknown) =>
          this.log.warn({ component: 'oauth2-relay', err: error }, 'relayed authorization not completed'),
        );
      });
      socket.on('error', (error) => {
        // The URL holds the state, a secret until redeemed: only the relay's host is logged.
        this.log.warn(
          { component: 'oauth2-relay', host: new URL(url).host, err: error.message },
          'relay unreachable',
        );
        clearTimeout(waited);
        done();
      });
      socket.on('close', () => {
        clearTimeout(expiry);
        clearTimeout(waited);
        if (this.open.get(key) === socket) this.open.delete(key);
        done();
      });
    });
  }

  stop(): void {
    for (const socket of this.open.values()) socket.terminate();
    this.open.clear();
  }
}

/** The frame's object as query parameters (values stringified as a query string would carry them). */
function toParameters(text: string): URLSearchParams | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const parameters = new URLSearchParams();
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined)
      parameters.set(key, typeof item === 'string' ? item : JSON.stringify(item));
  }
  return parameters;
}
