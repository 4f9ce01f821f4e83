import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.js';

function configDir(main: string, confD: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-config-'));
  writeFileSync(join(dir, 'config.yml'), main);
  if (Object.keys(confD).length > 0) {
    mkdirSync(join(dir, 'conf.d'));
    for (const [name, text] of Object.entries(confD)) writeFileSync(join(dir, 'conf.d', name), text);
  }
  return join(dir, 'config.yml');
}

t.test('defaults are those of running.md and upstream', async (t) => {
  const { config, files, skippedFiles, ignoredKeys } = loadConfig({ env: {} });
  t.same(files, []);
  t.same(skippedFiles, []);
  t.same(ignoredKeys, []);
  t.equal(config.rest_api.listen, '127.0.0.1');
  t.equal(config.rest_api.port, 9497);
  t.equal(config.db_uri, 'sqlite:./data/wazo-auth.db');
  t.equal(config.amqp.uri, null, 'no broker unless configured');
  t.equal(config.amqp.exchange_name, 'xivo');
  t.equal(config.default_token_lifetime, 7200);
  t.equal(config.token_cleanup_interval, 60);
  t.equal(config.max_user_concurrent_sessions, 100);
  t.equal(config.smtp.hostname, 'localhost');
  t.equal(config.smtp.port, 25);
  t.equal(config.bootstrap_user_on_startup, false);
  t.equal(config.workers, 1);
  t.same(config.rest_api.cors.allow_headers, [
    'Content-Type',
    'Authorization',
    'X-Auth-Token',
    'Wazo-Tenant',
    'Wazo-Session-Type',
  ]);
});

t.test('an upstream config file keeps its meaning, conf.d merged in name order', async (t) => {
  const file = configDir(
    'default_token_lifetime: 3600\nmax_user_concurrent_sessions: 5\nrest_api:\n  port: 9500\n  listen: 0.0.0.0\nsmtp:\n  hostname: mail.example\n',
    {
      '020-b.yml': 'rest_api:\n  port: 9502\ntoken_cleanup_interval: 30\n',
      '010-a.yml': 'rest_api:\n  port: 9501\namqp:\n  uri: amqp://a\n',
      'ignored.txt': 'rest_api: {port: 1}\n',
    },
  );
  const { config, files, skippedFiles } = loadConfig({ env: {}, file });
  const dir = dirname(file);
  t.same(
    files,
    [join(dir, 'conf.d', '010-a.yml'), join(dir, 'conf.d', '020-b.yml'), file],
    'conf.d files in name order, then the main file: highest priority first',
  );
  t.same(skippedFiles, [], 'ignored.txt is silently left out, as upstream does');
  t.equal(config.default_token_lifetime, 3600);
  t.equal(config.max_user_concurrent_sessions, 5);
  t.equal(config.rest_api.port, 9501, 'the first conf.d file wins, over the later one and the main file');
  t.equal(config.rest_api.listen, '0.0.0.0', 'nested mappings merge key by key');
  t.equal(config.token_cleanup_interval, 30);
  t.equal(config.smtp.hostname, 'mail.example');
  t.equal(config.smtp.port, 25);
  t.equal(config.amqp.uri, 'amqp://a');
});

t.test('WAZO_AUTH_CONFIG names the file; environment variables win over it', async (t) => {
  const file = configDir('db_uri: postgresql://file/db\nrest_api:\n  port: 9600\n');
  const { config } = loadConfig({
    env: {
      WAZO_AUTH_CONFIG: file,
      WAZO_AUTH_PORT: '9700',
      WAZO_AUTH_LISTEN: '::1',
      WAZO_AUTH_DB_URI: 'sqlite:/tmp/x.db',
      WAZO_AUTH_BUS_URI: 'amqp://guest:guest@127.0.0.1:5672',
      WAZO_AUTH_WORKERS: '1',
      XIVO_UUID: '8c5a0e2d-5d7f-4a3c-9d0b-1f2e3d4c5b6a',
    },
  });
  t.equal(config.rest_api.port, 9700);
  t.equal(config.rest_api.listen, '::1');
  t.equal(config.db_uri, 'sqlite:/tmp/x.db');
  t.equal(config.amqp.uri, 'amqp://guest:guest@127.0.0.1:5672');
  t.equal(config.uuid, '8c5a0e2d-5d7f-4a3c-9d0b-1f2e3d4c5b6a');
});

t.test('the bootstrap variables turn the start-up bootstrap on', async (t) => {
  const { config } = loadConfig({
    env: { WAZO_AUTH_BOOTSTRAP_USERNAME: 'admin', WAZO_AUTH_BOOTSTRAP_PASSWORD: 's3cret' },
  });
  t.equal(config.bootstrap_user_on_startup, true);
  t.equal(config.bootstrap_user_username, 'admin');
  t.equal(config.bootstrap_user_password, 's3cret');
  t.equal(config.bootstrap_user_purpose, 'internal');
  t.equal(config.bootstrap_user_policy_slug, 'wazo_default_master_user_policy');
  t.throws(
    () => loadConfig({ env: { WAZO_AUTH_BOOTSTRAP_USERNAME: 'admin' } }),
    /bootstrap_user_password: required when bootstrap_user_on_startup is true/,
  );
});

t.test('invalid values are refused with a message naming the key', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['rest_api:\n  port: abc\n', /rest_api\.port: .*number/],
    ['rest_api:\n  port: 70000\n', /rest_api\.port: /],
    ['default_token_lifetime: -1\n', /default_token_lifetime: /],
    ['log_level: loud\n', /log_level: /],
    ['debug: "yes"\n', /debug: /],
    ['uuid: ""\n', /uuid: must not be empty/],
    [`uuid: ${'x'.repeat(39)}\n`, /uuid: must be at most 38 characters/],
    ['default_policies:\n  p:\n    acl: x\n', /default_policies\.p\.acl: /],
    ['rest_api:\n  certificate: /tmp/c.pem\n', /rest_api\.private_key: TLS needs both/],
  ];
  for (const [yaml, message] of cases) {
    const file = configDir(yaml);
    t.throws(() => loadConfig({ env: {}, file }), message, yaml.trim());
    t.throws(() => loadConfig({ env: {}, file }), ConfigError);
  }
});

t.test('a bad environment variable is named', async (t) => {
  t.throws(() => loadConfig({ env: { WAZO_AUTH_PORT: 'http' } }), /WAZO_AUTH_PORT must be a whole number/);
  t.throws(() => loadConfig({ env: { WAZO_AUTH_PORT: '99999' } }), /rest_api\.port \(from WAZO_AUTH_PORT\)/);
  t.throws(() => loadConfig({ env: { WAZO_AUTH_WORKERS: '0' } }), /workers \(from WAZO_AUTH_WORKERS\)/);
});

t.test('files that cannot be used are named', async (t) => {
  t.throws(
    () => loadConfig({ env: {}, file: '/nonexistent/config.yml' }),
    /Cannot read configuration file \/nonexistent/,
  );
  const broken = configDir('rest_api: [unclosed\n');
  t.throws(() => loadConfig({ env: {}, file: broken }), new RegExp(`Invalid YAML in ${broken}`));
  const list = configDir('- a\n- b\n');
  t.throws(() => loadConfig({ env: {}, file: list }), /must hold a mapping/);
  const emptyFile = configDir('');
  t.equal(
    loadConfig({ env: {}, file: emptyFile }).config.rest_api.port,
    9497,
    'an empty file is no configuration',
  );
});

t.test('keys this server does not use are kept and reported, not fatal', async (t) => {
  const file = configDir(
    'consul:\n  host: x\nrest_api:\n  https: {}\n  port: 9497\nlog_filename: /var/log/x\n',
  );
  const { ignoredKeys } = loadConfig({ env: {}, file });
  t.same(ignoredKeys.sort(), ['consul', 'log_filename', 'rest_api.https']);
});

t.test('deploy/config.example.yml is a valid configuration, every key used', async (t) => {
  const file = new URL('../../deploy/config.example.yml', import.meta.url).pathname;
  const { config, ignoredKeys } = loadConfig({ env: {}, file });
  t.same(ignoredKeys, [], 'no key the server would ignore');
  t.equal(config.amqp.exchange_name, 'xivo');
});
