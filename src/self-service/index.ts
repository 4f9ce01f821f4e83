import { hostname } from 'node:os';
import type { Outbox } from '../bus/outbox.js';
import type { Config } from '../config/index.js';
import type { Database } from '../entities/orm.js';
import { type PlatformHosts, platformHosts } from '../hosts/index.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../log/logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import type { UserRepository } from '../users/repository.js';
import { confirmationRoutes } from './confirmation-routes.js';
import { MailBudget } from './mail-budget.js';
import { registrationRoute } from './registration-route.js';
import { resetRoutes } from './reset-routes.js';

export interface SelfServiceDependencies {
  orm: Database;
  outbox: Outbox;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  users: UserRepository;
  mailer: Mailer;
  config: Config;
  logger: Logger;
  /** Where mail links may point; built from `public_hosts` and the tenants' domains when not given. */
  hosts?: PlatformHosts;
  /** The mail counters of `mail_throttle`; one for these routes when not given. */
  mailBudget?: MailBudget;
}

/** What the routes of this module share: the dependencies, the owned hosts and the mail budget resolved. */
export type SelfServiceKit = Omit<SelfServiceDependencies, 'hosts' | 'mailBudget'> & {
  hosts: PlatformHosts;
  mailBudget: MailBudget;
};

/**
 * What users do through mails (emails-and-password-reset.md, misc-endpoints.md §3): confirm an address,
 * reset a password, register. Each group can be switched off as upstream's plugins can.
 */
export function selfServiceRoutes(deps: SelfServiceDependencies): Route[] {
  const { config, logger } = deps;
  const kit: SelfServiceKit = {
    ...deps,
    hosts: deps.hosts ?? platformHosts(deps.orm, config.public_hosts, hostname()),
    mailBudget: deps.mailBudget ?? new MailBudget(config.mail_throttle),
  };
  if (!kit.hosts.isConfigured) {
    logger.info(
      { fallback: kit.hosts.fallback.host },
      'public_hosts is empty: mail links keep a Host only when it is a domain of the tenant, else use the machine hostname',
    );
  }
  const enabled = config.enabled_http_plugins;
  return [
    ...(enabled.email_confirm === false ? [] : confirmationRoutes(kit)),
    ...(enabled.password_reset === false ? [] : resetRoutes(kit)),
    ...(enabled.user_registration === true ? [registrationRoute(kit)] : []),
  ];
}
