// A fake of the wazo-oauth2 relay (external-auth.md §7): the public page a provider redirects the browser
// to, which hands the callback over a websocket the auth server opened beforehand for that state. Like the
// real relay it sends only `{"code": …}` (the state is the socket's); `forward: 'query'` sends the whole
// query instead, and `frame` lets a test send what it likes.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface OAuth2Relay {
  /** `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** `ws://127.0.0.1:PORT`: what the server's `<type>.websocket_host` points at. */
  wsBase: string;
  /** The redirect URI to register for `authType`: `${baseUrl}/${authType}/authorize`. */
  redirectUri(authType: string): string;
  /** The states an open socket waits on. */
  waiting(): string[];
  /** Resolves once a socket waits on `state` (at once if one already does); rejects after `timeoutMs`. */
  waitFor(state: string, timeoutMs?: number): Promise<void>;
  /** Every frame sent, in order, with the state whose socket got it. */
  delivered: { state: string; message: Record<string, string> }[];
  /** Closes every socket and the listener. */
  stop(): Promise<void>;
}

type Teardown = { teardown(fn: () => unknown): void };

export interface RelayOptions {
  /** What a frame holds: the code alone (the real relay; the default) or every query parameter. */
  forward?: 'code' | 'query';
  /** Overrides the frame sent for a callback's query, whatever `forward` says. */
  frame?: (query: Record<string, string>) => Record<string, string>;
}

/** Starts the relay on an ephemeral loopback port, stopped at `t`'s teardown. */
export async function startOAuth2Relay(t: Teardown, options: RelayOptions = {}): Promise<OAuth2Relay> {
  const frameOf =
    options.frame ??
    (options.forward === 'query'
      ? (query: Record<string, string>) => query
      : (query: Record<string, string>) => (query.code === undefined ? query : { code: query.code }));
  const sockets = new Map<string, WebSocket>();
  const watchers = new Map<string, Set<() => void>>();
  const delivered: OAuth2Relay['delivered'] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    const route = /^\/([^/]+)\/authorize$/.exec(url.pathname);
    if (req.method !== 'GET' || !route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const query = Object.fromEntries(url.searchParams);
    const state = query.state ?? '';
    const message = frameOf(query);
    const socket = sockets.get(state);
    if (socket?.readyState !== WebSocket.OPEN) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`nobody waits for state ${state}\n`);
      return;
    }
    socket!.send(JSON.stringify(message));
    delivered.push({ state, message });
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end('Authorization received, you can close this page.\n');
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const route = /^\/ws\/([^/?]+)/.exec(req.url ?? '');
    if (!route?.[1]) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const state = decodeURIComponent(route[1]);
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(state, ws);
      ws.on('close', () => {
        if (sockets.get(state) === ws) sockets.delete(state);
      });
      for (const wake of watchers.get(state) ?? []) wake();
      watchers.delete(state);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  t.teardown(stop);

  const isWaiting = (state: string) => sockets.get(state)?.readyState === WebSocket.OPEN;

  return {
    baseUrl,
    wsBase: `ws://127.0.0.1:${port}`,
    redirectUri: (authType) => `${baseUrl}/${authType}/authorize`,
    waiting: () => [...sockets.keys()].filter(isWaiting),
    waitFor: (state, timeoutMs = 5000) => {
      if (isWaiting(state)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.get(state)?.delete(wake);
          reject(
            new Error(
              `no websocket waited on /ws/${state} within ${timeoutMs} ms (waiting: ${[...sockets.keys()].join(', ') || 'none'})`,
            ),
          );
        }, timeoutMs);
        const set = watchers.get(state) ?? new Set();
        set.add(wake);
        watchers.set(state, set);
      });
    },
    delivered,
    stop,
  };
}
