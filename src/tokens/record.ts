import { AclMatcher, type CompiledAcl, compileAcl } from '../acl/index.js';
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

/**
 * One copy of each string that many tokens hold equal copies of (tenant and platform uuids, purposes,
 * user agents, client addresses): strings read from the database are distinct objects row by row.
 * Bounded; when full it starts over, which only costs some duplicates.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  intern(value: string): string {
    // Long values are rarely shared, and the pool must not keep large ones alive.
    if (value.length > 256) return value;
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    if (this.strings.size >= this.capacity) this.strings.clear();
    this.strings.set(value, value);
    return value;
  }

  clear(): void {
    this.strings.clear();
  }
}

/**
 * The record as a live token keeps it: the ACL array shared with every token of the same ACL, and equal
 * strings shared (the user's uuid appears five times in a user token, its tenant twice).
 */
export function compactRecord(record: TokenRecord, acl: CompiledAcl, strings: StringPool): TokenRecord {
  const { authId } = record;
  const share = (value: string) => (value === authId ? authId : strings.intern(value));
  const metadata = { ...record.metadata };
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (typeof value === 'string') metadata[key] = share(value);
  }
  return {
    ...record,
    pbxUserUuid: record.pbxUserUuid === null ? null : share(record.pbxUserUuid),
    xivoUuid: record.xivoUuid === null ? null : share(record.xivoUuid),
    acl: acl.entries,
    metadata,
    sessionTenantUuid: share(record.sessionTenantUuid),
    remoteAddr: share(record.remoteAddr),
    userAgent: share(record.userAgent),
  };
}

/**
 * The read-backs serialised last, `capacity` at most: tokens checked over and over answer with their
 * string as it is, while a token checked once in a while does not keep its kilobyte of JSON for as long
 * as it stays live. First in, first out: a hot token pushed out is serialised again on its next check.
 */
export class ReadBackShelf {
  private readonly held: (LiveToken | undefined)[];
  private next = 0;

  constructor(capacity = 4096) {
    this.held = new Array(capacity).fill(undefined);
  }

  hold(token: LiveToken): void {
    this.held[this.next]?.dropReadBack();
    this.held[this.next] = token;
    this.next = (this.next + 1) % this.held.length;
  }

  clear(): void {
    for (const token of this.held) token?.dropReadBack();
    this.held.fill(undefined);
  }
}

/** A live token: its record plus its ACL matcher, which shares the compiled ACL of its entries. */
export class LiveToken {
  readonly matcher: AclMatcher;
  /**
   * When the owning cache last served it, on that cache's clock (whole seconds: a small integer is
   * stored in the object itself, a millisecond timestamp would be a separate heap number).
   */
  lastUsed = 0;
  private serialized: string | undefined = undefined;

  constructor(
    readonly record: TokenRecord,
    acl: CompiledAcl = compileAcl(record.acl),
    private readonly shelf: ReadBackShelf | null = null,
  ) {
    this.matcher = new AclMatcher(acl, { authId: record.authId, sessionUuid: record.sessionUuid });
  }

  /**
   * `{"data": <token object>}` as `GET /token/{t}` answers it. A stored record never changes, so it is
   * serialised once while the token is on the shelf: formatting four timestamps per check would cost
   * more than the check itself.
   */
  get readBack(): string {
    let text = this.serialized;
    if (text === undefined) {
      text = JSON.stringify({ data: tokenJson(this.record) });
      this.serialized = text;
      this.shelf?.hold(this);
    }
    return text;
  }

  /** The shelf has no room left for this token's read-back. */
  dropReadBack(): void {
    this.serialized = undefined;
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
