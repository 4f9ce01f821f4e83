import { type ListEndpoint, type ListParams, parseListParams } from '../validation/index.js';
import { errors, type Json } from './errors.js';

/** The list parameters of a request, or the `invalid-list-param` 400 (conventions.md §5, §6.1). */
export function listQuery(query: URLSearchParams, endpoint: ListEndpoint): ListParams {
  // A NUL is no filter value of any list, and the database refuses it in text.
  for (const [key, value] of query) {
    if (value.includes('\u0000')) {
      throw errors.invalidListParam({
        [key]: { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' },
      });
    }
  }
  const parsed = parseListParams(query, endpoint);
  if (!parsed.ok) throw errors.invalidListParam(parsed.errors as Record<string, Json>);
  return parsed.params;
}
