// PATCH /config `debug`: the logger's level at run time (conventions.md §7).
import t from 'tap';
import { type Config, loadConfig } from '../../src/config/index.js';
import { ConfigService } from '../../src/config-api/index.js';
import { createLogger } from '../../src/log/logger.js';
import { JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller } from '../helpers/callers.js';
import { LogSink } from '../helpers/server.js';

const testConfig = (overrides: Partial<Config> = {}): Config => ({
  ...loadConfig({ env: { WAZO_AUTH_PORT: '0' }, file: null }).config,
  ...overrides,
});
const facts = { uuid: '00000000-0000-4000-8000-000000000001', loadedPlugins: ['wazo_user'] };
const on = [{ op: 'replace', path: '/debug', value: true }] as const;
const off = [{ op: 'replace', path: '/debug', value: false }] as const;

t.test('ConfigService: debug on, then back to the configured level', async (t) => {
  const logger = createLogger({ log_level: 'info', debug: false }, new LogSink());
  const child = logger.child({ component: 'x' });
  const service = new ConfigService(testConfig(), logger, facts);
  t.equal(logger.level, 'info');
  service.apply(on);
  t.equal(logger.level, 'debug');
  t.ok(child.isLevelEnabled('debug'), 'children created before follow');
  t.equal(service.get().debug, true);
  service.apply(off);
  t.equal(logger.level, 'info');
  t.notOk(child.isLevelEnabled('debug'));

  const quiet = createLogger({ log_level: 'error', debug: true }, new LogSink());
  const started = new ConfigService(testConfig({ log_level: 'error', debug: true }), quiet, facts);
  t.equal(quiet.level, 'debug', 'debug: true in the configuration starts in debug');
  t.equal(started.get().debug, true);
  t.equal(started.get().log_level, 40, 'error as its Python level');
  started.apply(off);
  t.equal(quiet.level, 'error', 'false restores log_level, not info');
  started.apply([{ op: 'replace', path: '/profiling_enabled', value: true }]);
  t.equal(quiet.level, 'error', 'a patch without debug keeps it off');
  t.equal(started.get().profiling_enabled, true);
});

t.test('PATCH /config debug turns the request debug log on and off', async (t) => {
  // The logger follows the configuration (`debug` off) as in production, so that PATCH /config can turn it on.
  // At `warning`: the access lines are info ones, so only debug mode shows them.
  const server = await startTestApp(
    t,
    (config) => {
      config.log_level = 'warning';
    },
    { loggerFromConfig: true },
  );
  const { logs } = server;
  const admin = await adminCaller(server);
  const setDebug = async (value: boolean) => {
    const res = await server.call({
      method: 'PATCH',
      path: '/0.1/config',
      headers: { 'X-Auth-Token': admin.token, ...JSON_HEADERS },
      body: JSON.stringify([{ op: 'replace', path: '/debug', value }]),
    });
    t.equal(res.status, 200);
    t.equal(res.json<{ debug: boolean }>().debug, value);
  };
  const backendLines = () => logs.lines.filter((line) => line.includes('"route":"/backends"')).length;
  const getBackends = async () => t.equal((await server.call({ path: '/0.1/backends' })).status, 200);

  await getBackends();
  t.equal(backendLines(), 0, 'warning level: no request line');
  await setDebug(true);
  await getBackends();
  await getBackends();
  t.equal(backendLines(), 2, 'debug level: one line per request');
  await setDebug(false);
  await getBackends();
  t.equal(backendLines(), 2, 'back to warning');
});
