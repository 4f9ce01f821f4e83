import { errors, type Json } from '../http/errors.js';
import {
  field,
  firstField,
  type ListEndpoint,
  optionalSlug,
  requiredText,
  type Schema,
  SLUG_PATTERN,
  schema,
} from '../validation/index.js';

const name = requiredText(80);
const description = field.string().default(null);
const acl = field.list(field.string()).default([]);

/** policies.md §1. A `null` slug, like an absent one, asks for a generated slug. */
const policyPost = schema({
  name,
  slug: optionalSlug(80, SLUG_PATTERN),
  description,
  acl,
  shared: field.boolean().default(false),
});

/**
 * `PUT /policies/{…}`: a full replacement of name, description and ACL; `slug` and `shared` cannot change
 * after creation, so they are neither read nor validated.
 */
const policyPut = schema({ name, description, acl });

export type PolicyPost = typeof policyPost extends Schema<infer O> ? O : never;
export type PolicyPut = typeof policyPut extends Schema<infer O> ? O : never;

/** A policy body, or the legacy 400 naming the first failing field (`_schema` for a non-object). */
function loadPolicyBody<O>(bodySchema: Schema<O>, body: Json | undefined): O {
  const result = bodySchema.load(body ?? null);
  if (!result.ok) throw errors.legacy(400, `Invalid value supplied for field: ${firstField(result.errors)}`);
  return result.value;
}

export const parsePolicyPost = (body: Json | undefined): PolicyPost => loadPolicyBody(policyPost, body);
export const parsePolicyPut = (body: Json | undefined): PolicyPut => loadPolicyBody(policyPut, body);

/** `GET /policies` (conventions.md §5); `read_only` is accepted as a sort column, then refused. */
export const POLICY_LIST: ListEndpoint = {
  sortable: ['name', 'slug', 'description', 'uuid', 'read_only'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'slug', 'user_uuid', 'group_uuid', 'tenant_uuid'],
  booleans: ['read_only'],
};
