import { pino } from 'pino';
import type { Logger } from './logger.js';

interface LineSink {
  write(text: string): unknown;
}

/** Every batch not yet written, so that one exit hook serves all the loggers of a process. */
const unwritten = new Set<() => void>();
let exitHooked = false;

/**
 * A logger writing to `root`'s destination, one write per event-loop turn instead of one per line: the
 * access log of a busy server costs a system call per batch of requests. Its level is checked by the
 * caller against `root` (which `PATCH /config` changes); this logger itself lets everything through.
 * Lines still pending are written at exit; a crash loses at most one turn's lines.
 */
export function batchedLogger(root: Logger, bindings: Record<string, unknown>): Logger {
  const destination = (root as unknown as Record<symbol, LineSink>)[pino.symbols.streamSym]!;
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    unwritten.delete(flush);
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    destination.write(text);
  };
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const pendingFlush of unwritten) pendingFlush();
    });
  }
  const sink = {
    write(line: string) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        unwritten.add(flush);
        setImmediate(flush);
      }
    },
  };
  // The root's bindings (service, and a worker's index) as every other line of the process has them.
  return pino({ level: 'trace', base: { ...root.bindings(), ...bindings } }, sink);
}
