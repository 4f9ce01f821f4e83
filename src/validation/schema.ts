/*
 * Object schemas, as upstream's base marshmallow schema loads request bodies (conventions.md §1):
 *   - a falsy body (`null`, `false`, `0`, `""`, `[]`, `{}`) is read as `{}`;
 *   - a truthy non-object fails with `{"_schema": ["Invalid input type."]}`;
 *   - unknown keys are ignored and left out of the result;
 *   - fields are read in declaration order and every failure is reported (in that order);
 *   - schema-level (cross-field) validators run only when every field passed, all of them, each adding
 *     its text(s) to `_schema`.
 */
import type { Json } from '../http/errors.js';
import { type ErrorDict, invalidInputType, SCHEMA } from './errors.js';
import { type AnyField, type FieldOutput, MISSING } from './fields.js';

export type Shape = { readonly [key: string]: AnyField };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S> = {
  [K in keyof S]: S[K] extends { readonly __presence: 'optional' } ? K : never;
}[keyof S];

/** The loaded value: required/defaulted fields always present, optional ones possibly absent. */
export type SchemaOutput<S extends Shape> = Simplify<
  { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: FieldOutput<S[K]> } & {
    -readonly [K in OptionalKeys<S>]?: FieldOutput<S[K]>;
  }
>;

/** A cross-field rule (marshmallow `@validates_schema`): the text(s) to add to `_schema`, if any. */
export type SchemaValidator<O> = (data: O) => string | readonly string[] | undefined;

export interface SchemaOptions<O> {
  validators?: readonly SchemaValidator<O>[];
}

export type LoadResult<O> = { ok: true; value: O } | { ok: false; errors: ErrorDict };

/** Python truthiness of a JSON value. */
const isFalsy = (value: Json): boolean =>
  value === null ||
  value === false ||
  value === 0 ||
  value === '' ||
  (typeof value === 'object' && Object.keys(value).length === 0);

export class Schema<O> {
  /** Field names in declaration order. */
  readonly fieldNames: readonly string[];

  constructor(
    private readonly shape: Shape,
    private readonly validators: readonly SchemaValidator<O>[] = [],
  ) {
    this.fieldNames = Object.keys(shape);
  }

  load(body: Json): LoadResult<O> {
    const data = isFalsy(body) ? {} : body;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return { ok: false, errors: invalidInputType() };
    }
    const errors: ErrorDict = {};
    const value: { [key: string]: unknown } = {};
    let failed = false;
    for (const [name, field] of Object.entries(this.shape)) {
      const result = field.run(Object.hasOwn(data, name) ? data[name]! : MISSING);
      if (result.kind === 'error') {
        errors[name] = result.error;
        failed = true;
      } else if (result.kind === 'value') value[name] = result.value;
    }
    if (failed) return { ok: false, errors };
    const loaded = value as O;
    const texts = this.validators.flatMap((validator) => validator(loaded) ?? []);
    if (texts.length > 0) return { ok: false, errors: { [SCHEMA]: [...texts] } };
    return { ok: true, value: loaded };
  }
}

/**
 * Declare a body schema once:
 * `schema({ name: field.string().required().validate(length({ min: 1, max: 80 })) }, { validators })`.
 */
export function schema<S extends Shape>(
  shape: S,
  options: SchemaOptions<SchemaOutput<S>> = {},
): Schema<SchemaOutput<S>> {
  return new Schema<SchemaOutput<S>>(shape, options.validators);
}
