// THE authorization table (security issue #18 item 11): one entry per route of the server, keyed
// "METHOD path" as the server's own route table names it (GET /0.1/api/api.yml, built from the routes
// the server serves, with each route's required ACL). checks.ts (run by table.test.ts) fails when a
// route of the server has no entry here (every new route must be classified) or an entry names no
// route, and when an entry's pinned ACL differs from the server's. The matrix (<part>.test.ts) computes
// every case's expected answer from the entry (oracle.ts) and checks the server's.
//
// Tenant rules (conventions.md §3, §4; the `Wazo-Tenant` header names the scoping tenant, which must be
// the caller's tenant or one below it):
//   public          no token needed (POST /token, the token checks, status, the API document, mail and
//                   SAML flows): the answer must not depend on who calls; `/token/{token}` is authorised
//                   by possession of the token value (its `tenant` check is a case of its own).
//   global          ACL only; platform-wide data, no tenant's (Wazo-Tenant not read).
//   master-only     ACL, then the token's tenant must be the master tenant, else 401 (Wazo-Tenant ignored).
//   scope           ACL, Wazo-Tenant checked (401 unauthorized-tenant), then the route acts in the scoping
//                   tenant only (a list, a creation, the tenant's LDAP/SAML/external configuration); what
//                   its body names (a tenant's contact) must be visible from there.
//   subtree         `scope`, and every object the path (or body) names must belong to the scoping
//                   tenant or a tenant below it, else `deny` (404 as the spec says, never 403).
//   caller-subtree  ACL, Wazo-Tenant ignored (upstream does not scope these routes at all; this server
//                   checks the caller's own tenant subtree, README "Tenant isolation"), objects as above.
//   self            `/users/me/...`: `subtree` with the caller's own user as the object.
// Objects may be placed more precisely (`Placed`): checked from the caller's tenant on a `subtree` route
// (the user of a user↔policy link), only in the scoping tenant (a policy named by slug), or never
// reachable through the path (another user's session named under a user's path).
//
// A refusal must change nothing in the database (change journal, cross-checked by full-row digests); an
// allowed write must change something (else a refusal could not be told apart from it); an allowed
// answer must show no object of a tenant the caller may not see. Cases known to fail today are listed in
// the entry's `todo` (tap todo), each with who fixes it.

import type { ClientResponse } from '../helpers/http.js';
import { multipart } from '../helpers/saml-idp.js';
import { type HeaderValue, inSubtree, type TenantName } from './oracle.js';
import {
  CLIENT_ID,
  CONFIG_TYPE,
  LDAP_CONFIG,
  type MatrixCaller,
  POLICY_ACL,
  uniq,
  type World,
} from './world.js';

export type Rule = 'public' | 'global' | 'master-only' | 'scope' | 'subtree' | 'caller-subtree' | 'self';

/** A group of routes, run by its own matrix file: test/authz-matrix/<part>.test.ts. */
export type Part =
  | 'users'
  | 'user-services'
  | 'groups-policies'
  | 'tenants-sessions-tokens'
  | 'backends-misc';

/** How a refused request is answered. */
export interface Deny {
  status: number;
  /** The API error's `error_id`. */
  errorId?: string;
  /** The legacy envelope (`reason`, `timestamp`, `status_code`): policies.md. */
  legacy?: boolean;
  /**
   * A 2xx refusal: the answer must be exactly the one an unknown object gets (same request with every
   * UUID of the path replaced by an unknown one), and nothing may change.
   */
  asUnknown?: boolean;
}

/** Where a case puts its objects, and who asks. */
export interface At {
  w: World;
  /** The target tenant (for `scope` routes: the scoping tenant the case acts in). */
  t: TenantName;
  /** The caller's own tenant (`child` for a request without token). */
  home: TenantName;
  caller: MatrixCaller | null;
  /** The target is the caller's own user. */
  self: boolean;
}

/**
 * An object a tenant rule checks (in order; the first out of reach is refused with its `deny`, else the
 * route's): its tenant, seen from the scoping tenant's subtree (`from` absent or 'scope'); `from:
 * 'caller'` from the caller's own tenant's subtree; `from: 'exact'` only from the scoping tenant itself (a
 * policy by slug); `from: 'nobody'`: never reachable through the path (another user's session, address).
 */
export type Placed =
  | TenantName
  | { tenant: TenantName; from?: 'scope' | 'caller' | 'exact' | 'nobody'; deny?: Deny };

export interface Built {
  /** Values of the path placeholders (and of the ACL template's, e.g. the reset route's `user_uuid`). */
  params: Record<string, string>;
  /** Where the objects the tenant rule checks live. */
  objects: Placed[];
  query?: Record<string, string>;
  /** The JSON body, made per request (unique names). */
  body?: () => unknown;
  /** A raw body (multipart forms), made per request. */
  raw?: () => { body: Buffer; contentType: string };
  /** A public route's answer when the case decides it (a token checked against a tenant). */
  publicAnswer?: number[];
}

export interface Variant {
  name: string;
  build(at: At): Promise<Built>;
  /** Not run on the caller's own user (the variant would change the caller, and the later cases with it). */
  noSelf?: boolean;
  /** Run for the request without token only (what it checks does not depend on the caller). */
  anonymousOnly?: boolean;
  /** Some objects are made in the caller's own tenant (the variant's objects differ per caller tenant). */
  home?: boolean;
  /**
   * `home`, and the variant moves or links something of the caller's tenant to the target: with the
   * caller's own tenant as the target it repeats the plain variant, and is not run.
   */
  cross?: boolean;
}

/** The facts of one case, for `check` and `todo`. */
export interface CaseInfo {
  method: string;
  caller: MatrixCaller | null;
  t: TenantName;
  header: HeaderValue | null;
  variant: string;
  self: boolean;
}

export interface Todo {
  /** Who fixes it and why the case fails today. */
  reason: string;
  when(info: CaseInfo): boolean;
}

export interface Entry {
  /** The required ACL template, pinned: it must equal the server's (null: no token needed). */
  acl: string | null;
  rule: Rule;
  /** The spec it comes from. */
  spec: string;
  part: Part;
  /** An allowed request's answer (a documented non-2xx, e.g. 400 for a public probe, is fine). */
  ok: readonly number[];
  /** How an object outside the scope is refused (`subtree`, `caller-subtree`, `self`); default 404. */
  deny?: Deny;
  variants: Variant[];
  /** GET routes on one user: the caller's own user is a target too (`me` grants). */
  self?: boolean;
  /** Public routes on an object of a tenant (a token): one case per tenant. */
  tenants?: boolean;
  /**
   * Whether an allowed request spends its objects (re-made after it changed the database): default, not GET
   * or HEAD. False where the next request can act on the same objects and still change them.
   */
  mutates?: boolean;
  /**
   * An allowed request must change the database: default, for a route that is not GET or HEAD and not
   * public. This is what makes a refusal checkable: were the refused request carried out, the change
   * journal would show it (an allowed write that changes nothing would prove nothing).
   */
  effect?: boolean;
  /** A further check of an allowed answer: an error message, or null. */
  check?(res: ClientResponse, at: At): string | null;
  /** Cases known to fail today, for another owner to fix (tap `todo`). */
  todo?: Todo[];
}

// ---------------------------------------------------------------------------------------------------------
// Builders.

const one = (build: (at: At) => Promise<Built>): Variant[] => [{ name: '', build }];

/** A route on the scoping tenant itself: no object but the tenant (lists recurse, to show the subtree). */
const inScope = (extra: Partial<Built> = {}) =>
  one(async (at) => ({ params: {}, objects: [at.t], ...extra }));

/** The caller's own user for `self` targets, else a new user of the target tenant. */
async function targetUser(
  at: At,
  options: { password?: boolean; email?: { confirmed: boolean } } = {},
): Promise<{ uuid: string; tenant: TenantName; email?: string }> {
  if (at.self) return { uuid: at.caller!.uuid, tenant: at.home };
  return { ...(await at.w.user(at.t, options)), tenant: at.t };
}

/** A route on one user: `{user_uuid}`, after `arrange` gave the user what the route shows or spends. */
const onUser = (
  extra: Omit<Partial<Built>, 'params' | 'objects'> & { params?: Record<string, string> } = {},
  arrange: (at: At, user: string) => Promise<void> = async () => {},
  from?: 'caller',
) =>
  one(async (at) => {
    const user = await targetUser(at);
    if (!at.self) await arrange(at, user.uuid);
    return {
      ...extra,
      params: { user_uuid: user.uuid, ...extra.params },
      objects: [from ? { tenant: user.tenant, from } : user.tenant],
    };
  });

const fromCaller = (tenant: TenantName): Placed => ({ tenant, from: 'caller' });

const NOT_FOUND = (errorId: string): Deny => ({ status: 404, errorId });
const NO_SUCH_POLICY: Deny = { status: 404, legacy: true };

/** The variant whose object is also linked to a (not shared) policy of the master tenant. */
const ALSO_MASTER = 'also linked to a policy of master';

/** The names of the link variants, also read by the `todo` predicates. */
export const CROSS = "owner of the caller's tenant, policy of the target";
export const BY_SLUG = 'policy by slug';

/**
 * The ways a link is made: both objects in the target tenant, and (cross) the link's owner (a user or
 * group) in the caller's own tenant with the policy in the target tenant: a policy the caller cannot see
 * must not be linked to what it can see; and both in the target tenant with the policy named by slug
 * (looked up in the scoping tenant only, where a UUID is looked up in its subtree).
 */
const linkVariants = (
  owner: 'user' | 'group',
  linked: boolean,
  /** Where the owner (`userFrom`) and a policy named by UUID (`policyFrom`) are looked up from. */
  { userFrom, policyFrom }: { userFrom?: 'caller'; policyFrom?: 'caller' } = {},
): Variant[] => {
  const make =
    (cross: boolean, slug: boolean) =>
    async (at: At): Promise<Built> => {
      const ownerTenant = cross ? at.home : at.t;
      const ownerUuid =
        owner === 'user' ? (await at.w.user(ownerTenant)).uuid : await at.w.group(ownerTenant);
      const policy = await at.w.policy(at.t, linked ? { [`${owner}s`]: [ownerUuid] } : {});
      const placedOwner = userFrom ? fromCaller(ownerTenant) : ownerTenant;
      return {
        params: { [`${owner}_uuid`]: ownerUuid, policy: slug ? at.w.slugOf(policy) : policy },
        objects: [placedOwner, slug ? { tenant: at.t, from: 'exact' } : policyFrom ? fromCaller(at.t) : at.t],
      };
    };
  return [
    { name: '', build: make(false, false) },
    { name: CROSS, build: make(true, false), cross: true },
    { name: BY_SLUG, build: make(false, true) },
  ];
};

const email = (at: At) => at.w.user(at.t, { email: { confirmed: false } });

/** A multipart SAML form for the scoping tenant. */
const samlForm = (at: At, only?: string[]) => {
  const { fields, files } = at.w.samlForm(at.t);
  const kept = only ? Object.fromEntries(only.map((name) => [name, fields[name]!])) : fields;
  return () =>
    multipart({ ...kept, entity_id: `https://${uniq('sp')}.example.com/saml/sp` }, only ? {} : files);
};

const RECURSE = { query: { recurse: 'true' } };
const TREE: readonly TenantName[] = ['master', 'child', 'grandchild', 'sibling'];

// ---------------------------------------------------------------------------------------------------------
// The table.

export const TABLE: Record<string, Entry> = {
  // ----- users (users.md §3) -----
  'GET /users': {
    acl: 'auth.users.read',
    rule: 'scope',
    spec: 'users.md §3, conventions.md §3 (recurse)',
    part: 'users',
    ok: [200],
    variants: inScope(RECURSE),
  },
  'POST /users': {
    acl: 'auth.users.create',
    rule: 'scope',
    spec: 'users.md §3: created in the scoping tenant',
    part: 'users',
    ok: [200],
    variants: inScope({ body: () => ({ username: uniq('new'), firstname: 'matrix' }) }),
  },
  'GET /users/{user_uuid}': {
    acl: 'auth.users.{user_uuid}.read',
    rule: 'subtree',
    spec: 'users.md §3: 404 unknown-user outside the subtree',
    part: 'users',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    self: true,
    variants: onUser(),
  },
  'PUT /users/{user_uuid}': {
    acl: 'auth.users.{user_uuid}.update',
    rule: 'subtree',
    spec: 'users.md §3',
    part: 'users',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    mutates: false,
    variants: onUser({ body: () => ({ username: uniq('renamed'), firstname: 'matrix' }) }),
  },
  'DELETE /users/{user_uuid}': {
    acl: 'auth.users.{user_uuid}.delete',
    rule: 'subtree',
    spec: 'users.md §3',
    part: 'users',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: onUser(),
  },
  'PUT /users/{user_uuid}/password': {
    acl: 'auth.users.{user_uuid}.password.update',
    rule: 'caller-subtree',
    spec: 'users.md §3; README: tenant isolation where upstream has none',
    part: 'users',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    // The new password is the old one: the user stays usable.
    mutates: false,
    variants: one(async (at) => {
      const { uuid } = await at.w.user(at.t, { password: true });
      return {
        params: { user_uuid: uuid },
        objects: [at.t],
        body: () => ({ old_password: 'pw', new_password: 'pw' }),
      };
    }),
  },
  'PUT /users/{user_uuid}/emails': {
    acl: 'auth.users.{user_uuid}.emails.update',
    rule: 'caller-subtree',
    spec: 'users.md §3; README: tenant isolation where upstream has none',
    part: 'user-services',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    mutates: false,
    variants: onUser({ body: () => ({ emails: [{ address: `${uniq('e')}@example.com`, main: true }] }) }),
  },
  'PUT /admin/users/{user_uuid}/emails': {
    acl: 'auth.admin.users.{user_uuid}.emails.update',
    rule: 'caller-subtree',
    spec: 'users.md §3; README: tenant isolation where upstream has none',
    part: 'user-services',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    mutates: false,
    variants: onUser({
      body: () => ({ emails: [{ address: `${uniq('e')}@example.com`, main: true, confirmed: true }] }),
    }),
  },
  'GET /users/{user_uuid}/emails/{email_uuid}/confirm': {
    acl: 'auth.users.{user_uuid}.emails.{email_uuid}.confirm.read',
    rule: 'caller-subtree',
    spec: 'emails-and-password-reset.md §3; README: tenant isolation where upstream has none',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    // Mails a link (a token is minted): a new user for the next one (mails to one user are throttled).
    mutates: true,
    effect: true,
    variants: [
      {
        name: '',
        build: async (at) => {
          const user = await email(at);
          return { params: { user_uuid: user.uuid, email_uuid: user.email! }, objects: [at.t] };
        },
      },
      {
        // The address of a user of the target, named under a user of the caller's own tenant.
        name: "another user's address",
        home: true,
        build: async (at) => {
          const { uuid } = await at.w.user(at.home);
          const other = await email(at);
          return {
            params: { user_uuid: uuid, email_uuid: other.email! },
            objects: [
              fromCaller(at.home),
              { tenant: at.t, from: 'nobody', deny: NOT_FOUND('unknown-email') },
            ],
          };
        },
      },
    ],
  },
  'PUT /emails/{email_uuid}/confirm': {
    acl: 'auth.emails.{email_uuid}.confirm.update',
    rule: 'caller-subtree',
    spec: 'emails-and-password-reset.md §3; README: an API token confirms only its subtree',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-email'),
    mutates: true,
    variants: one(async (at) => ({ params: { email_uuid: (await email(at)).email! }, objects: [at.t] })),
  },
  'GET /emails/{email_uuid}/confirm': {
    acl: 'auth.emails.{email_uuid}.confirm.update',
    rule: 'caller-subtree',
    spec: 'emails-and-password-reset.md §3; README: an API token confirms only its subtree',
    part: 'user-services',
    ok: [200],
    deny: NOT_FOUND('unknown-email'),
    mutates: true,
    effect: true,
    variants: one(async (at) => ({ params: { email_uuid: (await email(at)).email! }, objects: [at.t] })),
  },
  'POST /users/password/reset': {
    acl: 'auth.users.password.reset.{user_uuid}.create',
    rule: 'caller-subtree',
    spec: 'emails-and-password-reset.md §4; README: an API token resets only its subtree',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    mutates: false,
    variants: one(async (at) => {
      const { uuid } = await at.w.user(at.t);
      return {
        params: { user_uuid: uuid },
        query: { user_uuid: uuid },
        objects: [at.t],
        body: () => ({ password: 'pw' }),
      };
    }),
  },
  'GET /users/password/reset': {
    acl: null,
    rule: 'public',
    spec: 'emails-and-password-reset.md §4: always 204',
    part: 'user-services',
    ok: [204],
    variants: inScope({ query: { username: 'nobody-at-all' } }),
  },
  'POST /users/register': {
    acl: null,
    rule: 'public',
    spec: 'users.md §3 (optional registration; enabled for the matrix): an incomplete body',
    part: 'user-services',
    ok: [400],
    mutates: false,
    variants: inScope({ body: () => ({}) }),
  },
  'GET /users/{user_uuid}/policies': {
    acl: 'auth.users.{user_uuid}.policies.read',
    rule: 'caller-subtree',
    spec: "users.md §3; README: another tenant's user lists nothing, as an unknown one",
    part: 'users',
    ok: [200],
    deny: { status: 200, asUnknown: true },
    self: true,
    variants: [
      ...onUser({}, async (at, user) => {
        await at.w.policy(at.t, { users: [user] });
      }),
      {
        // Also linked to a (not shared) policy of the master tenant: the leak scan checks that only a
        // caller who sees that policy is shown it.
        name: ALSO_MASTER,
        noSelf: true,
        build: async (at) => {
          const { uuid } = await at.w.user(at.t);
          await at.w.policy(at.t, { users: [uuid] });
          await at.w.policy('master', { users: [uuid] });
          return { params: { user_uuid: uuid }, objects: [fromCaller(at.t)] };
        },
      },
    ],
  },
  'PUT /users/{user_uuid}/policies/{policy}': {
    acl: 'auth.users.{user_uuid}.policies.{policy}.create',
    rule: 'subtree',
    spec: "users.md §3; README: the user, and a policy named by UUID, within the caller's own tenant subtree (Wazo-Tenant ignored for them); by slug, the scoping tenant's",
    part: 'users',
    ok: [204],
    deny: { status: 404 },
    variants: linkVariants('user', false, { userFrom: 'caller', policyFrom: 'caller' }),
  },
  'DELETE /users/{user_uuid}/policies/{policy}': {
    acl: 'auth.users.{user_uuid}.policies.{policy}.delete',
    rule: 'subtree',
    spec: 'users.md §3 (policy scoped); README: the user within the caller subtree',
    part: 'users',
    ok: [204],
    deny: { status: 404 },
    variants: linkVariants('user', true, { userFrom: 'caller' }),
  },
  'GET /users/{user_uuid}/groups': {
    acl: 'auth.users.{user_uuid}.groups.read',
    rule: 'subtree',
    spec: 'users.md §3',
    part: 'users',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    self: true,
    variants: onUser({}, async (at, user) => {
      await at.w.group(at.t, [user]);
    }),
  },
  'GET /users/{user_uuid}/sessions': {
    acl: 'auth.users.{user_uuid}.sessions.read',
    rule: 'subtree',
    spec: 'sessions.md §2',
    part: 'users',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    self: true,
    variants: one(async (at) => {
      if (at.self) return { params: { user_uuid: at.caller!.uuid }, objects: [at.home] };
      const { user } = await at.w.session(at.t);
      return { params: { user_uuid: user }, objects: [at.t] };
    }),
  },
  'DELETE /users/{user_uuid}/sessions/{session_uuid}': {
    acl: 'auth.users.{user_uuid}.sessions.{session_uuid}.delete',
    rule: 'subtree',
    spec: 'sessions.md §2',
    part: 'users',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: [
      {
        name: '',
        build: async (at) => {
          const { user, session } = await at.w.session(at.t);
          return { params: { user_uuid: user, session_uuid: session }, objects: [at.t] };
        },
      },
      {
        // README: only a session of that user ends (upstream ends any), still a 204.
        name: "another user's session",
        build: async (at) => {
          const { uuid } = await at.w.user(at.t);
          const { session } = await at.w.session(at.t);
          return {
            params: { user_uuid: uuid, session_uuid: session },
            objects: [at.t, { tenant: at.t, from: 'nobody', deny: { status: 204 } }],
          };
        },
      },
    ],
  },
  'GET /users/{user_uuid}/tokens': {
    acl: 'auth.users.{user_uuid}.tokens.read',
    rule: 'subtree',
    spec: 'tokens.md §7',
    part: 'users',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    self: true,
    variants: onUser({}, (at, user) => at.w.refreshToken(user, at.t)),
  },
  'DELETE /users/{user_uuid}/tokens/{client_id}': {
    acl: 'auth.users.{user_uuid}.tokens.{client_id}.delete',
    rule: 'subtree',
    spec: 'tokens.md §7',
    part: 'users',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: [
      ...onUser({ params: { client_id: CLIENT_ID } }, (at, user) => at.w.refreshToken(user, at.t)),
      {
        // Another user of the target has a refresh token of that client: not reachable through this path.
        name: "another user's refresh token",
        build: async (at) => {
          const { uuid } = await at.w.user(at.t);
          const other = await at.w.user(at.t);
          await at.w.refreshToken(other.uuid, at.t);
          return {
            params: { user_uuid: uuid, client_id: CLIENT_ID },
            objects: [
              at.t,
              {
                tenant: at.t,
                from: 'nobody',
                deny: NOT_FOUND('cannot-find-refresh-token-matching-client-id'),
              },
            ],
          };
        },
      },
    ],
  },
  'GET /users/me/tokens': {
    acl: 'auth.users.me.tokens.read',
    rule: 'self',
    spec: 'tokens.md §7: the caller, seen from the scoping tenant',
    part: 'users',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    variants: one(async (at) => ({ params: {}, objects: [at.home] })),
  },
  'DELETE /users/me/tokens/{client_id}': {
    acl: 'auth.users.me.tokens.{client_id}.delete',
    rule: 'self',
    spec: 'tokens.md §7',
    part: 'users',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: one(async (at) => {
      if (at.caller) await at.w.refreshToken(at.caller.uuid, at.home);
      return { params: { client_id: CLIENT_ID }, objects: [at.home] };
    }),
  },
  'GET /users/{user_uuid}/external': {
    acl: 'auth.users.{user_uuid}.external.read',
    rule: 'subtree',
    spec: "external-auth.md §3; README: another tenant's user has no data, as an unknown one",
    part: 'user-services',
    ok: [200],
    deny: { status: 200, asUnknown: true },
    self: true,
    variants: onUser({}, (at, user) => at.w.externalData(user, 'google')),
  },
  ...externalUserRoutes('google'),
  ...externalUserRoutes('microsoft'),
  'GET /users/{user_uuid}/external/mobile': {
    acl: 'auth.users.{user_uuid}.external.mobile.read',
    rule: 'subtree',
    spec: 'external-auth.md §5; README: 404 unknown-user outside the scoping tenant',
    part: 'user-services',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    variants: onUser({}, (at, user) => at.w.externalData(user, 'mobile')),
  },
  'POST /users/{user_uuid}/external/mobile': {
    acl: 'auth.users.{user_uuid}.external.mobile.create',
    rule: 'subtree',
    spec: 'external-auth.md §5',
    part: 'user-services',
    ok: [201],
    deny: NOT_FOUND('unknown-user'),
    variants: onUser({ body: () => ({ token: 'device' }) }),
  },
  'PUT /users/{user_uuid}/external/mobile': {
    acl: 'auth.users.{user_uuid}.external.mobile.update',
    rule: 'subtree',
    spec: 'external-auth.md §5',
    part: 'user-services',
    ok: [200],
    deny: NOT_FOUND('unknown-user'),
    mutates: false,
    variants: onUser({ body: () => ({ token: uniq('device') }) }, (at, user) =>
      at.w.externalData(user, 'mobile'),
    ),
  },
  'DELETE /users/{user_uuid}/external/mobile': {
    acl: 'auth.users.{user_uuid}.external.mobile.delete',
    rule: 'subtree',
    spec: 'external-auth.md §5',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: onUser({}, (at, user) => at.w.externalData(user, 'mobile')),
  },
  'GET /users/{user_uuid}/external/mobile/sender_id': {
    acl: 'auth.users.{user_uuid}.external.mobile.sender_id.read',
    rule: 'scope',
    spec: "external-auth.md §5: the scoping tenant's sender id, the user is not looked at (checked: never another tenant's)",
    part: 'user-services',
    ok: [200],
    // The user of the path is of another tenant than the scoping one, on purpose.
    variants: one(async (at) => {
      const elsewhere: TenantName = at.t === 'sibling' ? 'child' : 'sibling';
      return { params: { user_uuid: (await at.w.user(elsewhere)).uuid }, objects: [at.t] };
    }),
    check: (res, at) => {
      const expected = `sender-${at.t}`;
      const got = res.json<{ sender_id: unknown }>().sender_id;
      return got === expected
        ? null
        : `sender_id ${JSON.stringify(got)}, expected the scoping tenant's ${expected}`;
    },
  },

  // ----- identity providers (idp.md §3) -----
  'GET /idp': {
    acl: 'auth.idp.read',
    rule: 'global',
    spec: 'idp.md §3: the login methods, no tenant data',
    part: 'user-services',
    ok: [200],
    variants: inScope(),
  },
  'PUT /idp/{idp_type}/users/{user_uuid}': {
    acl: 'auth.idp.{idp_type}.users.{user_uuid}.create',
    rule: 'subtree',
    spec: 'idp.md §3',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    // The user's method is `default`: made `native`, it changes.
    variants: one(async (at) => {
      const { uuid } = await at.w.user(at.t, { method: 'default' });
      return { params: { idp_type: 'native', user_uuid: uuid }, objects: [at.t] };
    }),
  },
  'DELETE /idp/{idp_type}/users/{user_uuid}': {
    acl: 'auth.idp.{idp_type}.users.{user_uuid}.delete',
    rule: 'subtree',
    spec: 'idp.md §3',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: onUser({ params: { idp_type: 'native' } }),
  },
  'PUT /idp/{idp_type}/users': {
    acl: 'auth.idp.{idp_type}.users.update',
    rule: 'subtree',
    spec: 'idp.md §3: every listed user visible, else 404 and nothing changed',
    part: 'user-services',
    ok: [204],
    deny: NOT_FOUND('unknown-user'),
    variants: [
      ...one(async (at) => {
        const { uuid } = await at.w.user(at.t);
        return { params: { idp_type: 'ldap' }, objects: [at.t], body: () => ({ users: [{ uuid }] }) };
      }),
      {
        // A user of the caller's tenant first, then one of the target: all or nothing.
        name: "a user of the caller's tenant, then one of the target",
        cross: true,
        build: async (at) => {
          const mine = await at.w.user(at.home);
          const theirs = await at.w.user(at.t);
          return {
            params: { idp_type: 'ldap' },
            objects: [at.home, at.t],
            body: () => ({ users: [{ uuid: mine.uuid }, { uuid: theirs.uuid }] }),
          };
        },
      },
    ],
  },

  // ----- groups (groups.md §2) -----
  'GET /groups': {
    acl: 'auth.groups.read',
    rule: 'scope',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [200],
    variants: inScope(RECURSE),
  },
  'POST /groups': {
    acl: 'auth.groups.create',
    rule: 'scope',
    spec: 'groups.md §2: owned by the scoping tenant',
    part: 'groups-policies',
    ok: [200],
    variants: inScope({ body: () => ({ name: uniq('newgroup') }) }),
  },
  'GET /groups/{group_uuid}': {
    acl: 'auth.groups.{group_uuid}.read',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [200],
    deny: NOT_FOUND('unknown-group'),
    variants: onGroup(),
  },
  'PUT /groups/{group_uuid}': {
    acl: 'auth.groups.{group_uuid}.update',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [200],
    deny: NOT_FOUND('unknown-group'),
    mutates: false,
    variants: onGroup({ body: () => ({ name: uniq('renamedgroup') }) }),
  },
  'DELETE /groups/{group_uuid}': {
    acl: 'auth.groups.{group_uuid}.delete',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [204],
    deny: NOT_FOUND('unknown-group'),
    variants: onGroup(),
  },
  'GET /groups/{group_uuid}/users': {
    acl: 'auth.groups.{group_uuid}.users.read',
    rule: 'subtree',
    spec: 'groups.md §2; README: an invisible group has no members, as an unknown one',
    part: 'groups-policies',
    ok: [200],
    deny: { status: 200, asUnknown: true },
    variants: one(async (at) => {
      const { uuid } = await at.w.user(at.t);
      return { params: { group_uuid: await at.w.group(at.t, [uuid]) }, objects: [at.t] };
    }),
  },
  'PUT /groups/{group_uuid}/users/{user_uuid}': {
    acl: 'auth.groups.{group_uuid}.users.{user_uuid}.create',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [204],
    deny: { status: 404 },
    variants: one(async (at) => {
      const { uuid } = await at.w.user(at.t);
      return { params: { group_uuid: await at.w.group(at.t), user_uuid: uuid }, objects: [at.t] };
    }),
  },
  'DELETE /groups/{group_uuid}/users/{user_uuid}': {
    acl: 'auth.groups.{group_uuid}.users.{user_uuid}.delete',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [204],
    deny: NOT_FOUND('unknown-group'),
    variants: one(async (at) => {
      const { uuid } = await at.w.user(at.t);
      return { params: { group_uuid: await at.w.group(at.t, [uuid]), user_uuid: uuid }, objects: [at.t] };
    }),
  },
  'GET /groups/{group_uuid}/policies': {
    acl: 'auth.groups.{group_uuid}.policies.read',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [200],
    deny: NOT_FOUND('unknown-group'),
    variants: [
      ...one(async (at) => {
        const group = await at.w.group(at.t);
        await at.w.policy(at.t, { groups: [group] });
        return { params: { group_uuid: group }, objects: [at.t] };
      }),
      {
        // groups.md §2: the items are the linked policies the scoping tenant sees (the leak scan checks it).
        name: ALSO_MASTER,
        build: async (at) => {
          const group = await at.w.group(at.t);
          await at.w.policy(at.t, { groups: [group] });
          await at.w.policy('master', { groups: [group] });
          return { params: { group_uuid: group }, objects: [at.t] };
        },
      },
    ],
  },
  'PUT /groups/{group_uuid}/policies/{policy}': {
    acl: 'auth.groups.{group_uuid}.policies.{policy}.create',
    rule: 'subtree',
    spec: 'groups.md §2: group and policy visible from the scoping tenant',
    part: 'groups-policies',
    ok: [204],
    deny: { status: 404 },
    variants: linkVariants('group', false),
  },
  'DELETE /groups/{group_uuid}/policies/{policy}': {
    acl: 'auth.groups.{group_uuid}.policies.{policy}.delete',
    rule: 'subtree',
    spec: 'groups.md §2',
    part: 'groups-policies',
    ok: [204],
    deny: { status: 404 },
    variants: linkVariants('group', true),
  },

  // ----- policies (policies.md §4) -----
  'GET /policies': {
    acl: 'auth.policies.read',
    rule: 'scope',
    spec: 'policies.md §4',
    part: 'groups-policies',
    ok: [200],
    variants: inScope(RECURSE),
  },
  'POST /policies': {
    acl: 'auth.policies.create',
    rule: 'scope',
    spec: 'policies.md §4: owned by the scoping tenant',
    part: 'groups-policies',
    ok: [200],
    variants: inScope({ body: () => ({ name: uniq('newpolicy'), acl: POLICY_ACL }) }),
  },
  'GET /policies/{policy}': {
    acl: 'auth.policies.{policy}.read',
    rule: 'subtree',
    spec: 'policies.md §4 (by UUID: the subtree of the scoping tenant)',
    part: 'groups-policies',
    ok: [200],
    deny: NO_SUCH_POLICY,
    variants: onPolicy(),
  },
  'PUT /policies/{policy}': {
    acl: 'auth.policies.{policy}.update',
    rule: 'subtree',
    spec: 'policies.md §4',
    part: 'groups-policies',
    ok: [200],
    deny: NO_SUCH_POLICY,
    mutates: false,
    variants: onPolicy({ body: () => ({ name: uniq('renamedpolicy'), acl: POLICY_ACL }) }),
  },
  'DELETE /policies/{policy}': {
    acl: 'auth.policies.{policy}.delete',
    rule: 'subtree',
    spec: 'policies.md §4',
    part: 'groups-policies',
    ok: [204],
    deny: NO_SUCH_POLICY,
    variants: onPolicy(),
  },
  'PUT /policies/{policy}/acl/{access}': {
    acl: 'auth.policies.{policy}.update',
    rule: 'subtree',
    spec: 'policies.md §4',
    part: 'groups-policies',
    ok: [204],
    deny: NO_SUCH_POLICY,
    variants: onPolicy({ params: { access: 'auth.matrix.write' } }),
  },
  'DELETE /policies/{policy}/acl/{access}': {
    acl: 'auth.policies.{policy}.update',
    rule: 'subtree',
    spec: 'policies.md §4',
    part: 'groups-policies',
    ok: [204],
    deny: NO_SUCH_POLICY,
    variants: onPolicy({ params: { access: POLICY_ACL[0]! } }),
  },

  // ----- tenants (tenants.md §3) -----
  'GET /tenants': {
    acl: 'auth.tenants.read',
    rule: 'scope',
    spec: 'tenants.md §3: the scoping tenant and its descendants',
    part: 'tenants-sessions-tokens',
    ok: [200],
    variants: inScope(),
  },
  'POST /tenants': {
    acl: 'auth.tenants.create',
    rule: 'scope',
    spec: 'tenants.md §3: a child of the scoping tenant; its contact a user the scoping tenant sees',
    part: 'tenants-sessions-tokens',
    ok: [200],
    variants: [
      ...inScope({ body: () => ({ name: uniq('newtenant') }) }),
      ...TREE.map(
        (tenant): Variant => ({
          name: `contact: a user of ${tenant}`,
          build: async (at) => {
            const { uuid } = await at.w.user(tenant);
            return {
              params: {},
              objects: [at.t, { tenant, deny: NOT_FOUND('unknown-user') }],
              body: () => ({ name: uniq('newtenant'), contact: uuid }),
            };
          },
        }),
      ),
    ],
  },
  'GET /tenants/{tenant_uuid}': {
    acl: 'auth.tenants.{tenant_uuid}.read',
    rule: 'subtree',
    spec: 'tenants.md §3',
    part: 'tenants-sessions-tokens',
    ok: [200],
    deny: NOT_FOUND('unknown-tenant'),
    variants: onLeaf(),
  },
  'PUT /tenants/{tenant_uuid}': {
    acl: 'auth.tenants.{tenant_uuid}.update',
    rule: 'subtree',
    spec: 'tenants.md §3',
    part: 'tenants-sessions-tokens',
    ok: [200],
    deny: NOT_FOUND('unknown-tenant'),
    mutates: false,
    variants: [
      ...onLeaf({ body: () => ({ name: uniq('renamedtenant') }) }),
      {
        // A tenant of the caller's tenant given a user of the target as its contact.
        name: 'contact: a user of the target',
        cross: true,
        build: async (at) => {
          const leaf = await at.w.leaf(at.home);
          const { uuid } = await at.w.user(at.t);
          return {
            params: { tenant_uuid: leaf },
            objects: [at.home, { tenant: at.t, deny: NOT_FOUND('unknown-user') }],
            body: () => ({ name: uniq('renamedtenant'), contact: uuid }),
          };
        },
      },
    ],
  },
  'DELETE /tenants/{tenant_uuid}': {
    acl: 'auth.tenants.{tenant_uuid}.delete',
    rule: 'subtree',
    spec: 'tenants.md §3',
    part: 'tenants-sessions-tokens',
    ok: [204],
    deny: NOT_FOUND('unknown-tenant'),
    variants: onLeaf(),
  },
  'GET /tenants/{tenant_uuid}/domains': {
    acl: 'auth.tenants.{tenant_uuid}.domains.read',
    rule: 'subtree',
    spec: "tenants.md §3; README: only a tenant of the caller's subtree",
    part: 'tenants-sessions-tokens',
    ok: [200],
    deny: NOT_FOUND('unknown-tenant'),
    variants: onLeaf(),
  },
  'PUT /tenants/{tenant_uuid}/parent/{parent_tenant_uuid}': {
    acl: 'auth.tenants.{tenant_uuid}.parent.{parent_tenant_uuid}.update',
    rule: 'subtree',
    spec: 'tenants.md §3: both tenants visible',
    part: 'tenants-sessions-tokens',
    ok: [204],
    deny: NOT_FOUND('unknown-tenant'),
    variants: [
      {
        // A tenant of the target moved under another tenant of the target.
        name: '',
        build: async (at) => ({
          params: { tenant_uuid: await at.w.leaf(at.t), parent_tenant_uuid: await at.w.leaf(at.t) },
          objects: [at.t],
        }),
      },
      {
        name: "a tenant of the caller's tenant moved under the target",
        cross: true,
        build: async (at) => ({
          params: { tenant_uuid: await at.w.leaf(at.home), parent_tenant_uuid: at.w.tree[at.t] },
          objects: [at.home, at.t],
        }),
      },
    ],
  },

  // ----- sessions (sessions.md §2) -----
  'GET /sessions': {
    acl: 'auth.sessions.read',
    rule: 'scope',
    spec: 'sessions.md §2',
    part: 'tenants-sessions-tokens',
    ok: [200],
    variants: inScope(RECURSE),
  },
  'DELETE /sessions/{session_uuid}': {
    acl: 'auth.sessions.{session_uuid}.delete',
    rule: 'subtree',
    spec: 'sessions.md §2: always 204, a session outside the tenants is left alone',
    part: 'tenants-sessions-tokens',
    ok: [204],
    deny: { status: 204 },
    effect: true,
    variants: one(async (at) => ({
      params: { session_uuid: (await at.w.session(at.t)).session },
      objects: [at.t],
    })),
  },

  // ----- tokens (tokens.md) -----
  'GET /tokens': {
    acl: 'auth.tokens.read',
    rule: 'scope',
    spec: 'tokens.md §7: refresh tokens of the scoping tenant',
    part: 'tenants-sessions-tokens',
    ok: [200],
    variants: inScope(RECURSE),
  },
  'POST /token': {
    acl: null,
    rule: 'public',
    spec: 'tokens.md §3: no credentials, 401 whoever sends the request',
    part: 'tenants-sessions-tokens',
    ok: [401],
    mutates: false,
    variants: inScope({ body: () => ({}) }),
  },
  'GET /token/{token}': {
    acl: null,
    rule: 'public',
    spec: 'tokens.md: the token value is the authority',
    part: 'tenants-sessions-tokens',
    ok: [200],
    tenants: true,
    variants: onToken(200),
  },
  'HEAD /token/{token}': {
    acl: null,
    rule: 'public',
    spec: 'tokens.md: the token value is the authority',
    part: 'tenants-sessions-tokens',
    ok: [204],
    tenants: true,
    variants: onToken(204),
  },
  'DELETE /token/{token}': {
    acl: null,
    rule: 'public',
    spec: 'tokens.md: the token value is the authority (revokes it)',
    part: 'tenants-sessions-tokens',
    ok: [200],
    tenants: true,
    effect: true,
    variants: onToken(200).slice(0, 1),
  },
  'POST /token/{token}/scopes/check': {
    acl: null,
    rule: 'public',
    spec: 'tokens.md: the token value is the authority',
    part: 'tenants-sessions-tokens',
    ok: [200],
    tenants: true,
    mutates: false,
    variants: onToken(200, { body: () => ({ scopes: ['auth.users.me.read'] }) }, 'body'),
  },

  // ----- configuration, metrics, status, documentation -----
  'GET /config': {
    acl: 'auth.config.read',
    rule: 'master-only',
    spec: 'conventions.md §4 step 3, §7',
    part: 'tenants-sessions-tokens',
    ok: [200],
    variants: inScope(),
  },
  'PATCH /config': {
    acl: 'auth.config.update',
    rule: 'master-only',
    spec: 'conventions.md §4 step 3, §7',
    part: 'tenants-sessions-tokens',
    ok: [200],
    // The configuration lives in memory: nothing to see in the database.
    mutates: false,
    effect: false,
    variants: inScope({ body: () => [{ op: 'replace', path: '/debug', value: false }] }),
  },
  'GET /metrics': {
    acl: 'auth.metrics.read',
    rule: 'global',
    spec: 'README (ours): Prometheus counters of the whole server, no tenant data',
    part: 'tenants-sessions-tokens',
    ok: [200],
    variants: inScope(),
  },
  'HEAD /status': publicProbe('conventions.md §7', [200], 'tenants-sessions-tokens'),
  'GET /status/live': publicProbe('README (ours): liveness', [200], 'tenants-sessions-tokens'),
  'GET /status/ready': publicProbe('README (ours): readiness', [200], 'tenants-sessions-tokens'),
  'GET /backends': publicProbe('conventions.md §7', [200], 'tenants-sessions-tokens'),
  'GET /api/api.yml': publicProbe('conventions.md §7', [200], 'tenants-sessions-tokens'),

  // ----- LDAP configuration (ldap.md §3) -----
  'GET /backends/ldap': {
    acl: 'auth.backends.ldap.read',
    rule: 'scope',
    spec: "ldap.md §3: the scoping tenant's configuration",
    part: 'backends-misc',
    ok: [200],
    variants: one(async (at) => {
      await at.w.ldapConfig(at.t, true);
      return { params: {}, objects: [at.t] };
    }),
    check: (res, at) => tenantOfAnswer(res, at),
  },
  'PUT /backends/ldap': {
    acl: 'auth.backends.ldap.update',
    rule: 'scope',
    spec: 'ldap.md §3',
    part: 'backends-misc',
    ok: [200],
    mutates: false,
    variants: one(async (at) => {
      await at.w.ldapConfig(at.t, false);
      return {
        params: {},
        objects: [at.t],
        body: () => ({ ...LDAP_CONFIG, host: `${uniq('ldap')}.example.com` }),
      };
    }),
    check: (res, at) => tenantOfAnswer(res, at),
  },
  'DELETE /backends/ldap': {
    acl: 'auth.backends.ldap.delete',
    rule: 'scope',
    spec: 'ldap.md §3',
    part: 'backends-misc',
    ok: [204],
    variants: one(async (at) => {
      await at.w.ldapConfig(at.t, true);
      return { params: {}, objects: [at.t] };
    }),
  },

  // ----- SAML configuration (saml.md §2) -----
  'GET /backends/saml': samlRoute('auth.backends.saml.read', 'GET', true),
  'POST /backends/saml': samlRoute('auth.backends.saml.create', 'POST', false),
  'PUT /backends/saml': samlRoute('auth.backends.saml.update', 'PUT', true),
  'DELETE /backends/saml': samlRoute('auth.backends.saml.delete', 'DELETE', true),
  'GET /backends/saml/metadata': samlRoute('auth.backends.saml.read', 'GET', true),
  'GET /backends/saml/sp_metadata': samlRoute('auth.backends.saml.read', 'GET', true),
  'GET /backends/saml/acs_url_template': {
    acl: 'auth.backends.saml.read',
    rule: 'global',
    spec: 'saml.md §2: the configured template, no tenant data',
    part: 'backends-misc',
    ok: [200],
    variants: inScope(),
  },

  // ----- external auth (external-auth.md §3) -----
  'GET /external/{auth_type}/config': externalConfigRoute('read', 'GET', true, [200]),
  'POST /external/{auth_type}/config': externalConfigRoute('create', 'POST', false, [201]),
  'PUT /external/{auth_type}/config': externalConfigRoute('update', 'PUT', true, [204]),
  'DELETE /external/{auth_type}/config': externalConfigRoute('delete', 'DELETE', true, [204]),
  'GET /external/{auth_type}/users': {
    acl: 'auth.{auth_type}.external.users.read',
    rule: 'scope',
    spec: 'external-auth.md §3.4',
    part: 'backends-misc',
    ok: [200],
    variants: inScope({ params: { auth_type: 'google' }, query: { recurse: 'true' } }),
  },
  'GET /external/google/authorize': publicProbe(
    'external-auth.md §4 (ours: the redirect URI; no pending state)',
    [400, 404],
    'backends-misc',
  ),
  'GET /external/microsoft/authorize': publicProbe(
    'external-auth.md §4 (ours: the redirect URI; no pending state)',
    [400, 404],
    'backends-misc',
  ),

  // ----- SAML flows (saml.md §3–5): no token -----
  'POST /saml/sso': {
    // saml.md §3.4: 500 configuration-error, "no SP client for that domain name".
    ...publicProbe('saml.md §3: a domain without configuration', [500], 'backends-misc'),
    variants: inScope({
      body: () => ({ domain: 'nowhere.example.com', redirect_url: 'https://app.example.com' }),
    }),
  },
  'POST /saml/acs': {
    ...publicProbe('saml.md §4: no SAMLResponse', [400], 'backends-misc'),
    variants: inScope({ body: () => ({}) }),
  },
  'GET /saml/logout': publicProbe(
    "saml.md §5: the caller's own token, which no SAML login made",
    [404],
    'backends-misc',
  ),
  'GET /saml/sls': publicProbe('saml.md §5: no LogoutResponse', [400], 'backends-misc'),
};

// ---------------------------------------------------------------------------------------------------------
// Entry makers shared by several routes.

function onGroup(extra: Partial<Built> = {}): Variant[] {
  return one(async (at) => ({ params: { group_uuid: await at.w.group(at.t) }, objects: [at.t], ...extra }));
}

/** A policy of the target tenant, named by UUID (the scoping tenant's subtree) or by slug (that tenant only). */
function onPolicy(extra: Partial<Built> & { params?: Record<string, string> } = {}): Variant[] {
  const make =
    (slug: boolean) =>
    async (at: At): Promise<Built> => {
      const policy = await at.w.policy(at.t);
      return {
        ...extra,
        params: { policy: slug ? at.w.slugOf(policy) : policy, ...extra.params },
        objects: [slug ? { tenant: at.t, from: 'exact' } : at.t],
      };
    };
  return [
    { name: '', build: make(false) },
    { name: BY_SLUG, build: make(true) },
  ];
}

function onLeaf(extra: Partial<Built> = {}): Variant[] {
  return one(async (at) => ({ params: { tenant_uuid: await at.w.leaf(at.t) }, objects: [at.t], ...extra }));
}

/**
 * A token of a user of the target tenant; then the same checked against each tenant of the tree (`tenant`
 * query, or `tenant_uuid` in the body): 403 unless that tenant is the token's user's or below it (tokens.md).
 */
function onToken(
  success: number,
  extra: Partial<Built> = {},
  tenantIn: 'query' | 'body' = 'query',
): Variant[] {
  const plain: Variant = {
    name: '',
    build: async (at) => ({ params: { token: (await at.w.session(at.t)).token }, objects: [at.t], ...extra }),
  };
  // The tenant check is the token's (of the path), not the caller's: once, without a token.
  const against = (tenant: TenantName): Variant => ({
    name: `checked against tenant ${tenant}`,
    anonymousOnly: true,
    build: async (at) => {
      const uuid = at.w.tree[tenant];
      const body = extra.body;
      return {
        params: { token: (await at.w.session(at.t)).token },
        objects: [at.t],
        ...(tenantIn === 'query'
          ? { query: { tenant: uuid } }
          : { body: () => ({ ...(body?.() as object), tenant_uuid: uuid }) }),
        publicAnswer: [inSubtree(tenant, at.t) ? success : 403],
      };
    },
  });
  return [plain, ...TREE.map(against)];
}

function publicProbe(spec: string, ok: number[], part: Part): Entry {
  return { acl: null, rule: 'public', spec, part, ok, mutates: false, variants: inScope() };
}

function externalUserRoutes(type: 'google' | 'microsoft'): Record<string, Entry> {
  const spec = 'external-auth.md §4; README: 404 unknown-user outside the scoping tenant';
  const acl = (action: string) => `auth.users.{user_uuid}.external.${type}.${action}`;
  return {
    [`GET /users/{user_uuid}/external/${type}`]: {
      acl: acl('read'),
      rule: 'subtree',
      spec,
      part: 'user-services',
      ok: [200],
      deny: NOT_FOUND('unknown-user'),
      variants: onUser({}, (at, user) => at.w.externalData(user, type)),
    },
    [`POST /users/{user_uuid}/external/${type}`]: {
      acl: acl('create'),
      rule: 'subtree',
      spec,
      part: 'user-services',
      ok: [201],
      deny: NOT_FOUND('unknown-user'),
      // Each start writes a new pending authorization.
      mutates: false,
      variants: onUser({ body: () => ({}) }),
    },
    [`DELETE /users/{user_uuid}/external/${type}`]: {
      acl: acl('delete'),
      rule: 'subtree',
      spec,
      part: 'user-services',
      ok: [204],
      deny: NOT_FOUND('unknown-user'),
      variants: onUser({}, (at, user) => at.w.externalData(user, type)),
    },
  };
}

/** The SAML configuration routes: the scoping tenant's configuration, present (or absent for POST). */
function samlRoute(acl: string, method: string, present: boolean): Entry {
  return {
    acl,
    rule: 'scope',
    spec: "saml.md §2: the scoping tenant's configuration",
    part: 'backends-misc',
    ok: method === 'DELETE' ? [204] : [200],
    // A PUT sets a new entity id each time.
    mutates: method !== 'PUT' && method !== 'GET',
    variants: one(async (at) => {
      await at.w.samlConfig(at.t, present);
      const raw =
        method === 'POST' ? samlForm(at) : method === 'PUT' ? samlForm(at, ['entity_id']) : undefined;
      return { params: {}, objects: [at.t], ...(raw ? { raw } : {}) };
    }),
  };
}

/** `/external/{auth_type}/config` on a type of the matrix's own: the scoping tenant's configuration. */
function externalConfigRoute(action: string, method: string, present: boolean, ok: number[]): Entry {
  return {
    acl: `auth.{auth_type}.external.config.${action}`,
    rule: 'scope',
    spec: "external-auth.md §3.3: the scoping tenant's configuration",
    part: 'backends-misc',
    ok,
    // A PUT writes a new value each time.
    mutates: method !== 'PUT' && method !== 'GET',
    variants: one(async (at) => {
      await at.w.externalConfig(at.t, present);
      return {
        params: { auth_type: CONFIG_TYPE },
        objects: [at.t],
        ...(method === 'POST' || method === 'PUT' ? { body: () => ({ k: uniq('v') }) } : {}),
      };
    }),
  };
}

/** The `tenant_uuid` of a configuration answered: the scoping tenant's. */
function tenantOfAnswer(res: ClientResponse, at: At): string | null {
  const got = res.json<{ tenant_uuid?: unknown }>().tenant_uuid;
  return got === at.w.tree[at.t] ? null : `tenant_uuid ${String(got)}, expected the scoping tenant's`;
}

/** Every key of the table, in the part `part`. */
export const keysOf = (part: Part) => Object.keys(TABLE).filter((key) => TABLE[key]!.part === part);
