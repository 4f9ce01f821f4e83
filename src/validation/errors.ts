/*
 * The error data upstream's marshmallow schemas (with xivo.mallow's fields and validators) produce, built
 * with the same shapes, the same key order and the same texts, so that routes can put them in API errors
 * (`invalid-data`, `invalid-list-param`) or print them as Python text (legacy `reason[0]`).
 *
 * Object or one-element list — the rule (marshmallow's own, and what conventions.md §6.1, tokens.md §3 and
 * users.md show):
 *   - errors raised by the FIELD while reading the value — `required`, `not_null`, `type` (including the
 *     `type`/`email` error of a non-string e-mail) — are a single object whose keys come in the order
 *     message, constraint_id, constraint: `{'expiration': {'message': 'Not a valid integer.', ...}}`;
 *   - errors raised by VALIDATORS run on the read value — `length`, `range`, `enum`, `regex`, and the e-mail
 *     format check — are a list (every failing validator adds one entry, usually just one) of objects whose
 *     keys come in the order constraint_id, constraint, message:
 *     `{'client_id': [{'constraint_id': 'length', 'constraint': {'min': 1, 'max': 1024}, ...}]}`; the e-mail
 *     format check is the exception to that key order, as upstream reuses the field's message object:
 *     `[{'message': 'Not a valid email address.', 'constraint_id': 'type', 'constraint': 'email'}]`;
 *   - list items are keyed by their index (a string here, printed as a Python int by `pythonRepr`), nested
 *     objects by their field names; schema-level errors are a list of strings under `_schema`.
 */
import type { Json } from '../http/errors.js';

/** One constraint failure, e.g. `{"constraint_id": "length", "constraint": {"min": 1, "max": 256}, "message": ...}`. */
export type ErrorInfo = { message: string; constraint_id: string; constraint: Json };

/** What a field reports: one object, a list of validator failures (or `_schema` texts), or nested errors. */
export type FieldError = ErrorInfo | Array<ErrorInfo | string> | ErrorDict;

/** marshmallow's `ValidationError.messages`: field name (or list index, or `_schema`) → its errors. */
export type ErrorDict = { [key: string]: FieldError };

export const SCHEMA = '_schema';

/** The names xivo.mallow gives the expected types, with marshmallow's messages. */
export const TYPE_MESSAGES = {
  string: 'Not a valid string.',
  integer: 'Not a valid integer.',
  boolean: 'Not a valid boolean.',
  uuid: 'Not a valid UUID.',
  list: 'Not a valid list.',
  email: 'Not a valid email address.',
} as const;
export type TypeName = keyof typeof TYPE_MESSAGES;

/** A field-raised error: key order message, constraint_id, constraint. */
export const fieldError = (message: string, constraintId: string, constraint: Json): ErrorInfo => ({
  message,
  constraint_id: constraintId,
  constraint,
});

/** A validator-raised error: key order constraint_id, constraint, message. */
export const validatorError = (constraintId: string, constraint: Json, message: string): ErrorInfo => ({
  constraint_id: constraintId,
  constraint,
  message,
});

export const requiredError = (): ErrorInfo =>
  fieldError('Missing data for required field.', 'required', 'required');
export const notNullError = (): ErrorInfo => fieldError('Field may not be null.', 'not_null', 'not_null');
export const typeError = (type: TypeName): ErrorInfo => fieldError(TYPE_MESSAGES[type], 'type', type);
/** A schema (or nested object) given something that is not an object. */
export const invalidInputType = (): ErrorDict => ({ [SCHEMA]: ['Invalid input type.'] });

export const isErrorInfo = (value: FieldError | string): value is ErrorInfo =>
  typeof value === 'object' && !Array.isArray(value) && typeof value.message === 'string';

/** The message of the first leaf of some error data (first field, first entry, depth first). */
function leafMessage(error: FieldError | string): string {
  if (typeof error === 'string') return error;
  if (Array.isArray(error)) return error.length > 0 ? leafMessage(error[0]!) : '';
  if (isErrorInfo(error)) return error.message;
  const first = Object.values(error)[0];
  return first === undefined ? '' : leafMessage(first);
}

export interface FirstError {
  /** The first failing field (top level; `_schema` for a non-object body or a cross-field rule). */
  field: string;
  /** Its message: the `message` of an `invalid-data` error. */
  message: string;
  /** The `details` of an `invalid-data` error: only that field, its first error unwrapped from its list. */
  details: { [field: string]: Json };
}

/**
 * What upstream's `invalid-data` errors show (`_BaseParamException.from_errors`): the first field in schema
 * order, its first error taken out of its list; a `_schema` text becomes `{"message": text}`; for a nested
 * object or a list, the first sub-field (or index) with its first error:
 * `{"address": {"zip_code": {...}}}`, `{"domain_names": {"0": {...}}}`. (Upstream crashes with a 500 on
 * deeper or text-only nested errors; those keep their raw shape here, with the first message found.)
 */
export function firstError(errors: ErrorDict): FirstError {
  for (const [field, infos] of Object.entries(errors)) {
    const info = Array.isArray(infos) ? infos[0] : infos;
    if (info === undefined) continue;
    if (typeof info === 'string') return { field, message: info, details: { [field]: { message: info } } };
    if (isErrorInfo(info)) return { field, message: info.message, details: { [field]: info } };
    for (const [sub, subInfos] of Object.entries(info)) {
      const subInfo = Array.isArray(subInfos) ? subInfos[0] : subInfos;
      if (subInfo === undefined) continue;
      const shown: Json = typeof subInfo === 'string' ? { message: subInfo } : subInfo;
      return { field, message: leafMessage(subInfo), details: { [field]: { [sub]: shown } } };
    }
  }
  return { field: SCHEMA, message: '', details: {} };
}

/** The message of the first failing field, in schema field order (`invalid-data`'s `message`). */
export const firstMessage = (errors: ErrorDict): string => firstError(errors).message;

/** The first failing field (policies' legacy `Invalid value supplied for field: <field>`). */
export const firstField = (errors: ErrorDict): string => Object.keys(errors)[0] ?? SCHEMA;
