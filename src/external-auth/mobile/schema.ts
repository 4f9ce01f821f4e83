import type { Json } from '../../http/errors.js';
import { field, length, loadOrInvalidData, schema } from '../../validation/index.js';
import type { Blob } from '../store.js';

const token = (min?: number) =>
  field
    .string()
    .validate(length(min === undefined ? { max: 512 } : { min, max: 512 }))
    .default(null);

/** A user's push-notification data (external-auth.md §5.2), in upstream's field order. */
const mobileSchema = schema({
  token: token(1),
  apns_token: token(),
  apns_voip_token: token(),
  apns_notification_token: token(),
  apns_call_topic: token(),
  apns_default_topic: token(),
});

/** The normalised body (every field, `null` when absent, others dropped) or `invalid-data` on `users`. */
export const parseMobile = (body: Json | undefined): Blob => loadOrInvalidData('users', mobileSchema, body);

/** A stored blob as the API shows it: data written before the topic fields existed reads them as null. */
export function mobileView(stored: Blob): Blob {
  const view: Blob = {};
  for (const key of mobileSchema.fieldNames) view[key] = stored[key] ?? null;
  return view;
}
