import { launch } from './cluster/launch.js';
import { ConfigError, loadConfig } from './config/index.js';
import { exitAfterStop } from './lifecycle/shutdown.js';
import { createLogger } from './log/logger.js';

const loaded = (() => {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
})();
const { config } = loaded;
const logger = createLogger(config);
if (loaded.ignoredKeys.length > 0)
  logger.warn({ keys: loaded.ignoredKeys }, 'configuration keys not used by this server');
for (const skipped of loaded.skippedFiles) logger.warn(skipped, 'configuration file skipped');

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  process.exit(1);
});

try {
  const app = await launch(config, logger);
  const { host, port, tls } = app.address;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const metricsUrl = app.metricsAddress
    ? `http://${app.metricsAddress.host.includes(':') ? `[${app.metricsAddress.host}]` : app.metricsAddress.host}:${app.metricsAddress.port}/metrics`
    : undefined;
  logger.info(
    { url, metricsUrl, platformUuid: app.platformUuid, database: config.db_uri.split(':', 1)[0] },
    'listening',
  );
  // One write, so that a reader waiting for "listening on" also has the instructions.
  const lines = [
    `wazo-auth-ts listening on ${url}/0.1 (database: ${config.db_uri.replace(/\/\/[^@/]*@/, '//…@')})`,
  ];
  if (metricsUrl) lines.push(`metrics without authentication on ${metricsUrl}`);
  if (app.empty) {
    lines.push(
      'No user exists yet. Create the first administrator with:',
      "  npm run bootstrap -- initial-user --username admin --password 'choose-a-password'",
      'or restart with WAZO_AUTH_BOOTSTRAP_USERNAME and WAZO_AUTH_BOOTSTRAP_PASSWORD set.',
    );
  }
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, shutdown_timeout: config.shutdown_timeout }, 'shutting down');
    // A primary waits for its workers' own deadline, then kills the late ones: it needs a longer grace.
    exitAfterStop(app, config.shutdown_timeout, logger, config.workers > 1 ? 3000 : undefined);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'cannot start');
  console.error(`wazo-auth-ts cannot start: ${(error as Error).message}`);
  // A configuration problem found while starting (a mail template) exits as one found while loading.
  process.exit(error instanceof ConfigError ? 2 : 1);
}
