import anyAscii from 'any-ascii';
import { User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { INTERNAL_AUTH_ID, type LiveToken } from './record.js';

/** The current tenant of a token's user (null once the user is deleted). */
export async function userTenant(orm: Database, userUuid: string): Promise<string | null> {
  const user = await orm.em.fork().findOne(User, { uuid: userUuid }, { fields: ['tenant'] });
  return user?.tenant.uuid ?? null;
}

/** tokens.md §4 step 2: the 403 message shows the access transliterated to ASCII. */
export function checkScope(token: LiveToken, scope: string | undefined): void {
  if (scope !== undefined && !token.matcher.allows(scope)) {
    throw errors.legacy(403, `Unauthorized for ${anyAscii(scope)}`);
  }
}

/**
 * tokens.md §4 step 3: the token's owner may act in `tenant` when it is its current tenant or a
 * descendant. Internal tokens skip the test; a deleted owner is a 404 unknown-user.
 */
export async function checkTenant(
  orm: Database,
  hierarchy: TenantHierarchy,
  token: LiveToken,
  tenant: string | null | undefined,
): Promise<void> {
  if (!tenant || token.record.authId === INTERNAL_AUTH_ID) return;
  const owner = await userTenant(orm, token.record.authId);
  if (owner === null) throw errors.unknown('users', token.record.authId);
  if (!(await hierarchy.isSubtenant(tenant, owner)))
    throw errors.legacy(403, `Unauthorized for tenant ${tenant}`);
}
