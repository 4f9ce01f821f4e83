// PUT /users/{user_uuid}/password (users.md §3, sessions.md §4, idp.md §5).
import t from 'tap';
import { Email, Tenant, Token, User } from '../../src/entities/index.js';
import { JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, caller, legacyError, unknownError, userCaller } from '../helpers/callers.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import type { ClientResponse } from '../helpers/http.js';
import { attemptLogin, tokenFor } from '../helpers/tokens.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const AUTHENTICATION_FAILED = { status: 401, reason: 'Authentication Failed', status_code: 401 };

t.test('PUT /users/{user_uuid}/password', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);

  const change = (uuid: string, body: unknown, tenant?: string) =>
    admin.put(`/users/${uuid}/password`, tenant, body);
  const login = (name: string, password: string, body: object = {}) =>
    attemptLogin(server, name, password, body);
  const tokenStatus = async (token: string) => (await server.call({ path: `/0.1/token/${token}` })).status;
  const storedHash = async (uuid: string) => (await orm.em.fork().findOneOrFail(User, { uuid })).passwordHash;
  /** Status and legacy body, to compare with AUTHENTICATION_FAILED. */
  const outcome = (res: ClientResponse) => ({ status: res.status, ...legacyError(res) });

  t.test('the new password logs in, the old one not; every session and refresh token ends', async (t) => {
    // An upstream (PBKDF2) hash, as in an imported database.
    const dora = await createUser(orm, {
      username: 'dora',
      password: 'old-pw',
      acl: ['x'],
      upstreamHash: true,
    });
    const first = await tokenFor(server, 'dora', 'old-pw', { access_type: 'offline', client_id: 'desk' });
    const second = await tokenFor(server, 'dora', 'old-pw');
    const bystander = await tokenFor(server, 'admin', 'pw');

    const res = await change(dora, { old_password: 'old-pw', new_password: 'new-pw' });
    t.equal(res.status, 204);
    t.equal(res.text, '');
    t.match(await storedHash(dora), /^\$argon2id\$/, 'stored as argon2id');
    t.equal(await tokenStatus(first.token), 404, 'every token of the user is gone');
    t.equal(await tokenStatus(second.token), 404);
    t.equal(await orm.em.fork().count(Token, { authId: dora }), 0);
    t.equal(await tokenStatus(bystander.token), 200, "another user's token stays");
    t.equal((await login('dora', 'old-pw')).status, 401, 'the old password no longer logs in');
    t.equal((await login('dora', 'new-pw')).status, 200, 'the new one does');
    const refreshed = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: first.refresh_token, client_id: 'desk' }),
    });
    t.equal(refreshed.status, 401, 'the refresh token is revoked (unlike upstream)');
  });

  t.test('a user changing its own password loses its own session too', async (t) => {
    const self = await userCaller(server, 'self', ['auth.users.me.password.update', 'auth.users.me.read']);
    const res = await self.put(`/users/${self.uuid}/password`, undefined, {
      old_password: 'pw',
      new_password: 'mine',
    });
    t.equal(res.status, 204);
    t.equal(await tokenStatus(self.token), 404);
    t.equal((await self.get(`/users/${self.uuid}`)).status, 401, 'its token no longer works');
    const again = await tokenFor(server, 'self', 'mine');
    t.equal(await tokenStatus(again.token), 200);
    // `me` only covers its own user.
    const other = await caller(server, again.token).put(`/users/${admin.uuid}/password`, undefined, {
      old_password: 'pw',
      new_password: 'x',
    });
    t.equal(other.status, 401);
    t.equal(
      (apiError(other).details as { required_access: string }).required_access,
      `auth.users.${admin.uuid}.password.update`,
    );
  });

  t.test('the login: the username, else the main confirmed address', async (t) => {
    const created = await admin.post('/users', { email_address: 'Nameless@Example.com', password: 'pw-1' });
    const nameless = created.json<{ uuid: string }>().uuid;
    t.equal((await change(nameless, { old_password: 'pw-1', new_password: 'pw-2' })).status, 204);
    t.equal((await login('nameless@example.com', 'pw-2')).status, 200);

    await orm.em.fork().nativeUpdate(Email, { user: nameless }, { confirmed: false });
    t.strictSame(
      outcome(await change(nameless, { old_password: 'pw-2', new_password: 'pw-3' })),
      AUTHENTICATION_FAILED,
      'an unconfirmed address is no login',
    );
    const bare = (await admin.post('/users', { password: 'pw' })).json<{ uuid: string }>().uuid;
    t.strictSame(
      outcome(await change(bare, { old_password: 'pw', new_password: 'x' })),
      AUTHENTICATION_FAILED,
      'no login at all',
    );
  });

  t.test('a wrong old password or a disabled user: 401, nothing changes', async (t) => {
    const erin = await createUser(orm, { username: 'erin', password: 'right', acl: ['x'] });
    const token = await tokenFor(server, 'erin', 'right');
    const hash = await storedHash(erin);
    t.strictSame(
      outcome(await change(erin, { old_password: 'wrong', new_password: 'x' })),
      AUTHENTICATION_FAILED,
      'wrong password',
    );
    t.equal(await storedHash(erin), hash);
    t.equal(await tokenStatus(token.token), 200, 'no session revoked');

    await orm.em.fork().nativeUpdate(User, { uuid: erin }, { enabled: false });
    t.strictSame(
      outcome(await change(erin, { old_password: 'right', new_password: 'x' })),
      AUTHENTICATION_FAILED,
      'disabled user',
    );
    t.equal(await storedHash(erin), hash);
  });

  t.test('externally managed passwords: 405 after the old-password check', async (t) => {
    const saml = await createTenant(orm, 'saml-tenant');
    await orm.em.fork().nativeUpdate(Tenant, { uuid: saml }, { defaultAuthenticationMethod: 'saml' });
    const cases = [
      ['ldap-user', { authenticationMethod: 'ldap' }],
      ['saml-user', { authenticationMethod: 'saml' }],
      ['default-saml', { authenticationMethod: 'default', tenant: saml }],
    ] as const;
    for (const [username, fixture] of cases) {
      const uuid = await createUser(orm, { username, password: 'pw', ...fixture });
      const hash = await storedHash(uuid);
      t.strictSame(
        outcome(await change(uuid, { old_password: 'nope', new_password: 'x' })),
        AUTHENTICATION_FAILED,
        `${username}: 401 first`,
      );
      const res = await change(uuid, { old_password: 'pw', new_password: 'x' });
      t.equal(res.status, 405, username);
      t.strictSame(apiError(res), {
        message: `Unable to update externally managed password for user : "${uuid}"`,
        error_id: 'password-managed-externally',
        details: { uuid },
        resource: 'users',
      });
      t.equal(await storedHash(uuid), hash, `${username}: unchanged`);
    }
    const native = await createUser(orm, {
      username: 'native-in-saml',
      password: 'pw',
      authenticationMethod: 'native',
      tenant: saml,
    });
    t.equal((await change(native, { old_password: 'pw', new_password: 'x' })).status, 204, 'native wins');
  });

  t.test('body validation first, then the user; no tenant scoping', async (t) => {
    const frank = await createUser(orm, { username: 'frank', password: 'pw' });
    const hash = await storedHash(frank);
    const refused = async (body: unknown) => {
      const res = await change(frank, body);
      t.equal(res.status, 400, JSON.stringify(body));
      const error = apiError(res);
      t.equal(error.error_id, 'invalid-data');
      t.equal(error.resource, 'users');
      return error;
    };
    t.strictSame(await refused({ new_password: 'x' }), {
      message: 'Missing data for required field.',
      error_id: 'invalid-data',
      details: {
        old_password: {
          message: 'Missing data for required field.',
          constraint_id: 'required',
          constraint: 'required',
        },
      },
      resource: 'users',
    });
    t.strictSame((await refused({ old_password: 'pw', new_password: '' })).details, {
      new_password: {
        constraint_id: 'length',
        constraint: { min: 1, max: null },
        message: 'Shorter than minimum length 1.',
      },
    });
    t.strictSame((await refused({ old_password: 42, new_password: 'x' })).details, {
      old_password: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
    });
    t.strictSame((await refused({ old_password: 'pw', new_password: null })).details, {
      new_password: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' },
    });
    t.equal((await refused('"pw"')).message, 'Invalid input type.');
    t.equal((await refused('{}')).message, 'Missing data for required field.');
    t.equal((await change(frank, '')).status, 400, 'an empty body is the framework 400');
    t.equal(await storedHash(frank), hash, 'nothing changed');

    t.equal((await change(UNKNOWN, {})).status, 400, 'validation before the user lookup');
    const unknown = await change(UNKNOWN, { old_password: 'pw', new_password: 'x' });
    t.equal(unknown.status, 404);
    t.strictSame(apiError(unknown), unknownError('user', UNKNOWN));
    const notUuid = await change('frank', { old_password: 'pw', new_password: 'x' });
    t.strictSame([notUuid.status, notUuid.headers['content-type']], [404, 'text/html; charset=utf-8']);
    // Upstream does not scope this endpoint: a broken Wazo-Tenant is ignored.
    t.equal((await change(frank, { old_password: 'pw', new_password: 'pw2' }, 'garbage')).status, 204);
    t.equal((await login('frank', 'pw2')).status, 200);
  });
});
