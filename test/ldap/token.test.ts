// `POST /token` with LDAP credentials, end to end (ldap.md §4, idp.md §2): the whole server, a real slapd.

import t from 'tap';
import { Email, User } from '../../src/entities/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, legacyError, ok } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import {
  LDAP_USERS,
  type LdapTestUser,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  startSlapd,
} from '../helpers/slapd.js';

const { alice, jack, humbert, searcher, robot } = LDAP_USERS;

type TokenData = {
  token: string;
  auth_id: string;
  refresh_token?: string;
  metadata: Record<string, unknown>;
};

const FAILED = { reason: 'Authentication Failed', status_code: 401 };

t.test('POST /token with domain_name or tenant_id', async (t) => {
  const slapd = await startSlapd(t);
  const app = await startTestApp(t);
  const admin = await adminCaller(app);

  const tenant = ok<{ uuid: string }>(
    await admin.post('/tenants', {
      name: 'LDAP corp',
      slug: 'ldapcorp',
      domain_names: ['corp.example.com', 'corp.example.org'],
    }),
  );
  const other = ok<{ uuid: string }>(
    await admin.post('/tenants', {
      name: 'Elsewhere',
      slug: 'elsewhere',
      domain_names: ['elsewhere.example.com'],
    }),
  );
  const ldapConfig = {
    host: slapd.host,
    port: slapd.port,
    user_base_dn: PEOPLE_DN,
    user_login_attribute: 'uid',
    user_email_attribute: 'mail',
  };
  for (const uuid of [tenant.uuid, other.uuid]) ok(await admin.put('/backends/ldap', uuid, ldapConfig));

  const wazoUser = (
    username: string,
    email: string | null,
    authenticationMethod: string,
    inTenant = tenant.uuid,
  ) =>
    createUser(app.orm, {
      username,
      tenant: inTenant,
      authenticationMethod,
      ...(email ? { email: { address: email, confirmed: true } } : {}),
    });
  const aliceUuid = await wazoUser('alice', 'awonderland@wazo-auth.com', 'ldap');
  const jackUuid = await wazoUser('jack', 'jsparrow@wazo-auth.com', 'default');
  const humbertUuid = await wazoUser('hjohnson@wazo-auth.com', null, 'ldap');
  const searcherUuid = await wazoUser('msearch', 'msearch@wazo-auth.com', 'ldap');
  await wazoUser('rbot', 'rbot@wazo-auth.com', 'native');

  const login = (user: Pick<LdapTestUser, 'uid' | 'password'>, body: object) =>
    app.call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic(user.uid, user.password) },
      body: JSON.stringify(body),
    });
  const token = async (user: Pick<LdapTestUser, 'uid' | 'password'>, body: object) =>
    ok<{ data: TokenData }>(await login(user, body)).data;

  t.test('GET /backends lists ldap_user', async (t) => {
    t.strictSame(ok(await app.call({ path: '/0.1/backends' })), { data: ['ldap_user', 'wazo_user'] });
  });

  t.test('user method ldap: domain_name, tenant_id as uuid or slug', async (t) => {
    for (const body of [
      { domain_name: 'corp.example.com' },
      { domain_name: 'corp.example.org' },
      { tenant_id: tenant.uuid },
      { tenant_id: 'ldapcorp' },
    ]) {
      const data = await token(alice, body);
      t.equal(data.auth_id, aliceUuid, JSON.stringify(body));
      t.match(data.metadata, { uuid: aliceUuid, pbx_user_uuid: aliceUuid, tenant_uuid: tenant.uuid });
    }
  });

  t.test('case differences and username matching', async (t) => {
    t.equal(
      (await login({ uid: 'JSparrow', password: jack.password }, { domain_name: 'corp.example.com' })).status,
      401,
      'jack is default/native',
    );
    t.equal((await token(humbert, { tenant_id: 'ldapcorp' })).auth_id, humbertUuid);
    t.equal(
      (await token({ uid: 'AWONDERLAND', password: alice.password }, { tenant_id: 'ldapcorp' })).auth_id,
      aliceUuid,
    );
  });

  t.test("user method default follows the tenant's default method", async (t) => {
    const jackLogin = { uid: 'JSparrow', password: jack.password };
    const before = await login(jackLogin, { domain_name: 'corp.example.com' });
    t.strictSame(legacyError(before), FAILED, 'tenant default native');
    ok(
      await admin.put(`/tenants/${tenant.uuid}`, undefined, {
        name: 'LDAP corp',
        domain_names: ['corp.example.com', 'corp.example.org'],
        default_authentication_method: 'ldap',
      }),
    );
    t.teardown(async () => {
      await admin.put(`/tenants/${tenant.uuid}`, undefined, {
        name: 'LDAP corp',
        domain_names: ['corp.example.com', 'corp.example.org'],
        default_authentication_method: 'native',
      });
    });
    const data = await token(jackLogin, { domain_name: 'corp.example.com' });
    t.equal(data.auth_id, jackUuid);
  });

  t.test('a native user sending domain_name is routed to ldap and refused', async (t) => {
    t.strictSame(legacyError(await login(robot, { domain_name: 'corp.example.com' })), FAILED);
  });

  t.test('an ldap user without domain_name/tenant_id is routed to native and refused', async (t) => {
    t.strictSame(legacyError(await login(alice, {})), FAILED);
  });

  t.test('wrong password, unknown domain, Wazo user in another tenant: 401', async (t) => {
    t.strictSame(
      legacyError(await login({ uid: alice.uid, password: 'nope' }, { tenant_id: 'ldapcorp' })),
      FAILED,
    );
    t.strictSame(legacyError(await login(alice, { domain_name: 'nowhere.example.com' })), FAILED);
    t.strictSame(legacyError(await login(alice, { domain_name: 'elsewhere.example.com' })), FAILED);
  });

  t.test('an unknown tenant_id: 404 unknown-tenant', async (t) => {
    for (const value of ['nosuchslug', '00000000-0000-4000-8000-00000000abcd']) {
      const res = await login(alice, { tenant_id: value });
      t.equal(res.status, 404);
      t.strictSame(apiError(res), {
        message: `No such tenant: "${value}"`,
        error_id: 'unknown-tenant',
        details: { uuid: value },
        resource: 'tenants',
      });
    }
  });

  t.test('tenant_id and domain_name together: 400', async (t) => {
    const res = await login(alice, { tenant_id: tenant.uuid, domain_name: 'corp.example.com' });
    t.equal(res.status, 400);
    t.match(legacyError(res).reason, /mutually exclusive/);
  });

  t.test('search-only mail: 401 by DN, success with a service bind and search_filters', async (t) => {
    t.strictSame(legacyError(await login(searcher, { tenant_id: 'ldapcorp' })), FAILED);
    ok(
      await admin.put('/backends/ldap', tenant.uuid, {
        ...ldapConfig,
        bind_dn: SERVICE_DN,
        bind_password: SERVICE_PASSWORD,
        search_filters: '(&({user_login_attribute}={username})(employeeType=human))',
      }),
    );
    t.teardown(() =>
      admin.put('/backends/ldap', tenant.uuid, {
        ...ldapConfig,
        bind_dn: null,
        bind_password: null,
        search_filters: null,
      }),
    );
    t.equal((await token(searcher, { tenant_id: 'ldapcorp' })).auth_id, searcherUuid);
  });

  t.test('offline access, then the refresh token renews with tenant_id, keeping pbx_user_uuid', async (t) => {
    const first = await token(alice, {
      domain_name: 'corp.example.com',
      access_type: 'offline',
      client_id: 'ldap-client',
    });
    t.ok(first.refresh_token);
    const res = await app.call({
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({
        refresh_token: first.refresh_token,
        client_id: 'ldap-client',
        tenant_id: tenant.uuid,
      }),
    });
    const renewed = ok<{ data: TokenData }>(res).data;
    t.equal(renewed.auth_id, aliceUuid);
    t.equal(renewed.metadata.pbx_user_uuid, aliceUuid);
    t.not(renewed.token, first.token);

    const list = ok<{ items: { client_id: string; user_uuid: string }[] }>(
      await admin.get(`/users/${aliceUuid}/tokens`, tenant.uuid),
    );
    t.match(list.items, [{ client_id: 'ldap-client', user_uuid: aliceUuid }]);
  });

  t.test('a user switched away from ldap can no longer log in by LDAP', async (t) => {
    await app.orm.em.fork().nativeUpdate(User, { uuid: humbertUuid }, { authenticationMethod: 'native' });
    t.strictSame(legacyError(await login(humbert, { tenant_id: 'ldapcorp' })), FAILED);
    await app.orm.em.fork().nativeUpdate(User, { uuid: humbertUuid }, { authenticationMethod: 'ldap' });
    t.equal((await token(humbert, { tenant_id: 'ldapcorp' })).auth_id, humbertUuid);
  });

  t.test('the LDAP address must be a confirmed address of the Wazo user (as upstream)', async (t) => {
    const em = app.orm.em.fork();
    await em.nativeUpdate(Email, { user: aliceUuid }, { confirmed: false });
    t.strictSame(legacyError(await login(alice, { tenant_id: 'ldapcorp' })), FAILED, 'unconfirmed: refused');
    await em.nativeUpdate(Email, { user: aliceUuid }, { confirmed: true });
    t.equal((await token(alice, { tenant_id: 'ldapcorp' })).auth_id, aliceUuid);
  });
});
