import FindMyWay from 'find-my-way';
import type { Route } from './route.js';

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

const UUID_SOURCE = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export type RouteMatch =
  | { kind: 'route'; route: Route; params: Record<string, string>; bodyless: boolean }
  | { kind: 'options'; allow: string }
  | { kind: 'wrong-method'; allow: string }
  | { kind: 'none' };

interface Stored {
  route: Route;
  uuidParams: readonly string[];
}

/**
 * Route patterns use the spec's braces: `{name}` is any segment, `{name:uuid}` only canonical UUID text
 * (anything else in that slot is an unmatched URL, as upstream's converter makes it).
 */
function toFindMyWay(pattern: string): { path: string; uuidParams: string[] } {
  const uuidParams: string[] = [];
  const path = pattern.replace(/\{(\w+)(?::(uuid))?\}/g, (_whole, name: string, kind?: string) => {
    if (kind !== 'uuid') return `:${name}`;
    uuidParams.push(name);
    return `:${name}(^${UUID_SOURCE}$)`;
  });
  return { path, uuidParams };
}

/** Method dispatch with upstream's (werkzeug's) rules for HEAD, OPTIONS and 405. */
export class Router {
  private readonly tree = FindMyWay({
    caseSensitive: true,
    ignoreTrailingSlash: false,
    maxParamLength: 4096,
  });

  add(route: Route): void {
    const { path, uuidParams } = toFindMyWay(route.path);
    const stored: Stored = { route, uuidParams };
    this.tree.on(route.method, path, () => undefined, stored);
  }

  private find(method: Method, path: string) {
    const found = this.tree.find(method, path);
    if (!found) return null;
    const { route, uuidParams } = found.store as Stored;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(found.params)) {
      if (value === undefined) continue;
      // No name, slug or id of this API holds a NUL, and the database refuses it in text: not found.
      if (value.includes('\u0000')) return null;
      params[key] = uuidParams.includes(key) ? value.toLowerCase() : value;
    }
    return { route, params };
  }

  /** Methods served at `path`, implicit ones included: HEAD wherever GET is, OPTIONS everywhere. */
  allowed(path: string): Method[] {
    const methods = new Set<Method>();
    for (const method of METHODS) {
      if (method !== 'OPTIONS' && this.find(method, path)) methods.add(method);
    }
    if (methods.size === 0) return [];
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return METHODS.filter((method) => methods.has(method));
  }

  match(method: string, path: string): RouteMatch {
    if ((METHODS as readonly string[]).includes(method) && method !== 'OPTIONS') {
      const direct = this.find(method as Method, path);
      if (direct) return { kind: 'route', ...direct, bodyless: method === 'HEAD' };
      if (method === 'HEAD') {
        const viaGet = this.find('GET', path);
        if (viaGet) return { kind: 'route', ...viaGet, bodyless: true };
      }
    }
    const allow = this.allowed(path);
    if (allow.length === 0) return { kind: 'none' };
    return { kind: method === 'OPTIONS' ? 'options' : 'wrong-method', allow: allow.join(', ') };
  }
}
