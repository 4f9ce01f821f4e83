/*
 * List query parameters (conventions.md §5), read as upstream's list schema does (xivo `ListSchema` +
 * wazo-auth `BaseListSchema`): each parameter's first value, every failure collected into the raw
 * validation object that `invalid-list-param` puts in its `message` — type errors as objects, range/enum/
 * length errors as one-element lists, keys in the order direction, order, limit, offset, recurse, then the
 * endpoint's own validated filters:
 *   {"limit": {"message": "Not a valid integer.", "constraint_id": "type", "constraint": "integer"}}
 *   {"offset": [{"constraint_id": "range", "constraint": {"min": 0}, "message": "Must be greater than or equal to 0."}]}
 */
import type { ErrorDict } from './errors.js';
import {
  boolean,
  type Field,
  lenientInteger,
  list,
  MISSING,
  type Presence,
  type Raw,
  string,
} from './fields.js';
import { length, oneOf, range } from './validators.js';

export { parseBoolean } from './coerce.js';

export interface ListEndpoint {
  /** Accepted `order` values. */
  sortable: readonly string[];
  /** `order` when absent; without one, `order` is `null` (no sorting). */
  defaultOrder?: string;
  /** Exact-match filter keys (their first value, as sent). */
  filters: readonly string[];
  /** Repeatable filter keys read with all their values (tenants `uuids`), with a maximum count. */
  multi?: Readonly<{ [key: string]: { max?: number } }>;
  /** Filter keys the list schema itself reads as booleans (groups/policies `read_only`). */
  booleans?: readonly string[];
}

export interface ListParams {
  /** `null`: no limit. */
  limit: number | null;
  offset: number;
  order: string | null;
  direction: 'asc' | 'desc';
  /** The `search` text as sent, `null` when absent. */
  search: string | null;
  /** The LIKE pattern of `search` (`"foo bar"` → `%foo%bar%`, `""` → `%`), `null` when absent. */
  searchPattern: string | null;
  recurse: boolean;
  /** Present exact-match filters (first value of each key). */
  filters: { [key: string]: string };
  /** Present repeatable filters, all their values. */
  multi: { [key: string]: string[] };
  /** Present boolean filters. */
  booleans: { [key: string]: boolean };
}

export type ListParamsResult = { ok: true; params: ListParams } | { ok: false; errors: ErrorDict };

/**
 * Upstream's search pattern: split on spaces, drop empty words, join with `%`, wrap with `%`; an empty
 * text gives `%` (and a text of spaces only gives `%%`).
 */
export function searchPattern(search: string): string {
  if (search === '') return '%';
  return `%${search
    .split(' ')
    .filter((word) => word !== '')
    .join('%')}%`;
}

const DIRECTIONS = ['asc', 'desc'] as const;
const direction = string().validate(oneOf<string>(DIRECTIONS)).default('asc');
const limit = lenientInteger()
  .validate(range({ min: 0 }))
  .default(null);
const offset = lenientInteger()
  .validate(range({ min: 0 }))
  .default(0);
const recurse = boolean().default(false);
const flag = boolean();

const first = (query: URLSearchParams, key: string): Raw => query.get(key) ?? MISSING;

export function parseListParams(query: URLSearchParams, endpoint: ListEndpoint): ListParamsResult {
  const errors: ErrorDict = {};
  let failed = false;
  const read = <T, N extends boolean, P extends Presence>(key: string, field: Field<T, N, P>, raw: Raw) => {
    const result = field.run(raw);
    if (result.kind === 'error') {
      errors[key] = result.error;
      failed = true;
      return undefined;
    }
    return result.kind === 'value' ? result.value : undefined;
  };

  const order = string()
    .validate(oneOf<string>(endpoint.sortable))
    .default(endpoint.defaultOrder ?? null);

  const params: ListParams = {
    direction: (read('direction', direction, first(query, 'direction')) ?? 'asc') as ListParams['direction'],
    order: read('order', order, first(query, 'order')) ?? null,
    limit: read('limit', limit, first(query, 'limit')) ?? null,
    offset: read('offset', offset, first(query, 'offset')) ?? 0,
    search: read('search', string(), first(query, 'search')) ?? null,
    searchPattern: null,
    recurse: read('recurse', recurse, first(query, 'recurse')) ?? false,
    filters: {},
    multi: {},
    booleans: {},
  };
  if (params.search !== null) params.searchPattern = searchPattern(params.search);

  for (const [key, { max }] of Object.entries(endpoint.multi ?? {})) {
    if (!query.has(key)) continue;
    const field = max === undefined ? list(string()) : list(string()).validate(length({ max }));
    const values = read(key, field, query.getAll(key));
    if (values !== undefined) params.multi[key] = values;
  }
  for (const key of endpoint.booleans ?? []) {
    const value = read(key, flag, first(query, key));
    if (value !== undefined && value !== null) params.booleans[key] = value;
  }
  for (const key of endpoint.filters) {
    const value = query.get(key);
    if (value === null || Object.hasOwn(params.multi, key) || Object.hasOwn(params.booleans, key)) continue;
    params.filters[key] = value;
  }
  return failed ? { ok: false, errors } : { ok: true, params };
}
