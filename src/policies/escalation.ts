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

/** Every entry must be one the caller may add (its own grants; restrictions are free). */
export function assertMayAdd(token: LiveToken, accesses: Iterable<string>): void {
  for (const access of accesses) if (!token.matcher.mayAdd(access)) refuse(token, access);
}

/** Every entry must be one the caller may remove (removing `!x` needs `x`). */
export function assertMayRemove(token: LiveToken, accesses: Iterable<string>): void {
  for (const access of accesses) if (!token.matcher.mayRemove(access)) refuse(token, access);
}
