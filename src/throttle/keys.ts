import { createHash } from 'node:crypto';

/**
 * Fixed-size keys: memory per entry stays bounded whatever a client sends (multi-kilobyte logins,
 * forwarded addresses), and no login name or e-mail address is kept in memory.
 */
export function keyOf(prefix: string, value: string): string {
  return prefix + createHash('sha256').update(value).digest('base64url');
}
