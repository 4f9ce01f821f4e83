// The user's browser in an OAuth 2.0 authorization-code flow: it opens the authorization URL, keeps the
// provider's cookies, follows redirects through the provider's (automatic) login and consent steps, and
// stops at the redirect URI, where the code and state are, without loading it: the test decides where that
// URL goes (the relay, a fake, nowhere).

import { type ClientResponse, request } from './http.js';

export interface OpenOptions {
  /** The redirect URI: the first `Location` starting with this text ends the walk. */
  stopAt: string;
  /** Most redirects followed before giving up (default 15). */
  maxHops?: number;
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expiresAt: number;
}

/** The default cookie path of RFC 6265 §5.1.4: the request path up to its last `/`. */
function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class OAuth2Browser {
  private cookies: Cookie[] = [];
  /** Every URL requested, in order, for a failing test to print. */
  readonly visited: string[] = [];

  /**
   * GETs `url` and follows redirects until one points at `options.stopAt`; returns that URL, not requested.
   * Fails when a page that is not a redirect comes first (an error page, a form) or after `maxHops`.
   */
  async openAuthorization(url: string | URL, options: OpenOptions): Promise<URL> {
    const maxHops = options.maxHops ?? 15;
    let current = new URL(url);
    for (let hop = 0; hop <= maxHops; hop++) {
      const res = await this.get(current);
      const location = res.headers.location;
      if (res.status < 300 || res.status >= 400 || !location) {
        throw new Error(
          `expected a redirect towards ${options.stopAt}, got ${res.status} from ${current}: ${res.text.slice(0, 500)}`,
        );
      }
      const next = new URL(location, current);
      if (next.href.startsWith(options.stopAt)) return next;
      current = next;
    }
    throw new Error(
      `more than ${maxHops} redirects without reaching ${options.stopAt}: ${this.visited.join(' -> ')}`,
    );
  }

  /** A plain GET (the browser's cookies included), its redirect not followed. */
  async followTo(url: string | URL): Promise<ClientResponse> {
    return this.get(new URL(url));
  }

  /** Forgets every cookie: the next authorization starts with a fresh login. */
  clearCookies(): void {
    this.cookies = [];
  }

  private async get(url: URL): Promise<ClientResponse> {
    this.visited.push(url.href);
    const cookie = this.cookieHeader(url);
    const res = await request(url.origin, {
      path: `${url.pathname}${url.search}`,
      headers: cookie ? { cookie } : {},
    });
    this.store(url, res.headers['set-cookie'] ?? []);
    return res;
  }

  private cookieHeader(url: URL): string {
    const now = Date.now();
    this.cookies = this.cookies.filter((cookie) => cookie.expiresAt > now);
    return this.cookies
      .filter((cookie) => cookie.host === url.host && pathMatches(url.pathname, cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  private store(url: URL, headers: string[]): void {
    for (const header of headers) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, equals),
        value: pair.slice(equals + 1),
        host: url.host,
        path: defaultPath(url),
        expiresAt: Infinity,
      };
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split(/=(.*)/s);
        const name = key.toLowerCase();
        if (name === 'path' && value.startsWith('/')) cookie.path = value;
        else if (name === 'max-age' && /^-?\d+$/.test(value))
          cookie.expiresAt = Date.now() + Number(value) * 1000;
        else if (name === 'expires' && cookie.expiresAt === Infinity && !Number.isNaN(Date.parse(value))) {
          cookie.expiresAt = Date.parse(value);
        }
      }
      this.cookies = this.cookies.filter(
        (old) => !(old.name === cookie.name && old.host === cookie.host && old.path === cookie.path),
      );
      if (cookie.expiresAt > Date.now()) this.cookies.push(cookie);
    }
  }
}

/** A browser with an empty cookie jar. */
export const createBrowser = () => new OAuth2Browser();
