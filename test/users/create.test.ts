// POST /users (users.md §2, §3).
import { raw } from '@mikro-orm/core';
import t from 'tap';
import { allUsersGroupName, Email, Group, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, caller, loginTaken, userCaller } from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BAD_BODY = { message: 'The browser (or proxy) sent a request that this server could not understand.' };

t.test('POST /users', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const master = await masterUuid(orm);
  const countUsers = () => orm.em.fork().count(User, {});

  t.test('a full body: the answer, the stored row, the address, the all-users group', async (t) => {
    const res = await admin.post('/users', {
      uuid: '0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3',
      username: 'alice',
      password: 's3cret',
      firstname: 'Alice',
      lastname: 'Liddell',
      email_address: 'Alice@Example.com',
      purpose: 'user',
      enabled: true,
      tenant_uuid: 'ignored',
    });
    t.equal(res.status, 200);
    const body = res.json<Record<string, unknown> & { emails: { uuid: string }[] }>();
    t.strictSame(Object.keys(body), [
      'uuid',
      'username',
      'firstname',
      'lastname',
      'purpose',
      'emails',
      'enabled',
      'tenant_uuid',
      'authentication_method',
    ]);
    t.match(body.emails[0]?.uuid, UUID);
    t.strictSame(body, {
      uuid: '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3',
      username: 'alice',
      firstname: 'Alice',
      lastname: 'Liddell',
      purpose: 'user',
      emails: [{ uuid: body.emails[0]?.uuid, address: 'Alice@Example.com', main: true, confirmed: true }],
      enabled: true,
      tenant_uuid: master,
      authentication_method: 'default',
    });
    const em = orm.em.fork();
    const user = await em.findOneOrFail(User, { uuid: body.uuid as string }, { populate: ['groups'] });
    t.match(user.passwordHash, /^\$argon2id\$/, 'argon2id');
    t.equal(user.passwordSalt, null);
    t.strictSame(
      user.groups.getItems().map((group) => group.name),
      [allUsersGroupName(master)],
    );
    // The confirmed address is a login: alice logs in with it.
    t.ok(await tokenFor(server, 'alice@example.COM', 's3cret'));
  });

  t.test('falsy bodies create a user with every field defaulted', async (t) => {
    for (const body of ['null', 'false', '[]', '{}']) {
      const res = await admin.post('/users', body);
      t.equal(res.status, 200, body);
      const user = res.json<Record<string, unknown>>();
      t.match(user.uuid, UUID);
      t.same(
        { ...user, uuid: 'x' },
        {
          uuid: 'x',
          username: null,
          firstname: null,
          lastname: null,
          purpose: 'user',
          emails: [],
          enabled: true,
          tenant_uuid: master,
          authentication_method: 'default',
        },
        body,
      );
    }
  });

  t.test('an empty or unparsable body is the framework 400', async (t) => {
    for (const body of ['', '{"username": ']) {
      const res = await admin.post('/users', body);
      t.equal(res.status, 400);
      t.strictSame(res.json(), BAD_BODY);
    }
  });

  t.test('invalid-data: the first failing field, in schema order, unwrapped', async (t) => {
    const constraint = (id: string, value: unknown, message: string, validator = false) =>
      validator
        ? { constraint_id: id, constraint: value, message }
        : { message, constraint_id: id, constraint: value };
    const cases: [unknown, string, Record<string, unknown>][] = [
      [
        { username: 'x'.repeat(257) },
        'username',
        constraint('length', { min: 1, max: 256 }, 'Length must be between 1 and 256.', true),
      ],
      [
        { username: '' },
        'username',
        constraint('length', { min: 1, max: 256 }, 'Length must be between 1 and 256.', true),
      ],
      [{ username: 42 }, 'username', constraint('type', 'string', 'Not a valid string.')],
      [
        { password: '' },
        'password',
        constraint('length', { min: 1, max: null }, 'Shorter than minimum length 1.', true),
      ],
      [
        { purpose: 'admin' },
        'purpose',
        constraint(
          'enum',
          { choices: ['user', 'internal', 'external_api'] },
          'Must be one of: user, internal, external_api.',
          true,
        ),
      ],
      [
        { email_address: 'not-an-email' },
        'email_address',
        { message: 'Not a valid email address.', constraint_id: 'type', constraint: 'email' },
      ],
      [{ enabled: 'maybe' }, 'enabled', constraint('type', 'boolean', 'Not a valid boolean.')],
      [{ uuid: 'not-a-uuid' }, 'uuid', constraint('type', 'uuid', 'Not a valid UUID.')],
      [
        { authentication_method: null },
        'authentication_method',
        constraint('not_null', 'not_null', 'Field may not be null.'),
      ],
      [
        { authentication_method: true },
        'authentication_method',
        constraint('type', 'string', 'Not a valid string.'),
      ],
      [
        { authentication_method: ['native'] },
        'authentication_method',
        constraint('type', 'string', 'Not a valid string.'),
      ],
      [
        { enabled: 'maybe', username: '', uuid: 'x' },
        'username',
        constraint('length', { min: 1, max: 256 }, 'Length must be between 1 and 256.', true),
      ],
      [['a'], '_schema', { message: 'Invalid input type.' }],
      ['"text"', '_schema', { message: 'Invalid input type.' }],
    ];
    const before = await countUsers();
    for (const [body, field, detail] of cases) {
      const res = await admin.post('/users', body);
      t.equal(res.status, 400, JSON.stringify(body).slice(0, 40));
      t.strictSame(apiError(res), {
        message: detail.message,
        error_id: 'invalid-data',
        details: { [field]: detail },
        resource: 'users',
      });
    }
    t.equal(await countUsers(), before, 'nothing written');
  });

  t.test('authentication_method', async (t) => {
    for (const [body, expected] of [
      [{ purpose: 'user' }, 'default'],
      [{ purpose: 'internal' }, 'native'],
      [{ purpose: 'external_api' }, 'native'],
      [{ purpose: 'external_api', authentication_method: 'default' }, 'default'],
      [{ authentication_method: 'native' }, 'native'],
      [{ authentication_method: 'ldap' }, 'ldap'],
      [{ authentication_method: 'saml' }, 'saml'],
    ] as const) {
      const res = await admin.post('/users', body);
      t.equal(res.status, 200);
      t.equal(
        res.json<{ authentication_method: string }>().authentication_method,
        expected,
        JSON.stringify(body),
      );
    }
    for (const method of ['', 'LDAP', 'bogus']) {
      const res = await admin.post('/users', { username: `m-${method}`, authentication_method: method });
      t.equal(res.status, 400, method);
      t.strictSame(apiError(res), {
        message: `Invalid authentication method ${method}`,
        error_id: 'invalid-data',
        details: { authentication_method: method },
        resource: 'users',
      });
    }
    t.equal(await orm.em.fork().count(User, { username: { $like: 'm-%' } }), 0);
  });

  t.test('logins are one case-insensitive namespace across tenants', async (t) => {
    const other = await createTenant(orm, 'conflicts');
    await createUser(orm, {
      username: 'Bob',
      tenant: other,
      email: { address: 'Bob@Example.org', confirmed: false },
    });
    const before = await countUsers();
    for (const [body, field, login] of [
      [{ username: 'BOB' }, 'username', 'BOB'],
      [{ username: 'bob@example.ORG' }, 'username', 'bob@example.ORG'],
      [{ username: 'carol', email_address: 'bob@example.org' }, 'email_address', 'bob@example.org'],
      // The username is checked first.
      [{ username: 'bob', email_address: 'bob@example.org' }, 'username', 'bob'],
    ] as const) {
      const res = await admin.post('/users', body);
      t.equal(res.status, 409, JSON.stringify(body));
      t.strictSame(apiError(res), loginTaken(field, login));
    }
    // An address equal to another user's username conflicts too.
    const byName = await admin.post('/users', { username: 'dave', email_address: 'bob' });
    t.equal(byName.status, 400, '"bob" is not an address: invalid-data first');
    await createUser(orm, { username: 'erin@example.net' });
    const res = await admin.post('/users', { username: 'frank', email_address: 'Erin@Example.net' });
    t.equal(res.status, 409);
    t.strictSame(apiError(res), loginTaken('email_address', 'Erin@Example.net'));
    t.equal(await countUsers(), before + 1, 'only the fixture was written');
    // Its own username as its address is fine.
    const own = await admin.post('/users', {
      username: 'grace@example.com',
      email_address: 'grace@example.com',
    });
    t.equal(own.status, 200);
  });

  t.test('concurrent creations of one login: one wins, the others get the 409', async (t) => {
    const racer = { username: 'Racer', email_address: 'racer@example.com' };
    const results = await Promise.all(Array.from({ length: 5 }, () => admin.post('/users', racer)));
    t.strictSame(results.map((res) => res.status).sort(), [200, 409, 409, 409, 409]);
    // Which login a loser is told about depends on where the race caught it: both are taken.
    for (const res of results.filter((res) => res.status === 409)) {
      const details = apiError(res).details as Record<string, { constraint_id: string; message: string }>;
      const [field] = Object.keys(details) as ('username' | 'email_address')[];
      t.ok(field === 'username' || field === 'email_address', String(field));
      t.strictSame(details[field!], {
        constraint_id: 'unique',
        message: `The login "${racer[field!]}" is already used`,
      });
    }
    t.equal(await orm.em.fork().count(Email, { address: 'racer@example.com' }), 1);
  });

  t.test('a taken uuid is a 409 on key uuid, and nothing is written', async (t) => {
    const emails = await orm.em.fork().count(Email, {});
    const res = await admin.post('/users', {
      uuid: admin.uuid.toUpperCase(),
      username: 'heidi',
      email_address: 'heidi@example.com',
    });
    t.equal(res.status, 409);
    t.strictSame(apiError(res), {
      message: 'Conflict detected',
      error_id: 'conflict',
      details: { uuid: { constraint_id: 'unique', message: `The uuid "${admin.uuid}" is already used` } },
      resource: 'users',
    });
    const em = orm.em.fork();
    t.equal(await em.count(User, { [raw('lower(username)')]: 'heidi' }), 0);
    t.equal(await em.count(Email, {}), emails);
  });

  t.test('tenants: the scoping tenant owns the user; Wazo-Tenant must be visible', async (t) => {
    const child = await createTenant(orm, 'child');
    const res = await admin.post('/users', { username: 'ivan' }, child);
    t.equal(res.status, 200);
    t.equal(res.json<{ tenant_uuid: string }>().tenant_uuid, child);
    const group = await orm.em
      .fork()
      .findOneOrFail(Group, { name: allUsersGroupName(child) }, { populate: ['users'] });
    t.strictSame(
      group.users.getItems().map((user) => user.username),
      ['ivan'],
    );

    const childAdmin = await userCaller(server, 'child-admin', ['auth.#'], child);
    const sibling = await createTenant(orm, 'sibling');
    for (const tenant of [sibling, master, 'garbage']) {
      const refused = await childAdmin.post('/users', { username: 'judy' }, tenant);
      t.equal(refused.status, 401, tenant);
      t.strictSame(apiError(refused), {
        message: 'Unauthorized tenant',
        error_id: 'unauthorized-tenant',
        details: { tenant_uuid: tenant },
      });
    }
    // The tenant is resolved before the body is validated.
    const first = await childAdmin.post('/users', { username: '' }, sibling);
    t.equal(first.status, 401);
  });

  t.test('authorization: auth.users.create is required', async (t) => {
    const reader = await userCaller(server, 'reader', ['auth.users.read']);
    const res = await reader.post('/users', { username: 'kim' });
    t.equal(res.status, 401);
    t.strictSame(apiError(res), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: {
        invalid_token: reader.token,
        reason: 'missing_permission_or_invalid_tenant',
        required_access: 'auth.users.create',
        tenant_uuid: null,
      },
    });
    const unknown = await caller(server, 'nope').post('/users', { username: 'kim' });
    t.equal(unknown.status, 401);
    t.strictSame(apiError(unknown).details, {
      invalid_token: 'nope',
      reason: 'not_found_or_expired',
      required_access: 'auth.users.create',
    });
  });
});
