import type { App } from '../app.js';
import type { Logger } from '../log/logger.js';

/** What a stop may take beyond `shutdown_timeout` (closing the database, the broker link) before the exit. */
const GRACE_MS = 1000;

/**
 * Stops `app` and exits: 0 when everything finished within `shutdown_timeout`, 1 otherwise (requests cut
 * at the deadline, a worker killed, a failed stop), so that a supervisor can tell a clean stop from a
 * forced one. A stop that hangs (a database that never answers) is cut short after a grace second.
 */
export function exitAfterStop(app: App, shutdownTimeoutS: number, logger: Logger, graceMs = GRACE_MS): void {
  const started = Date.now();
  const backstop = setTimeout(
    () => {
      logger.error({ shutdown_timeout: shutdownTimeoutS }, 'shutdown: deadline passed; exiting anyway');
      process.exit(1);
    },
    shutdownTimeoutS * 1000 + graceMs,
  );
  app.stop().then(
    (clean) => {
      clearTimeout(backstop);
      logger.info({ clean, ms: Date.now() - started }, 'stopped');
      process.exit(clean ? 0 : 1);
    },
    (error) => {
      clearTimeout(backstop);
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}
