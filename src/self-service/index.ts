import type { Outbox } from '../bus/outbox.js';
import type { Config } from '../config/index.js';
import type { Database } from '../entities/orm.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../log/logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import type { UserRepository } from '../users/repository.js';
import { confirmationRoutes } from './confirmation-routes.js';
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
}

/**
 * What users do through mails (emails-and-password-reset.md, misc-endpoints.md §3): confirm an address,
 * reset a password, register. Each group can be switched off as upstream's plugins can.
 */
export function selfServiceRoutes(deps: SelfServiceDependencies): Route[] {
  const enabled = deps.config.enabled_http_plugins;
  return [
    ...(enabled.email_confirm === false ? [] : confirmationRoutes(deps)),
    ...(enabled.password_reset === false ? [] : resetRoutes(deps)),
    ...(enabled.user_registration === true ? [registrationRoute(deps)] : []),
  ];
}
