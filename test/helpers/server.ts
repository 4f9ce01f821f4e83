import { Writable } from 'node:stream';
import { type Config, loadConfig } from '../../src/config/index.js';
import type { Route } from '../../src/http/route.js';
import { HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import { recordLog } from './leak-watch.js';

/** Collects every log line, so tests can assert what was (and was not) logged. */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString('utf8');
    this.lines.push(...text.split('\n').filter(Boolean));
    recordLog(text);
    done();
  }
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ env: { WAZO_AUTH_PORT: '0', ...overrides }, file: null }).config;
}

/** An HttpServer with the given routes on an ephemeral loopback port. */
export async function startHttp(routes: Route[], config: Config = testConfig()) {
  const logs = new LogSink();
  const server = new HttpServer({
    config,
    logger: createLogger({ log_level: 'debug', debug: false }, logs),
    routes,
  });
  const address = await server.listen();
  const base = `${address.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  return { server, base, logs, close: () => server.close(1000) };
}
