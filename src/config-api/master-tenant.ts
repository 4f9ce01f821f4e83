import { errors } from '../http/errors.js';
import type { Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';

/**
 * conventions.md §4 step 3, the top-tenant-only endpoints (`/config`): after `requireAcl`, the token's
 * `metadata.tenant_uuid` must be the master tenant, else a 401 whose `details` hold `invalid_token` only.
 * `Wazo-Tenant` plays no part: a master token passes whatever it says, a sub-tenant token never does.
 */
export function requireMasterTenant(hierarchy: TenantHierarchy): Step {
  return async (request) => {
    const token = request.locals.token!;
    if (token.record.metadata.tenant_uuid !== (await hierarchy.masterUuid())) {
      throw errors.unauthorized({ invalid_token: request.headers['x-auth-token'] ?? '' });
    }
  };
}
