import { type App, startApp } from '../app.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { startPrimary } from './primary.js';

/**
 * Chooses the process layout: one process serving everything, or with `workers` > 1
 * (`WAZO_AUTH_WORKERS`) a primary owning that many worker processes that share the port (README.md here).
 */
export function launch(config: Config, logger: Logger): Promise<App> {
  return config.workers > 1 ? startPrimary(config, logger) : startApp(config, logger);
}
