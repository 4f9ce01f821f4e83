/**
 * The one place that tells a database that cannot be reached (down, restarting, unreachable, its pool
 * exhausted) from a database that refused a statement: the first is answered 503 (try again later), the
 * second is a bug or a conflict. Errors come wrapped in many ways (MikroORM's DriverException copies the
 * driver error's fields; node's AggregateError of a dual-stack connect; `cause` chains), so the whole
 * chain is looked at.
 */

/** Socket-level failures of a connection or of its attempt. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a server going away or not taking connections: admin_shutdown (a fast or
 * smart stop), crash_shutdown, cannot_connect_now (starting up or shutting down), too_many_connections.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/**
 * Whole SQLSTATE classes: 08, connection exception; 28, the server refusing this server's login (its
 * role disabled, its password changed): only ever raised when connecting.
 */
const SERVER_CLASSES = ['08', '28'];

/** What node-postgres and knex say when they have no code to give. */
const MESSAGES = [
  /^Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /^Knex: Timeout acquiring a connection/,
  /^timeout exceeded when trying to connect/,
  /^Connection ended unexpectedly/,
];

/** An error that already says the database is unreachable (e.g. relayed from another worker). */
export class DatabaseUnreachable extends Error {
  override readonly name = 'DatabaseUnreachable';
}

function unreachableItself(error: object): boolean {
  if (error instanceof DatabaseUnreachable) return true;
  if ((error as { name?: unknown }).name === 'KnexTimeoutError') return true;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || SERVER_CLASSES.includes(code.slice(0, 2)))
  )
    return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message));
}

/** Whether `error`, or an error it wraps, says the database cannot be reached right now. */
export function isDatabaseUnreachable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (unreachableItself(error)) return true;
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  if (isDatabaseUnreachable(cause, depth + 1)) return true;
  return Array.isArray(errors) && errors.some((inner) => isDatabaseUnreachable(inner, depth + 1));
}
