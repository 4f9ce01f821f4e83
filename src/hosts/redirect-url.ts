import { type HostPort, parseHostPort } from './host-port.js';
import type { OwnedHosts } from './owned-hosts.js';

/** `auth_saml_session.redirect_url` is a varchar(512); no redirect target is longer. */
export const MAX_REDIRECT_URL = 512;

/** White space, control characters and backslashes: what browsers and parsers read differently. */
const AMBIGUOUS = /[\s\p{Cc}\\]/u;

/**
 * The host a browser sent to `text` lands on, when `text` is an absolute `http(s)://` URL that every
 * reader parses alike; null otherwise. Relative and scheme-relative URLs (`/x`, `//evil.example`), other
 * schemes (`javascript:`, `data:`), credentials (`https://a@b`) and ambiguous characters are refused:
 * the Location header carries the text unchanged, so it must mean one thing only.
 */
export function redirectHost(text: string): HostPort | null {
  if (text.length > MAX_REDIRECT_URL || AMBIGUOUS.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // `https:evil.example` parses as `https://evil.example/`; only the spelled-out form is taken.
  if (!text.toLowerCase().startsWith(`${url.protocol}//`)) return null;
  if (url.username !== '' || url.password !== '') return null;
  return parseHostPort(url.host);
}

/** Whether `text` is a redirect target (as `redirectHost` reads it) on a host the platform owns. */
export function isOwnedRedirect(text: string, owned: OwnedHosts): boolean {
  const target = redirectHost(text);
  return target !== null && owned.owns(target);
}
