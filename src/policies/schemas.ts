import { errors, type Json } from '../http/errors.js';
import {
  field,
  firstField,
  type ListEndpoint,
  length,
  regexp,
  type Schema,
  schema,
} from '../validation/index.js';

const SLUG_PATTERN = '^[a-zA-Z0-9_-]+$';

/** policies.md §1. A `null` slug, like an absent one, asks for a generated slug. */
const policyPost = schema({
  name: field
    .string()
    .validate(length({ min: 1, max: 80 }))
    .required(),
  slug: field
    .string()
    .validate(length({ min: 1, max: 80 }), regexp(SLUG_PATTERN))
    .default(null),
  description: field.string().default(null),
  acl: field.list(field.string()).default([]),
  shared: field.boolean().default(false),
});

/** The body of `POST /policies`, or the legacy 400 naming the first failing field. */
export function parsePolicyPost(body: Json | undefined): PolicyPost {
  const result = policyPost.load(body ?? null);
  if (!result.ok) throw errors.legacy(400, `Invalid value supplied for field: ${firstField(result.errors)}`);
  return result.value;
}

export type PolicyPost = typeof policyPost extends Schema<infer O> ? O : never;

/** `GET /policies` (conventions.md §5); `read_only` is accepted as a sort column, then refused. */
export const POLICY_LIST: ListEndpoint = {
  sortable: ['name', 'slug', 'description', 'uuid', 'read_only'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'slug', 'user_uuid', 'group_uuid', 'tenant_uuid'],
  booleans: ['read_only'],
};
