// GET /idp, PUT|DELETE /idp/{type}/users/{uuid}, PUT /idp/{type}/users (idp.md §3), and the rule that a
// login must come through the user's effective method (idp.md §2).
import t from 'tap';
import { User } from '../../src/entities/index.js';
import { expectNoServerError } from '../groups/support.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { apiError, unknownError, userCaller } from '../helpers/callers.js';
import { setUp } from '../helpers/tenant-tree.js';

t.test('login-method assignment', async (t) => {
  const server = await startTestApp(t);
  const { admin, tree } = await setUp(server);
  const newUser = async (username: string, tenant?: string) => {
    const res = await admin.post('/users', { username, password: 'pw', purpose: 'user' }, tenant);
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ uuid: string }>().uuid;
  };
  const methodOf = async (uuid: string) =>
    (await server.orm.em.fork().findOneOrFail(User, { uuid })).authenticationMethod;
  const alice = await newUser('alice');
  const bob = await newUser('bob');
  const zed = await newUser('zed', tree.child);
  const sam = await newUser('sam', tree.sibling);

  await t.test('GET /idp: plain strings, native and default first', async (t) => {
    const res = await admin.get('/idp');
    t.equal(res.status, 200);
    t.same(res.json(), { total: 4, filtered: 4, items: ['native', 'default', 'saml', 'ldap'] });
    const nobody = await userCaller(server, 'nobody', []);
    t.equal((await nobody.get('/idp')).status, 401);
  });

  await t.test('PUT and DELETE one user', async (t) => {
    t.equal((await admin.put(`/idp/saml/users/${alice}`)).status, 204);
    t.equal(await methodOf(alice), 'saml');
    t.equal((await admin.put(`/idp/saml/users/${alice}`)).status, 204, 'idempotent');
    t.equal((await admin.delete(`/idp/ldap/users/${alice}`)).status, 204, 'another method: unchanged');
    t.equal(await methodOf(alice), 'saml');
    t.equal((await admin.delete(`/idp/saml/users/${alice}`)).status, 204);
    t.equal(await methodOf(alice), 'default', 'back to the tenant default');
    t.equal((await admin.put(`/idp/native/users/${alice}`)).status, 204);
    t.equal((await admin.put(`/idp/default/users/${alice}`)).status, 204, '`default` may be assigned');
    t.equal(await methodOf(alice), 'default');
  });

  await t.test('unknown type first, then the user, within the scoping tenant', async (t) => {
    const unknownType = await admin.put('/idp/kerberos/users/00000000-0000-4000-8000-000000000000');
    t.equal(unknownType.status, 404);
    t.same(apiError(unknownType), {
      message: 'No such IDP type: "kerberos"',
      error_id: 'unknown-idp-type',
      details: { idp_type: 'kerberos' },
      resource: 'idp',
    });
    t.equal((await admin.delete(`/idp/refresh_token/users/${alice}`)).status, 404, 'not assignable');
    const missing = await admin.put('/idp/ldap/users/00000000-0000-4000-8000-000000000000');
    t.same(apiError(missing), unknownError('user', '00000000-0000-4000-8000-000000000000'));
    t.equal((await admin.put(`/idp/ldap/users/${zed}`)).status, 204, 'a descendant tenant');
    t.equal((await admin.put(`/idp/ldap/users/${zed}`, tree.sibling)).status, 404, 'not from a sibling');
    const childAdmin = await userCaller(server, 'child-admin', ['auth.#'], tree.child);
    t.equal((await childAdmin.put(`/idp/ldap/users/${alice}`)).status, 404, 'not the parent tenant');
    t.equal(await methodOf(alice), 'default');
  });

  await t.test('bulk PUT: all or nothing', async (t) => {
    const put = (body: unknown, tenant?: string) =>
      server.call({
        method: 'PUT',
        path: '/0.1/idp/ldap/users',
        headers: {
          ...JSON_HEADERS,
          'X-Auth-Token': admin.token,
          ...(tenant ? { 'Wazo-Tenant': tenant } : {}),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    t.equal((await put({ users: [{ uuid: alice }, { uuid: bob }], other: 1 })).status, 204);
    t.same([await methodOf(alice), await methodOf(bob)], ['ldap', 'ldap']);
    const partly = await put({ users: [{ uuid: alice }, { uuid: sam }] }, tree.child);
    t.equal(partly.status, 404);
    t.same(apiError(partly), unknownError('user', alice), 'the first user not visible');
    const rolledBack = await put({ users: [{ uuid: zed }, { uuid: sam }] }, tree.child);
    t.equal(rolledBack.status, 404);
    t.equal(await methodOf(zed), 'ldap', 'set earlier, not by the failed request');
    t.equal((await admin.put(`/idp/native/users/${zed}`)).status, 204);
    const failing = await put({ users: [{ uuid: zed }, { uuid: '00000000-0000-4000-8000-000000000000' }] });
    t.equal(failing.status, 404);
    t.equal(await methodOf(zed), 'native', 'rolled back whole');
    for (const body of [{}, { users: 'x' }, { users: [{}] }, { users: [{ uuid: 3 }] }]) {
      const res = await put(body);
      t.equal(res.status, 400, JSON.stringify(body));
      t.match(apiError(res), { error_id: 'invalid-list-param', resource: 'users' });
    }
    t.equal((await put('{not json')).status, 400);
    t.equal((await put('')).status, 400);
  });

  await t.test('a login must come through the effective method', async (t) => {
    const login = (username: string, body: object = {}) =>
      server.call({
        method: 'POST',
        path: '/0.1/token',
        headers: { ...JSON_HEADERS, Authorization: basic(username, 'pw') },
        body: JSON.stringify(body),
      });
    t.equal((await admin.put(`/idp/native/users/${bob}`)).status, 204);
    t.equal((await login('bob')).status, 200, 'native user, native login');
    t.equal((await login('bob', { domain_name: 'example.com' })).status, 401, 'routed to ldap: refused');
    t.equal((await admin.put(`/idp/saml/users/${bob}`)).status, 204);
    t.equal((await login('bob')).status, 401, 'a saml user cannot log in with a password');
    t.equal((await admin.delete(`/idp/saml/users/${bob}`)).status, 204);
    t.equal((await login('bob')).status, 200, 'default: the tenant default, native');
    const put = await admin.put(`/tenants/${tree.master}`, undefined, {
      name: 'master',
      default_authentication_method: 'ldap',
    });
    t.equal(put.status, 200, put.text);
    t.equal((await login('bob')).status, 401, 'the tenant default is ldap now');
    t.equal((await login('admin', {})).status, 200, 'an explicit native user is not affected');
  });

  await t.test('refresh-token renewal follows the current method', async (t) => {
    const carol = await newUser('carol');
    t.equal((await admin.put(`/idp/native/users/${carol}`)).status, 204);
    const offline = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic('carol', 'pw') },
      body: JSON.stringify({ access_type: 'offline', client_id: 'app' }),
    });
    const refresh = offline.json<{ data: { refresh_token: string } }>().data.refresh_token;
    const renew = () =>
      server.call({
        method: 'POST',
        path: '/0.1/token',
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh_token: refresh, client_id: 'app' }),
      });
    t.equal((await renew()).status, 200);
    t.equal((await admin.put(`/idp/saml/users/${carol}`)).status, 204);
    t.equal((await renew()).status, 200, 'saml renews with the wazo_user backend');
  });

  expectNoServerError(t, server);
});
