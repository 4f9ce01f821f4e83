// Reading what provisioning wrote, and starting the server again on the same database.
import type { App } from '../../src/app.js';
import type { Config } from '../../src/config/index.js';
import { allUsersGroupName } from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import { startServer } from '../helpers/app.js';
import type { LogSink } from '../helpers/server.js';

export interface Started {
  app: App;
  logs: LogSink;
}

/** The whole server on an existing database (a restart), with `configure` applied to its configuration. */
export const startOn = (uri: string, configure: (config: Config) => void): Promise<Started> =>
  startServer(uri, configure);

export type Row = Record<string, unknown>;

const rows = (orm: Database, sql: string, params: unknown[] = []) =>
  orm.em.fork().execute<Row[]>(sql, params);

/** A policy by slug in a tenant, with its ACL sorted; null when there is none. */
export async function policyRow(
  orm: Database,
  slug: string,
  tenant: string,
): Promise<(Row & { uuid: string; acl: string[] }) | null> {
  const [policy] = await rows(
    orm,
    `select "uuid", "name", "slug", "description", "config_managed", "shared" from "auth_policy"
      where "slug" = ? and "tenant_uuid" = ?`,
    [slug, tenant],
  );
  if (!policy) return null;
  const acl = await rows(
    orm,
    `select "a"."access" from "auth_policy_access" "pa" join "auth_access" "a" on "a"."id" = "pa"."access_id"
      where "pa"."policy_uuid" = ? order by 1`,
    [policy.uuid],
  );
  return { ...policy, uuid: String(policy.uuid), acl: acl.map((row) => String(row.access)) };
}

/** The slugs of the policies of a tenant's group (by name), sorted; null when the group does not exist. */
export async function groupPolicies(orm: Database, name: string, tenant: string): Promise<string[] | null> {
  const [group] = await rows(orm, 'select "uuid" from "auth_group" where "name" = ? and "tenant_uuid" = ?', [
    name,
    tenant,
  ]);
  if (!group) return null;
  const linked = await rows(
    orm,
    `select "p"."slug" from "auth_group_policy" "gp" join "auth_policy" "p" on "p"."uuid" = "gp"."policy_uuid"
      where "gp"."group_uuid" = ? order by 1`,
    [group.uuid],
  );
  return linked.map((row) => String(row.slug));
}

export const allUsersPolicies = (orm: Database, tenant: string) =>
  groupPolicies(orm, allUsersGroupName(tenant), tenant);

/** Every row provisioning may touch, in a stable order: equal snapshots mean nothing was written. */
export async function snapshot(orm: Database): Promise<Record<string, Row[]>> {
  return {
    policies: await rows(
      orm,
      `select "uuid", "name", "slug", "description", "tenant_uuid", "config_managed", "shared"
        from "auth_policy" order by "uuid"`,
    ),
    policyAccess: await rows(orm, 'select * from "auth_policy_access" order by 1, 2'),
    accesses: await rows(orm, 'select * from "auth_access" order by "id"'),
    groups: await rows(
      orm,
      'select "uuid", "name", "slug", "tenant_uuid", "system_managed" from "auth_group" order by "uuid"',
    ),
    groupPolicy: await rows(orm, 'select * from "auth_group_policy" order by 1, 2'),
    userPolicy: await rows(orm, 'select * from "auth_user_policy" order by 1, 2'),
  };
}

/** Log lines (parsed) whose message contains `text`. */
export function logged(logs: LogSink, text: string): Row[] {
  return logs.lines.map((line) => JSON.parse(line) as Row).filter((line) => String(line.msg).includes(text));
}
