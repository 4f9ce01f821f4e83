import { CLOSE, type Close, type ProtocolVersion } from './frames.js';

/** What the upgrade request asks for, or how the connection must be closed (websocket.md §1.1, §2). */
export type Handshake = { version: ProtocolVersion; token: string } | { close: Close };

/** Python's `int()` text: surrounding blanks, a sign, digits with single underscores between them. */
const PYTHON_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/** The first non-blank value of a query parameter (upstream drops blank values). */
function first(query: URLSearchParams, name: string): string | null {
  return query.getAll(name).find((value) => value !== '') ?? null;
}

/**
 * The checks upstream makes before looking the token up, in its order: the `version` (absent: 1; an
 * integer other than 1 or 2: 4004; not an integer: 1011, as upstream), then a token from the query,
 * else from the `X-Auth-Token` header (4001 when neither has one).
 */
export function readHandshake(queryString: string, authHeader: string): Handshake {
  const query = new URLSearchParams(queryString);
  const version = first(query, 'version');
  let parsed: ProtocolVersion = 1;
  if (version !== null) {
    if (!PYTHON_INT.test(version)) return { close: CLOSE.unexpected };
    const number = Number(version.replaceAll('_', '').trim());
    if (number !== 1 && number !== 2) return { close: CLOSE.protocolError };
    parsed = number;
  }
  const token = first(query, 'token') ?? (authHeader === '' ? null : authHeader);
  return token === null ? { close: CLOSE.noToken } : { version: parsed, token };
}
