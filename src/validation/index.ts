/*
 * Request validation with upstream-identical error data (marshmallow + xivo.mallow): body schemas, list
 * query parameters, and the helpers routes use to turn failures into API or legacy errors.
 */
export { loadOrInvalidData, optionalSlug, optionalText, requiredText, SLUG_PATTERN } from './bodies.js';
export { isEmailAddress, parseBoolean, pythonInt, pythonUuid } from './coerce.js';
export {
  type ErrorDict,
  type ErrorInfo,
  type FieldError,
  type FirstError,
  firstError,
  firstField,
  firstMessage,
} from './errors.js';
export {
  type AnyField,
  boolean,
  choice,
  email,
  Field,
  type FieldOutput,
  integer,
  lenientInteger,
  list,
  nested,
  type Presence,
  string,
  uuid,
} from './fields.js';
export {
  type ListEndpoint,
  type ListParams,
  type ListParamsResult,
  parseListParams,
  searchPattern,
} from './list-params.js';
export { pythonRepr, pythonStr } from './python-repr.js';
export {
  type LoadResult,
  Schema,
  type SchemaOutput,
  type SchemaValidator,
  type Shape,
  schema,
} from './schema.js';
export { length, oneOf, range, regexp, type Validator } from './validators.js';

import { boolean, choice, email, integer, lenientInteger, list, nested, string, uuid } from './fields.js';

/** The field builders under one name: `field.string().required()`. */
export const field = { string, choice, integer, lenientInteger, boolean, uuid, email, list, nested } as const;
