import { Policy, User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { Json } from '../http/errors.js';

/** Token metadata by purpose (tokens.md §2.1). */
export function userMetadata(user: User, xivoUuid: string | null): { [key: string]: Json } {
  return {
    uuid: user.uuid,
    tenant_uuid: user.tenant.uuid,
    auth_id: user.uuid,
    pbx_user_uuid: user.purpose === 'user' ? user.uuid : null,
    xivo_uuid: xivoUuid,
    purpose: user.purpose,
  };
}

/**
 * The ACL frozen into a new token (acl.md §5): the default (or deprecated per-backend) policy found by
 * name, then every policy of every group of the user, then the user's own policies; duplicates kept.
 */
export async function userAcl(
  orm: Database,
  userUuid: string,
  defaultPolicyName: string | null,
): Promise<string[]> {
  const em = orm.em.fork();
  const acl: string[] = [];
  if (defaultPolicyName) {
    const policy = await em.findOne(
      Policy,
      { name: defaultPolicyName },
      { populate: ['accesses'], orderBy: { uuid: 'asc' } },
    );
    if (policy) acl.push(...policy.accesses.getItems().map((access) => access.access));
  }
  const user = await em.findOne(
    User,
    { uuid: userUuid },
    { populate: ['groups.policies.accesses', 'policies.accesses'] },
  );
  if (!user) return acl;
  for (const group of user.groups) {
    for (const policy of group.policies)
      acl.push(...policy.accesses.getItems().map((access) => access.access));
  }
  for (const policy of user.policies) acl.push(...policy.accesses.getItems().map((access) => access.access));
  return acl;
}
