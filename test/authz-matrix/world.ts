// The world the authorization matrix runs in: one server on a fresh PostgreSQL database, the tenant tree
// master → child → grandchild and master → sibling, the callers (each logged in through POST /token), and
// makers of target objects in any tenant (written straight to the database: no password hashing unless a
// route needs one, and fast enough to re-create an object after every allowed deletion).

import { randomBytes, randomUUID } from 'node:crypto';
import type { Test as Tap } from 'tap';
import type { Config } from '../../src/config/index.js';
import {
  Access,
  allUsersGroupName,
  Email,
  ExternalAuthType,
  Group,
  Policy,
  RefreshToken,
  Tenant,
  User,
  UserExternalAuth,
  type UserPurpose,
} from '../../src/entities/index.js';
import { hashPassword } from '../../src/passwords/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Caller, caller } from '../helpers/callers.js';
import { createTenant, masterUuid } from '../helpers/fixtures.js';
import type { ClientResponse } from '../helpers/http.js';
import { addDomain, samlKeys, sendConfig, TestIdp } from '../helpers/saml-idp.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { tokenStore } from '../helpers/stored-tokens.js';
import { tokenFor } from '../helpers/tokens.js';
import type { TenantName } from './oracle.js';

export const TENANTS: readonly TenantName[] = ['child', 'grandchild', 'master', 'sibling'];

/**
 * The targets as the task names them, relative to the sub-tenant administrator (an administrator of
 * `child`): own = child, child = grandchild, parent = master, sibling = sibling.
 */
export const TARGET_LABEL: Record<TenantName, string> = {
  child: 'own(child)',
  grandchild: 'child(grandchild)',
  master: 'parent(master)',
  sibling: 'sibling(sibling)',
};

export interface CallerSpec {
  name: string;
  /** What the caller is, for the report. */
  role: string;
  tenant: TenantName;
  purpose: UserPurpose;
  acl: string[];
}

/** Every administrator holds `auth.#` (a policy granting all of wazo-auth) in its own tenant. */
export const CALLER_SPECS: readonly CallerSpec[] = [
  { name: 'master-admin', role: 'admin of master', tenant: 'master', purpose: 'user', acl: ['auth.#'] },
  { name: 'sub-admin', role: 'admin of child', tenant: 'child', purpose: 'user', acl: ['auth.#'] },
  { name: 'sibling-admin', role: 'admin of sibling', tenant: 'sibling', purpose: 'user', acl: ['auth.#'] },
  {
    name: 'child-admin',
    role: 'admin of grandchild (child tenant of the sub-tenant)',
    tenant: 'grandchild',
    purpose: 'user',
    acl: ['auth.#'],
  },
  {
    name: 'plain-user',
    role: 'user of child with the usual self-service ACL (`me`)',
    tenant: 'child',
    purpose: 'user',
    acl: [
      'auth.users.me.read',
      'auth.users.me.groups.read',
      'auth.users.me.policies.read',
      'auth.users.me.sessions.read',
      'auth.users.me.sessions.my_session.delete',
      'auth.users.me.tokens.#',
      'auth.users.me.external.#',
    ],
  },
  {
    name: 'service',
    role: 'external_api service of child, read-only (`auth.#.read`), logged in with its id/key',
    tenant: 'child',
    purpose: 'external_api',
    acl: ['auth.#.read'],
  },
  {
    name: 'negative-admin',
    role: 'admin of child whose ACL has negative entries',
    tenant: 'child',
    purpose: 'user',
    acl: [
      'auth.#',
      '!auth.users.*.password.update',
      '!auth.tenants.#',
      '!auth.*.external.config.#',
      '!auth.sessions.*.delete',
      '!auth.groups.*.users.#',
      '!auth.backends.ldap.update',
    ],
  },
];

export interface MatrixCaller extends CallerSpec {
  uuid: string;
  username: string;
  token: string;
  session: string;
}

/** The type name the `/external/{auth_type}/config` cases use, so as not to touch the real types' configs. */
export const CONFIG_TYPE = 'matrixtype';
/** The client id of the refresh tokens the matrix makes. */
export const CLIENT_ID = 'matrix.client';
/** The password of the users made with one. */
export const PASSWORD = 'pw';
/** The entries of the matrix's policies: every administrator may add and remove them (acl.md §4). */
export const POLICY_ACL = ['auth.matrix.read'];

let sequence = 0;
/** A name no other object has (usernames, group and policy names, addresses…). */
export const uniq = (prefix: string) =>
  `${prefix}${(sequence++).toString(36)}${randomBytes(3).toString('hex')}`;

export class World {
  /** Object UUID → the tenant it belongs to: what the leak scan looks for in answers. */
  readonly owner = new Map<string, TenantName>();
  readonly callers: MatrixCaller[] = [];
  /** The master administrator as a matrix caller (`auth.#`). */
  get setupCaller(): MatrixCaller {
    return this.callers.find((caller) => caller.name === 'master-admin')!;
  }
  private readonly storeToken: ReturnType<typeof tokenStore>;
  private readonly typeUuids = new Map<string, string>();
  private readonly domains = new Map<TenantName, string>();
  private readonly slugs = new Map<string, string>();
  /** A UUID no tenant has: the `Wazo-Tenant` of the unknown-tenant cases. */
  readonly unknownTenant = randomUUID();

  private constructor(
    readonly server: TestApp,
    readonly tree: Record<TenantName, string>,
    private readonly idpMetadata: string | null,
  ) {
    this.storeToken = tokenStore(server.orm);
  }

  /** The master administrator, for arranging tenant configurations through the API. */
  get setup(): Caller {
    return caller(this.server, this.setupCaller.token);
  }

  /**
   * The server (every HTTP plugin on, user registration included, so that every route exists; mails to a
   * local sink; no OAuth2 relay; SAML keys when `saml`), the tree and the callers.
   */
  static async create(t: Tap, { saml = false }: { saml?: boolean } = {}): Promise<World> {
    const sink = await startSmtpSink(t);
    const keys = saml ? samlKeys(t) : null;
    const server = await startTestApp(t, (config) => {
      configureMatrix(config);
      config.smtp.hostname = '127.0.0.1';
      config.smtp.port = sink.port;
      if (keys) {
        config.saml.key_file = keys.sp.keyFile;
        config.saml.cert_file = keys.sp.certFile;
      }
    });
    const master = await masterUuid(server.orm);
    const child = await createTenant(server.orm, 'child');
    const tree = {
      master,
      child,
      grandchild: await createTenant(server.orm, 'grandchild', child),
      sibling: await createTenant(server.orm, 'sibling'),
    };
    const world = new World(server, tree, keys ? new TestIdp({ keys: keys.idp }).metadata : null);
    // One password hash for all the callers (argon2 costs about 100 ms); each then logs in, concurrently.
    const stored = await hashPassword(PASSWORD);
    for (const spec of CALLER_SPECS) await world.callerUser(spec, stored);
    world.callers.push(...(await Promise.all(CALLER_SPECS.map((spec) => world.login(spec)))));
    await world.arrange();
    return world;
  }

  tenantName(uuid: string): TenantName {
    const name = TENANTS.find((tenant) => this.tree[tenant] === uuid);
    if (!name) throw new Error(`not a tenant of the tree: ${uuid}`);
    return name;
  }

  private readonly usernames = new Map<string, { uuid: string; username: string }>();

  /** The caller's user, with a policy of its own holding its ACL (what `POST /token` will grant). */
  private async callerUser(spec: CallerSpec, stored: { hash: string | null; salt: Buffer | null }) {
    const em = this.em();
    const tenant = this.tree[spec.tenant];
    const username = uniq(`${spec.name}-`);
    const user = em.create(User, {
      username,
      passwordHash: stored.hash,
      passwordSalt: stored.salt,
      enabled: true,
      tenant,
      purpose: spec.purpose,
      authenticationMethod: 'native',
    });
    const policy = em.create(Policy, { name: uniq(`${spec.name}-acl-`), slug: uniq('callerpolicy'), tenant });
    for (const entry of spec.acl) {
      policy.accesses.add(
        (await em.findOne(Access, { access: entry })) ?? em.create(Access, { access: entry }),
      );
    }
    user.policies.add(policy);
    const allUsers = await em.findOne(Group, { name: allUsersGroupName(tenant) });
    allUsers?.users.add(user);
    await em.flush();
    this.usernames.set(spec.name, { uuid: user.uuid, username });
  }

  /** `POST /token` with the caller's username and password (its service id and key, for the service). */
  private async login(spec: CallerSpec): Promise<MatrixCaller> {
    const { uuid, username } = this.usernames.get(spec.name)!;
    const issued = await tokenFor(this.server, username, PASSWORD);
    this.owner.set(uuid, spec.tenant);
    this.owner.set(issued.session_uuid, spec.tenant);
    return { ...spec, uuid, username, token: issued.token, session: issued.session_uuid };
  }

  /** What every tenant has for the whole run: the OAuth2 and mobile configurations, a domain. */
  private async arrange(): Promise<void> {
    for (const tenant of TENANTS) {
      for (const [type, config] of [
        ['google', { client_id: 'matrix-id', client_secret: 'cs' }],
        ['microsoft', { client_id: 'matrix-id', client_secret: 'cs' }],
        ['mobile', { fcm_sender_id: `sender-${tenant}` }],
      ] as const) {
        expectStatus(await this.setup.post(`/external/${type}/config`, config, this.tree[tenant]), 201);
      }
      this.domains.set(
        tenant,
        await addDomain(this.server.orm, this.tree[tenant], `${uniq('d')}.example.com`),
      );
    }
  }

  private em() {
    return this.server.orm.em.fork();
  }

  // -------------------------------------------------------------------------------------------------------
  // Objects in a tenant.

  /** A user of `tenant` (no password unless asked: hashing costs about 100 ms), in its all-users group. */
  async user(
    tenant: TenantName,
    {
      password = false,
      email,
      method = 'native',
    }: { password?: boolean; email?: { confirmed: boolean }; method?: string } = {},
  ): Promise<{ uuid: string; username: string; email?: string }> {
    const em = this.em();
    const stored = password ? await hashPassword(PASSWORD) : { hash: null, salt: null };
    const username = uniq('u');
    const user = em.create(User, {
      username,
      passwordHash: stored.hash,
      passwordSalt: stored.salt,
      enabled: true,
      tenant: this.tree[tenant],
      purpose: 'user',
      authenticationMethod: method,
    });
    const address = email
      ? em.create(Email, { address: `${username}@example.com`, confirmed: email.confirmed, main: true, user })
      : null;
    const allUsers = await em.findOne(Group, { name: allUsersGroupName(this.tree[tenant]) });
    allUsers?.users.add(user);
    await em.flush();
    this.owner.set(user.uuid, tenant);
    if (address) this.owner.set(address.uuid, tenant);
    return { uuid: user.uuid, username, ...(address ? { email: address.uuid } : {}) };
  }

  /** An ordinary (not system-managed) group of `tenant`, with `members`. */
  async group(tenant: TenantName, members: readonly string[] = []): Promise<string> {
    const em = this.em();
    const name = uniq('g');
    const group = em.create(Group, { name, slug: name, tenant: this.tree[tenant], systemManaged: false });
    await em.flush();
    for (const member of members) await this.link('auth_user_group', 'group_uuid', group.uuid, member);
    this.owner.set(group.uuid, tenant);
    return group.uuid;
  }

  /** A policy of `tenant` (not shared) with POLICY_ACL, linked to `users` and `groups`. */
  async policy(
    tenant: TenantName,
    { users = [], groups = [] }: { users?: readonly string[]; groups?: readonly string[] } = {},
  ): Promise<string> {
    const em = this.em();
    const name = uniq('p');
    const policy = em.create(Policy, { name, slug: name, tenant: this.tree[tenant] });
    this.slugs.set(policy.uuid, name);
    for (const entry of POLICY_ACL) {
      policy.accesses.add(
        (await em.findOne(Access, { access: entry })) ?? em.create(Access, { access: entry }),
      );
    }
    await em.flush();
    for (const user of users) await this.link('auth_user_policy', 'policy_uuid', policy.uuid, user);
    for (const group of groups) await this.link('auth_group_policy', 'policy_uuid', policy.uuid, group);
    this.owner.set(policy.uuid, tenant);
    return policy.uuid;
  }

  /** A row of a link table: `column` holds `uuid`, the other column (user or group) `other`. */
  private async link(table: string, column: string, uuid: string, other: string): Promise<void> {
    const otherColumn = table === 'auth_group_policy' ? 'group_uuid' : 'user_uuid';
    await this.em().execute(`insert into "${table}" ("${column}", "${otherColumn}") values (?, ?)`, [
      uuid,
      other,
    ]);
  }

  /** The slug of a policy made by `policy`. */
  slugOf(policy: string): string {
    const slug = this.slugs.get(policy);
    if (!slug) throw new Error(`not a policy of the matrix: ${policy}`);
    return slug;
  }

  /** A tenant with no child under `tenant` (what deleting, updating or moving a tenant acts on). */
  async leaf(tenant: TenantName): Promise<string> {
    const em = this.em();
    const name = uniq('leaf');
    const leaf = em.create(Tenant, { name, slug: uniq('s').slice(0, 10), parent: this.tree[tenant] });
    em.create(Group, {
      name: allUsersGroupName(leaf.uuid),
      slug: `all-${leaf.uuid.slice(0, 8)}`,
      tenant: leaf,
      systemManaged: true,
    });
    await em.flush();
    this.owner.set(leaf.uuid, tenant);
    return leaf.uuid;
  }

  /** A token (and its session) of a new user of `tenant`, written to the database. */
  async session(tenant: TenantName): Promise<{ user: string; session: string; token: string }> {
    const { uuid } = await this.user(tenant);
    const stored = await this.storeToken(
      { uuid, tenant: this.tree[tenant], purpose: 'user' },
      { acl: ['auth.users.me.read'] },
    );
    this.owner.set(stored.session, tenant);
    return { user: uuid, session: stored.session, token: stored.token };
  }

  /** A refresh token (client CLIENT_ID) of `user`, written to the database: no access token was minted from it. */
  async refreshToken(user: string, tenant: TenantName): Promise<void> {
    const em = this.em();
    const row = em.create(RefreshToken, {
      clientId: CLIENT_ID,
      user: em.getReference(User, user),
      backend: 'wazo_user',
      login: 'matrix',
      userAgent: 'matrix',
      remoteAddr: '127.0.0.1',
      createdAt: new Date(),
      mobile: false,
      metadata: {},
    });
    await em.flush();
    this.owner.set(row.uuid, tenant);
  }

  /** Stored data of an external auth type for `user` (an OAuth2 account good for an hour, or a mobile blob). */
  async externalData(user: string, type: 'google' | 'microsoft' | 'mobile'): Promise<void> {
    const data =
      type === 'mobile'
        ? { token: 'device', apns_token: null, apns_voip_token: null }
        : {
            access_token: 'matrix-access',
            refresh_token: 'matrix-refresh',
            token_expiration: Date.now() / 1000 + 3600,
            scope: ['x'],
          };
    const em = this.em();
    em.create(UserExternalAuth, {
      user: em.getReference(User, user),
      externalAuthType: em.getReference(ExternalAuthType, await this.typeUuid(type)),
      data: JSON.stringify(data),
    });
    await em.flush();
  }

  private async typeUuid(name: string): Promise<string> {
    let uuid = this.typeUuids.get(name);
    if (!uuid) {
      const type = await this.em().findOne(ExternalAuthType, { name });
      if (!type) throw new Error(`no external auth type ${name}`);
      uuid = type.uuid;
      this.typeUuids.set(name, uuid);
    }
    return uuid;
  }

  // -------------------------------------------------------------------------------------------------------
  // A tenant's configurations, arranged through the API as the master administrator.

  domainOf(tenant: TenantName): string {
    return this.domains.get(tenant)!;
  }

  async ldapConfig(tenant: TenantName, present: boolean): Promise<void> {
    const at = this.tree[tenant];
    if (present) expectStatus(await this.setup.put('/backends/ldap', at, LDAP_CONFIG), 200);
    else expectStatus(await this.setup.delete('/backends/ldap', at), 204);
  }

  async samlConfig(tenant: TenantName, present: boolean): Promise<void> {
    const at = this.tree[tenant];
    const exists = (await this.setup.get('/backends/saml', at)).status === 200;
    if (exists === present) return;
    if (!present) return expectStatus(await this.setup.delete('/backends/saml', at), 204);
    const { fields, files } = this.samlForm(tenant);
    expectStatus(await sendConfig(this.server, this.setup.token, 'POST', fields, files, at), 200);
  }

  /** The multipart fields of a valid SAML configuration of `tenant`. */
  samlForm(tenant: TenantName): {
    fields: Record<string, string>;
    files: Record<string, { filename: string; content: string }>;
  } {
    if (this.idpMetadata === null) throw new Error('World.create(t, { saml: true }) for SAML configurations');
    return {
      fields: {
        domain_uuid: this.domainOf(tenant),
        entity_id: 'https://stack.example.com/api/auth/0.1/saml/sp',
        acs_url: 'https://stack.example.com/api/auth/0.1/saml/acs',
      },
      files: { metadata: { filename: 'idp.xml', content: this.idpMetadata } },
    };
  }

  async externalConfig(tenant: TenantName, present: boolean): Promise<void> {
    const at = this.tree[tenant];
    const exists = (await this.setup.get(`/external/${CONFIG_TYPE}/config`, at)).status === 200;
    if (exists === present) return;
    if (present) expectStatus(await this.setup.post(`/external/${CONFIG_TYPE}/config`, { k: 'v' }, at), 201);
    else expectStatus(await this.setup.delete(`/external/${CONFIG_TYPE}/config`, at), 204);
  }
}

/**
 * What the matrix changes in the default configuration: every optional route on (user registration), no
 * OAuth2 relay on the Internet. The route table checks.ts compares with the table is the one of this configuration.
 */
export function configureMatrix(config: Config): void {
  config.enabled_http_plugins.user_registration = true;
  config.google.websocket_host = null;
  config.microsoft.websocket_host = null;
}

export const LDAP_CONFIG = {
  host: 'ldap.example.com',
  port: 389,
  user_base_dn: 'ou=people,dc=example,dc=com',
  user_login_attribute: 'uid',
  user_email_attribute: 'mail',
};

function expectStatus(res: ClientResponse, status: number): void {
  if (res.status !== status) throw new Error(`setup: expected ${status}, got ${res.status} ${res.text}`);
}

/** A UUID no object has. */
export const unknownUuid = () => randomUUID();
