import type { UserPurpose } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { Json } from '../http/errors.js';
import { Batcher } from './batching.js';

/** What a token's claims need to know of its user. */
export interface Claimant {
  uuid: string;
  purpose: UserPurpose;
  tenantUuid: string;
}

/** Token metadata by purpose (tokens.md §2.1). */
export function userMetadata(user: Claimant, xivoUuid: string | null): { [key: string]: Json } {
  return {
    uuid: user.uuid,
    tenant_uuid: user.tenantUuid,
    auth_id: user.uuid,
    pbx_user_uuid: user.purpose === 'user' ? user.uuid : null,
    xivo_uuid: xivoUuid,
    purpose: user.purpose,
  };
}

interface AclRequest {
  userUuid: string;
  defaultPolicyName: string | null;
}

interface AclRow {
  /** The user, or the default policy's name for `part` 0. */
  owner: string;
  /** 0: the default policy, 1: the user's groups' policies, 2: the user's own policies. */
  part: number | string;
  policy: string;
  access: string | null;
}

function append(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

/**
 * The ACL frozen into a new token (acl.md §5): the default (or deprecated per-backend) policy found by
 * name in the master tenant, then every policy of every group of the user, then the user's own policies;
 * duplicates kept. Within each part, entries come by group, policy and access. The ACLs of concurrent
 * logins are read by one query.
 */
export class UserAcls {
  private readonly batcher = new Batcher<AclRequest, string[]>((requests) => this.readBatch(requests));

  constructor(private readonly orm: Database) {}

  of(userUuid: string, defaultPolicyName: string | null): Promise<string[]> {
    return this.batcher.submit({ userUuid, defaultPolicyName });
  }

  private async readBatch(requests: AclRequest[]): Promise<string[][]> {
    const users = [...new Set(requests.map((request) => request.userUuid))];
    const names = [
      ...new Set(
        requests.flatMap((request) => (request.defaultPolicyName ? [request.defaultPolicyName] : [])),
      ),
    ];
    const byName =
      names.length === 0
        ? ''
        : `select p.name as owner, 0 as part, '' as grp, p.uuid as policy, a.id as access_id, a.access
           from auth_policy p
           join auth_tenant master on master.uuid = p.tenant_uuid and master.uuid = master.parent_uuid
           left join auth_policy_access pa on pa.policy_uuid = p.uuid
           left join auth_access a on a.id = pa.access_id
           where p.name in (${placeholders(names)})
           union all `;
    const rows: AclRow[] = await this.orm.em.getConnection().execute(
      `${byName}
       select ug.user_uuid as owner, 1 as part, ug.group_uuid as grp, gp.policy_uuid as policy,
         a.id as access_id, a.access
       from auth_user_group ug
       join auth_group_policy gp on gp.group_uuid = ug.group_uuid
       join auth_policy_access pa on pa.policy_uuid = gp.policy_uuid
       join auth_access a on a.id = pa.access_id
       where ug.user_uuid in (${placeholders(users)})
       union all
       select up.user_uuid as owner, 2 as part, '' as grp, up.policy_uuid as policy, a.id as access_id,
         a.access
       from auth_user_policy up
       join auth_policy_access pa on pa.policy_uuid = up.policy_uuid
       join auth_access a on a.id = pa.access_id
       where up.user_uuid in (${placeholders(users)})
       order by part, owner, grp, policy, access_id`,
      [...names, ...users, ...users],
    );
    const defaults = new Map<string, string[]>();
    const granted = new Map<string, string[]>();
    /**
     * The default policy is the master tenant's of that name (unique there): upstream looks the name up in
     * every tenant, so a sub-tenant could shadow the platform's default with a policy of its own.
     */
    const chosen = new Map<string, string>();
    for (const row of rows) {
      if (Number(row.part) !== 0) {
        append(granted, row.owner, row.access!);
        continue;
      }
      if (!chosen.has(row.owner)) {
        chosen.set(row.owner, row.policy);
        defaults.set(row.owner, []);
      }
      if (row.policy === chosen.get(row.owner) && row.access !== null)
        append(defaults, row.owner, row.access);
    }
    return requests.map(({ userUuid, defaultPolicyName }) => [
      ...((defaultPolicyName ? defaults.get(defaultPolicyName) : undefined) ?? []),
      ...(granted.get(userUuid) ?? []),
    ]);
  }
}
