import { readFileSync } from 'node:fs';

/** Descriptors kept for everything but WebSocket clients: database pool, broker, HTTP, files. */
const RESERVE = 512;

/** The soft open-files limit of this process (Linux), or null when it cannot be read. */
function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

/**
 * How many WebSocket connections this process accepts: the configured number, else what the open-files
 * limit leaves after a reserve. Past it, new connections are refused (503) rather than starving the
 * database of descriptors.
 */
export function connectionCapacity(configured: number | null): number {
  if (configured !== null) return configured;
  const limit = openFilesLimit();
  return limit === null ? Number.POSITIVE_INFINITY : Math.max(64, limit - RESERVE);
}
