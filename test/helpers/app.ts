import { type App, startApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import type { Database } from '../../src/entities/orm.js';
import { openDatabase } from '../../src/entities/orm.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase } from './db.js';
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

/**
 * The whole server in this process, on a fresh PostgreSQL database and an ephemeral port, stopped and
 * dropped at teardown. `configure` adjusts the loaded configuration.
 */
export async function startTestApp(
  t: { teardown(fn: () => unknown): void },
  configure: (config: Config) => void = () => {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  const { config } = loadConfig({ env: { WAZO_AUTH_PORT: '0', WAZO_AUTH_DB_URI: db.uri }, file: null });
  configure(config);
  const logs = new LogSink();
  const app = await startApp(config, createLogger({ log_level: 'debug', debug: false }, logs));
  const orm = await openDatabase(db.uri, { migrate: false });
  t.teardown(async () => {
    await app.stop();
    await orm.close();
    await db.drop();
  });
  const base = `http://127.0.0.1:${app.address.port}`;
  return { app, base, orm, uri: db.uri, logs, call: (req) => request(base, req) };
}

export const basic = (login: string, password: string) =>
  `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;

export const JSON_HEADERS = { 'Content-Type': 'application/json' };
