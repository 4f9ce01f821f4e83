import type { Outbox } from '../bus/outbox.js';
import type { Config } from '../config/index.js';
import type { Database } from '../entities/orm.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../log/logger.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { mobileRoutes } from './mobile/routes.js';
import { AccountLink } from './oauth2/account-link.js';
import { PendingFlows } from './oauth2/flows.js';
import { OAuth2Provider } from './oauth2/provider.js';
import { RelayListeners } from './oauth2/relay-listener.js';
import { accountLinkRoutes } from './oauth2/routes.js';
import { sessionLiveness } from './oauth2/session-liveness.js';
import { externalAuthRoutes } from './routes.js';
import { ExternalAuthStore } from './store.js';

export interface ExternalAuth {
  routes: Route[];
  /** Marks the configured types as the enabled ones (upstream does it on the first list request). */
  start(): Promise<void>;
  /** Drops the relay connections of pending authorizations. */
  stop(): void;
}

/** Google asks for a refresh token only with offline access, and grants one again only with consent. */
const GOOGLE_PARAMETERS = { access_type: 'offline', prompt: 'consent' };

/**
 * The external auth subsystem (external-auth.md): the generic API, and the built-in types `google`,
 * `microsoft` (OAuth2) and `mobile`, each present when `enabled_external_auth_plugins` enables it.
 */
export function externalAuth(deps: {
  orm: Database;
  outbox: Outbox;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  config: Config;
  logger: Logger;
}): ExternalAuth {
  const { orm, outbox, config, logger } = deps;
  const store = new ExternalAuthStore(orm, outbox);
  const routeDeps = { ...deps, store };
  const enabled = Object.entries(config.enabled_external_auth_plugins)
    .filter(([, on]) => on)
    .map(([name]) => name);
  const relay = new RelayListeners(logger);
  const flows = new PendingFlows(orm, config.oauth2_flow_timeout);
  const sessionLive = sessionLiveness(orm);
  const link = (provider: OAuth2Provider) =>
    accountLinkRoutes(new AccountLink(provider, store, flows, relay, sessionLive, logger), routeDeps);

  const routes: Route[] = [];
  if (config.enabled_http_plugins.external !== false) routes.push(...externalAuthRoutes(routeDeps));
  if (enabled.includes('google'))
    routes.push(...link(new OAuth2Provider('google', config.google, GOOGLE_PARAMETERS)));
  if (enabled.includes('microsoft')) routes.push(...link(new OAuth2Provider('microsoft', config.microsoft)));
  if (enabled.includes('mobile')) routes.push(...mobileRoutes(routeDeps));

  return {
    routes,
    start: () => store.enableOnly(enabled),
    stop: () => relay.stop(),
  };
}
