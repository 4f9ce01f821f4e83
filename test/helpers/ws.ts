// A client of the wazo-websocketd protocol (websocket.md) for tests: a real `ws` socket that keeps every
// frame it receives, so that a test can read them in order, wait for the n-th one, or for the close.

import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** How the server closed the socket; 1006 when no close frame came (or the upgrade failed). */
export interface Closed {
  code: number;
  reason: string;
}

/** A server frame parsed from its JSON text: a control message (`op`), or a v1 event body. */
export type Frame = { [key: string]: unknown };

export interface ConnectOptions {
  /** Below the server's base URL; clients use `/api/websocketd/` (the default). */
  path?: string;
  /** Query parameters in order, or the raw query text (without `?`). */
  query?: Record<string, string> | string;
  /** Extra upgrade request headers (`X-Auth-Token`). */
  headers?: Record<string, string>;
}

/** What a tap test offers to clean up after it. */
type Teardown = { teardown(fn: () => unknown): void };

/** Default wait for a frame or a close; generous, as a whole test file's server shares two cores. */
const WAIT_MS = 5000;

function wsUrl(base: string, { path = '/api/websocketd/', query = {} }: ConnectOptions): string {
  const url = new URL(path, base.replace(/^http/, 'ws'));
  url.search = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  return url.toString();
}

/** The version an `init` frame announces; undefined for any other text. */
function initVersion(text: string): 1 | 2 | undefined {
  try {
    const frame = JSON.parse(text) as Frame;
    return frame.op === 'init' ? (frame.data as { version: 1 | 2 }).version : undefined;
  } catch {
    return undefined;
  }
}

/** A protocol control message `{"op", "code": 0, "data"}` as §4.1 defines them. */
export const control = (op: string, data: unknown = null): Frame => ({ op, code: 0, data });

export class PushClient {
  /** The text of every frame received, in arrival order. */
  readonly texts: string[] = [];
  /** The status of the answer to the upgrade request (101 when it succeeded). */
  readonly status: Promise<number>;
  /** Settles when the socket is closed, by either side. */
  readonly closed: Promise<Closed>;
  /** The version `init` announced, once it arrived. */
  version: 1 | 2 | undefined;
  private readonly socket: WebSocket;
  private cursor = 0;
  private outcome: Closed | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(base: string, options: ConnectOptions = {}) {
    this.socket = new WebSocket(wsUrl(base, options), { headers: options.headers ?? {} });
    this.status = new Promise((resolve) => {
      this.socket.once('upgrade', (res) => resolve(res.statusCode ?? 0));
      this.socket.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
    });
    this.closed = new Promise((resolve) => {
      this.socket.on('close', (code, reason) => {
        this.outcome = { code, reason: reason.toString('utf8') };
        resolve(this.outcome);
        this.wake();
      });
    });
    // A refused upgrade or a reset connection also ends in 'close' (1006); the error itself is expected.
    this.socket.on('error', () => {});
    this.socket.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length} bytes>` : data.toString();
      this.texts.push(text);
      if (this.texts.length === 1) this.version = initVersion(text);
      this.wake();
    });
  }

  /** Resolves once the WebSocket is open (after the 101). */
  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
    });
  }

  /** Sends a text frame: a string as is, anything else as its JSON. */
  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends raw bytes in a binary frame, or in a text frame without any UTF-8 check. */
  sendBytes(bytes: Buffer, binary: boolean): void {
    this.socket.send(bytes, { binary });
  }

  /** The `index`-th frame received (0 is `init`), parsed, waiting up to `timeoutMs` for it. */
  async frame(index: number, timeoutMs = WAIT_MS): Promise<Frame> {
    await this.until(() => this.texts.length > index, `frame #${index}`, timeoutMs);
    return JSON.parse(this.texts[index]!) as Frame;
  }

  /** The next frame not read yet by `next`/`drain`, parsed. */
  async next(timeoutMs = WAIT_MS): Promise<Frame> {
    const frame = await this.frame(this.cursor, timeoutMs);
    this.cursor++;
    return frame;
  }

  /** The frames not read yet by `next`/`drain`, without waiting for any; they count as read. */
  unread(): Frame[] {
    const frames = this.texts.slice(this.cursor).map((text) => JSON.parse(text) as Frame);
    this.cursor = this.texts.length;
    return frames;
  }

  /**
   * A round trip through the connection's op queue, after which every frame the server sent before
   * it is here: the unread frames before the reply are returned (and count as read). v2 uses a `ping`;
   * v1 answers no ping, so it sends a repeated `start` (answered in both versions): on v1, only once
   * the client has started.
   */
  async drain(timeoutMs = WAIT_MS): Promise<Frame[]> {
    if (this.version === undefined) throw new Error('drain before init');
    const payload = randomUUID();
    const isReply =
      this.version === 2
        ? (frame: Frame) => frame.op === 'pong' && (frame.data as { payload?: unknown }).payload === payload
        : (frame: Frame) => frame.op === 'start' && frame.code === 0 && frame.data === null;
    this.send(this.version === 2 ? { op: 'ping', data: { payload } } : { op: 'start' });
    const frames: Frame[] = [];
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (isReply(frame)) return frames;
      frames.push(frame);
    }
  }

  /** How the socket was closed, waiting up to `timeoutMs`; rejects if it stays open. */
  async closing(timeoutMs = WAIT_MS): Promise<Closed> {
    await this.until(() => this.outcome !== undefined, 'the close', timeoutMs, false);
    return this.outcome!;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Closes from the client side (1000), without waiting. */
  close(): void {
    if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    else this.socket.close(1000);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Waits for `ready`; fails early if the socket closes first (unless waiting for the close). */
  private until(ready: () => boolean, what: string, timeoutMs: number, failOnClose = true): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) return settle(resolve);
        if (failOnClose && this.outcome) settle(() => reject(this.failure(`closed before ${what}`)));
      };
      const timer = setTimeout(
        () => settle(() => reject(this.failure(`no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const settle = (done: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        done();
      };
      this.waiters.add(check);
      check();
    });
  }

  private failure(message: string): Error {
    const close = this.outcome ? ` (close ${this.outcome.code} ${JSON.stringify(this.outcome.reason)})` : '';
    return new Error(`${message}${close}; frames: ${JSON.stringify(this.texts).slice(0, 2000)}`);
  }
}

/** Opens a client; every socket opened through a test's `t` is closed at its teardown. */
export function connect(t: Teardown, base: string, options: ConnectOptions = {}): PushClient {
  const client = new PushClient(base, options);
  t.teardown(() => client.close());
  return client;
}

export interface SessionOptions {
  version?: 1 | 2;
  /** Event names to subscribe to before `start` (default `*`). */
  subscribe?: readonly string[];
  path?: string;
}

/**
 * A connection with `token` that subscribed and started, every reply read: what follows is events
 * (and answers to what the test sends). Unexpected frames throw: this is a set-up step.
 */
export async function startedSession(
  t: Teardown,
  base: string,
  token: string,
  { version = 2, subscribe = ['*'], path }: SessionOptions = {},
): Promise<PushClient> {
  const client = connect(t, base, { query: { token, version: String(version) }, ...(path ? { path } : {}) });
  const expect = async (op: string) => {
    const frame = await client.next();
    if (frame.op !== op) throw new Error(`expected ${op}, got ${JSON.stringify(frame)}`);
  };
  await expect('init');
  for (const name of subscribe) client.send({ op: 'subscribe', data: { event_name: name } });
  client.send({ op: 'start' });
  for (let i = 0; i < subscribe.length; i++) await expect('subscribe');
  await expect('start');
  return client;
}

/** An event frame's bus message body: v2 unwraps `{"op":"event"}`, v1 frames are the body. */
export function eventBody(frame: Frame): Frame {
  return frame.op === 'event' ? (frame.data as Frame) : frame;
}
