import { Budget, OVERLAP_BUDGET } from '../acl/overlap.js';
import { errors } from '../http/errors.js';
import type { LiveToken } from '../tokens/record.js';

/*
 * The privilege-escalation guard (acl.md §4): whoever writes a policy or links one must already hold what
 * it grants, so a token can never hand out more than it has. The first refused entry, as written, is
 * reported; the 401 carries no `reason` nor `tenant_uuid`, unlike the ACL check of the route itself.
 */

function refuse(token: LiveToken, access: string): never {
  throw errors.unauthorized({ invalid_token: token.record.token, required_access: access });
}

/**
 * Every entry must be one the caller may add (its own grants, none overlapping its own restrictions;
 * restrictions are free). One work budget for the whole decision (overlap.ts).
 */
export function assertMayAdd(token: LiveToken, accesses: Iterable<string>): void {
  const budget = new Budget(OVERLAP_BUDGET);
  for (const access of accesses) if (!token.matcher.mayAdd(access, budget)) refuse(token, access);
}

/** Every entry must be one the caller may remove (removing `!x` needs `x`). */
export function assertMayRemove(token: LiveToken, accesses: Iterable<string>): void {
  const budget = new Budget(OVERLAP_BUDGET);
  for (const access of accesses) if (!token.matcher.mayRemove(access, budget)) refuse(token, access);
}
