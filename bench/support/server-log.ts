import type { Readable } from 'node:stream';

interface Entry {
  level?: number;
  msg?: string;
  err?: { message?: string };
}

/** pino's `warn`. */
const WARN = 40;

/**
 * Counts the warnings and errors a server logs (pino JSON lines on `stream`), so that a bench can
 * report what went wrong under load in a few lines rather than thousands of stack traces.
 */
export function watchServerLog(stream: Readable): () => string[] {
  const seen = new Map<string, { count: number; first: string }>();
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Entry;
      if ((entry.level ?? 0) < WARN) continue;
      const key = `${entry.level! >= 50 ? 'error' : 'warning'} "${entry.msg}"`;
      const known = seen.get(key);
      if (known) known.count++;
      else seen.set(key, { count: 1, first: entry.err?.message ?? '' });
    }
  });
  return () =>
    [...seen].map(
      ([key, { count, first }]) => `${key} x${count}${first ? `, first: ${first.slice(0, 200)}` : ''}`,
    );
}
