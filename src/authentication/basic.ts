import { TextDecoder } from 'node:util';

export interface Credentials {
  login: string;
  password: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `Authorization: Basic …` as upstream reads it (conventions.md §2): decoded as UTF-8, else Latin-1;
 * split at the first `:`; both parts non-empty. Anything else is "no credentials".
 */
export function parseBasicAuth(header: string | undefined): Credentials | null {
  if (!header) return null;
  const match = /^basic\s+(\S+)\s*$/i.exec(header);
  if (!match) return null;
  const bytes = Buffer.from(match[1]!, 'base64');
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    decoded = bytes.toString('latin1');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const login = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return login && password ? { login, password } : null;
}
