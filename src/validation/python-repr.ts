/*
 * Python's `str()` of a dict/list built from JSON data, as upstream prints marshmallow's error dict into
 * the legacy `reason[0]` of `POST /token` and `POST /token/{t}/scopes/check` (conventions.md §6.6).
 */
import type { Json } from '../http/errors.js';

/** Keys that are list indexes in marshmallow's error dicts: printed as Python ints (`{'scopes': {0: ...}}`). */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/** Characters `str.isprintable()` refuses (other than the plain space): escaped by `repr()`. */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

const hex = (codePoint: number, width: number): string => codePoint.toString(16).padStart(width, '0');

/** Python's `repr()` of a `str`: single quotes unless the text has `'` and no `"`, Python escapes. */
export function pythonStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && NOT_PRINTABLE.test(char)) {
      const codePoint = char.codePointAt(0)!;
      if (codePoint < 0x100) out += `\\x${hex(codePoint, 2)}`;
      else if (codePoint < 0x10000) out += `\\u${hex(codePoint, 4)}`;
      else out += `\\U${hex(codePoint, 8)}`;
    } else out += char;
  }
  return out + quote;
}

/**
 * Python's `repr()` of a number. JSON does not say whether `3` was an int or a float; integral values are
 * printed as Python ints (all numbers in error data are), others as Python floats (`1.5`, `1e-05`, `1e+16`).
 */
export function pythonNumber(value: number): string {
  if (Number.isInteger(value)) return BigInt(value).toString();
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    // Positional notation, as Python's float repr does for exponents in [-4, 16).
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${sign}${digits[0]}${fraction}e${exp}`;
}

/**
 * Python's `str()` of the dict/list/value equivalent to a JSON value: `{'a': [1, True, None]}`.
 * Object keys that look like list indexes (`"0"`, `"12"`) are printed as ints, as marshmallow keys list
 * items by their int index: `{'scopes': {0: {...}}}`.
 */
export function pythonRepr(value: Json): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'string') return pythonStr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  const entries = Object.entries(value).map(
    ([key, item]) => `${INDEX_KEY.test(key) ? key : pythonStr(key)}: ${pythonRepr(item)}`,
  );
  return `{${entries.join(', ')}}`;
}
