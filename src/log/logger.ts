import { type Logger, pino } from 'pino';
import type { Config } from '../config/index.js';

export type { Logger };

/** Upstream's level names mapped onto pino's. */
const LEVELS: Record<Config['log_level'], pino.Level> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};

/**
 * Secrets must never reach the logs (tokens, passwords, Authorization headers): whatever object a
 * module logs, these paths are censored before serialisation.
 */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'refresh_token',
  '*.refresh_token',
  'headers.authorization',
  'headers["x-auth-token"]',
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'config.bootstrap_user_password',
];

export function createLogger(
  config: Pick<Config, 'log_level' | 'debug'>,
  destination?: pino.DestinationStream,
): Logger {
  const level = config.debug ? 'debug' : LEVELS[config.log_level];
  return pino(
    { level, base: { service: 'wazo-auth' }, redact: { paths: REDACT, censor: '[redacted]' } },
    destination,
  );
}
