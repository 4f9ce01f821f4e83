/*
 * What the access log may show of a request. Upstream logs every request with its URL; tokens travel in
 * URLs (`/token/<token>`, `?token=` in mailed links), so the URL is masked before it is written.
 */

const MASK = '…';

/** The segment after `/token/`, whatever follows the prefix and whatever the case. */
const TOKEN_SEGMENT = /(\/token\/)[^/?#]+/gi;
/** A URL no route claims may carry a token anywhere: every UUID in it is masked. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Query parameters whose values are secrets or one-time codes (mail links, OAuth2 and SAML returns). */
const SECRET_KEY = /token|password|passwd|secret|code|state|session|saml|key|auth/i;

/** `path` (with its API prefix) and `query` (without `?`) as the log may show them. */
export function maskedUrl(path: string, query: string, routed: boolean): string {
  let masked = path.replace(TOKEN_SEGMENT, `$1${MASK}`);
  if (!routed) masked = masked.replace(UUID, MASK);
  if (query === '') return masked;
  const parts = query.split('&').map((part) => {
    const equals = part.indexOf('=');
    const key = equals < 0 ? part : part.slice(0, equals);
    if (equals < 0) return routed ? part : part.replace(UUID, MASK);
    if (SECRET_KEY.test(safeDecode(key))) return `${key}=${MASK}`;
    return routed ? part : part.replace(UUID, MASK);
  });
  return `${masked}?${parts.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A client's `X-Request-Id` is kept when it is short plain text (it lands in logs and a header). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+=/@-]{1,128}$/;

/** Per process, so that ids from several workers or restarts do not collide in one log. */
const PREFIX = Math.floor(Math.random() * 0xffffffff)
  .toString(16)
  .padStart(8, '0');
let counter = 0;

export function requestId(sent: string | undefined): string {
  if (sent !== undefined && SANE_REQUEST_ID.test(sent)) return sent;
  return `${PREFIX}-${(counter++).toString(36)}`;
}

/** User agents are free text chosen by the client: bounded, so that one request cannot bloat the log. */
export function userAgent(value: string | undefined): string | undefined {
  return value === undefined || value.length <= 200 ? value : `${value.slice(0, 200)}${MASK}`;
}
