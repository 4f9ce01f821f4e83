// PUT /users/{user_uuid}/emails and PUT /admin/users/{user_uuid}/emails (users.md §2.1, §3).
import t from 'tap';
import { Email, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  type Caller,
  loginTaken,
  unknownError,
  userCaller,
} from '../helpers/callers.js';
import type { ClientResponse } from '../helpers/http.js';
import { attemptLogin } from '../helpers/tokens.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type EmailBody = { address: string; main: boolean; confirmed: boolean | null; uuid: string };
type UserBody = { uuid: string; emails: EmailBody[] };

t.test('PUT /users/{u}/emails and /admin/users/{u}/emails', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);

  const self = (uuid: string, body: unknown, as: Caller = admin, tenant?: string) =>
    as.put(`/users/${uuid}/emails`, tenant, body);
  const byAdmin = (uuid: string, body: unknown, as: Caller = admin) =>
    as.put(`/admin/users/${uuid}/emails`, undefined, body);
  const newUser = async (body: object): Promise<UserBody> => {
    const res = await admin.post('/users', body);
    if (res.status !== 200) throw new Error(res.text);
    return res.json<UserBody>();
  };
  const stored = async (uuid: string) => (await admin.get(`/users/${uuid}`)).json<UserBody>().emails;
  const login = (name: string, password: string) => attemptLogin(server, name, password);

  const alice = await newUser({ username: 'alice', email_address: 'alice@wonder.land', password: 'pw' });
  const aliceMain = alice.emails[0]!;
  const bob = await newUser({ username: 'bob', email_address: 'bob@builder.example' });
  await orm.em.fork().nativeUpdate(Email, { user: bob.uuid }, { confirmed: false });

  t.test(
    'self-service: existing addresses keep uuid and confirmation, new ones are unconfirmed',
    async (t) => {
      const res = await self(alice.uuid, {
        emails: [
          { address: 'alice@wonder.land', main: false, confirmed: false },
          { address: 'alice@looking.glass', main: true, confirmed: true, other: 'ignored' },
        ],
      });
      t.equal(res.status, 200);
      const body = res.json<EmailBody[]>();
      t.strictSame(Object.keys(body[0]!), ['address', 'main', 'confirmed', 'uuid']);
      t.match(body[1]!.uuid, UUID);
      t.not(body[1]!.uuid, aliceMain.uuid);
      t.strictSame(body, [
        { address: 'alice@wonder.land', main: false, confirmed: true, uuid: aliceMain.uuid },
        { address: 'alice@looking.glass', main: true, confirmed: false, uuid: body[1]!.uuid },
      ]);
      t.strictSame(
        await stored(alice.uuid),
        [
          { uuid: body[1]!.uuid, address: 'alice@looking.glass', main: true, confirmed: false },
          { uuid: aliceMain.uuid, address: 'alice@wonder.land', main: false, confirmed: true },
        ],
        'the user object shows the stored list',
      );
      t.equal((await login('alice@wonder.land', 'pw')).status, 200, 'still a confirmed login');
      t.equal((await login('alice@looking.glass', 'pw')).status, 401, 'an unconfirmed address is no login');
    },
  );

  t.test('admin: confirmed is set when given, kept when not; a new one without it echoes null', async (t) => {
    const res = await byAdmin(alice.uuid, {
      emails: [
        { address: 'alice@wonder.land', main: true },
        { address: 'alice@looking.glass', confirmed: true },
        { address: 'alice@new.example', confirmed: null },
        { address: 'alice@other.example' },
      ],
    });
    t.equal(res.status, 200);
    const body = res.json<EmailBody[]>();
    t.strictSame(
      body.map(({ uuid, ...rest }) => rest),
      [
        { address: 'alice@wonder.land', main: true, confirmed: true },
        { address: 'alice@looking.glass', main: false, confirmed: true },
        { address: 'alice@new.example', main: false, confirmed: null },
        { address: 'alice@other.example', main: false, confirmed: null },
      ],
    );
    t.equal(body[0]!.uuid, aliceMain.uuid);
    const after = await stored(alice.uuid);
    t.strictSame(
      after.map((email) => [email.address, email.confirmed]),
      [
        ['alice@wonder.land', true],
        ['alice@looking.glass', true],
        ['alice@new.example', false],
        ['alice@other.example', false],
      ],
      'false is stored for the new ones',
    );
    t.equal((await login('alice@looking.glass', 'pw')).status, 200, 'confirmed by the admin: a login');

    const unconfirm = await byAdmin(alice.uuid, {
      emails: [{ address: 'alice@wonder.land', main: true, confirmed: false }],
    });
    t.strictSame(unconfirm.json(), [
      { address: 'alice@wonder.land', main: true, confirmed: false, uuid: aliceMain.uuid },
    ]);
    t.equal(await orm.em.fork().count(Email, { user: alice.uuid }), 1, 'the others are deleted');
    t.equal((await login('alice@looking.glass', 'pw')).status, 401, 'a deleted address is no login');
    await byAdmin(alice.uuid, { emails: [{ address: 'alice@wonder.land', main: true, confirmed: true }] });
  });

  t.test('an empty list removes every address; a case change is a new address', async (t) => {
    const carol = await newUser({ username: 'carol', email_address: 'Carol@Example.com' });
    const old = carol.emails[0]!;
    const recased = await self(carol.uuid, { emails: [{ address: 'carol@example.com', main: true }] });
    t.equal(recased.status, 200);
    const [now] = recased.json<EmailBody[]>();
    t.not(now!.uuid, old.uuid, 'another text: a new address');
    t.equal(now!.confirmed, false);
    const cleared = await self(carol.uuid, { emails: [] });
    t.equal(cleared.status, 200);
    t.strictSame(cleared.json(), []);
    t.strictSame(await stored(carol.uuid), []);
  });

  t.test("another user's login is a 409, whatever its case; one's own username is fine", async (t) => {
    const before = await stored(alice.uuid);
    // Bob's (unconfirmed) address, and the username of a user named like an address.
    await newUser({ username: 'eve@example.org' });
    for (const address of ['BOB@builder.example', 'EVE@Example.org']) {
      const res = await self(alice.uuid, {
        emails: [
          { address: 'fresh@example.com', main: true },
          { address, main: false },
        ],
      });
      t.equal(res.status, 409, address);
      t.strictSame(apiError(res), loginTaken('email_address', address));
    }
    t.strictSame(await stored(alice.uuid), before, 'nothing written, not even the fresh address');
    t.equal(await orm.em.fork().count(Email, { address: 'fresh@example.com' }), 0);

    const dave = await newUser({ username: 'Dave@Example.com' });
    const own = await byAdmin(dave.uuid, { emails: [{ address: 'dave@example.com', main: true }] });
    t.equal(own.status, 200, 'its own username');
  });

  t.test('validation: the raw validation object in message, empty details', async (t) => {
    const before = await stored(alice.uuid);
    const EMAIL_TYPE = { message: 'Not a valid email address.', constraint_id: 'type', constraint: 'email' };
    const REQUIRED = {
      message: 'Missing data for required field.',
      constraint_id: 'required',
      constraint: 'required',
    };
    const cases: [unknown, unknown][] = [
      [
        {
          emails: [
            { address: 'a@x.com', main: true },
            { address: 'b@x.com', main: true },
          ],
        },
        { _schema: ['Only one address should be main'] },
      ],
      [{ emails: [{ address: 'a@x.com' }] }, { _schema: ['At least one address should be main'] }],
      [
        { emails: [{ address: 'a@x.com', main: true }, { address: 'a@x.com' }] },
        { _schema: ['The same address can only be used once'] },
      ],
      [
        {
          emails: [
            { address: 'a@x.com', main: true },
            { address: 'a@x.com', main: true },
          ],
        },
        { _schema: ['Only one address should be main', 'The same address can only be used once'] },
      ],
      [{ emails: [{ address: 'not-an-email', main: true }] }, { emails: { 0: { address: [EMAIL_TYPE] } } }],
      [{ emails: [{ address: 42, main: true }] }, { emails: { 0: { address: EMAIL_TYPE } } }],
      [{ emails: [{ main: true }] }, { emails: { 0: { address: REQUIRED } } }],
      [{ emails: [null] }, { emails: { 0: { address: REQUIRED } } }],
      [
        { emails: [{ address: 'a@x.com', main: 'sure' }] },
        {
          emails: {
            0: { main: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' } },
          },
        },
      ],
      [
        { emails: [{ address: 'a@x.com', main: null }] },
        {
          emails: {
            0: {
              main: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' },
            },
          },
        },
      ],
      [{ emails: ['a@x.com'] }, { emails: { 0: { _schema: ['Invalid input type.'] } } }],
      [{ emails: 'a@x.com' }, { emails: ['Invalid type.'] }],
      [{}, { emails: REQUIRED }],
      ['[]', { emails: REQUIRED }],
      [
        { emails: null },
        { emails: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' } },
      ],
      ['"x"', { _schema: ['Invalid input type.'] }],
      ['[1]', { _schema: ['Invalid input type.'] }],
    ];
    for (const [body, message] of cases) {
      for (const put of [self, byAdmin]) {
        const res: ClientResponse = await put(alice.uuid, body);
        t.equal(res.status, 400, JSON.stringify(body));
        t.strictSame(apiError(res), { message, error_id: 'invalid-data', details: {}, resource: 'emails' });
      }
    }
    const adminOnly = await byAdmin(alice.uuid, {
      emails: [{ address: 'a@x.com', main: true, confirmed: 'yes?' }],
    });
    t.strictSame(apiError(adminOnly).message, {
      emails: {
        0: { confirmed: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' } },
      },
    });
    t.equal(
      (await self(alice.uuid, { emails: [{ address: 'a@x.com', main: true, confirmed: 'yes?' }] })).status,
      200,
      'self-service ignores confirmed altogether',
    );
    await self(alice.uuid, { emails: before.map(({ address, main }) => ({ address, main })) });
    t.equal((await self(alice.uuid, '')).status, 400, 'an empty body is the framework 400');
    t.strictSame(
      (await stored(alice.uuid)).map((email) => email.address),
      before.map((email) => email.address),
    );
  });

  t.test('unknown user: 404 after validation; no tenant scoping; ACLs', async (t) => {
    for (const put of [self, byAdmin]) {
      t.equal((await put(UNKNOWN, {})).status, 400, 'validation first');
      const res = await put(UNKNOWN, { emails: [] });
      t.equal(res.status, 404);
      t.strictSame(apiError(res), unknownError('user', UNKNOWN));
    }
    for (const put of [self, byAdmin]) {
      const notUuid = await put('bob', { emails: [] });
      t.strictSame([notUuid.status, notUuid.headers['content-type']], [404, 'text/html; charset=utf-8']);
    }
    t.equal(
      (await self(bob.uuid, { emails: [{ address: 'bob@builder.example', main: true }] }, admin, 'garbage'))
        .status,
      200,
      'Wazo-Tenant is ignored',
    );

    const erin = await userCaller(server, 'erin', ['auth.users.me.emails.update']);
    const mine = await self(
      erin.uuid,
      { emails: [{ address: 'erin@example.com', main: true, confirmed: true }] },
      erin,
    );
    t.equal(mine.status, 200, 'a user replaces its own addresses');
    t.equal(mine.json<EmailBody[]>()[0]!.confirmed, false, 'but cannot confirm them');
    const notMine = await self(bob.uuid, { emails: [] }, erin);
    t.equal(notMine.status, 401);
    const notAdmin = await byAdmin(erin.uuid, { emails: [] }, erin);
    t.equal(notAdmin.status, 401);
    t.equal(
      (apiError(notAdmin).details as { required_access: string }).required_access,
      `auth.admin.users.${erin.uuid}.emails.update`,
    );
    t.equal(await orm.em.fork().count(Email, { user: erin.uuid }), 1);
    t.equal(await orm.em.fork().count(User, { uuid: erin.uuid }), 1);
  });
});
