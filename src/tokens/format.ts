import type { Json } from '../http/errors.js';
import type { TokenRecord } from './record.js';

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Microseconds of a float epoch-seconds value, as Python's datetime keeps them. */
function micros(seconds: number): number {
  return Math.min(999_999, Math.round((seconds - Math.floor(seconds)) * 1e6));
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` in UTC, always 6 fraction digits, no `Z` (upstream's `utc_*`). */
export function utcIso(seconds: number): string {
  const date = new Date(Math.floor(seconds) * 1000);
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(micros(seconds), 6)}`
  );
}

/** Server local time, naive, with `.ffffff` only when non-zero (Python's `datetime.isoformat()`). */
export function localIso(seconds: number): string {
  const date = new Date(Math.floor(seconds) * 1000);
  const fraction = micros(seconds);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    (fraction === 0 ? '' : `.${pad(fraction, 6)}`)
  );
}

/** The token object of tokens.md §2, in upstream's key order. */
export function tokenJson(record: TokenRecord, refreshToken?: string): { [key: string]: Json } {
  const expireT = record.expireT ?? record.issuedT;
  const body: { [key: string]: Json } = {
    token: record.token,
    auth_id: record.authId,
    xivo_user_uuid: record.pbxUserUuid,
    xivo_uuid: record.xivoUuid,
    issued_at: localIso(record.issuedT),
    expires_at: localIso(expireT),
    utc_issued_at: utcIso(record.issuedT),
    utc_expires_at: utcIso(expireT),
    acl: [...record.acl],
    metadata: record.metadata,
    session_uuid: record.sessionUuid,
    remote_addr: record.remoteAddr,
    user_agent: record.userAgent,
  };
  if (refreshToken !== undefined) body.refresh_token = refreshToken;
  return body;
}
