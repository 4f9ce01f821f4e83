import { randomUUID } from 'node:crypto';
import type { Credentials } from '../authentication/basic.js';
import type { WazoUserBackend } from '../authentication/wazo-user.js';
import type { Config } from '../config/index.js';
import type { Database } from '../entities/orm.js';
import { errors, type Json } from '../http/errors.js';
import type { LoginMethods } from '../idp/registry.js';
import { UserFactsReader } from '../idp/user-facts.js';
import { isCanonicalV4 } from '../validation/uuid.js';
import { Batcher } from './batching.js';
import { type Claimant, UserAcls, userMetadata } from './claims.js';
import type { LiveToken, TokenRecord } from './record.js';
import type { RefreshTokenRepository } from './refresh-tokens.js';
import type { TokenService } from './service.js';

/** The validated body of `POST /token` (tokens.md §3). */
export interface TokenRequest {
  backend: string;
  expiration: number;
  access_type: 'online' | 'offline';
  client_id?: string | undefined;
  refresh_token?: string | undefined;
  saml_session_id?: string | undefined;
  tenant_id?: string | undefined;
  domain_name?: string | undefined;
}

export interface LoginContext {
  credentials: Credentials | null;
  mobile: boolean;
  userAgent: string;
  remoteAddr: string;
}

export interface LoginResult {
  token: LiveToken;
  /** Issued float times, for the POST answer (the stored ones are truncated). */
  issuedAt: number;
  refreshToken?: string;
  sessionsRevoked: number;
}

/** An offline login's request for a refresh token (tokens.md §3.3). */
interface OfflineRequest {
  clientId: string;
  login: string;
  backend: string;
  userAgent: string;
  remoteAddr: string;
  mobile: boolean;
  tenantUuid: string;
}

/** What the user's actor does before writing the token: data, as it may run on another worker. */
export interface IssuePlan {
  userUuid: string;
  /** The hash the login verified; null for a refresh-token login. */
  passwordHash: string | null;
  offline: OfflineRequest | null;
}

export interface PreparedIssue {
  refreshToken?: string;
  sessionsRevoked: number;
}

interface Authenticated {
  user: Claimant;
  /** The hash a password login verified; null for a refresh-token login. */
  passwordHash: string | null;
  login: string;
  backend: string;
  acl: string[];
  /** Set for refresh-token logins: the token links to it and its metadata is merged in. */
  refreshToken?: { uuid: string; metadata: { [key: string]: unknown } };
  /** The login method's follow-up once the token exists. */
  issued?: (outcome: { refreshTokenUuid: string | null }) => Promise<void>;
}

export interface LoginDependencies {
  orm: Database;
  config: Config;
  /** The native user backend: refresh tokens name their user by a login it resolves. */
  backend: WazoUserBackend;
  /** The login methods, plugins by priority then native (idp.md §2). */
  methods: LoginMethods;
  tokens: TokenService;
  refreshTokens: RefreshTokenRepository;
  platformUuid: string | null;
}

/** What the re-check inside the user's actor reads of the user. */
interface UserState {
  uuid: string;
  enabled: boolean | number | null;
  password_hash: string | null;
}

/** `POST /token` after body validation: authenticate, then issue (tokens.md §3.1–3.3). */
export class LoginService {
  private readonly acls: UserAcls;
  /** The re-checks of concurrent logins (of different users), in one query. */
  private readonly states: Batcher<string, UserState | undefined>;
  private readonly facts: UserFactsReader;

  constructor(private readonly deps: LoginDependencies) {
    this.acls = new UserAcls(deps.orm);
    this.states = new Batcher((uuids) => this.readStates(uuids));
    this.facts = new UserFactsReader(deps.orm);
  }

  async login(request: TokenRequest, context: LoginContext): Promise<LoginResult> {
    const who = await this.authenticate(request, context);
    const { config, tokens, platformUuid } = this.deps;
    const { user } = who;
    const now = (performance.timeOrigin + performance.now()) / 1000;
    const metadata = {
      ...who.refreshToken?.metadata,
      ...userMetadata(user, platformUuid),
    } as TokenRecord['metadata'];
    const record: TokenRecord = {
      token: randomUUID(),
      authId: user.uuid,
      pbxUserUuid: user.purpose === 'user' ? user.uuid : null,
      xivoUuid: platformUuid,
      issuedT: now,
      expireT: now + request.expiration,
      acl: who.acl,
      metadata,
      sessionUuid: randomUUID(),
      sessionTenantUuid: user.tenantUuid,
      mobile: context.mobile,
      remoteAddr: context.remoteAddr,
      userAgent: context.userAgent,
      refreshTokenUuid: who.refreshToken?.uuid ?? null,
    };
    const limited = user.purpose !== 'internal' && isCanonicalV4(user.uuid);
    const offline = request.access_type === 'offline' && !who.refreshToken;
    const plan: IssuePlan = {
      userUuid: user.uuid,
      // A password login re-checks that the password it verified is still the user's.
      passwordHash: who.passwordHash,
      offline: offline
        ? {
            clientId: request.client_id!,
            login: who.login,
            backend: who.backend,
            userAgent: context.userAgent,
            remoteAddr: context.remoteAddr,
            mobile: context.mobile,
            tenantUuid: user.tenantUuid,
          }
        : null,
    };
    const { token, extras } = await tokens.issue(
      record,
      limited ? config.max_user_concurrent_sessions : null,
      plan as unknown as Json,
    );
    const { refreshToken, sessionsRevoked } = extras as unknown as PreparedIssue;
    await who.issued?.({ refreshTokenUuid: refreshToken ?? who.refreshToken?.uuid ?? null });
    return { token, issuedAt: now, sessionsRevoked, ...(refreshToken ? { refreshToken } : {}) };
  }

  /**
   * Inside the user's actor, on the worker owning the user, just before the token is written: re-check
   * the user, then the offline access of tokens.md §3.3. Plain data in, plain data out.
   */
  async prepare(record: TokenRecord, plan: IssuePlan): Promise<PreparedIssue> {
    await this.recheck(plan);
    if (!plan.offline) return { sessionsRevoked: 0 };
    const outcome = await this.offlineAccess(plan.userUuid, plan.offline);
    record.refreshTokenUuid = outcome.refreshToken;
    return outcome;
  }

  /**
   * idp.md §2: a refresh token first; otherwise the first login method that claims the request verifies
   * it, and the user's effective authentication method must be that method.
   */
  private async authenticate(request: TokenRequest, context: LoginContext): Promise<Authenticated> {
    const { backend, refreshTokens, methods } = this.deps;
    if (request.refresh_token !== undefined && request.client_id !== undefined) {
      const stored = await refreshTokens.findForLogin(request.refresh_token, request.client_id);
      if (!stored?.user || !stored.login) throw errors.authenticationFailed();
      const userUuid = stored.user.uuid;
      // The usual policies do not depend on the backend: the ACL is read alongside the checks then.
      const likely = this.policyOf('wazo_user');
      const [named, facts, likelyAcl] = await Promise.all([
        backend.userUuidOf(stored.login),
        this.facts.of(userUuid),
        this.acls.of(userUuid, likely),
      ]);
      // The login it was issued for must still name that same, enabled user.
      if (named !== userUuid || !facts) throw errors.authenticationFailed();
      // The backend follows the user's current method; a method no longer loaded cannot renew.
      const method = methods.serving(facts.effectiveMethod);
      if (!method) throw errors.authenticationFailed();
      const policy = this.policyOf(method.backend);
      return {
        user: stored.user,
        passwordHash: null,
        login: stored.login,
        backend: method.backend,
        acl: policy === likely ? likelyAcl : await this.acls.of(userUuid, policy),
        refreshToken: { uuid: stored.uuid, metadata: stored.metadata },
      };
    }
    const attempt = { request, credentials: context.credentials };
    const method = methods.choose(attempt);
    if (!method) throw errors.authenticationFailed();
    const verified = await method.verify(attempt);
    // The login must name that user the way refresh tokens later will (a confirmed e-mail or the
    // username): LDAP matches any address, upstream then requires a confirmed one.
    const [named, facts] = await Promise.all([
      backend.userUuidOf(verified.login),
      this.facts.of(verified.userUuid),
    ]);
    if (named !== verified.userUuid || !facts?.enabled || facts.effectiveMethod !== method.name) {
      throw errors.authenticationFailed();
    }
    return {
      user: { uuid: facts.uuid, purpose: facts.purpose, tenantUuid: facts.tenantUuid },
      passwordHash: verified.passwordHash ?? null,
      login: verified.login,
      backend: verified.backend,
      acl: await this.aclOf(facts.uuid, verified.backend),
      ...(verified.issued ? { issued: verified.issued } : {}),
    };
  }

  /** The policy a backend's tokens get (`backend_policies`, else `default_user_policy`). */
  private policyOf(backend: string): string | null {
    const { config } = this.deps;
    return config.backend_policies[backend] ?? config.default_user_policy;
  }

  private aclOf(userUuid: string, backend: string): Promise<string[]> {
    return this.acls.of(userUuid, this.policyOf(backend));
  }

  /**
   * The user must still be enabled and, for a password login, still have the password that was verified.
   * A user disabled, or whose password changed, while this login was being verified gets no token (their
   * revocations go through the same actor).
   */
  private async recheck(plan: IssuePlan): Promise<void> {
    const current = await this.states.submit(plan.userUuid);
    // SQLite hands booleans over as 0 and 1.
    if (current?.enabled !== true && current?.enabled !== 1) throw errors.authenticationFailed();
    if (plan.passwordHash !== null && current.password_hash !== plan.passwordHash)
      throw errors.authenticationFailed();
  }

  private async readStates(uuids: string[]): Promise<(UserState | undefined)[]> {
    const rows: UserState[] = await this.deps.orm.em
      .getKnex()('auth_user')
      .select('uuid', 'enabled', 'password_hash')
      .whereIn('uuid', [...new Set(uuids)]);
    const found = new Map(rows.map((row) => [row.uuid, row]));
    return uuids.map((uuid) => found.get(uuid));
  }

  /** tokens.md §3.3, inside the user's actor. */
  private async offlineAccess(
    userUuid: string,
    offline: OfflineRequest,
  ): Promise<PreparedIssue & { refreshToken: string }> {
    const { refreshTokens } = this.deps;
    const existing = await refreshTokens.findByClient(userUuid, offline.clientId);
    let sessionsRevoked = 0;
    if (existing && !offline.mobile) return { refreshToken: existing.uuid, sessionsRevoked };
    if (existing) sessionsRevoked += await this.purge(existing.uuid);
    const refreshToken = await refreshTokens.create({
      clientId: offline.clientId,
      userUuid,
      backend: offline.backend,
      login: offline.login,
      userAgent: offline.userAgent,
      remoteAddr: offline.remoteAddr,
      mobile: offline.mobile,
      metadata: {},
      tenantUuid: offline.tenantUuid,
    });
    if (offline.mobile) {
      for (const other of await refreshTokens.mobileOf(userUuid)) {
        if (other.uuid !== refreshToken) sessionsRevoked += await this.purge(other.uuid);
      }
    }
    return { refreshToken, sessionsRevoked };
  }

  /** Revokes every session minted from a refresh token, then deletes it; returns the sessions revoked. */
  private async purge(refreshToken: string): Promise<number> {
    const { refreshTokens, tokens } = this.deps;
    let revoked = 0;
    for (const token of await refreshTokens.mintedTokens(refreshToken)) {
      if (await tokens.revoke(token)) revoked++;
    }
    await refreshTokens.delete({ uuid: refreshToken });
    return revoked;
  }
}
