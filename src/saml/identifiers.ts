import { createHash, randomBytes } from 'node:crypto';

/** `saml_session_id` (saml.md §3.2): 16 random bytes, URL-safe base64 without padding, 22 characters. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The RelayState of a login: URL-safe base64 with padding of SHA-256(`saml_session_id`), 44 characters.
 * It finds the session at the ACS without the browser's history ever holding the session id itself.
 */
export function relayStateOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A RelayState for a logout: the same shape, from a fresh random value (nothing to derive it from). */
export function newRelayState(): string {
  return relayStateOf(newSessionId());
}

/**
 * Upstream's domain-name rule for `POST /saml/sso`: at least two dot-separated labels of 1 to 63 letters,
 * digits or hyphens, none starting or ending with a hyphen, at most 253 characters, one trailing dot
 * tolerated.
 */
export function isDomainName(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return (
    labels.length >= 2 &&
    labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
  );
}

/** `url` with `parameter` added, after `&` when it already has a query (upstream always uses `?`). */
export function withQueryParameter(url: string, parameter: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}${parameter}${fragment}`;
}
