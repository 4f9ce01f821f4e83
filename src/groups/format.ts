import type { Group } from '../entities/index.js';
import type { Json } from '../http/errors.js';

type GroupJson = { [key: string]: Json };

/**
 * The group of `GET /groups/{uuid}`, list items and `GET /users/{uuid}/groups` (groups.md §1), keys in
 * the order upstream's query builds them; `read_only` is `system_managed` under its newer name.
 */
export function groupJson(group: Group): GroupJson {
  return {
    uuid: group.uuid,
    name: group.name,
    slug: group.slug,
    tenant_uuid: group.tenant.uuid,
    system_managed: group.systemManaged,
    read_only: group.systemManaged,
  };
}

/** `POST` and `PUT` answer the same keys in the order of upstream's group schema. */
export function writtenGroupJson(group: Group): GroupJson {
  return {
    uuid: group.uuid,
    tenant_uuid: group.tenant.uuid,
    name: group.name,
    slug: group.slug,
    read_only: group.systemManaged,
    system_managed: group.systemManaged,
  };
}
