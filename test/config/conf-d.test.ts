// How the main file, its conf.d folder, the built-in defaults and the environment combine: upstream's
// read_config_file_hierarchy_accumulating_list (xivo config_helper) and AccumulatingListChainMap.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/** A main `config.yml` and its `conf.d/` files (a `null` text makes a folder of that name); its path. */
function configDir(main: string, confD: Record<string, string | null> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-conf-d-'));
  writeFileSync(join(dir, 'config.yml'), main);
  mkdirSync(join(dir, 'conf.d'));
  for (const [name, text] of Object.entries(confD)) {
    if (text === null) mkdirSync(join(dir, 'conf.d', name));
    else writeFileSync(join(dir, 'conf.d', name), text);
  }
  return join(dir, 'config.yml');
}

const confD = (file: string, name: string) => join(file, '..', 'conf.d', name);

t.test(
  'scalars: the first conf.d file in name order wins, over the later ones and the main file',
  async (t) => {
    const file = configDir('default_token_lifetime: 100\ntoken_cleanup_interval: 5\nlog_level: debug\n', {
      '50-middle.yml': 'default_token_lifetime: 500\ntoken_cleanup_interval: 50\n',
      '90-last.yml':
        'default_token_lifetime: 900\ntoken_cleanup_interval: 90\nmax_user_concurrent_sessions: 9\n',
      '10-first.yml': 'default_token_lifetime: 10\n',
    });
    const { config, files, skippedFiles } = loadConfig({ env: {}, file });
    t.same(files, [
      confD(file, '10-first.yml'),
      confD(file, '50-middle.yml'),
      confD(file, '90-last.yml'),
      file,
    ]);
    t.same(skippedFiles, []);
    t.equal(config.default_token_lifetime, 10, 'the first file');
    t.equal(config.token_cleanup_interval, 50, 'the first file that has the key');
    t.equal(config.max_user_concurrent_sessions, 9, 'a key only the last file has');
    t.equal(config.log_level, 'debug', 'a key only the main file has');
    t.equal(config.smtp.port, 25, 'a key no file has: the built-in default');
  },
);

t.test('name order is code point order, as Python sorts names', async (t) => {
  const file = configDir('', {
    '9-b.yml': 'default_token_lifetime: 9\n',
    '10-a.yml': 'default_token_lifetime: 10\n',
    'a.yml': 'default_token_lifetime: 1\n',
    'Z.yml': 'default_token_lifetime: 26\n',
  });
  const { config, files } = loadConfig({ env: {}, file });
  t.same(
    files.map((path) => path.split('/').pop()),
    ['10-a.yml', '9-b.yml', 'Z.yml', 'a.yml', 'config.yml'],
    'digits before capitals before small letters, character by character',
  );
  t.equal(config.default_token_lifetime, 10);
});

t.test('mappings merge key by key, at every depth', async (t) => {
  const file = configDir(
    'rest_api:\n  listen: 0.0.0.0\n  port: 9500\n  cors:\n    enabled: false\nsmtp:\n  hostname: main.example\n',
    {
      '10-a.yml': 'rest_api:\n  port: 9510\n',
      '20-b.yml': 'rest_api:\n  cors:\n    enabled: true\n  num_proxies: 3\nsmtp:\n  port: 2525\n',
    },
  );
  const { config } = loadConfig({ env: {}, file });
  t.equal(config.rest_api.port, 9510, 'from 10-a');
  t.equal(config.rest_api.num_proxies, 3, 'from 20-b');
  t.equal(config.rest_api.listen, '0.0.0.0', 'from the main file');
  t.equal(config.rest_api.cors.enabled, true, 'two levels down, 20-b over the main file');
  t.equal(config.rest_api.max_threads, 25, 'the built-in default beneath them all');
  t.same(config.smtp.hostname, 'main.example');
  t.same(config.smtp.port, 2525);
});

t.test('lists accumulate across the files, first file first, the main file last', async (t) => {
  const file = configDir(
    [
      'default_policies:',
      '  wazo_default_user_policy:',
      '    acl: [from.main]',
      '    description: from the main file',
      'rest_api:',
      '  cors:',
      '    allow_headers: [X-Main]',
      '',
    ].join('\n'),
    {
      '30-calld.yml': 'default_policies:\n  wazo_default_user_policy:\n    acl: [calld.one, calld.two]\n',
      '10-confd.yml':
        'default_policies:\n  wazo_default_user_policy:\n    acl: [confd.one]\n    description: from confd\n',
      '20-dird.yml': [
        'default_policies:',
        '  wazo_default_user_policy:',
        '    acl: [dird.one, confd.one]',
        '  wazo_default_admin_policy:',
        '    acl: [dird.admin]',
        'rest_api:',
        '  cors:',
        '    allow_headers: [X-Dird]',
        '',
      ].join('\n'),
    },
  );
  const { config } = loadConfig({ env: {}, file });
  t.same(
    config.default_policies.wazo_default_user_policy?.acl,
    ['confd.one', 'dird.one', 'confd.one', 'calld.one', 'calld.two', 'from.main'],
    'in priority order, duplicates kept',
  );
  t.equal(
    config.default_policies.wazo_default_user_policy?.description,
    'from confd',
    'scalars beside: first wins',
  );
  t.same(config.default_policies.wazo_default_admin_policy?.acl, ['dird.admin']);
  t.same(
    config.rest_api.cors.allow_headers,
    ['X-Dird', 'X-Main'],
    'a list from the files replaces the built-in default list, not added to it',
  );
});

t.test('a key set by a higher file keeps its value when a lower file disagrees on the type', async (t) => {
  const file = configDir('smtp:\n  username: from-main\nbackend_policies:\n  a: b\n', {
    '10-a.yml': 'smtp:\n  username:\n',
    '20-b.yml': 'smtp:\n  username: from-b\n',
  });
  const { config } = loadConfig({ env: {}, file });
  t.equal(config.smtp.username, null, 'an explicit null in the first file wins, as upstream');
  t.same(config.backend_policies, { a: 'b' });
  const mismatch = configDir('rest_api:\n  cors:\n    allow_headers: [X-Main]\n', {
    '10-a.yml': 'rest_api:\n  cors:\n    allow_headers: {not: a list}\n',
  });
  t.throws(
    () => loadConfig({ env: {}, file: mismatch }),
    /rest_api\.cors\.allow_headers: /,
    'the mapping of the higher file is kept, not merged with the list, and refused',
  );
});

t.test('the files merge key by key with the built-in default mappings', async (t) => {
  const file = configDir('enabled_backend_plugins:\n  ldap_user: false\n', {
    '10-a.yml': 'idp_plugins:\n  saml:\n    priority: 5\n  custom:\n    enabled: true\n',
    '20-b.yml':
      'purpose_metadata_mapping:\n  user: [plugin_a]\nenabled_external_auth_plugins:\n  mobile: false\n',
    '30-c.yml': 'purpose_metadata_mapping:\n  user: [plugin_b]\n',
  });
  const { config } = loadConfig({ env: {}, file });
  t.same(config.enabled_backend_plugins, { ldap_user: false, wazo_user: true });
  t.same(config.idp_plugins, {
    saml: { priority: 5, enabled: true },
    custom: { enabled: true, priority: 100 },
    ldap: { enabled: true, priority: 2 },
  });
  t.same(config.enabled_external_auth_plugins, { mobile: false, google: true, microsoft: true });
  t.same(config.purpose_metadata_mapping, { user: ['plugin_a', 'plugin_b'], internal: [], external_api: [] });
});

t.test(
  'only *.yml files, hidden ones left out; a file that cannot be used is skipped and reported',
  async (t) => {
    const file = configDir('default_token_lifetime: 1\n', {
      '10-spelled.yaml': 'default_token_lifetime: 2\n',
      '.20-hidden.yml': 'default_token_lifetime: 3\n',
      '30-broken.yml': 'default_token_lifetime: [unclosed\n',
      '40-folder.yml': null,
      '50-list.yml': '- a\n- b\n',
      '60-empty.yml': '',
      '70-old.yml.dpkg-old': 'default_token_lifetime: 7\n',
      '80-UPPER.YML': 'default_token_lifetime: 8\n',
      '90-good.yml': 'token_cleanup_interval: 90\n',
    });
    const { config, files, skippedFiles } = loadConfig({ env: {}, file });
    t.same(files, [confD(file, '60-empty.yml'), confD(file, '90-good.yml'), file], 'the files read');
    t.equal(config.default_token_lifetime, 1, 'none of the others counted');
    t.equal(config.token_cleanup_interval, 90, 'the files after a broken one still count');
    t.same(
      skippedFiles.map((skipped) => skipped.file),
      [
        confD(file, '10-spelled.yaml'),
        confD(file, '30-broken.yml'),
        confD(file, '40-folder.yml'),
        confD(file, '50-list.yml'),
      ],
      'reported in name order; other names (dpkg leftovers, .YML) silently left out, as upstream',
    );
    t.match(skippedFiles[0]?.reason, /only files named \*\.yml are read/);
    t.match(skippedFiles[1]?.reason, /Invalid YAML/);
    t.match(skippedFiles[2]?.reason, /Cannot read configuration file .*EISDIR/);
    t.match(skippedFiles[3]?.reason, /must hold a mapping/);
  },
);

t.test(
  'a conf.d file without read permission is skipped',
  { skip: process.getuid?.() === 0 && 'root reads any file' },
  async (t) => {
    const file = configDir('', { '10-secret.yml': 'default_token_lifetime: 2\n' });
    chmodSync(confD(file, '10-secret.yml'), 0o000);
    const { config, skippedFiles } = loadConfig({ env: {}, file });
    t.equal(config.default_token_lifetime, 7200);
    t.match(skippedFiles, [{ file: confD(file, '10-secret.yml'), reason: /EACCES/ }]);
  },
);

t.test('no conf.d folder is no extra configuration; a conf.d that is no folder is reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-conf-d-'));
  writeFileSync(join(dir, 'config.yml'), 'default_token_lifetime: 1\n');
  const alone = loadConfig({ env: {}, file: join(dir, 'config.yml') });
  t.same(alone.skippedFiles, []);
  t.same(alone.files, [join(dir, 'config.yml')]);
  writeFileSync(join(dir, 'conf.d'), 'default_token_lifetime: 2\n');
  const odd = loadConfig({ env: {}, file: join(dir, 'config.yml') });
  t.equal(odd.config.default_token_lifetime, 1);
  t.match(odd.skippedFiles, [{ file: join(dir, 'conf.d'), reason: /cannot read the folder: .*ENOTDIR/ }]);
});

t.test('the main file stays fatal when it cannot be used', async (t) => {
  const file = configDir('rest_api: [unclosed\n', { '10-a.yml': 'default_token_lifetime: 2\n' });
  t.throws(() => loadConfig({ env: {}, file }), ConfigError);
  t.throws(() => loadConfig({ env: {}, file }), /Invalid YAML in .*config\.yml/);
});

t.test('an invalid value from a conf.d file is refused, naming the files', async (t) => {
  const file = configDir('', { '10-a.yml': 'rest_api:\n  port: high\n' });
  t.throws(() => loadConfig({ env: {}, file }), /files: .*10-a\.yml.*config\.yml\):\n {2}rest_api\.port: /);
});

t.test('environment variables win over every file', async (t) => {
  const file = configDir('rest_api:\n  port: 9500\nuuid: from-main\n', {
    '10-a.yml': 'rest_api:\n  port: 9510\n  listen: 10.0.0.1\nuuid: from-conf-d\ndb_uri: sqlite:/tmp/a.db\n',
    '20-b.yml': 'default_policies:\n  p:\n    acl: [b]\n',
  });
  const { config, files } = loadConfig({
    env: { WAZO_AUTH_CONFIG: file, WAZO_AUTH_PORT: '9700', XIVO_UUID: 'the-predefined-xivo-uuid' },
  });
  t.equal(files.length, 3, 'WAZO_AUTH_CONFIG brings its conf.d along');
  t.equal(config.rest_api.port, 9700, 'over the first conf.d file');
  t.equal(config.rest_api.listen, '10.0.0.1', 'the rest of the mapping kept');
  t.equal(config.uuid, 'the-predefined-xivo-uuid');
  t.equal(config.db_uri, 'sqlite:/tmp/a.db');
  t.same(config.default_policies.p?.acl, ['b']);
});

t.test('a __proto__ key is data, never a prototype', async (t) => {
  const file = configDir('__proto__:\n  polluted: main\n', {
    '10-a.yml': '__proto__:\n  polluted: conf.d\n',
  });
  const { config, ignoredKeys } = loadConfig({ env: {}, file });
  t.same(ignoredKeys, ['__proto__'], 'reported as a key this server does not use');
  t.equal(Object.getPrototypeOf(config), Object.prototype);
  t.equal(({} as { polluted?: unknown }).polluted, undefined);
});
