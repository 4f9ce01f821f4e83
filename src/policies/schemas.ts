import { aclEntryProblem, MAX_ACL_ENTRY_LENGTH, MAX_ACL_ENTRY_WILDCARDS } from '../acl/index.js';
import { errors, type Json } from '../http/errors.js';
import {
  type ErrorInfo,
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
/**
 * Deliberate difference from upstream (issue #18): an ACL entry longer than `MAX_ACL_ENTRY_LENGTH` or with
 * more than `MAX_ACL_ENTRY_WILDCARDS` wildcards is refused (400 on the field `acl`), far above any real
 * entry, so that no policy can make token checks expensive.
 */
function aclEntryBounds(entry: string): ErrorInfo | undefined {
  const message = aclEntryProblem(entry);
  return message === undefined
    ? undefined
    : {
        message,
        constraint_id: 'acl_entry',
        constraint: { max_length: MAX_ACL_ENTRY_LENGTH, max_wildcards: MAX_ACL_ENTRY_WILDCARDS },
      };
}

const acl = field.list(field.string().validate(aclEntryBounds)).default([]);

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

/**
 * The `{access}` of `PUT /policies/{…}/acl/{access}`, bounded like the entries of a policy body: the
 * legacy 400 otherwise. Not applied to `DELETE`, so that an entry stored before the bounds can be removed.
 */
export function checkAccessParam(access: string): void {
  if (aclEntryProblem(access) !== undefined) {
    throw errors.legacy(400, 'Invalid value supplied for field: access');
  }
}

/** `GET /policies` (conventions.md §5); `read_only` is accepted as a sort column, then refused. */
export const POLICY_LIST: ListEndpoint = {
  sortable: ['name', 'slug', 'description', 'uuid', 'read_only'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'slug', 'user_uuid', 'group_uuid', 'tenant_uuid'],
  booleans: ['read_only'],
};
