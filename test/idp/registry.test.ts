// Login-method selection (idp.md §2): plugins by priority, a throwing plugin skipped, native last.
import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import type { LoginAttempt, LoginMethod } from '../../src/idp/method.js';
import { LoginMethods } from '../../src/idp/registry.js';
import { createLogger } from '../../src/log/logger.js';
import { LogSink } from '../helpers/server.js';

const method = (name: string, claims: (attempt: LoginAttempt) => boolean): LoginMethod => ({
  name,
  backend: 'wazo_user',
  canAuthenticate: claims,
  verify: () => Promise.reject(new Error('not called')),
});

const attempt = (body: object, credentials = true): LoginAttempt => ({
  request: { backend: 'wazo_user', expiration: 60, access_type: 'online', ...body },
  credentials: credentials ? { login: 'alice', password: 'pw' } : null,
});

function registry(idpPlugins: unknown, implementations: Record<string, LoginMethod>) {
  const { config } = loadConfig({ env: {}, file: null });
  config.idp_plugins = idpPlugins as typeof config.idp_plugins;
  const logs = new LogSink();
  const native = method('native', (a) => a.credentials !== null);
  return {
    methods: new LoginMethods(
      config,
      implementations,
      native,
      createLogger({ log_level: 'info', debug: false }, logs),
    ),
    logs,
  };
}

t.test('plugins by ascending priority, then native', async (t) => {
  const saml = method('saml', (a) => a.request.saml_session_id !== undefined);
  const ldap = method('ldap', (a) => a.credentials !== null && a.request.domain_name !== undefined);
  const greedy = method('greedy', () => true);
  const { methods } = registry(
    {
      saml: { enabled: true, priority: 1 },
      ldap: { enabled: true, priority: 2 },
      greedy: { enabled: true }, // no priority: 100, after the others
    },
    { saml, ldap, greedy },
  );
  t.equal(methods.choose(attempt({ saml_session_id: 'x' }, false))?.name, 'saml');
  t.equal(methods.choose(attempt({ domain_name: 'example.com' }))?.name, 'ldap');
  t.equal(methods.choose(attempt({}))?.name, 'greedy', 'a plugin before native');
  t.same(methods.listed(), ['native', 'default', 'saml', 'ldap', 'greedy']);
  t.same([...methods.assignable()].sort(), ['default', 'greedy', 'ldap', 'native', 'saml']);
  t.equal(methods.serving('ldap'), ldap);
  t.equal(methods.serving('native')?.name, 'native');
  t.equal(methods.serving('gone'), null);
});

t.test('a missing `enabled` is off; an enabled plugin without implementation is not loaded', async (t) => {
  const ldap = method('ldap', () => true);
  const { methods, logs } = registry({ ldap: { priority: 1 }, saml: { enabled: true } }, { ldap });
  t.equal(methods.choose(attempt({ domain_name: 'x' }))?.name, 'native');
  t.equal(methods.choose(attempt({}, false)), null, 'no method: the login fails');
  t.same(methods.listed(), ['native', 'default']);
  t.match(logs.lines.join('\n'), /idp plugin enabled but not implemented/);
});

t.test('a plugin whose test throws is skipped, the next one tried', async (t) => {
  const broken = method('broken', () => {
    throw new Error('boom');
  });
  const ldap = method('ldap', () => true);
  const { methods, logs } = registry(
    { broken: { enabled: true, priority: 1 }, ldap: { enabled: true, priority: 2 } },
    { broken, ldap },
  );
  t.equal(methods.choose(attempt({}))?.name, 'ldap');
  t.match(logs.lines.join('\n'), /failed to examine a login/);
});

t.test('two plugins may serve the same method: priority decides', async (t) => {
  const first = method('ldap', () => true);
  const second = method('ldap', () => true);
  const { methods } = registry(
    { ldap2: { enabled: true, priority: 5 }, ldap1: { enabled: true, priority: 3 } },
    { ldap1: first, ldap2: second },
  );
  t.equal(methods.choose(attempt({})), first);
  t.same(methods.listed(), ['native', 'default', 'ldap'], 'listed once');
});
