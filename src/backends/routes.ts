import { json } from '../http/request.js';
import type { Route } from '../http/route.js';

/** `GET /backends`: the authentication backends this server has loaded, as upstream lists its plugins. */
export function backendRoutes(loaded: readonly string[]): Route[] {
  return [{ method: 'GET', path: '/backends', handle: () => json({ data: [...loaded] }) }];
}
