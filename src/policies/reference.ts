import type { ScopedSteps } from '../authz/scoped.js';
import { errors, type LegacyError } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import type { Step } from '../http/route.js';
import { pythonRepr } from '../validation/index.js';

/** How a path names a policy: upstream has a UUID route and a slug route on the same pattern. */
export type PolicyRef = { uuid: string } | { slug: string };

const CANONICAL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * policies.md §4: canonical UUID text is tried as a UUID (so a slug that looks like a UUID cannot be
 * addressed by slug), anything else is a slug.
 */
export function policyRef(value: string): PolicyRef {
  return CANONICAL_UUID.test(value) ? { uuid: value.toLowerCase() } : { slug: value };
}

/** Upstream's path converter matches no empty segment, nor one that holds a `/` once decoded (`%2F`). */
function segmentOf(request: HttpRequest, param: string): string {
  const value = request.params[param] ?? '';
  if (value === '' || value.includes('/')) throw errors.notFound();
  return value;
}

/**
 * The first step of routes with a `{param}` naming a policy, reading it as upstream's URL converters do:
 * an empty segment, or one that holds a `/` once decoded, matches no route (HTML 404); a UUID reaches the
 * required-ACL template in lower case, so `auth.policies.<UUID>.read` never shows capitals.
 */
export function readPolicyParam(param: string): Step {
  return (request) => {
    const value = segmentOf(request, param);
    if (CANONICAL_UUID.test(value)) request.params[param] = value.toLowerCase();
  };
}

/**
 * The steps of routes naming a policy in their `{policy}` segment (the policy routes, the user↔policy and
 * group↔policy links): the segment is read first, so that the ACL template `<aclPrefix>.<action>` renders a
 * UUID in lower case, then the scoped chain.
 */
export function policyParamSteps(scoped: ScopedSteps, aclPrefix: string): (action: string) => Step[] {
  return (action) => [readPolicyParam('policy'), ...scoped(`${aclPrefix}.${action}`)];
}

/** The `{access}` segment of `/policies/{…}/acl/{access}`: taken as decoded (`%23` is `#`), never recased. */
export function readAccessParam(param: string): Step {
  return (request) => {
    segmentOf(request, param);
  };
}

/** The legacy 404, with the lookup criteria printed as the Python dict upstream formats. */
export function noSuchPolicy(ref: PolicyRef): LegacyError {
  return errors.legacy(404, `No such policy ${pythonRepr(ref)}`);
}
