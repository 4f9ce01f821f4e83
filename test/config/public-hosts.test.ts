// The keys of security issue #18 items 9 and 10: `public_hosts` (validated with the parser requests are
// compared with), `mail_throttle`, and the OAuth2 flow timeout.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { type OwnedHosts, PlatformHosts, parseHostPort } from '../../src/hosts/index.js';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wazo-auth-hosts-')), 'config.yml');
  writeFileSync(file, text);
  return file;
}

t.test('defaults', async (t) => {
  const { config } = loadConfig({ env: {}, file: null });
  t.same(config.public_hosts, [], 'none: links fall back to the machine hostname');
  t.same(config.mail_throttle, { enabled: true, mails: 5, window_seconds: 3600, max_entries: 100_000 });
  t.equal(config.oauth2_flow_timeout, 600, 'ten minutes');
});

t.test('public_hosts: host or host:port, from a file', async (t) => {
  const { config } = loadConfig({
    env: {},
    file: configFile('public_hosts: [pbx.example.com, "pbx.example.com:8443", "[::1]:9497", 10.0.0.1]\n'),
  });
  t.same(config.public_hosts, ['pbx.example.com', 'pbx.example.com:8443', '[::1]:9497', '10.0.0.1']);
  for (const bad of [
    'https://pbx.example.com',
    'pbx.example.com/path',
    'user@pbx.example.com',
    'pbx.example.com:99999',
    'pbx.example.com:',
    '-pbx.example.com',
    'pbx example.com',
    '',
  ]) {
    t.throws(
      () => loadConfig({ env: {}, file: configFile(`public_hosts: [${JSON.stringify(bad)}]\n`) }),
      ConfigError,
      bad,
    );
  }
  t.throws(() => loadConfig({ env: {}, file: configFile('mail_throttle: {mails: 0}\n') }), ConfigError);
});

t.test('parseHostPort: the compared form', async (t) => {
  t.same(parseHostPort('PBX.Example.com.'), { host: 'pbx.example.com', port: null });
  t.same(parseHostPort('pbx.example.com:0443'), { host: 'pbx.example.com', port: '443' });
  t.same(parseHostPort('[::1]:9497'), { host: '[::1]', port: '9497' });
  for (const bad of ['a:b:c', 'host:', 'host:x', 'a b', 'a/b', 'a@b', '', '.', 'a..b']) {
    t.equal(parseHostPort(bad), null, bad);
  }
});

t.test('owned hosts: configured entries and the tenant domains', async (t) => {
  const platform = new PlatformHosts({
    configured: ['pbx.example.com', 'alt.example.com:8443'],
    machineHostname: 'machine',
    domainsOf: async (tenant) => (tenant === 'acme' ? ['acme.example.com'] : []),
  });
  t.same(platform.fallback, { host: 'pbx.example.com', port: null }, 'the first configured host');
  const acme = await platform.of('acme');
  const none = await platform.of(null);
  const owns = (hosts: OwnedHosts, text: string) => hosts.owns(parseHostPort(text)!);
  t.ok(owns(acme, 'pbx.example.com:1234'), 'an entry without port: any port');
  t.ok(owns(acme, 'alt.example.com:8443'));
  t.notOk(owns(acme, 'alt.example.com'), 'an entry with a port: that port only');
  t.ok(owns(acme, 'ACME.example.com:8443'));
  t.notOk(owns(none, 'acme.example.com'), 'a tenant domain is owned for that tenant only');
  t.notOk(owns(acme, 'sub.acme.example.com'), 'not its subdomains');
  const bare = new PlatformHosts({ configured: [], machineHostname: 'Wazo-Box', domainsOf: async () => [] });
  t.same(bare.fallback, { host: 'wazo-box', port: null }, 'nothing configured: the machine hostname');
  t.notOk(bare.isConfigured);
});
