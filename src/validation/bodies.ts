/*
 * What several resources' body schemas share: text and slug fields with the same constraints, and the
 * `invalid-data` 400 their parse functions throw. Each resource still declares its own schema, in
 * upstream's field order, which decides the field an error names.
 */
import { errors, type Json } from '../http/errors.js';
import { firstError } from './errors.js';
import { string } from './fields.js';
import type { Schema } from './schema.js';
import { length, regexp } from './validators.js';

/** Policy and group slugs: letters, digits, `_` and `-` (tenant slugs allow no hyphen). */
export const SLUG_PATTERN = '^[a-zA-Z0-9_-]+$';

/** A text of 1 to `max` characters that must be sent (and not `null`). */
export const requiredText = (max: number) =>
  string()
    .validate(length({ min: 1, max }))
    .required();

/** A text of 1 to `max` characters, `null` when absent. */
export const optionalText = (max: number) =>
  string()
    .validate(length({ min: 1, max }))
    .default(null);

/**
 * A slug of 1 to `max` characters matching `pattern` (every validator runs, so an empty slug fails both);
 * a `null` slug, like an absent one, asks for a generated slug.
 */
export const optionalSlug = (max: number, pattern: string) =>
  string()
    .validate(length({ min: 1, max }), regexp(pattern))
    .default(null);

/**
 * A body loaded by `bodySchema` (no body counts as `null`), or the `invalid-data` 400 of its first failing
 * field, for `resource` (`users`, `groups`, `tenants`…).
 */
export function loadOrInvalidData<O>(resource: string, bodySchema: Schema<O>, body: Json | undefined): O {
  const result = bodySchema.load(body ?? null);
  if (result.ok) return result.value;
  const { message, details } = firstError(result.errors);
  throw errors.invalidData(resource, details, message);
}
