import type { Step } from '../http/route.js';
import type { TokenService } from '../tokens/service.js';
import { requireAcl } from './require-acl.js';

/** The steps of a tenant-scoped endpoint, from its ACL template and the steps of its own that follow. */
export type ScopedSteps = (template: string, ...after: Step[]) => Step[];

/**
 * The usual chain of a protected, tenant-scoped endpoint: `requireAcl` with the route's template, then
 * `scopingTenant` (the `resolveScopingTenant` step, which reads the token the first step accepted), then
 * the route's own steps (a visibility check…).
 */
export function scopedSteps(tokens: TokenService, scopingTenant: Step): ScopedSteps {
  return (template, ...after) => [requireAcl(tokens, template), scopingTenant, ...after];
}
