import { type App, startApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import type { Database } from '../../src/entities/orm.js';
import { openDatabase } from '../../src/entities/orm.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, sqliteTempUri } from './db.js';
import { type ClientRequest, type ClientResponse, request } from './http.js';
import { LogSink } from './server.js';

export interface TestApp {
  app: App;
  base: string;
  /** A second connection to the same database, for arranging and inspecting data. */
  orm: Database;
  uri: string;
  logs: LogSink;
  call(req: ClientRequest): Promise<ClientResponse>;
}

export interface StartOptions {
  /** Log at the configuration's `log_level`/`debug` (default: every level, request debug lines off). */
  loggerFromConfig?: boolean;
}

/**
 * The whole server in this process on the database at `uri`, on an ephemeral port, its log lines kept.
 * `configure` adjusts the loaded configuration.
 */
export async function startServer(
  uri: string,
  configure: (config: Config) => void = () => {},
  { loggerFromConfig = false }: StartOptions = {},
): Promise<{ app: App; logs: LogSink }> {
  const { config } = loadConfig({ env: { WAZO_AUTH_PORT: '0', WAZO_AUTH_DB_URI: uri }, file: null });
  configure(config);
  const logs = new LogSink();
  const logging = loggerFromConfig ? config : { log_level: 'debug' as const, debug: false };
  const app = await startApp(config, createLogger(logging, logs));
  return { app, logs };
}

/**
 * The whole server in this process, on a fresh PostgreSQL database and an ephemeral port, stopped and
 * dropped at teardown. `configure` adjusts the loaded configuration.
 */
export async function startTestApp(
  t: { teardown(fn: () => unknown): void },
  configure: (config: Config) => void = () => {},
  options: StartOptions = {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  const { app, logs } = await startServer(db.uri, configure, options);
  const orm = await openDatabase(db.uri, { migrate: false });
  t.teardown(async () => {
    await app.stop();
    await orm.close();
    await db.drop();
  });
  const base = `http://127.0.0.1:${app.address.port}`;
  return { app, base, orm, uri: db.uri, logs, call: (req) => request(base, req) };
}

/** The whole server on a fresh embedded SQLite file (the zero-setup default), stopped at teardown. */
export async function startSqliteTestApp(
  t: { teardown(fn: () => unknown): void },
  configure: (config: Config) => void = () => {},
): Promise<TestApp> {
  const uri = sqliteTempUri();
  const { app, logs } = await startServer(uri, configure);
  const orm = await openDatabase(uri, { migrate: false });
  t.teardown(async () => {
    await app.stop();
    await orm.close();
  });
  const base = `http://127.0.0.1:${app.address.port}`;
  return { app, base, orm, uri, logs, call: (req) => request(base, req) };
}

export const basic = (login: string, password: string) =>
  `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;

export const JSON_HEADERS = { 'Content-Type': 'application/json' };
