// PUT /users/{user_uuid}: full replacement, the login namespace, disabling revokes sessions (users.md §3,
// sessions.md §4).
import t from 'tap';
import { Token, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  loginTaken,
  USER_KEYS,
  unknownError,
  userCaller,
} from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import { attemptLogin, tokenFor } from '../helpers/tokens.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const BAD_BODY = { message: 'The browser (or proxy) sent a request that this server could not understand.' };

type UserBody = {
  uuid: string;
  username: string | null;
  firstname: string | null;
  lastname: string | null;
  purpose: string;
  authentication_method: string;
  enabled: boolean;
  tenant_uuid: string;
  emails: { uuid: string; address: string; main: boolean; confirmed: boolean }[];
};

t.test('PUT /users/{user_uuid}', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const master = await masterUuid(orm);
  const child = await createTenant(orm, 'child');
  const sibling = await createTenant(orm, 'sibling');

  const created = async (body: object, tenant?: string): Promise<UserBody> => {
    const res = await admin.post('/users', body, tenant);
    if (res.status !== 200) throw new Error(res.text);
    return res.json<UserBody>();
  };
  const put = (uuid: string, body: unknown, tenant?: string) => admin.put(`/users/${uuid}`, tenant, body);
  const read = async (uuid: string) => (await admin.get(`/users/${uuid}`)).json<UserBody>();
  const tokenStatus = async (token: string) => (await server.call({ path: `/0.1/token/${token}` })).status;
  const login = (name: string, password: string) => attemptLogin(server, name, password);

  const alice = await created({
    username: 'alice',
    firstname: 'Alice',
    lastname: 'Liddell',
    email_address: 'alice@wonder.land',
    password: 'alice-pw',
  });
  const bob = await created({ username: 'bob', email_address: 'bob@builder.example' });

  t.test("upstream's example: omitted fields reset, the method follows the purpose", async (t) => {
    const res = await put(alice.uuid, {
      username: 'alice',
      firstname: 'New',
      purpose: 'external_api',
      enabled: false,
    });
    t.equal(res.status, 200);
    const body = res.json<UserBody>();
    t.strictSame(Object.keys(body), USER_KEYS);
    t.strictSame(body, {
      uuid: alice.uuid,
      username: 'alice',
      firstname: 'New',
      lastname: null,
      purpose: 'external_api',
      authentication_method: 'native',
      enabled: false,
      tenant_uuid: master,
      emails: alice.emails,
    });
    t.strictSame(await read(alice.uuid), body, 'a later GET answers the same');
    const row = await orm.em.fork().findOneOrFail(User, { uuid: alice.uuid });
    t.match(row.passwordHash, /^\$argon2id\$/, 'the password is kept');
  });

  t.test('every field given, then an empty body: back to the defaults', async (t) => {
    const full = await put(alice.uuid, {
      username: 'Alice2',
      firstname: 'A',
      lastname: 'L',
      purpose: 'internal',
      authentication_method: 'saml',
      enabled: true,
    });
    t.equal(full.status, 200);
    t.match(full.json(), {
      username: 'Alice2',
      firstname: 'A',
      lastname: 'L',
      purpose: 'internal',
      authentication_method: 'saml',
      enabled: true,
    });
    for (const body of ['{}', 'null', '[]']) {
      const res = await put(alice.uuid, body);
      t.equal(res.status, 200, body);
      t.strictSame(
        res.json(),
        {
          ...alice,
          username: null,
          firstname: null,
          lastname: null,
          purpose: 'user',
          authentication_method: 'default',
          enabled: true,
        },
        `${body}: every field reset, the addresses kept`,
      );
    }
    // Unknown fields and the ones PUT does not change are ignored.
    const ignored = await put(alice.uuid, {
      username: 'alice',
      firstname: 'Alice',
      lastname: 'Liddell',
      uuid: UNKNOWN,
      tenant_uuid: child,
      password: 'hijack',
      email_address: 'other@example.com',
      emails: [],
      color: 'blue',
    });
    t.equal(ignored.status, 200);
    t.strictSame(ignored.json(), alice);
    t.equal((await login('alice', 'alice-pw')).status, 200, 'the password did not change');
  });

  t.test('usernames share the login namespace with addresses, case-insensitively', async (t) => {
    const before = await read(alice.uuid);
    for (const [username, why] of [
      ['BOB', "another user's username"],
      ['Bob@Builder.example', "another user's address"],
      ['ADMIN', "the admin's username"],
    ] as const) {
      const res = await put(alice.uuid, { username });
      t.equal(res.status, 409, why);
      t.strictSame(apiError(res), loginTaken('username', username));
    }
    t.strictSame(await read(alice.uuid), before, 'nothing changed');
    const own = await put(alice.uuid, { username: 'ALICE', firstname: 'Alice', lastname: 'Liddell' });
    t.equal(own.status, 200, 'its own username in another case');
    t.equal(own.json<UserBody>().username, 'ALICE');
    const ownAddress = await put(alice.uuid, { username: 'Alice@Wonder.land' });
    t.equal(ownAddress.status, 200, 'its own address');
    t.equal((await put(alice.uuid, alice)).status, 200);
  });

  t.test('disabling revokes every session of the user at once; other updates keep them', async (t) => {
    const carol = await createUser(orm, { username: 'carol', password: 'carol-pw', acl: ['x.y'] });
    const first = await tokenFor(server, 'carol', 'carol-pw');
    const second = await tokenFor(server, 'carol', 'carol-pw');
    const bystander = await tokenFor(server, 'admin', 'pw');
    const sessions = () => orm.em.fork().count(Token, { authId: carol });

    const renamed = await put(carol, { username: 'carol', lastname: 'Kept' });
    t.equal(renamed.status, 200);
    t.equal(await tokenStatus(first.token), 200, 'a new lastname keeps the sessions');
    t.equal(await tokenStatus(second.token), 200);
    t.equal(await sessions(), 2);

    const disabled = await put(carol, { username: 'carol', enabled: false });
    t.equal(disabled.status, 200);
    t.equal(disabled.json<UserBody>().enabled, false);
    t.equal(await tokenStatus(first.token), 404, 'its tokens are gone at once');
    t.equal(await tokenStatus(second.token), 404);
    t.equal(await sessions(), 0, 'and their sessions');
    t.equal(await tokenStatus(bystander.token), 200, "another user's token stays");
    t.equal((await login('carol', 'carol-pw')).status, 401, 'a disabled user cannot log in');

    t.equal((await put(carol, { username: 'carol', enabled: 'yes' })).status, 200, 'enabled again');
    const third = await tokenFor(server, 'carol', 'carol-pw');
    t.equal(await tokenStatus(third.token), 200);
    // Already disabled (behind the API's back): disabling again still revokes.
    await orm.em.fork().nativeUpdate(User, { uuid: carol }, { enabled: false });
    t.equal((await put(carol, { username: 'carol', enabled: false })).status, 200);
    t.equal(await tokenStatus(third.token), 404);
  });

  t.test('a user disabling itself loses its own session', async (t) => {
    const self = await userCaller(server, 'self', ['auth.users.me.update']);
    const res = await self.put(`/users/${self.uuid}`, undefined, { username: 'self', enabled: false });
    t.equal(res.status, 200);
    t.equal(await tokenStatus(self.token), 404);
    t.equal((await self.get(`/users/${self.uuid}`)).status, 401);
  });

  t.test('body validation: invalid-data on the first failing field, nothing written', async (t) => {
    const before = await read(bob.uuid);
    const refused = async (body: unknown) => {
      const res = await put(bob.uuid, body);
      t.equal(res.status, 400, JSON.stringify(body));
      return apiError(res);
    };
    t.strictSame(await refused({ username: 'x'.repeat(257) }), {
      message: 'Length must be between 1 and 256.',
      error_id: 'invalid-data',
      details: {
        username: {
          constraint_id: 'length',
          constraint: { min: 1, max: 256 },
          message: 'Length must be between 1 and 256.',
        },
      },
      resource: 'users',
    });
    t.equal(
      ((await refused({ username: '' })).details as Record<string, { constraint_id: string }>).username
        ?.constraint_id,
      'length',
    );
    t.strictSame((await refused({ username: 42 })).details, {
      username: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
    });
    t.strictSame((await refused({ firstname: ['x'], lastname: 7 })).details, {
      firstname: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
    });
    t.strictSame((await refused({ purpose: 'admin' })).details, {
      purpose: {
        constraint_id: 'enum',
        constraint: { choices: ['user', 'internal', 'external_api'] },
        message: 'Must be one of: user, internal, external_api.',
      },
    });
    t.strictSame((await refused({ enabled: 'maybe' })).details, {
      enabled: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' },
    });
    t.strictSame((await refused({ enabled: null })).details, {
      enabled: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' },
    });
    t.strictSame(await refused([1]), {
      message: 'Invalid input type.',
      error_id: 'invalid-data',
      details: { _schema: { message: 'Invalid input type.' } },
      resource: 'users',
    });
    t.strictSame(await refused({ authentication_method: 'LDAP' }), {
      message: 'Invalid authentication method LDAP',
      error_id: 'invalid-data',
      details: { authentication_method: 'LDAP' },
      resource: 'users',
    });
    t.equal((await refused({ authentication_method: '' })).message, 'Invalid authentication method ');
    t.strictSame((await refused({ authentication_method: null })).details, {
      authentication_method: {
        message: 'Field may not be null.',
        constraint_id: 'not_null',
        constraint: 'not_null',
      },
    });
    t.strictSame((await refused({ authentication_method: true })).details, {
      authentication_method: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
    });
    for (const raw of ['', '{"username": ', 'not json']) {
      const res = await put(bob.uuid, raw);
      t.equal(res.status, 400);
      t.strictSame(res.json(), BAD_BODY, `framework 400 for ${JSON.stringify(raw)}`);
    }
    const huge = await put(bob.uuid, { username: 'bob', lastname: 'x'.repeat(1_100_000) });
    t.strictSame(
      [huge.status, huge.json()],
      [413, { message: 'The data value transmitted exceeds the capacity limit.' }],
    );
    t.strictSame(await read(bob.uuid), before, 'nothing changed');
  });

  t.test('order of checks: tenant, body, method, visibility', async (t) => {
    const badTenant = await put(UNKNOWN, { username: 42 }, 'garbage');
    t.equal(badTenant.status, 401, 'Wazo-Tenant first');
    t.strictSame(apiError(badTenant), {
      message: 'Unauthorized tenant',
      error_id: 'unauthorized-tenant',
      details: { tenant_uuid: 'garbage' },
    });
    t.equal((await put(UNKNOWN, { username: 42 })).status, 400, 'the body before the user');
    t.equal(
      (await put(UNKNOWN, { authentication_method: 'nope' })).status,
      400,
      'the method before the user',
    );
    const unknown = await put(UNKNOWN, { username: 'whoever' });
    t.equal(unknown.status, 404);
    t.strictSame(apiError(unknown), unknownError('user', UNKNOWN));
    // The username check comes after visibility: an invisible user is a 404 even with a taken username.
    const zed = await created({ username: 'zed' }, child);
    const fromSibling = await put(zed.uuid, { username: 'bob' }, sibling);
    t.equal(fromSibling.status, 404);
    t.equal(apiError(fromSibling).error_id, 'unknown-user');
    const res = await put(zed.uuid.toUpperCase(), { username: 'zed', firstname: 'Zed' }, child);
    t.equal(res.status, 200, 'from its own tenant, upper-case UUID');
    t.equal(res.json<UserBody>().tenant_uuid, child, 'the tenant does not change');
    const notUuid = await put('not-a-uuid', {});
    t.equal(notUuid.status, 404);
    t.equal(notUuid.headers['content-type'], 'text/html; charset=utf-8');
  });

  t.test('authorization: the ACL names the user; a child admin reaches only its subtree', async (t) => {
    const editor = await userCaller(server, 'editor', [`auth.users.${bob.uuid}.edit`]);
    t.equal(
      (await editor.put(`/users/${bob.uuid}`, undefined, { username: 'bob' })).status,
      200,
      'a granted …edit covers …update',
    );
    const refused = await editor.put(`/users/${alice.uuid}`, undefined, { username: 'x' });
    t.equal(refused.status, 401);
    t.strictSame(apiError(refused), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: {
        invalid_token: editor.token,
        reason: 'missing_permission_or_invalid_tenant',
        required_access: `auth.users.${alice.uuid}.update`,
        tenant_uuid: null,
      },
    });
    const childAdmin = await userCaller(server, 'child-admin', ['auth.users.#'], child);
    const hidden = await childAdmin.put(`/users/${bob.uuid}`, undefined, { username: 'mine' });
    t.equal(hidden.status, 404);
    t.equal((await read(bob.uuid)).username, 'bob', 'not changed');
  });
});
