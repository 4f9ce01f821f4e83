import { USER_PURPOSES } from '../entities/index.js';
import { errors, type Json } from '../http/errors.js';
import { field, firstError, type ListEndpoint, length, type Schema, schema } from '../validation/index.js';

/**
 * `POST /users` (users.md §3), fields in upstream's schema order, which decides the field an
 * `invalid-data` error names. `authentication_method` is any string here; its value is checked after.
 */
export const userPostSchema = schema({
  username: field
    .string()
    .validate(length({ min: 1, max: 256 }))
    .default(null),
  firstname: field.string().default(null),
  lastname: field.string().default(null),
  purpose: field.choice(USER_PURPOSES).default('user'),
  authentication_method: field.string(),
  enabled: field.boolean().default(true),
  uuid: field.uuid(),
  password: field
    .string()
    .validate(length({ min: 1 }))
    .nullable(),
  email_address: field.email().nullable(),
});

export type UserPost = typeof userPostSchema extends Schema<infer O> ? O : never;

/** The body of `POST /users`, or the `invalid-data` 400 of its first failing field. */
export function parseUserPost(body: Json | undefined): UserPost {
  const result = userPostSchema.load(body ?? null);
  if (result.ok) return result.value;
  const { message, details } = firstError(result.errors);
  throw errors.invalidData('users', details, message);
}

/** `GET /users` (conventions.md §5). */
export const USER_LIST: ListEndpoint = {
  sortable: ['username', 'firstname', 'lastname'],
  defaultOrder: 'username',
  filters: [
    'uuid',
    'username',
    'firstname',
    'lastname',
    'purpose',
    'email_address',
    'group_uuid',
    'policy_uuid',
    'policy_slug',
    'has_policy_uuid',
    'has_policy_slug',
  ],
};

/** `GET /users/{user_uuid}/policies` (users.md §3). */
export const USER_POLICY_LIST: ListEndpoint = {
  sortable: ['name', 'description', 'uuid'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'user_uuid', 'group_uuid', 'tenant_uuid'],
};
