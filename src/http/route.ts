import type { HttpRequest, HttpResponse } from './request.js';
import type { Method } from './router.js';

/**
 * One step of an endpoint's chain (authenticate, check the ACL, resolve the tenant, validate the
 * body…): it reads or enriches the request, or throws an HttpError to answer early.
 */
export type Step = (request: HttpRequest) => void | Promise<void>;

export interface Route {
  method: Exclude<Method, 'OPTIONS'>;
  /** Pattern below the API prefix, e.g. `/users/{user_uuid:uuid}`. */
  path: string;
  /** The route reads a JSON body (forced parsing, as upstream). */
  readsBody?: boolean;
  steps?: readonly Step[];
  handle(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
}
