// The expected answer of one case of the authorization matrix, computed from the table (table.ts) alone:
// the route's required ACL and tenant rule, the caller's ACL and tenant, where the target objects live and
// what `Wazo-Tenant` says. Nothing here asks the server: the ACL matcher is a reference one, written from
// acl.md §2 (regular expressions are fine for the tests' own entries), not the server's.

import type { Deny, Entry, Placed } from './table.js';

/** The tenant tree of the matrix: master → child → grandchild, master → sibling (tenant-tree.ts). */
export type TenantName = 'master' | 'child' | 'grandchild' | 'sibling';

const PARENT: Record<TenantName, TenantName | null> = {
  master: null,
  child: 'master',
  grandchild: 'child',
  sibling: 'master',
};

/** A `Wazo-Tenant` value: a tenant of the tree, or `unknown` (a UUID no tenant has). */
export type HeaderValue = TenantName | 'unknown';

/** `tenant` is `ancestor` or below it (conventions.md §3, the visible tenants). An unknown tenant is nowhere. */
export function inSubtree(tenant: HeaderValue, ancestor: TenantName): boolean {
  if (tenant === 'unknown') return false;
  for (let at: TenantName | null = tenant; at !== null; at = PARENT[at]) if (at === ancestor) return true;
  return false;
}

/** How `tenant` stands to `from`, for the case names. */
export function relation(tenant: TenantName, from: TenantName): string {
  if (tenant === from) return 'own';
  if (inSubtree(tenant, from)) return 'descendant';
  if (inSubtree(from, tenant)) return 'ancestor';
  return 'unrelated';
}

// ---------------------------------------------------------------------------------------------------------
// Reference ACL matcher (acl.md §2).

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function entryPattern(entry: string, authId: string, session: string): RegExp {
  const body = entry
    .split('.')
    .map((segment) => {
      if (segment === 'me') return `(?:me|${escapeRegExp(authId)})`;
      if (segment === 'my_session') return `(?:my_session|${escapeRegExp(session)})`;
      if (segment === 'edit') return '(?:edit|update)';
      return [...segment]
        .map((char) => (char === '*' ? '[^.#]*?' : char === '#' ? '.*?' : escapeRegExp(char)))
        .join('');
    })
    .join('\\.');
  return new RegExp(`^${body}$`, 's');
}

export interface Grantee {
  acl: readonly string[];
  /** The token's `auth_id` (the user's UUID), for `me`. */
  authId: string;
  /** The token's session, for `my_session`. */
  session: string;
}

/** Negative entries win, then any positive entry grants (acl.md §2). */
export function grants(grantee: Grantee, required: string): boolean {
  const compiled = grantee.acl.map((entry) => ({
    negative: entry.startsWith('!'),
    pattern: entryPattern(entry.replace(/^!/, ''), grantee.authId, grantee.session),
  }));
  if (compiled.some(({ negative, pattern }) => negative && pattern.test(required))) return false;
  return compiled.some(({ negative, pattern }) => !negative && pattern.test(required));
}

/** The required access of a route for a request: its template with the path values, `.` → `_` (acl.md §3). */
export function requiredAccess(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return value.replaceAll('.', '_');
  });
}

// ---------------------------------------------------------------------------------------------------------
// Expected outcome.
//
// Objects (table.ts `Placed`), checked in order, the first out of reach deciding the refusal (its own
// `deny`, else the route's): a tenant name is checked against the scoping tenant's subtree (the caller's
// own tenant's on `caller-subtree` routes, where upstream ignores Wazo-Tenant); `from: 'caller'` against
// the caller's own tenant's subtree; `from: 'exact'` must be the scoping tenant itself (a policy named by
// its slug); `from: 'nobody'` is never reachable through the path (another user's session or address
// named under a user's path).

/** Why a case is refused, or that it is not. */
export type Verdict =
  | { allowed: true; statuses: readonly number[] }
  | {
      allowed: false;
      /** no-token / acl / tenant-header / master-only: the 401 of conventions.md §4; invisible: `deny`. */
      reason: 'no-token' | 'acl' | 'tenant-header' | 'master-only' | 'invisible' | 'not-owned';
      deny: Deny;
    };

export interface CaseFacts {
  entry: Entry;
  /** Null: no token at all. */
  caller: (Grantee & { tenant: TenantName }) | null;
  /** The values of the path (and the `user_uuid` query of the reset route) the ACL template takes. */
  params: Readonly<Record<string, string>>;
  /** The tenant named by `Wazo-Tenant`, if sent. */
  header: HeaderValue | null;
  /** Where the objects the tenant rule checks live. */
  objects: readonly Placed[];
  /** A public route's answer, when the case decides it (a token checked against a tenant). */
  publicAnswer?: readonly number[];
}

export const UNAUTHORIZED: Deny = { status: 401, errorId: 'unauthorized' };
export const UNAUTHORIZED_TENANT: Deny = { status: 401, errorId: 'unauthorized-tenant' };

/**
 * conventions.md §4, in its order: the token (401), the ACL (401), the tenant header where the route reads
 * it (401 unauthorized-tenant), the master tenant for `/config` (401), then the route's own rule: every
 * object in the visible tenants of the scoping tenant (or of the caller's own tenant, where `Wazo-Tenant`
 * is ignored), else the route's refusal (`deny`: a 404, or the answer an unknown object gets).
 */
export function verdict({ entry, caller, params, header, objects, publicAnswer }: CaseFacts): Verdict {
  const allowed: Verdict = { allowed: true, statuses: entry.ok };
  if (entry.rule === 'public') return publicAnswer ? { allowed: true, statuses: publicAnswer } : allowed;
  if (caller === null) return { allowed: false, reason: 'no-token', deny: UNAUTHORIZED };
  if (!grants(caller, requiredAccess(entry.acl!, params)))
    return { allowed: false, reason: 'acl', deny: UNAUTHORIZED };
  const readsHeader = entry.rule === 'scope' || entry.rule === 'subtree' || entry.rule === 'self';
  let scope = caller.tenant;
  if (readsHeader && header !== null) {
    if (header === 'unknown' || !inSubtree(header, caller.tenant))
      return { allowed: false, reason: 'tenant-header', deny: UNAUTHORIZED_TENANT };
    scope = header;
  }
  if (entry.rule === 'master-only' && caller.tenant !== 'master')
    return { allowed: false, reason: 'master-only', deny: UNAUTHORIZED };
  if (entry.rule === 'global' || entry.rule === 'master-only') return allowed;
  const base = entry.rule === 'caller-subtree' ? caller.tenant : scope;
  const visible = (object: Placed) => {
    if (typeof object === 'string') return inSubtree(object, base);
    if (object.from === 'caller') return inSubtree(object.tenant, caller.tenant);
    if (object.from === 'exact') return object.tenant === scope;
    if (object.from === 'nobody') return false;
    return inSubtree(object.tenant, base);
  };
  // In order: the first object out of reach decides the refusal (the route looks its objects up so).
  const refused = objects.find((object) => !visible(object));
  if (refused === undefined) return allowed;
  const own = typeof refused === 'string' ? undefined : refused;
  return {
    allowed: false,
    reason: own?.from === 'nobody' ? 'not-owned' : 'invisible',
    deny: own?.deny ?? entry.deny ?? { status: 404 },
  };
}

/** The tenant whose data an allowed answer may show: the scoping tenant, or the caller's own tenant. */
export function answerScope(entry: Entry, caller: TenantName, header: HeaderValue | null): TenantName {
  const readsHeader = entry.rule === 'scope' || entry.rule === 'subtree' || entry.rule === 'self';
  return readsHeader && header !== null && header !== 'unknown' ? header : caller;
}
