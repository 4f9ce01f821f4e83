import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

export { freePort } from '../../src/net/free-port.js';

/** Resident memory of a process (VmRSS), in KiB. */
export function residentKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
}

/**
 * The V8 inspector of a child started with `--inspect=127.0.0.1:PORT`: lets a bench force a full
 * collection and read the heap without any code of the measured server knowing about it. Only the
 * HeapProfiler and Runtime methods below are used, which enable no domain (so nothing is deoptimised).
 */
export class Inspector {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result);
      this.waiting.delete(message.id ?? -1);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new Inspector(socket);
  }

  private send<T>(method: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.waiting.set(id, resolve as (result: unknown) => void);
      this.socket.send(JSON.stringify({ id, method }));
    });
  }

  /** A full, compacting collection. */
  async collectGarbage(): Promise<void> {
    await this.send('HeapProfiler.collectGarbage');
  }

  /** Bytes used by live objects of the JavaScript heap (after a collection: by reachable ones). */
  async heapUsed(): Promise<number> {
    return (await this.send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
  }

  close(): void {
    this.socket.close();
  }
}
