// /users/{user_uuid}/external/mobile (push-notification device tokens) and its sender_id
// (external-auth.md §5, §9), with this server's tenant isolation.
import t from 'tap';
import { caller, sender } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import {
  BAD_BODY,
  errorBody,
  errors,
  expectNoServerError,
  expectStatus,
  loggedIn,
  MOBILE_FIELDS,
  type MobileBlob,
  mobileBlob,
  setUp,
  startExternalApp,
  storedBlobs,
  UNKNOWN,
} from './support.js';

const FULL: MobileBlob = {
  token: 'fcm-token',
  apns_token: 'apns-legacy',
  apns_voip_token: 'apns-voip',
  apns_notification_token: 'apns-notification',
  apns_call_topic: 'io.wazo.app.voip',
  apns_default_topic: 'io.wazo.app',
};

t.test('mobile external auth', async (t) => {
  const server = await startExternalApp(t);
  const { orm } = server;
  const { admin, tree } = await setUp(server);
  const { master, child, grandchild, sibling } = tree;
  const newUser = (username: string, tenant?: string) =>
    createUser(orm, { username, ...(tenant === undefined ? {} : { tenant }) });
  const mobile = (uuid: string) => `/users/${uuid}/external/mobile`;
  const blobOf = async (uuid: string) => (await storedBlobs(orm, uuid)).map((row) => [row.type, row.data]);

  const alice = await newUser('alice');
  const bob = await newUser('bob');
  const zed = await newUser('zed', child);
  const gus = await newUser('gus', grandchild);
  const sam = await newUser('sam', sibling);
  const frank = await newUser('frank');

  t.test('POST 201: the normalised blob, echoed, stored and read back', async (t) => {
    const res = await admin.post(mobile(alice), { token: 'abc', apns_voip_token: 'voip', extra: 'dropped' });
    t.equal(res.status, 201);
    t.match(res.headers['content-type'], /^application\/json/);
    const expected = mobileBlob({ token: 'abc', apns_voip_token: 'voip' });
    t.strictSame(res.json(), expected, 'all six fields, missing ones null, unknown ones dropped');
    const read = await admin.get(mobile(alice));
    t.equal(read.status, 200);
    t.strictSame(read.json(), expected);
    t.strictSame(Object.keys(read.json<object>()).sort(), [...MOBILE_FIELDS].sort());
    const stored = await blobOf(alice);
    t.equal(stored.length, 1);
    t.equal(stored[0]![0], 'mobile');
    t.notOk('extra' in (stored[0]![1] as object), 'the unknown field is not stored');
    t.strictSame(
      (await admin.get(mobile(alice.toUpperCase()))).json(),
      expected,
      'an upper-case UUID is the same user',
    );

    const full = await admin.post(mobile(bob), FULL);
    t.equal(full.status, 201);
    t.strictSame(full.json(), FULL, 'every field');
    t.strictSame((await admin.get(mobile(bob))).json(), FULL);
  });

  t.test('POST twice: 409 conflict, the blob kept', async (t) => {
    const res = await admin.post(mobile(alice), { token: 'other' });
    t.equal(res.status, 409);
    t.strictSame(errorBody(res), errors.blobConflict('mobile'));
    t.strictSame(
      (await admin.get(mobile(alice))).json(),
      mobileBlob({ token: 'abc', apns_voip_token: 'voip' }),
    );
  });

  t.test('PUT 200 replaces the blob and echoes it', async (t) => {
    const res = await admin.put(mobile(alice), undefined, {
      token: 'def',
      apns_call_topic: 'topic',
      junk: 1,
    });
    t.equal(res.status, 200);
    const expected = mobileBlob({ token: 'def', apns_call_topic: 'topic' });
    t.strictSame(res.json(), expected);
    t.strictSame((await admin.get(mobile(alice))).json(), expected, 'apns_voip_token is gone: a replacement');
    t.strictSame(
      (await admin.put(mobile(alice), undefined, {})).json(),
      mobileBlob(),
      '{}: every field null',
    );
    t.strictSame((await admin.get(mobile(alice))).json(), mobileBlob());
  });

  t.test('DELETE 204, then 404', async (t) => {
    const res = await admin.delete(mobile(alice));
    t.equal(res.status, 204);
    t.equal(res.text, '');
    for (const [what, answer] of [
      ['GET', await admin.get(mobile(alice))],
      ['DELETE', await admin.delete(mobile(alice))],
    ] as const) {
      t.equal(answer.status, 404, what);
      t.strictSame(errorBody(answer), errors.noBlob('mobile'), what);
    }
    t.strictSame(await blobOf(alice), []);
    t.strictSame((await admin.get(mobile(bob))).json(), FULL, "another user's blob is kept");
  });

  t.test('PUT creates a missing blob', async (t) => {
    const res = await admin.put(mobile(alice), undefined, { apns_notification_token: 'notif' });
    t.equal(res.status, 200);
    t.strictSame(res.json(), mobileBlob({ apns_notification_token: 'notif' }));
    t.strictSame((await admin.get(mobile(alice))).json(), mobileBlob({ apns_notification_token: 'notif' }));
    t.equal((await admin.post(mobile(alice), {})).status, 409, 'it exists now');
  });

  t.test('POST {} and null bodies: every field null', async (t) => {
    const carol = await newUser('carol');
    const res = await admin.post(mobile(carol), {});
    t.equal(res.status, 201);
    t.strictSame(res.json(), mobileBlob());
    t.strictSame((await admin.get(mobile(carol))).json(), mobileBlob());
    const send = sender(server, admin.token);
    t.equal((await admin.delete(mobile(carol))).status, 204);
    const nullPost = await send('POST', mobile(carol), { body: 'null' });
    t.equal(nullPost.status, 201, 'POST null');
    t.strictSame(nullPost.json(), mobileBlob());
    const nullPut = await send('PUT', mobile(carol), { body: 'null' });
    t.equal(nullPut.status, 200, 'PUT null');
    t.strictSame(nullPut.json(), mobileBlob());
    const explicit = await admin.put(mobile(carol), undefined, { ...mobileBlob(), token: null });
    t.equal(explicit.status, 200, 'explicit nulls');
    t.strictSame(explicit.json(), mobileBlob());
  });

  t.test('limits: 512 characters, a non-empty string token', async (t) => {
    const dave = await newUser('dave');
    const long = 'x'.repeat(512);
    const max = Object.fromEntries(MOBILE_FIELDS.map((field) => [field, long])) as MobileBlob;
    const res = await admin.post(mobile(dave), max);
    t.equal(res.status, 201, '512 characters in every field');
    t.strictSame(res.json(), max);
    t.equal(
      (await admin.put(mobile(dave), undefined, { apns_token: '' })).status,
      200,
      'other fields may be ""',
    );
    t.strictSame((await admin.get(mobile(dave))).json(), mobileBlob({ apns_token: '' }));
    t.equal((await admin.delete(mobile(dave))).status, 204);
  });

  t.test('invalid bodies: 400 invalid-data, nothing stored', async (t) => {
    const erin = await newUser('erin');
    const before = await storedBlobs(orm);
    const lengthError = {
      constraint_id: 'length',
      constraint: { min: 1, max: 512 },
      message: 'Length must be between 1 and 512.',
    };
    const typeError = { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' };
    for (const [body, field, detail, label] of [
      [{ token: 'x'.repeat(513) }, 'token', lengthError, 'token of 513 characters'],
      [{ token: '' }, 'token', lengthError, 'empty token'],
      [{ token: 42 }, 'token', typeError, 'token 42'],
      [{ token: 'ok', apns_token: 'y'.repeat(513) }, 'apns_token', undefined, 'apns_token of 513'],
      [{ apns_voip_token: 'y'.repeat(513) }, 'apns_voip_token', undefined, 'apns_voip_token of 513'],
      [
        { apns_notification_token: 'y'.repeat(513) },
        'apns_notification_token',
        undefined,
        'notification 513',
      ],
      [{ apns_call_topic: 'y'.repeat(513) }, 'apns_call_topic', undefined, 'apns_call_topic of 513'],
      [{ apns_default_topic: 'y'.repeat(513) }, 'apns_default_topic', undefined, 'apns_default_topic of 513'],
      [{ apns_token: ['list'] }, 'apns_token', typeError, 'apns_token a list'],
    ] as const) {
      for (const [method, target] of [
        ['POST', erin],
        ['PUT', erin],
        ['PUT', bob],
      ] as const) {
        const res = await sender(server, admin.token)(method, mobile(target), { body });
        const what = `${method} ${target === bob ? 'existing' : 'missing'}: ${label}`;
        t.equal(res.status, 400, what);
        const error = errorBody(res);
        t.match(error, { error_id: 'invalid-data', resource: 'users' }, what);
        t.strictSame(Object.keys(error.details as object), [field], `${what}: details keyed by the field`);
        const reported = (error.details as Record<string, { message: string }>)[field]!;
        t.equal(error.message, reported.message, `${what}: message = the field's message`);
        if (detail) t.strictSame(reported, detail, `${what}: the constraint`);
        else t.match(reported, { constraint_id: 'length', message: String }, `${what}: a length constraint`);
      }
    }
    const send = sender(server, admin.token);
    for (const [body, label] of [
      ['{"token": ', 'truncated JSON'],
      ['', 'empty body'],
    ] as const) {
      for (const method of ['POST', 'PUT']) {
        const res = await send(method, mobile(erin), { body });
        t.equal(res.status, 400, `${method} ${label}`);
        t.strictSame(res.json(), BAD_BODY, `${method} ${label}`);
      }
    }
    for (const body of ['["token"]', '"token"', '7']) {
      const res = await send('POST', mobile(erin), { body });
      t.equal(res.status, 400, `POST ${body}`);
      t.match(errorBody(res), { error_id: 'invalid-data', resource: 'users' }, `POST ${body}`);
    }
    t.strictSame(await storedBlobs(orm), before, 'nothing stored or changed');
    t.strictSame(errorBody(await admin.get(mobile(erin))), errors.noBlob('mobile'));
    t.strictSame((await admin.get(mobile(bob))).json(), FULL);
  });

  t.test('unknown users: 404 unknown-user', async (t) => {
    for (const [method, res] of [
      ['GET', await admin.get(mobile(UNKNOWN))],
      ['POST', await admin.post(mobile(UNKNOWN), { token: 't' })],
      ['PUT', await admin.put(mobile(UNKNOWN), undefined, { token: 't' })],
      ['DELETE', await admin.delete(mobile(UNKNOWN))],
    ] as const) {
      t.equal(res.status, 404, method);
      t.strictSame(errorBody(res), errors.unknownUser(UNKNOWN), method);
    }
    const notUuid = await admin.get('/users/not-a-uuid/external/mobile');
    t.equal(notUuid.status, 404, 'a non-UUID user: the route does not match');
    t.match(notUuid.headers['content-type'], /^text\/html/);
    t.strictSame(await storedBlobs(orm, UNKNOWN), []);
  });

  t.test('tenant isolation: only users of the scoping tenant and its descendants', async (t) => {
    const childAdmin = await loggedIn(server, 'child-admin', ['auth.#'], child);
    t.equal((await childAdmin.post(mobile(zed), { token: 'zed' })).status, 201, 'its own tenant');
    t.equal((await childAdmin.post(mobile(gus), { token: 'gus' })).status, 201, 'a descendant tenant');
    t.strictSame((await childAdmin.get(mobile(gus))).json(), mobileBlob({ token: 'gus' }));
    t.strictSame((await admin.get(mobile(zed))).json(), mobileBlob({ token: 'zed' }), 'master sees it');
    t.strictSame((await admin.get(mobile(gus), child)).json(), mobileBlob({ token: 'gus' }), 'Wazo-Tenant');
    expectStatus(await admin.post(mobile(sam), { token: 'sam' }), 201, 'POST sam');

    const before = await storedBlobs(orm);
    for (const [who, as, target, tenant] of [
      ['child → parent user', childAdmin, alice, undefined],
      ['child → sibling user', childAdmin, sam, undefined],
      ['master as child → master user', admin, alice, child],
      ['master as child → sibling user', admin, sam, child],
      ['master as grandchild → child user', admin, zed, grandchild],
      ['child as grandchild → child user', childAdmin, zed, grandchild],
    ] as const) {
      for (const [method, res] of [
        ['GET', await as.get(mobile(target), tenant)],
        ['POST', await as.post(mobile(target), { token: 'intruder' }, tenant)],
        ['PUT', await as.put(mobile(target), tenant, { token: 'intruder' })],
        ['DELETE', await as.delete(mobile(target), tenant)],
      ] as const) {
        t.equal(res.status, 404, `${who}: ${method}`);
        t.strictSame(errorBody(res), errors.unknownUser(target), `${who}: ${method}`);
      }
    }
    for (const [method, res] of [
      ['GET', await childAdmin.get(mobile(zed), master)],
      ['PUT', await childAdmin.put(mobile(zed), sibling, { token: 'intruder' })],
      ['DELETE', await admin.delete(mobile(zed), 'garbage')],
    ] as const) {
      t.equal(res.status, 401, `Wazo-Tenant outside the subtree: ${method}`);
      t.equal(errorBody(res).error_id, 'unauthorized-tenant', method);
    }
    t.strictSame(await storedBlobs(orm), before, 'nothing written or deleted');
  });

  t.test('GET sender_id: the fcm_sender_id of the scoping tenant', async (t) => {
    const senderId = (uuid: string) => `${mobile(uuid)}/sender_id`;
    const none = await admin.get(senderId(alice));
    t.equal(none.status, 404, 'the master tenant has no mobile config yet');
    t.strictSame(errorBody(none), errors.noConfig('mobile'));
    expectStatus(
      await admin.post('/external/mobile/config', { fcm_sender_id: 'sibling' }, sibling),
      201,
      'cfg',
    );
    t.strictSame(errorBody(await admin.get(senderId(alice))), errors.noConfig('mobile'), "another tenant's");

    expectStatus(
      await admin.post('/external/mobile/config', { fcm_sender_id: 'sender-1', fcm_api_key: 'k' }),
      201,
      'POST master config',
    );
    const res = await admin.get(senderId(alice));
    t.equal(res.status, 200);
    t.strictSame(res.json(), { sender_id: 'sender-1' });
    t.strictSame((await admin.get(senderId(zed))).json(), { sender_id: 'sender-1' }, "the caller's tenant");
    t.strictSame((await admin.get(senderId(frank))).json(), { sender_id: 'sender-1' }, 'no blob needed');

    expectStatus(
      await admin.post('/external/mobile/config', { use_sandbox: true }, child),
      201,
      'child config',
    );
    t.strictSame(
      (await admin.get(senderId(zed), child)).json(),
      { sender_id: null },
      'Wazo-Tenant: its config, no fcm_sender_id',
    );
    const childAdmin = await loggedIn(server, 'child-admin-2', ['auth.#'], child);
    t.strictSame((await childAdmin.get(senderId(gus))).json(), { sender_id: null });
    const grand = await admin.get(senderId(gus), grandchild);
    t.equal(grand.status, 404, 'the grandchild has no config: no inheritance');
    t.strictSame(errorBody(grand), errors.noConfig('mobile'));
    t.strictSame((await admin.get(senderId(sam))).json(), { sender_id: 'sender-1' });
    t.strictSame((await admin.get(senderId(sam), sibling)).json(), { sender_id: 'sibling' });

    // Upstream does not look at the user here (it reads tenant configuration, no user data): neither do we.
    for (const [who, as, target, tenant, expected] of [
      ['unknown user', admin, UNKNOWN, undefined, 'sender-1'],
      ['child → parent user', childAdmin, alice, undefined, null],
      ['child → sibling user', childAdmin, sam, undefined, null],
      ['master as child → sibling user', admin, sam, child, null],
      ['master as sibling → master user', admin, alice, sibling, 'sibling'],
    ] as const) {
      const res = await as.get(senderId(target), tenant);
      t.equal(res.status, 200, who);
      t.strictSame(res.json(), { sender_id: expected }, `${who}: the scoping tenant's sender id`);
    }
    const refused = await childAdmin.get(senderId(zed), master);
    t.equal(refused.status, 401);
    t.strictSame(errorBody(refused), errors.unauthorizedTenant(master));
  });

  t.test('ACLs: a user manages its own blob through "me"', async (t) => {
    const self = await loggedIn(server, 'self', ['auth.users.me.external.mobile.#']);
    const created = await self.post(mobile(self.uuid), { token: 'mine' });
    t.equal(created.status, 201);
    t.strictSame(created.json(), mobileBlob({ token: 'mine' }));
    t.strictSame((await self.get(mobile(self.uuid))).json(), mobileBlob({ token: 'mine' }));
    t.strictSame(
      (await self.put(mobile(self.uuid), undefined, { token: 'new' })).json(),
      mobileBlob({ token: 'new' }),
    );
    t.strictSame((await self.get(`${mobile(self.uuid)}/sender_id`)).json(), { sender_id: 'sender-1' });
    t.equal((await self.delete(mobile(self.uuid))).status, 204);

    for (const [method, action, res] of [
      ['GET', 'read', await self.get(mobile(bob))],
      ['POST', 'create', await self.post(mobile(alice), { token: 'x' })],
      ['PUT', 'update', await self.put(mobile(bob), undefined, { token: 'x' })],
      ['DELETE', 'delete', await self.delete(mobile(bob))],
      ['GET sender_id', 'sender_id.read', await self.get(`${mobile(bob)}/sender_id`)],
    ] as const) {
      const target = method === 'POST' ? alice : bob;
      t.equal(res.status, 401, `${method} another user`);
      t.strictSame(
        errorBody(res),
        errors.missingAccess(self.token, `auth.users.${target}.external.mobile.${action}`),
        `${method} another user`,
      );
    }

    const reader = await loggedIn(server, 'reader', ['auth.users.me.external.mobile.read']);
    t.strictSame(
      errorBody(await reader.get(mobile(reader.uuid))),
      errors.noBlob('mobile'),
      'read: allowed, 404',
    );
    const denied = await reader.post(mobile(reader.uuid), { token: 'x' });
    t.equal(denied.status, 401);
    t.strictSame(
      errorBody(denied),
      errors.missingAccess(reader.token, `auth.users.${reader.uuid}.external.mobile.create`),
    );
    const nothing = await loggedIn(server, 'nothing', []);
    const own = await nothing.get(mobile(nothing.uuid));
    t.equal(own.status, 401, 'no ACL, its own uuid');
    t.strictSame(
      errorBody(own),
      errors.missingAccess(nothing.token, `auth.users.${nothing.uuid}.external.mobile.read`),
    );
    const anonymous = await caller(server, '').delete(mobile(bob));
    t.equal(anonymous.status, 401);
    t.strictSame(errorBody(anonymous), errors.noToken(`auth.users.${bob}.external.mobile.delete`));
    t.strictSame((await admin.get(mobile(bob))).json(), FULL, 'untouched');
  });

  t.test('a blob stored before the topic fields existed reads with them null', async (t) => {
    const old = await newUser('old-timer');
    const [type] = await orm.em
      .fork()
      .execute<{ uuid: string }[]>(`select "uuid" from "auth_external_auth_type" where "name" = 'mobile'`);
    t.ok(type, 'the mobile type row');
    await orm.em
      .fork()
      .execute(
        'insert into "auth_user_external_auth" ("user_uuid", "external_auth_type_uuid", "data") values (?, ?, ?)',
        [
          old,
          type!.uuid,
          JSON.stringify({
            token: 'legacy',
            apns_token: 'apns',
            apns_voip_token: null,
            apns_notification_token: 'notif',
          }),
        ],
      );
    const res = await admin.get(mobile(old));
    t.equal(res.status, 200);
    t.strictSame(
      res.json(),
      mobileBlob({ token: 'legacy', apns_token: 'apns', apns_notification_token: 'notif' }),
    );
    t.strictSame(
      (await admin.get(`/users/${old}/external?type=mobile`)).json<{ items: { enabled: boolean }[] }>().items,
      [{ type: 'mobile', enabled: true, data: {}, plugin_info: {} }],
    );
    t.equal((await admin.put(mobile(old), undefined, { token: 'upgraded' })).status, 200);
    t.strictSame((await admin.get(mobile(old))).json(), mobileBlob({ token: 'upgraded' }));
  });

  t.test('deleting a user deletes its blob', async (t) => {
    t.equal((await blobOf(bob)).length, 1);
    expectStatus(await admin.delete(`/users/${bob}`), 204, 'DELETE /users');
    t.strictSame(await blobOf(bob), []);
    t.strictSame(errorBody(await admin.get(mobile(bob))), errors.unknownUser(bob));
  });

  expectNoServerError(t, server);
});
