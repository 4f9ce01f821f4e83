/** What a masked secret reads as. */
export const MASKED = '********';

/** Keys whose string value is a secret in itself. */
const SECRET_KEY = /password|secret|passphrase|api_key/i;

/**
 * The password of a URI with credentials (`scheme://user:password@host…`), masked up to the last `@` of
 * the authority (a password may hold an unescaped `@`); other strings as they are.
 */
export function maskUriPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^/\s]*@/i, `$1:${MASKED}@`);
}

/**
 * The configuration as it may be shown (`GET /config`): every value under a key naming a secret, and the
 * password of every URI, masked; the structure and every other value unchanged.
 */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string')
    return SECRET_KEY.test(key) && value !== '' ? MASKED : maskUriPassword(value);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskSecrets(item, name)]));
  return value;
}
