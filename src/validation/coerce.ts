/*
 * The value conversions marshmallow (with Python underneath) applies, reproduced for JSON and query values.
 */
import { domainToASCII } from 'node:url';
import type { Json } from '../http/errors.js';

const TRUTHY = new Set(['t', 'true', 'on', 'y', 'yes', '1']);
const FALSY = new Set(['f', 'false', 'off', 'n', 'no', '0']);

/**
 * marshmallow's `Boolean`: `true`/`false`, the numbers 1/0, and the usual spellings `true t yes y on 1` /
 * `false f no n off 0`, case-insensitively (conventions.md §3); anything else (incl. `""`) → `undefined`.
 */
export function parseBoolean(value: Json | undefined): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1) return true;
  if (value === 0) return false;
  if (typeof value !== 'string') return undefined;
  const word = value.toLowerCase();
  if (TRUTHY.has(word)) return true;
  if (FALSY.has(word)) return false;
  return undefined;
}

/** The whitespace Python's `int()` strips around a number. */
const PY_SPACE =
  '[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
/** A decimal integer as Python's `int(str)` reads it: sign, digits with single `_` separators. */
const PY_INT_TEXT = new RegExp(`^${PY_SPACE}*([+-]?)(\\d+(?:_\\d+)*)${PY_SPACE}*$`);

export type PythonInt = { ok: true; value: number } | { ok: false; reason: 'invalid' | 'too_large' };

/**
 * marshmallow's non-strict `Integer`, i.e. Python's `int(value)`: a number is truncated toward zero
 * (`30.9` → 30), a string must hold a decimal integer (`"60"`, `" 60"`, `"+7"`, `"1_000"`; not `""`,
 * `"30.9"`, `"1e2"`), booleans and every other type are invalid. An infinite number (JSON `1e400`) is
 * Python's `OverflowError` ("Number too large.").
 */
export function pythonInt(value: Json): PythonInt {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: Number.isNaN(value) ? 'invalid' : 'too_large' };
    return { ok: true, value: Math.trunc(value) + 0 };
  }
  if (typeof value !== 'string') return { ok: false, reason: 'invalid' };
  const match = PY_INT_TEXT.exec(value);
  if (match === null) return { ok: false, reason: 'invalid' };
  return { ok: true, value: Number(`${match[1]}${match[2]!.replaceAll('_', '')}`) + 0 };
}

const HEX32 = /^[0-9a-fA-F]{32}$/;

/**
 * Python's `uuid.UUID(text)`, as marshmallow's `UUID` field reads it: `urn:`/`uuid:` prefixes, braces and
 * hyphens are dropped and 32 hex digits must remain; the result is the canonical lowercase form. So the
 * canonical `8-4-4-4-12` text in either case is accepted, and so are the forms Python also accepts
 * (`{...}`, `urn:uuid:...`, no hyphens). Non-strings → `undefined`.
 */
export function pythonUuid(value: Json): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '');
  if (!HEX32.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// marshmallow's `validate.Email` (3.x as shipped with upstream), Python `\w` being Unicode-aware.
const EMAIL_USER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: marshmallow's quoted-string user part has control ranges
  /^(?:[-!#$%&'*+/=?^`{}|~\p{L}\p{N}_]+(?:\.[-!#$%&'*+/=?^`{}|~\p{L}\p{N}_]+)*$|^"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"$)/iu;
const EMAIL_DOMAIN =
  /^(?:(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+(?:[A-Z]{2,6}|[A-Z0-9-]{2,})$|\[(?:25[0-5]|2[0-4]\p{Nd}|[0-1]?\p{Nd}?\p{Nd})(?:\.(?:25[0-5]|2[0-4]\p{Nd}|[0-1]?\p{Nd}?\p{Nd})){3}\]$)/iu;

/** marshmallow's e-mail address check (user part regex, domain regex or its IDNA form, or `localhost`). */
export function isEmailAddress(value: string): boolean {
  if (value === '' || !value.includes('@')) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!EMAIL_USER.test(user)) return false;
  if (domain === 'localhost' || EMAIL_DOMAIN.test(domain)) return true;
  // Python's `domain.encode('idna')` for internationalised names; ASCII failures stay failures.
  const ascii = /^\p{ASCII}*$/u.test(domain) ? '' : domainToASCII(domain);
  return ascii !== '' && EMAIL_DOMAIN.test(ascii);
}

/**
 * A JS RegExp behaving like Python's `re.compile(pattern).match(text)` (what marshmallow's `Regexp` does):
 * anchored at the start only, and `$` also matching before a final newline, as in Python.
 */
export function pythonRegExp(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (!inClass && next === 'Z') out += '$';
      else if (!inClass && next === 'A') out += '^';
      else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in Python.
      if (pattern[i + 1] === '^') {
        out += '[^';
        i++;
      } else out += char;
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    } else if (char === '$') {
      out += '(?=\\n?$)';
      continue;
    }
    out += char;
  }
  try {
    return new RegExp(`^(?:${out})`, 'u');
  } catch {
    return new RegExp(`^(?:${out})`);
  }
}
