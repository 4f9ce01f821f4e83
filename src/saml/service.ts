import { hostname } from 'node:os';
import { WazoUserBackend } from '../authentication/wazo-user.js';
import type { Config } from '../config/index.js';
import type { Database } from '../entities/orm.js';
import { isOwnedRedirect, type PlatformHosts, platformHosts } from '../hosts/index.js';
import { errors } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { RefreshTokenRepository } from '../tokens/refresh-tokens.js';
import type { TokenService } from '../tokens/service.js';
import { loadCredentials, type SpCredentials } from './credentials.js';
import { type SamlPeer, SamlPeers } from './providers.js';
import { SamlConfigStore, SamlSessionStore, type StoredConfig } from './store.js';

export interface SamlDependencies {
  orm: Database;
  config: Config;
  logger: Logger;
  /** Logout revokes the access token it is called with. */
  tokens: TokenService;
  /** Logout deletes the refresh token the SAML login issued (with its bus event). */
  refreshTokens: RefreshTokenRepository;
  hierarchy: TenantHierarchy;
  /** The native user backend that resolves the asserted login; one is made when not given. */
  users?: WazoUserBackend;
  /** Where redirects may go; built from `public_hosts` and the tenants' domains when not given. */
  hosts?: PlatformHosts;
}

/**
 * wazo-auth as a SAML 2.0 service provider (saml.md): what the SSO endpoints, the configuration API and
 * the `saml` login method share. It keeps no per-configuration state that could go stale across workers:
 * configurations and sessions are read from the database at each request.
 */
export class Saml {
  readonly configs: SamlConfigStore;
  readonly sessions: SamlSessionStore;
  readonly peers: SamlPeers;
  readonly users: WazoUserBackend;
  readonly hosts: PlatformHosts;
  readonly log: Logger;
  private loaded: { credentials: SpCredentials | null } | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly deps: SamlDependencies) {
    this.configs = new SamlConfigStore(deps.orm);
    this.sessions = new SamlSessionStore(deps.orm);
    this.peers = new SamlPeers(() => this.credentials());
    this.users = deps.users ?? new WazoUserBackend(deps.orm);
    this.hosts = deps.hosts ?? platformHosts(deps.orm, deps.config.public_hosts, hostname());
    this.log = deps.logger.child({ component: 'saml' });
  }

  get settings(): Config['saml'] {
    return this.deps.config.saml;
  }

  /** Reads the SP key pair now, so that a missing one is logged at start rather than at the first login. */
  start(): void {
    this.credentials();
  }

  /** The SP key pair; null (logged once) when the files cannot be read. */
  credentials(): SpCredentials | null {
    this.loaded ??= { credentials: loadCredentials(this.settings, this.log) };
    return this.loaded.credentials;
  }

  /** The SP and IdP of the configuration `config`; the 500 `configuration-error` when they cannot be built. */
  peer(config: StoredConfig, domain: string): SamlPeer {
    try {
      return this.peers.of(config);
    } catch (error) {
      this.log.error({ err: error, tenant: config.tenantUuid, domain }, 'SAML configuration unusable');
      throw errors.samlConfigurationError(domain);
    }
  }

  /**
   * Whether the browser may be sent to `redirectUrl` after a login in `tenant` (the one whose SAML
   * configuration the login's domain selects; null: none any more): an absolute http(s) URL on a
   * configured public host or on a domain of that tenant. Upstream redirects anywhere, which makes its
   * SSO an open redirector.
   */
  async ownsRedirect(redirectUrl: string, tenant: string | null): Promise<boolean> {
    return isOwnedRedirect(redirectUrl, await this.hosts.of(tenant));
  }

  /** `ownsRedirect` for a stored session, whose tenant is found again from its domain. */
  async ownsSessionRedirect(session: { redirectUrl: string; domain: string }): Promise<boolean> {
    const config = await this.configs.byDomainName(session.domain);
    return this.ownsRedirect(session.redirectUrl, config?.tenantUuid ?? null);
  }

  /**
   * Deletes the sessions older than `saml_session_lifetime_seconds` and the logins still waiting for their
   * assertion after `saml_login_timeout_seconds` (saml.md §6); resolves with the number of rows deleted.
   */
  async purge(now = Date.now()): Promise<number> {
    const { saml_session_lifetime_seconds: lifetime, saml_login_timeout_seconds: timeout } = this.settings;
    try {
      const purged = await this.sessions.purge(
        new Date(now - lifetime * 1000),
        new Date(now - timeout * 1000),
      );
      if (purged > 0) this.log.info({ purged }, 'SAML sessions purged');
      return purged;
    } catch (error) {
      this.log.error({ err: error }, 'SAML session purge failed; retrying at the next interval');
      return 0;
    }
  }

  /** Runs `purge` every `intervalS` seconds (`token_cleanup_interval`); below 1 it never runs, as upstream. */
  startPurging(intervalS: number): void {
    if (intervalS < 1 || this.timer) return;
    this.timer = setInterval(() => void this.purge(), intervalS * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.peers.clear();
  }
}
