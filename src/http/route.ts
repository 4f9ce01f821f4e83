import type { HttpRequest, HttpResponse } from './request.js';
import type { Method } from './router.js';

/**
 * One step of an endpoint's chain (authenticate, check the ACL, resolve the tenant, validate the
 * body…): it reads or enriches the request, or throws an HttpError to answer early.
 */
export type Step = ((request: HttpRequest) => void | Promise<void>) & {
  /** Set by the authorization step: the ACL template it checks, for the API document. */
  readonly requiredAcl?: string;
};

export interface Route {
  method: Exclude<Method, 'OPTIONS'>;
  /** Pattern below the API prefix, e.g. `/users/{user_uuid:uuid}`. */
  path: string;
  /** The route reads a JSON body (forced parsing, as upstream). */
  readsBody?: boolean;
  /** The route reads the body itself (forms, uploads): `request.rawBody` holds its bytes, unparsed. */
  rawBody?: boolean;
  /** Documentation only: a one-line summary for the API document. */
  summary?: string;
  steps?: readonly Step[];
  handle(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
}

/** The ACL template a route requires, as its authorization step declares it (none: unauthenticated). */
export function requiredAclOf(route: Route): string | undefined {
  return route.steps?.find((step) => step.requiredAcl !== undefined)?.requiredAcl;
}
