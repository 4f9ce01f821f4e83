/*
 * Escaping of the values a login puts into LDAP requests: without it a login such as `*` or `)(uid=*`
 * would widen the search filter, and `,` or `+` would graft RDNs onto the bind DN.
 */

/** The characters RFC 4515 §3 requires escaping in a filter value, as `\XX`. */
const FILTER_SPECIAL = /[\\*()\0]/g;

/** A value for an RFC 4515 filter assertion: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. */
export function escapeFilterValue(value: string): string {
  return value.replace(FILTER_SPECIAL, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The characters RFC 4514 §2.4 escapes with a backslash anywhere in an attribute value (`=` too, harmlessly). */
const DN_SPECIAL = new Set(['\\', '"', '+', ',', ';', '<', '>', '=']);

/**
 * A value for an RFC 4514 RDN: the specials get a backslash, NUL becomes `\00`, and a leading `#` or
 * space and a trailing space are escaped (they would otherwise be read as hex-string or trimmed).
 */
export function escapeDnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((char, index) => {
      if (char === '\0') return '\\00';
      const edge =
        (index === 0 && (char === '#' || char === ' ')) || (index === chars.length - 1 && char === ' ');
      return DN_SPECIAL.has(char) || edge ? `\\${char}` : char;
    })
    .join('');
}

/** The placeholders of `search_filters` (ldap.md §4 step 4). */
export interface FilterValues {
  username: string;
  user_login_attribute: string;
  user_email_attribute: string;
}

/** The search filter used when the configuration has none. */
export const DEFAULT_SEARCH_FILTER = '{user_login_attribute}={username}';

/**
 * Fills a `search_filters` template the way upstream's Python `str.format` does (`{{`/`}}` are literal
 * braces), every value filter-escaped, and wraps the result in parentheses when it has none: OpenLDAP's
 * tools accept a bare `uid=x`, RFC 4515 does not. An unknown placeholder or a lone brace is an error,
 * as `str.format` would raise.
 */
export function formatSearchFilter(template: string, values: FilterValues): string {
  const filled = template.replace(/\{\{|\}\}|\{([^{}]*)\}|[{}]/g, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    if (name !== undefined && Object.hasOwn(values, name)) {
      return escapeFilterValue(values[name as keyof FilterValues]);
    }
    throw new Error(`invalid search_filters template: unexpected ${JSON.stringify(match)}`);
  });
  return filled.startsWith('(') ? filled : `(${filled})`;
}
