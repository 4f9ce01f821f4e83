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
  try {
    return JSON.parse(raw.toString('utf8')) as Json;
  } catch {
    throw errors.badRequestBody();
  }
}
