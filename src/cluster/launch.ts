import { type App, startApp } from '../app.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';

/**
 * Chooses the process layout. One process serves everything today; with `workers` > 1 a primary will
 * own N worker processes sharing the port (see README.md here). Until that layer exists, asking for
 * workers is refused rather than silently ignored.
 */
export async function launch(config: Config, logger: Logger): Promise<App> {
  if (config.workers > 1) {
    throw new Error(
      `workers = ${config.workers} (WAZO_AUTH_WORKERS): worker processes are not available yet; use 1`,
    );
  }
  return startApp(config, logger);
}
