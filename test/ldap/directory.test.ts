// The LDAP conversation of the `ldap_user` backend (ldap.md §4 steps 3–6) against a real slapd.

import { createServer, type Socket } from 'node:net';
import t from 'tap';
import type { LdapConfig } from '../../src/entities/index.js';
import { checkLdapLogin } from '../../src/ldap/index.js';
import { freePort } from '../../src/net/free-port.js';
import {
  LDAP_USERS,
  type LdapTestUser,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../helpers/slapd.js';

const { alice, jack, nomail, searcher, robot, dnSpecial, filterSpecial } = LDAP_USERS;

/** A stored configuration, as the backend reads it (the tenant is not used by the directory part). */
function configFor(slapd: Slapd, overrides: Partial<LdapConfig> = {}): LdapConfig {
  return {
    host: slapd.host,
    port: slapd.port,
    protocolVersion: 3,
    protocolSecurity: null,
    bindDn: null,
    bindPassword: null,
    userBaseDn: PEOPLE_DN,
    userLoginAttribute: 'uid',
    userEmailAttribute: 'mail',
    searchFilters: null,
    ...overrides,
  } as LdapConfig;
}

const SERVICE = { bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD } as const;

t.test('checkLdapLogin against slapd', async (t) => {
  const slapd = await startSlapd(t);
  const direct = configFor(slapd);
  const service = configFor(slapd, SERVICE);
  const check = (config: LdapConfig, user: Pick<LdapTestUser, 'uid' | 'password'>, ca?: string) =>
    checkLdapLogin(config, user.uid, user.password, ca === undefined ? {} : { ca });
  const emailOf = async (...args: Parameters<typeof check>) => {
    const answer = await check(...args);
    return answer.ok ? answer.email : answer.refusal;
  };

  t.test('user bind with the DN built from the login, e-mail read as the user, lower-cased', async (t) => {
    t.same(await check(direct, alice), { ok: true, email: 'awonderland@wazo-auth.com' });
    t.same(await check(direct, jack), { ok: true, email: 'jsparrow@wazo-auth.com' });
  });

  t.test('service bind then search, e-mail taken from the search', async (t) => {
    t.same(await check(service, alice), { ok: true, email: 'awonderland@wazo-auth.com' });
    t.same(await check(service, jack), { ok: true, email: 'jsparrow@wazo-auth.com' });
  });

  t.test('a login differing in case finds the same entry (uid matching is case-insensitive)', async (t) => {
    t.same(await check(direct, { uid: 'AWonderland', password: alice.password }), {
      ok: true,
      email: 'awonderland@wazo-auth.com',
    });
    t.same(await check(service, { uid: 'JSPARROW', password: jack.password }), {
      ok: true,
      email: 'jsparrow@wazo-auth.com',
    });
  });

  t.test('wrong password, unknown login, empty password: denied', async (t) => {
    for (const config of [direct, service]) {
      t.match(await emailOf(config, { uid: alice.uid, password: 'wrong' }), { kind: 'denied' });
      t.match(await emailOf(config, { uid: 'nobody', password: 'whatever' }), { kind: 'denied' });
      t.same(await emailOf(config, { uid: alice.uid, password: '' }), {
        kind: 'denied',
        reason: 'empty password',
      });
    }
  });

  t.test('an empty password is refused before any bind, even when the server is down', async (t) => {
    const nothing = configFor(slapd, { port: await freePort() });
    t.same(await emailOf(nothing, { uid: alice.uid, password: '' }), {
      kind: 'denied',
      reason: 'empty password',
    });
  });

  t.test('an entry without mail: denied, with or without service bind', async (t) => {
    t.same(await emailOf(direct, nomail), { kind: 'denied', reason: 'no readable e-mail address' });
    t.same(await emailOf(service, nomail), { kind: 'denied', reason: 'no readable e-mail address' });
  });

  t.test('a user who may search but not read its mail', async (t) => {
    t.same(await emailOf(direct, searcher), { kind: 'denied', reason: 'no readable e-mail address' });
    const filtered = configFor(slapd, {
      ...SERVICE,
      searchFilters: '(&({user_login_attribute}={username}))',
    });
    t.same(
      await check(filtered, searcher),
      { ok: true, email: 'msearch@wazo-auth.com' },
      'read by the service',
    );
  });

  t.test('search_filters', async (t) => {
    const humans = configFor(slapd, {
      ...SERVICE,
      searchFilters: '(&({user_login_attribute}={username})(employeeType=human))',
    });
    t.same(await check(humans, alice), { ok: true, email: 'awonderland@wazo-auth.com' });
    t.same(await emailOf(humans, robot), { kind: 'denied', reason: 'no entry matches the login' });
    t.same(await check(service, robot), { ok: true, email: 'rbot@wazo-auth.com' }, 'default filter');

    const bare = configFor(slapd, { ...SERVICE, searchFilters: 'uid={username}' });
    t.same(await check(bare, alice), { ok: true, email: 'awonderland@wazo-auth.com' }, 'wrapped in ( )');

    const byMail = configFor(slapd, { ...SERVICE, searchFilters: '({user_email_attribute}={username})' });
    t.same(
      await emailOf(byMail, { uid: alice.mail!, password: alice.password }),
      'awonderland@wazo-auth.com',
    );

    const ambiguous = configFor(slapd, { ...SERVICE, searchFilters: '(employeeType={username})' });
    t.same(await emailOf(ambiguous, { uid: 'human', password: alice.password }), {
      kind: 'denied',
      reason: 'several entries match',
    });

    const broken = configFor(slapd, { ...SERVICE, searchFilters: '(uid={login})' });
    t.match(await emailOf(broken, alice), { kind: 'error', reason: /search_filters/ });
  });

  t.test('a wrong service password: denied before any search', async (t) => {
    const wrong = configFor(slapd, { bindDn: SERVICE_DN, bindPassword: 'nope' });
    t.match(await emailOf(wrong, alice), { kind: 'denied' });
  });

  t.test('injection attempts in the login find nothing', async (t) => {
    const humans = configFor(slapd, {
      ...SERVICE,
      searchFilters: '(&({user_login_attribute}={username})(employeeType=human))',
    });
    const attempts = [
      '*',
      'awonder*',
      '*)(uid=*',
      ')(uid=*',
      'awonderland)(|(uid=*',
      '\\',
      '\\2a',
      'rbot)(employeeType=robot',
    ];
    for (const login of [...attempts, 'awonderland\0', `${alice.uid}\0)(uid=*`]) {
      for (const config of [service, humans, direct]) {
        const answer = await emailOf(config, { uid: login, password: alice.password });
        t.match(answer, { kind: 'denied' }, `${JSON.stringify(login)} (${config.bindDn ? 'search' : 'DN'})`);
      }
    }
    // `rbot)(employeeType=robot` with the robot's password must not pass the human-only filter either.
    t.match(await emailOf(humans, { uid: 'rbot)(employeeType=robot', password: robot.password }), {
      kind: 'denied',
    });
  });

  t.test('DN injection: extra RDNs or another base in the login do not bind', async (t) => {
    for (const login of [`${alice.uid},${PEOPLE_DN}`, `${alice.uid}+cn=x`, `x,uid=${alice.uid}`]) {
      t.match(await emailOf(direct, { uid: login, password: alice.password }), { kind: 'denied' }, login);
    }
  });

  t.test('logins made of the characters RFC 4514 and RFC 4515 escape work as plain values', async (t) => {
    for (const config of [direct, service]) {
      t.same(await check(config, dnSpecial), { ok: true, email: 'dnspecial@wazo-auth.com' });
      t.same(await check(config, filterSpecial), { ok: true, email: 'filterspecial@wazo-auth.com' });
    }
  });

  t.test('ldaps and StartTLS, verified against the configured CA', async (t) => {
    const ldaps = configFor(slapd, { port: slapd.ldapsPort, protocolSecurity: 'ldaps' });
    const startTls = configFor(slapd, { protocolSecurity: 'tls' });
    for (const config of [ldaps, startTls, { ...ldaps, ...SERVICE }, { ...startTls, ...SERVICE }]) {
      t.same(await check(config, alice, slapd.ca), { ok: true, email: 'awonderland@wazo-auth.com' });
    }
    const byName = configFor(slapd, { host: 'localhost', protocolSecurity: 'tls' });
    t.same(await check(byName, alice, slapd.ca), { ok: true, email: 'awonderland@wazo-auth.com' }, 'SAN DNS');

    for (const [what, config] of [
      ['ldaps', ldaps],
      ['StartTLS', startTls],
    ] as const) {
      t.match(await emailOf(config, alice), { kind: 'error' }, `${what} without the CA`);
      t.match(await emailOf(config, alice, slapd.otherCa), { kind: 'error' }, `${what} with another CA`);
    }
  });

  t.test('a certificate not issued for the host is refused', async (t) => {
    const alias = configFor(slapd, { host: slapd.aliasHost });
    t.same(await check(alias, alice), { ok: true, email: 'awonderland@wazo-auth.com' }, 'reachable');
    const answer = await emailOf({ ...alias, protocolSecurity: 'tls' }, alice, slapd.ca);
    t.match(answer, { kind: 'error', reason: /IP: 127\.0\.0\.2 is not in the cert's list/ });
  });

  t.test('server down: an error, not a denial', async (t) => {
    const down = configFor(slapd, { port: await freePort() });
    t.match(await emailOf(down, alice), { kind: 'error', reason: /ECONNREFUSED/ });
    t.match(await emailOf({ ...down, ...SERVICE }, alice), { kind: 'error' });
  });

  t.test('a server that accepts and never answers: the 2 s operation timeout', async (t) => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    t.match(await emailOf(configFor(slapd, { port }), alice), { kind: 'error', reason: /timed out/ });
    const elapsed = Date.now() - started;
    t.ok(elapsed >= 1900 && elapsed < 4000, `gave up after ${elapsed} ms`);
  });

  t.test(
    'a server that accepts StartTLS then stalls the handshake: the whole-conversation deadline',
    async (t) => {
      const sockets = new Set<Socket>();
      // LDAPMessage { messageID (the request's), extendedResp { success, matchedDN "", diagnosticMessage "" } }
      const startTlsAccepted = (request: Buffer) =>
        Buffer.from(`300c0201${request.subarray(4, 5).toString('hex')}78070a010004000400`, 'hex');
      const stalling = createServer((socket) => {
        sockets.add(socket);
        socket.once('data', (request: Buffer) => socket.write(startTlsAccepted(request)));
      });
      await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
      t.teardown(() => {
        for (const socket of sockets) socket.destroy();
        stalling.close();
      });
      const port = (stalling.address() as { port: number }).port;
      const config = configFor(slapd, { port, protocolSecurity: 'tls' });
      const started = Date.now();
      // Longer than the 2 s operation timeout, to show the StartTLS request itself was answered.
      const answer = await checkLdapLogin(config, alice.uid, alice.password, {
        ca: slapd.ca,
        deadlineMs: 3000,
      });
      const elapsed = Date.now() - started;
      t.match(answer, { ok: false, refusal: { kind: 'error', reason: /LDAP conversation timed out/ } });
      t.ok(elapsed >= 2950 && elapsed < 4000, `gave up after ${elapsed} ms`);
    },
  );

  t.test('a host that is not a valid URL host: an error', async (t) => {
    t.match(await emailOf(configFor(slapd, { host: 'bad host/x' }), alice), { kind: 'error' });
  });
});
