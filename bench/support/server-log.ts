import { readFileSync } from 'node:fs';
import type { Target } from './targets.js';

interface Entry {
  level?: number;
  msg?: string;
  err?: { message?: string };
}

/** pino's `warn`. */
const WARN = 40;

/**
 * The warnings and errors a server logged (pino JSON lines in its output file), counted, so that a bench
 * can report what went wrong under load in a few lines rather than thousands of stack traces.
 */
export function serverTrouble(target: Target): string[] {
  const seen = new Map<string, { count: number; first: string }>();
  for (const line of readFileSync(target.logFile, 'utf8').split('\n')) {
    // Only warnings and errors are parsed: the access log's info lines are most of the file.
    if (!line.startsWith('{') || !/"level":[4-6]\d/.test(line)) continue;
    const entry = JSON.parse(line) as Entry;
    if ((entry.level ?? 0) < WARN) continue;
    const key = `${entry.level! >= 50 ? 'error' : 'warning'} "${entry.msg}"`;
    const known = seen.get(key);
    if (known) known.count++;
    else seen.set(key, { count: 1, first: entry.err?.message ?? '' });
  }
  return [...seen].map(
    ([key, { count, first }]) => `${key} x${count}${first ? `, first: ${first.slice(0, 200)}` : ''}`,
  );
}
