import { DatabaseUnreachable, isDatabaseUnreachable } from '../db/unreachable.js';
import { HttpError } from '../http/errors.js';

/*
 * How a worker reaches the other workers of its machine. Workers are separate processes under one
 * primary (src/cluster/primary.ts), which forwards every message: a call names the worker that must run
 * a command (the owner of a shard) and gets its reply back.
 */

/**
 * An error as it crosses processes: API errors keep their status, headers and body; an unreachable
 * database stays one (the caller answers 503, not 500).
 */
export type WireError =
  | { http: true; status: number; headers: Record<string, string>; contentType: string; body: string }
  | { http: false; message: string; unreachable?: true };

export type WireMessage =
  | { kind: 'call'; id: number; from: number; to: number; command: string; payload: unknown }
  | { kind: 'reply'; id: number; to: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; to: number; ok: false; error: WireError };

/** An HTTP error thrown on another worker, answered as it was built there. */
class RelayedHttpError extends HttpError {
  override readonly contentType: string;
  constructor(private readonly wire: Extract<WireError, { http: true }>) {
    super(wire.status, `relayed ${wire.status}`, wire.headers);
    this.contentType = wire.contentType;
  }
  body(): string {
    return this.wire.body;
  }
}

export function toWire(error: unknown): WireError {
  if (error instanceof HttpError)
    return {
      http: true,
      status: error.status,
      headers: { ...error.headers },
      contentType: error.contentType,
      body: error.body(),
    };
  const message = error instanceof Error ? error.message : String(error);
  return isDatabaseUnreachable(error)
    ? { http: false, message, unreachable: true }
    : { http: false, message };
}

export function fromWire(error: WireError): Error {
  if (error.http) return new RelayedHttpError(error);
  const message = `on another worker: ${error.message}`;
  return error.unreachable ? new DatabaseUnreachable(message) : new Error(message);
}

/** FNV-1a: a stable 32-bit hash of a key, the same in every process and on every start. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

type Handler = (payload: unknown) => unknown;

/** The channel to the primary: `process.send` in a worker. */
export interface Channel {
  send(message: WireMessage): void;
  onMessage(listener: (message: WireMessage) => void): void;
}

/**
 * This worker's view of the cluster: which worker owns a key, calls to other workers, and the
 * commands this worker answers. A single process is a cluster of one, where every key is local.
 */
export class ClusterPeer {
  private readonly handlers = new Map<string, Handler>();
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 1;

  private constructor(
    readonly index: number,
    readonly count: number,
    private readonly channel: Channel | null,
    private readonly timeoutMs: number,
  ) {
    channel?.onMessage((message) => void this.receive(message));
  }

  static solo(): ClusterPeer {
    return new ClusterPeer(0, 1, null, 0);
  }

  static worker(index: number, count: number, channel: Channel, timeoutMs = 30_000): ClusterPeer {
    return new ClusterPeer(index, count, channel, timeoutMs);
  }

  /** The worker that owns `key`'s shard. */
  owner(key: string): number {
    return this.count === 1 ? 0 : hashKey(key) % this.count;
  }

  owns(key: string): boolean {
    return this.owner(key) === this.index;
  }

  /** Registers what this worker does when another one calls `command`. */
  handle(command: string, handler: Handler): void {
    this.handlers.set(command, handler);
  }

  /**
   * Runs `command` on worker `to` and resolves with its result (or rejects with its error). A caller
   * that would rather go without the answer than wait (a metrics scrape) gives a shorter `timeoutMs`.
   */
  call<T>(to: number, command: string, payload: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    if (!this.channel) return Promise.reject(new Error('no other worker in a single process'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${to} did not answer ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.channel!.send({ kind: 'call', id, from: this.index, to, command, payload });
    });
  }

  /** Runs `command` on every other worker; resolves once all have done it. */
  async broadcast(command: string, payload: unknown): Promise<void> {
    const others = Array.from({ length: this.count }, (_, i) => i).filter((i) => i !== this.index);
    await Promise.all(others.map((to) => this.call(to, command, payload)));
  }

  private async receive(message: WireMessage): Promise<void> {
    if (message.kind === 'reply') {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(fromWire(message.error));
      return;
    }
    const reply = (result: { ok: true; value: unknown } | { ok: false; error: WireError }) =>
      this.channel!.send({ kind: 'reply', id: message.id, to: message.from, ...result });
    const handler = this.handlers.get(message.command);
    if (!handler)
      return reply({ ok: false, error: { http: false, message: `unknown command ${message.command}` } });
    try {
      reply({ ok: true, value: (await handler(message.payload)) ?? null });
    } catch (error) {
      reply({ ok: false, error: toWire(error) });
    }
  }
}
