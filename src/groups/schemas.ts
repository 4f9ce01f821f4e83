import type { Json } from '../http/errors.js';
import {
  type ListEndpoint,
  loadOrInvalidData,
  optionalSlug,
  requiredText,
  type Schema,
  SLUG_PATTERN,
  schema,
} from '../validation/index.js';

const name = requiredText(128);

/** `POST /groups` (groups.md §2). A `null` slug, like an absent one, asks for a generated slug. */
export const groupPostSchema = schema({ name, slug: optionalSlug(80, SLUG_PATTERN) });

/** `PUT /groups/{group_uuid}`: only the name; a `slug` is ignored (it never changes). */
const groupPut = schema({ name });

export type GroupPost = typeof groupPostSchema extends Schema<infer O> ? O : never;
export type GroupPut = typeof groupPut extends Schema<infer O> ? O : never;

/** The body of `POST /groups`, or the `invalid-data` 400 of its first failing field. */
export const parseGroupPost = (body: Json | undefined): GroupPost =>
  loadOrInvalidData('groups', groupPostSchema, body);

/** The body of `PUT /groups/{group_uuid}`, or the `invalid-data` 400 of its first failing field. */
export const parseGroupPut = (body: Json | undefined): GroupPut =>
  loadOrInvalidData('groups', groupPut, body);

/** `GET /groups` (conventions.md §5): `slug` and `read_only` pass validation, then are refused as sorts. */
export const GROUP_LIST: ListEndpoint = {
  sortable: ['name', 'slug', 'uuid', 'read_only'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'slug', 'user_uuid', 'policy_uuid', 'policy_slug'],
  booleans: ['read_only'],
};

/** The sort columns upstream's group paginator knows; the others are its legacy 400. */
export const GROUP_SORT_COLUMNS: readonly string[] = ['name', 'uuid'];

/** `GET /users/{user_uuid}/groups` (users.md §3). */
export const USER_GROUP_LIST: ListEndpoint = {
  sortable: ['name', 'uuid'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'user_uuid'],
};

/** `GET /groups/{group_uuid}/users` (groups.md §2). */
export const GROUP_USER_LIST: ListEndpoint = {
  sortable: ['username'],
  defaultOrder: 'username',
  filters: ['uuid', 'username', 'firstname', 'lastname', 'purpose', 'email_address', 'group_uuid'],
};

/** `GET /groups/{group_uuid}/policies` (groups.md §2). */
export const GROUP_POLICY_LIST: ListEndpoint = {
  sortable: ['name', 'description', 'uuid'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'user_uuid', 'group_uuid', 'tenant_uuid'],
};
