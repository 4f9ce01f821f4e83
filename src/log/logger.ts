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

/** SQL string literals: the values a failed query carried (token uuids, password hashes…). */
const SQL_LITERAL = /'(?:[^']|'')*'/g;

/**
 * Errors are serialised as pino does, except that quoted literals in their message and stack are
 * masked: database drivers put the whole failed statement, values included, into the message.
 */
function errorSerializer(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of ['message', 'stack', 'sql']) {
    const value = serialized[key];
    if (typeof value === 'string') serialized[key] = value.replace(SQL_LITERAL, "'…'");
  }
  delete serialized.params;
  return serialized;
}

export function createLogger(
  config: Pick<Config, 'log_level' | 'debug'>,
  destination?: pino.DestinationStream,
): Logger {
  const level = config.debug ? 'debug' : LEVELS[config.log_level];
  return pino(
    {
      level,
      base: { service: 'wazo-auth' },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: errorSerializer },
    },
    destination,
  );
}
