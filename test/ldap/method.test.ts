// The `ldap` login method (ldap.md §4, idp.md §2) called directly: tenants, configurations and Wazo users
// in a real PostgreSQL database, the directory in a real slapd.

import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Credentials } from '../../src/authentication/basic.js';
import { Email, TenantDomain, User } from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import { ApiError, type HttpError, LegacyError } from '../../src/http/errors.js';
import type { LoginAttempt } from '../../src/idp/method.js';
import type { LdapConfigPut } from '../../src/ldap/index.js';
import { LDAP_CA_FILE_VARIABLE, LdapConfigRepository, LdapLoginMethod } from '../../src/ldap/index.js';
import { createLogger } from '../../src/log/logger.js';
import { freePort } from '../../src/net/free-port.js';
import type { TokenRequest } from '../../src/tokens/login.js';
import { migratedDatabase } from '../helpers/db.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import { LogSink } from '../helpers/server.js';
import {
  LDAP_USERS,
  type LdapTestUser,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../helpers/slapd.js';

const { alice, jack, humbert, nomail, searcher, robot, foreigner, unmatched, dnSpecial, filterSpecial } =
  LDAP_USERS;

const request = (body: Partial<TokenRequest>): TokenRequest => ({
  backend: 'wazo_user',
  expiration: 600,
  access_type: 'online',
  ...body,
});

const attempt = (credentials: Credentials | null, body: Partial<TokenRequest>): LoginAttempt => ({
  request: request(body),
  credentials,
});

const as = (user: Pick<LdapTestUser, 'uid' | 'password'>, body: Partial<TokenRequest>) =>
  attempt({ login: user.uid, password: user.password }, body);

/** A full PUT body for the test server. */
const configBody = (slapd: Slapd, overrides: Partial<LdapConfigPut> = {}): LdapConfigPut => ({
  host: slapd.host,
  port: slapd.port,
  protocol_version: 3,
  user_base_dn: PEOPLE_DN,
  user_login_attribute: 'uid',
  user_email_attribute: 'mail',
  ...overrides,
});

async function addDomains(orm: Database, tenant: string, names: string[]): Promise<void> {
  const em = orm.em.fork();
  for (const name of names) em.create(TenantDomain, { tenant, name });
  await em.flush();
}

/** Whether `promise` rejects with the legacy 401 `Authentication Failed`. */
async function refused(promise: Promise<unknown>): Promise<boolean> {
  try {
    await promise;
    return false;
  } catch (error) {
    return error instanceof LegacyError && error.status === 401 && error.message === 'Authentication Failed';
  }
}

t.test('LdapLoginMethod', async (t) => {
  const slapd = await startSlapd(t);
  const orm = await migratedDatabase(t);
  const logs = new LogSink();
  const logger = createLogger({ log_level: 'debug', debug: false }, logs);
  const method = new LdapLoginMethod({ orm, logger, ca: slapd.ca });
  const configs = new LdapConfigRepository(orm);

  // The tenant of the scenarios: plain LDAP, user bind with the DN built from the login.
  const tenant = await createTenant(orm, 'ldaptenant');
  await addDomains(orm, tenant, ['wazo-auth.example.com', 'other.example.org']);
  await configs.put(tenant, configBody(slapd));
  const other = await createTenant(orm, 'othertnt');
  await addDomains(orm, other, ['other-tenant.example.com']);
  await configs.put(other, configBody(slapd));
  const bare = await createTenant(orm, 'noconfig');
  await addDomains(orm, bare, ['no-ldap.example.com']);

  const ldapUser = (
    username: string,
    email: string | null,
    extra: { tenant?: string; enabled?: boolean } = {},
  ) =>
    createUser(orm, {
      username,
      tenant: extra.tenant ?? tenant,
      authenticationMethod: 'ldap',
      ...(email ? { email: { address: email, confirmed: true } } : {}),
      ...(extra.enabled === undefined ? {} : { enabled: extra.enabled }),
    });
  const aliceUuid = await ldapUser('alice', 'awonderland@wazo-auth.com');
  const jackUuid = await ldapUser('jack', 'JSPARROW@wazo-auth.com');
  const humbertUuid = await ldapUser('hjohnson@wazo-auth.com', null);
  const searcherUuid = await ldapUser('msearch', 'msearch@wazo-auth.com');
  const robotUuid = await ldapUser('rbot', 'rbot@wazo-auth.com');
  await ldapUser('fother', 'fother@wazo-auth.com', { tenant: other });
  await ldapUser('not-the-mail', null);
  const dnSpecialUuid = await ldapUser('dnspecial', 'dnspecial@wazo-auth.com');
  const filterSpecialUuid = await ldapUser('filterspecial', 'filterspecial@wazo-auth.com');

  const byDomain = { domain_name: 'wazo-auth.example.com' };

  t.test('name and backend', async (t) => {
    t.equal(method.name, 'ldap');
    t.equal(method.backend, 'ldap_user');
  });

  t.test('canAuthenticate: Basic login and password, and domain_name or tenant_id', async (t) => {
    const credentials = { login: 'a', password: 'b' };
    t.ok(method.canAuthenticate(attempt(credentials, byDomain)));
    t.ok(method.canAuthenticate(attempt(credentials, { tenant_id: tenant })));
    t.notOk(method.canAuthenticate(attempt(credentials, {})));
    t.notOk(method.canAuthenticate(attempt(credentials, { domain_name: '' })));
    t.notOk(method.canAuthenticate(attempt(null, byDomain)));
    t.notOk(method.canAuthenticate(attempt({ login: 'a', password: '' }, byDomain)));
    t.notOk(method.canAuthenticate(attempt({ login: '', password: 'b' }, { tenant_id: tenant })));
  });

  t.test('success: the Wazo user found by the LDAP e-mail, which becomes the login', async (t) => {
    t.same(await method.verify(as(alice, byDomain)), {
      userUuid: aliceUuid,
      login: 'awonderland@wazo-auth.com',
      backend: 'ldap_user',
    });
  });

  t.test('tenant_id as UUID or slug, domain_name as any of the tenant domains', async (t) => {
    for (const body of [
      { tenant_id: tenant },
      { tenant_id: tenant.toUpperCase() },
      { tenant_id: 'ldaptenant' },
      { domain_name: 'wazo-auth.example.com' },
      { domain_name: 'other.example.org' },
    ]) {
      t.equal((await method.verify(as(alice, body))).userUuid, aliceUuid, JSON.stringify(body));
    }
  });

  t.test('a tenant_id naming no tenant is upstream 404 unknown-tenant, by uuid or by slug', async (t) => {
    for (const value of ['00000000-0000-4000-8000-000000000000', 'nosuchslug']) {
      const error = await method.verify(as(alice, { tenant_id: value })).catch((e: unknown) => e);
      t.ok(error instanceof ApiError, value);
      const body = JSON.parse((error as HttpError).body());
      t.equal((error as HttpError).status, 404);
      t.same(
        { message: body.message, error_id: body.error_id, details: body.details, resource: body.resource },
        {
          message: `No such tenant: "${value}"`,
          error_id: 'unknown-tenant',
          details: { uuid: value },
          resource: 'tenants',
        },
      );
    }
  });

  t.test('a domain_name no tenant owns, or a tenant without configuration: 401', async (t) => {
    t.ok(await refused(method.verify(as(alice, { domain_name: 'nowhere.example.com' }))));
    t.ok(await refused(method.verify(as(alice, { domain_name: 'no-ldap.example.com' }))));
    t.ok(await refused(method.verify(as(alice, { tenant_id: bare }))));
  });

  t.test('case differs between the login, LDAP and Wazo e-mails', async (t) => {
    t.same(await method.verify(as({ uid: 'JSparrow', password: jack.password }, byDomain)), {
      userUuid: jackUuid,
      login: 'jsparrow@wazo-auth.com',
      backend: 'ldap_user',
    });
  });

  t.test('a Wazo user without e-mail whose username is the LDAP e-mail', async (t) => {
    const verified = await method.verify(as(humbert, byDomain));
    t.equal(verified.userUuid, humbertUuid);
    t.equal(verified.login, 'hjohnson@wazo-auth.com');
  });

  t.test('an unconfirmed Wazo e-mail matches too (any e-mail of the user)', async (t) => {
    const em = orm.em.fork();
    await em.nativeUpdate(Email, { address: 'fother@wazo-auth.com' }, { confirmed: false });
    t.teardown(() =>
      orm.em.fork().nativeUpdate(Email, { address: 'fother@wazo-auth.com' }, { confirmed: true }),
    );
    const verified = await method.verify(as(foreigner, { domain_name: 'other-tenant.example.com' }));
    t.equal(verified.login, 'fother@wazo-auth.com');
  });

  t.test('the Wazo user lives in another tenant: 401', async (t) => {
    t.ok(await refused(method.verify(as(foreigner, byDomain))));
    const verified = await method.verify(as(foreigner, { domain_name: 'other-tenant.example.com' }));
    t.equal(verified.login, 'fother@wazo-auth.com', 'found in its own tenant');
  });

  t.test('wrong password, no mail in LDAP, no matching Wazo user: 401', async (t) => {
    t.ok(await refused(method.verify(as({ uid: alice.uid, password: 'wrong' }, byDomain))));
    t.ok(await refused(method.verify(as(nomail, byDomain))));
    t.ok(await refused(method.verify(as(unmatched, byDomain))));
  });

  t.test('an empty password is refused before any bind', async (t) => {
    t.ok(await refused(method.verify(as({ uid: alice.uid, password: '' }, byDomain))));
    t.ok(await refused(method.verify(attempt(null, byDomain))));
  });

  t.test('a disabled Wazo user: 401', async (t) => {
    await orm.em.fork().nativeUpdate(User, { uuid: robotUuid }, { enabled: false });
    t.ok(await refused(method.verify(as(robot, byDomain))));
    await orm.em.fork().nativeUpdate(User, { uuid: robotUuid }, { enabled: true });
    t.equal((await method.verify(as(robot, byDomain))).userUuid, robotUuid);
  });

  t.test('search but not read its mail: 401 without service bind, success with one', async (t) => {
    t.ok(await refused(method.verify(as(searcher, byDomain))));
    await configs.put(
      tenant,
      configBody(slapd, {
        bind_dn: SERVICE_DN,
        bind_password: SERVICE_PASSWORD,
        search_filters: '(&({user_login_attribute}={username})(employeeType=human))',
      }),
    );
    t.teardown(() =>
      configs.put(tenant, configBody(slapd, { bind_dn: null, bind_password: null, search_filters: null })),
    );
    t.equal((await method.verify(as(searcher, byDomain))).userUuid, searcherUuid);

    t.test('the same filter excludes the robot', async (t) => {
      t.ok(await refused(method.verify(as(robot, byDomain))));
    });
    t.test('injection attempts in the login', async (t) => {
      for (const login of [
        '*',
        'awonder*',
        '*)(uid=*',
        ')(uid=*',
        '\\',
        'awonderland\0',
        'rbot)(employeeType=robot',
      ]) {
        t.ok(
          await refused(method.verify(as({ uid: login, password: alice.password }, byDomain))),
          JSON.stringify(login),
        );
      }
    });
    t.test('special characters are plain values', async (t) => {
      t.equal((await method.verify(as(dnSpecial, byDomain))).userUuid, dnSpecialUuid);
      t.equal((await method.verify(as(filterSpecial, byDomain))).userUuid, filterSpecialUuid);
    });
  });

  t.test('DN mode: injection attempts fail, special characters are plain values', async (t) => {
    for (const login of ['*', `${alice.uid},${PEOPLE_DN}`, `${alice.uid}+cn=x`, '\\', `${alice.uid}\0`]) {
      t.ok(
        await refused(method.verify(as({ uid: login, password: alice.password }, byDomain))),
        JSON.stringify(login),
      );
    }
    t.equal((await method.verify(as(dnSpecial, byDomain))).userUuid, dnSpecialUuid);
    t.equal((await method.verify(as(filterSpecial, byDomain))).userUuid, filterSpecialUuid);
  });

  t.test('ldaps and StartTLS with the configured CA; another CA or none is refused', async (t) => {
    const secure = await createTenant(orm, 'securetnt');
    // Usernames are unique across tenants, e-mails too: this tenant's Alice is found by username.
    const uuid = await ldapUser('awonderland@wazo-auth.com', null, { tenant: secure });
    const secureAttempt = as(alice, { tenant_id: secure });
    const wrongCa = new LdapLoginMethod({ orm, logger, ca: slapd.otherCa });
    const noCa = new LdapLoginMethod({ orm, logger, ca: null });
    for (const [what, body] of [
      ['ldaps', configBody(slapd, { port: slapd.ldapsPort, protocol_security: 'ldaps' })],
      ['StartTLS', configBody(slapd, { protocol_security: 'tls' })],
      [
        'StartTLS + service bind',
        configBody(slapd, { protocol_security: 'tls', bind_dn: SERVICE_DN, bind_password: SERVICE_PASSWORD }),
      ],
    ] as const) {
      await configs.put(secure, body);
      t.equal((await method.verify(secureAttempt)).userUuid, uuid, what);
      for (const [name, other] of [
        ['another CA', wrongCa],
        ['no CA', noCa],
      ] as const) {
        const from = logs.lines.length;
        t.ok(await refused(other.verify(secureAttempt)), `${what} with ${name}`);
        t.match(logs.lines.slice(from).join('\n'), /could not be queried/, `${what} with ${name}: logged`);
      }
    }
  });

  t.test('the CA can come from WAZO_AUTH_LDAP_CA_FILE, read at construction', async (t) => {
    const secure = await createTenant(orm, 'envcatnt');
    const uuid = await ldapUser('jsparrow@wazo-auth.com', null, { tenant: secure });
    await configs.put(secure, configBody(slapd, { protocol_security: 'tls' }));
    const file = join(tmpdir(), `wazo-auth-ldap-ca-${process.pid}.pem`);
    writeFileSync(file, slapd.ca);
    const saved = process.env[LDAP_CA_FILE_VARIABLE];
    t.teardown(() => {
      rmSync(file, { force: true });
      if (saved === undefined) delete process.env[LDAP_CA_FILE_VARIABLE];
      else process.env[LDAP_CA_FILE_VARIABLE] = saved;
    });
    process.env[LDAP_CA_FILE_VARIABLE] = file;
    const fromEnv = new LdapLoginMethod({ orm, logger });
    t.equal((await fromEnv.verify(as(jack, { tenant_id: secure }))).userUuid, uuid);

    delete process.env[LDAP_CA_FILE_VARIABLE];
    t.ok(
      await refused(new LdapLoginMethod({ orm, logger }).verify(as(jack, { tenant_id: secure }))),
      'unset',
    );

    process.env[LDAP_CA_FILE_VARIABLE] = join(tmpdir(), 'no-such-ca-file.pem');
    t.throws(() => new LdapLoginMethod({ orm, logger }), /WAZO_AUTH_LDAP_CA_FILE: cannot read/);
    t.doesNotThrow(() => new LdapLoginMethod({ orm, logger, ca: null }), 'an explicit option wins');
  });

  t.test('server down: 401 and a log line, without any password', async (t) => {
    const down = await createTenant(orm, 'downtnt');
    await configs.put(
      down,
      configBody(slapd, { port: await freePort(), bind_dn: SERVICE_DN, bind_password: SERVICE_PASSWORD }),
    );
    const before = logs.lines.length;
    t.ok(await refused(method.verify(as(alice, { tenant_id: down }))));
    const lines = logs.lines.slice(before);
    t.ok(
      lines.some((line) => line.includes('could not be queried') && line.includes('ECONNREFUSED')),
      'logged',
    );
  });

  t.test('no log line ever carries a password', async (t) => {
    const secrets = [SERVICE_PASSWORD, ...Object.values(LDAP_USERS).map((user) => user.password)];
    for (const secret of secrets) {
      t.notOk(
        logs.lines.some((line) => line.includes(secret)),
        `${secret} never logged`,
      );
    }
    t.ok(logs.lines.length > 0);
  });
});
