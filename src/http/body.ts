import { errors, type Json } from './errors.js';

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Upstream parses the body as JSON whatever its Content-Type, except form types, which its framework
 * consumes as form data first so the JSON read sees nothing (conventions.md §1).
 */
export function parseJsonBody(raw: Buffer, contentType: string | undefined): Json {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (FORM_TYPES.includes(type)) throw errors.badRequestBody();
  if (raw.length === 0) throw errors.badRequestBody();
  let body: Json;
  try {
    body = JSON.parse(raw.toString('utf8')) as Json;
  } catch {
    throw errors.badRequestBody();
  }
  // JSON.parse takes any depth, but what handles the value afterwards recurses (serialising, validating):
  // a body nested thousands deep would overflow the stack there.
  if (depthExceeds(body, MAX_DEPTH)) throw errors.badRequestBody();
  return body;
}

/** Far deeper than any document of this API. */
const MAX_DEPTH = 64;

/** Whether `value` nests deeper than `limit`, without recursion (the check must not overflow itself). */
function depthExceeds(value: Json, limit: number): boolean {
  const stack: Array<[Json, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}
