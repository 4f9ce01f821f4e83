/*
 * xivo.mallow's validators (marshmallow's, with error objects): each returns its error, or `undefined`
 * when the value passes. A field runs all of its validators and reports every failure, in order, as a list.
 */
import type { Json } from '../http/errors.js';
import { pythonRegExp } from './coerce.js';
import { type ErrorInfo, validatorError } from './errors.js';
import { pythonRepr } from './python-repr.js';

export type Validator<T> = (value: T) => ErrorInfo | undefined;

/** Python's `len()`: code points for text. */
const pyLen = (value: string | readonly unknown[]): number =>
  typeof value === 'string' ? [...value].length : value.length;

export interface LengthBounds {
  min?: number;
  max?: number;
  /** Exact length (marshmallow's `equal`, reported as `{"equal": n}`). */
  equal?: number;
}

/**
 * `Length`: constraint `{"min": m, "max": M}` (null for an absent bound), messages
 * `Length must be between {min} and {max}.` / `Shorter than minimum length {min}.` /
 * `Longer than maximum length {max}.` / `Length must be {equal}.`
 */
export function length(bounds: LengthBounds): Validator<string | readonly unknown[]> {
  const { min, max, equal } = bounds;
  const constraint: Json = equal !== undefined ? { equal } : { min: min ?? null, max: max ?? null };
  return (value) => {
    const size = pyLen(value);
    let message: string | undefined;
    if (equal !== undefined) {
      if (size !== equal) message = `Length must be ${equal}.`;
    } else if (min !== undefined && size < min) {
      message =
        max === undefined
          ? `Shorter than minimum length ${min}.`
          : `Length must be between ${min} and ${max}.`;
    } else if (max !== undefined && size > max) {
      message =
        min === undefined
          ? `Longer than maximum length ${max}.`
          : `Length must be between ${min} and ${max}.`;
    }
    return message === undefined ? undefined : validatorError('length', constraint, message);
  };
}

export interface RangeBounds {
  min?: number;
  max?: number;
  minInclusive?: boolean;
  maxInclusive?: boolean;
}

/**
 * `Range`: constraint holds only the bounds that are set (`{"min": 0}`), message e.g.
 * `Must be greater than or equal to {min} and less than or equal to {max}.`
 */
export function range(bounds: RangeBounds): Validator<number> {
  const { min, max, minInclusive = true, maxInclusive = true } = bounds;
  const constraint: { [key: string]: Json } = {};
  if (min !== undefined) constraint.min = min;
  if (max !== undefined) constraint.max = max;
  const minText = `${minInclusive ? 'greater than or equal to' : 'greater than'} ${min}`;
  const maxText = `${maxInclusive ? 'less than or equal to' : 'less than'} ${max}`;
  let message: string;
  if (min !== undefined && max !== undefined) message = `Must be ${minText} and ${maxText}.`;
  else if (min !== undefined) message = `Must be ${minText}.`;
  else message = `Must be ${maxText}.`;
  return (value) => {
    const tooSmall = min !== undefined && (minInclusive ? value < min : value <= min);
    const tooLarge = max !== undefined && (maxInclusive ? value > max : value >= max);
    return tooSmall || tooLarge ? validatorError('range', constraint, message) : undefined;
  };
}

/** `OneOf`: constraint `{"choices": [...]}`, message `Must be one of: a, b.` */
export function oneOf<T extends Json>(choices: readonly T[]): Validator<T> {
  const text = choices.map((choice) => (typeof choice === 'string' ? choice : pythonRepr(choice))).join(', ');
  return (value) =>
    choices.includes(value)
      ? undefined
      : validatorError('enum', { choices: [...choices] }, `Must be one of: ${text}.`);
}

/**
 * `Regexp` with a Python pattern (matched from the start, `$` also before a final newline, as Python
 * does): constraint is the pattern text, message `String does not match expected pattern.`
 */
export function regexp(pattern: string): Validator<string> {
  const compiled = pythonRegExp(pattern);
  return (value) =>
    compiled.test(value)
      ? undefined
      : validatorError('regex', pattern, 'String does not match expected pattern.');
}
