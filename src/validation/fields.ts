/*
 * Body fields, marshmallow style. A field reads one JSON value in this order (marshmallow's
 * `Field.deserialize`):
 *   absent → `required` error if required, else its default (not validated), else left out of the result;
 *   `null` → `null` if nullable (a `null` default makes a field nullable, as in marshmallow), else `not_null`;
 *   otherwise its type check/conversion (`type` error object), then every validator (list of failures).
 */
import type { Json } from '../http/errors.js';
import { isEmailAddress, parseBoolean, pythonInt, pythonUuid } from './coerce.js';
import {
  type ErrorDict,
  type FieldError,
  fieldError,
  notNullError,
  requiredError,
  TYPE_MESSAGES,
  typeError,
} from './errors.js';
import type { Schema } from './schema.js';
import { oneOf, type Validator } from './validators.js';

/** A key absent from the body (distinct from JSON `null`). */
export const MISSING: unique symbol = Symbol('missing');
export type Raw = Json | typeof MISSING;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: FieldError };

/** `optional`: may be left out of the result; `required` / `default`: always present in it. */
export type Presence = 'optional' | 'required' | 'default';

export type RunResult<T> =
  | { kind: 'value'; value: T }
  | { kind: 'missing' }
  | { kind: 'error'; error: FieldError };

interface FieldSpec<T> {
  readonly read: (value: Json) => Outcome<T>;
  readonly validators: readonly Validator<T>[];
  readonly required: boolean;
  readonly nullable: boolean;
  readonly fallback?: { readonly value: T | null };
}

/** What every field offers a schema. */
export interface AnyField {
  run(raw: Raw): RunResult<unknown>;
}

const copy = <T>(value: T): T =>
  typeof value === 'object' && value !== null ? structuredClone(value) : value;

/**
 * A body field producing `T` (`T | null` when nullable). The type parameters only drive the inferred
 * schema output type; fields are immutable, every modifier returns a new field.
 */
export class Field<T, N extends boolean = false, P extends Presence = 'optional'> implements AnyField {
  /** Type-level only: the value this field puts in the result. */
  declare readonly __output: N extends true ? T | null : T;
  /** Type-level only: whether the key may be absent from the result. */
  declare readonly __presence: P;

  constructor(private readonly spec: FieldSpec<T>) {}

  /** Absent → `{"constraint_id": "required", ...}`. */
  required(): Field<T, N, 'required'> {
    return new Field<T, N, 'required'>({ ...this.spec, required: true });
  }

  /** Accept JSON `null` (marshmallow `allow_none=True`). */
  nullable(): Field<T, true, P> {
    return new Field<T, true, P>({ ...this.spec, nullable: true });
  }

  /** Value used when the key is absent (marshmallow `load_default`); `null` also makes the field nullable. */
  default<V extends (N extends true ? T | null : T) | null>(
    value: V,
  ): Field<T, null extends V ? true : N, 'default'> {
    const nullable = this.spec.nullable || value === null;
    return new Field<T, null extends V ? true : N, 'default'>({
      ...this.spec,
      nullable,
      fallback: { value },
    });
  }

  /** Add validators (run in order after the type check, all failures reported). */
  validate(...validators: Validator<T>[]): Field<T, N, P> {
    return new Field<T, N, P>({ ...this.spec, validators: [...this.spec.validators, ...validators] });
  }

  run(raw: Raw): RunResult<N extends true ? T | null : T> {
    type Out = N extends true ? T | null : T;
    const { spec } = this;
    if (raw === MISSING) {
      if (spec.required) return { kind: 'error', error: requiredError() };
      if (spec.fallback !== undefined) return { kind: 'value', value: copy(spec.fallback.value) as Out };
      return { kind: 'missing' };
    }
    if (raw === null) {
      return spec.nullable ? { kind: 'value', value: null as Out } : { kind: 'error', error: notNullError() };
    }
    const read = spec.read(raw);
    if (!read.ok) return { kind: 'error', error: read.error };
    const failures = spec.validators.flatMap((validator) => validator(read.value) ?? []);
    return failures.length > 0
      ? { kind: 'error', error: failures }
      : { kind: 'value', value: read.value as Out };
  }
}

/** The value a field puts in the result. */
export type FieldOutput<F> = F extends { readonly __output: infer O } ? O : never;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = (error: FieldError): Outcome<never> => ({ ok: false, error });

const make = <T>(read: (value: Json) => Outcome<T>, validators: readonly Validator<T>[] = []): Field<T> =>
  new Field<T>({ read, validators, required: false, nullable: false });

/** `String`: JSON strings only (`Not a valid string.`); PostgreSQL text cannot hold U+0000 either. */
export const string = (): Field<string> =>
  make((value) =>
    typeof value === 'string' && !value.includes('\0') ? ok(value) : fail(typeError('string')),
  );

/** `String` + `OneOf`: a string among `choices` (`enum` error otherwise), typed as their union. */
export const choice = <const C extends readonly string[]>(choices: C): Field<C[number]> =>
  make<C[number]>(
    (value) => (typeof value === 'string' ? ok(value as C[number]) : fail(typeError('string'))),
    [oneOf<C[number]>(choices)],
  );

/** `Integer(strict=True)`: a JSON number with no fraction (booleans, strings, `1.5` → `Not a valid integer.`). */
export const integer = (): Field<number> =>
  make((value) =>
    typeof value === 'number' && Number.isInteger(value) ? ok(value + 0) : fail(typeError('integer')),
  );

/**
 * `Integer` (marshmallow's default, non-strict): Python's `int(value)` — `30.9` → 30, `"60"`/`" 60"` → 60;
 * booleans, lists, objects, `""`, `"abc"`, `"30.9"`, `"1e2"` → `Not a valid integer.` (tokens.md
 * `expiration`, list `limit`/`offset`). An infinite number gives marshmallow's `['Number too large.']`.
 */
export const lenientInteger = (): Field<number> =>
  make((value) => {
    const parsed = pythonInt(value);
    if (parsed.ok) return ok(parsed.value);
    return fail(parsed.reason === 'too_large' ? ['Number too large.'] : typeError('integer'));
  });

/** `Boolean`: `true`/`false`, 1/0 and the usual spellings (see `parseBoolean`). */
export const boolean = (): Field<boolean> =>
  make((value) => {
    const parsed = parseBoolean(value);
    return parsed === undefined ? fail(typeError('boolean')) : ok(parsed);
  });

/** `UUID`: what Python's `uuid.UUID()` reads (canonical text in either case, …), output canonical lowercase. */
export const uuid = (): Field<string> =>
  make((value) => {
    const parsed = pythonUuid(value);
    return parsed === undefined ? fail(typeError('uuid')) : ok(parsed);
  });

/** The e-mail format check runs as a validator, but reports the field's own message object. */
const emailFormat: Validator<string> = (value) =>
  isEmailAddress(value) ? undefined : fieldError(TYPE_MESSAGES.email, 'type', 'email');

/**
 * `Email`: a non-string is the object `{"message": "Not a valid email address.", "constraint_id": "type",
 * "constraint": "email"}`; a string that is not an address is that object inside a list (validator).
 */
export const email = (): Field<string> =>
  make((value) => (typeof value === 'string' ? ok(value) : fail(typeError('email'))), [emailFormat]);

/**
 * `List(inner)`: a JSON array (`Not a valid list.` otherwise); each item is read by `inner` and failures
 * are keyed by index (`{"0": {...}}`); the list's own validators (e.g. `length`) run when every item passed.
 */
export function list<T, N extends boolean, P extends Presence>(
  inner: Field<T, N, P>,
): Field<Array<N extends true ? T | null : T>> {
  type Item = N extends true ? T | null : T;
  return make((value) => {
    if (!Array.isArray(value)) return fail(typeError('list'));
    const items: Item[] = [];
    const errors: ErrorDict = {};
    value.forEach((item, index) => {
      const result = inner.run(item);
      if (result.kind === 'error') errors[String(index)] = result.error;
      else if (result.kind === 'value') items.push(result.value);
    });
    return Object.keys(errors).length > 0 ? fail(errors) : ok(items);
  });
}

/**
 * `Nested(schema)`: an object read by `schema` (falsy values count as `{}`, like upstream's base schema);
 * its errors are nested under the field (`{"address": {"zip_code": [...]}}`), a truthy non-object gives
 * `{"address": {"_schema": ["Invalid input type."]}}`.
 */
export const nested = <O>(schema: Schema<O>): Field<O> =>
  make((value) => {
    const result = schema.load(value);
    return result.ok ? ok(result.value) : fail(result.errors);
  });
