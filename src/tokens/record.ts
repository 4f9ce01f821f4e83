import { AclMatcher } from '../acl/index.js';
import type { Json } from '../http/errors.js';
import { tokenJson } from './format.js';

/** Upstream's `auth_id` of tokens the server mints for itself (email confirmation, password reset). */
export const INTERNAL_AUTH_ID = 'wazo-auth';

/** A token as the server keeps it in memory: what `auth_token` and its session hold. */
export interface TokenRecord {
  token: string;
  authId: string;
  pbxUserUuid: string | null;
  xivoUuid: string | null;
  /** Epoch seconds; whole seconds once stored (upstream truncates). */
  issuedT: number;
  /** Epoch seconds; null never expires (not produced by the API). */
  expireT: number | null;
  acl: readonly string[];
  metadata: { [key: string]: Json };
  sessionUuid: string;
  sessionTenantUuid: string;
  mobile: boolean;
  remoteAddr: string;
  userAgent: string;
  refreshTokenUuid: string | null;
}

/** The record as the database keeps it: times truncated to whole seconds, as upstream stores them. */
export function asStored(record: TokenRecord): TokenRecord {
  return {
    ...record,
    issuedT: Math.trunc(record.issuedT),
    expireT: record.expireT === null ? null : Math.trunc(record.expireT),
  };
}

/** A live token: its record plus the compiled ACL, built once per token, on first check. */
export class LiveToken {
  private compiled: AclMatcher | undefined;
  private serialized: string | undefined;

  constructor(readonly record: TokenRecord) {}

  get matcher(): AclMatcher {
    this.compiled ??= new AclMatcher(this.record.acl, {
      authId: this.record.authId,
      sessionUuid: this.record.sessionUuid,
    });
    return this.compiled;
  }

  /**
   * `{"data": <token object>}` as `GET /token/{t}` answers it. A stored record never changes, so it is
   * serialised once: formatting four timestamps per check would cost more than the check itself.
   */
  get readBack(): string {
    this.serialized ??= JSON.stringify({ data: tokenJson(this.record) });
    return this.serialized;
  }

  /** Expired once `now` is past `expire_t` (tokens.md §4), even before the cleanup purges it. */
  isExpired(nowSeconds = Date.now() / 1000): boolean {
    return this.record.expireT !== null && nowSeconds > this.record.expireT;
  }

  /** The owning user's uuid, when the token belongs to a user. */
  get userUuid(): string | null {
    const uuid = this.record.metadata.uuid;
    return typeof uuid === 'string' ? uuid : null;
  }
}
