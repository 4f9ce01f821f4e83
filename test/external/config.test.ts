// GET|POST|PUT|DELETE /external/{auth_type}/config: the per-tenant configuration of an external auth
// type (external-auth.md §3.1, §3.3, §9, §10).
import t from 'tap';
import { caller, sender } from '../helpers/callers.js';
import { createTenant } from '../helpers/fixtures.js';
import {
  BAD_BODY,
  errorBody,
  errors,
  expectNoServerError,
  expectStatus,
  loggedIn,
  setUp,
  startExternalApp,
  storedConfigs,
  storedTypes,
} from './support.js';

const MOBILE_CONFIG = {
  fcm_sender_id: 'sender-1',
  fcm_service_account_info: JSON.stringify({
    type: 'service_account',
    project_id: 'wazo-test',
    private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
  }),
  fcm_api_key: 'legacy-api-key',
  ios_apn_certificate: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----',
  ios_apn_private: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
  use_sandbox: true,
};
const GOOGLE_CONFIG = { client_id: 'google-client', client_secret: 'google-secret' };
const FREE_FORM = {
  nested: { list: [1, 'two', null, { three: 3 }], empty: {} },
  unicode: 'éü 日本 🎉',
  number: 1.5,
  flag: false,
  nothing: null,
};

t.test('external auth tenant config', async (t) => {
  const server = await startExternalApp(t);
  const { orm } = server;
  const { admin, tree } = await setUp(server);
  const { master, child, grandchild, sibling } = tree;
  const config = (type: string) => `/external/${type}/config`;

  t.test('POST 201 then GET 200: the exact stored object, secrets included', async (t) => {
    const created = await admin.post(config('mobile'), MOBILE_CONFIG);
    t.equal(created.status, 201);
    const read = await admin.get(config('mobile'));
    t.equal(read.status, 200);
    t.match(read.headers['content-type'], /^application\/json/);
    t.strictSame(read.json(), MOBILE_CONFIG);

    t.equal((await admin.post(config('google'), GOOGLE_CONFIG)).status, 201);
    t.strictSame((await admin.get(config('google'))).json(), GOOGLE_CONFIG);
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG, 'types are independent');

    t.equal((await admin.post(config('foo'), FREE_FORM)).status, 201, 'a new type name is accepted');
    const foo = await admin.get(config('foo'));
    t.equal(foo.status, 200, 'the auto-created (disabled) type has its config readable');
    t.strictSame(foo.json(), FREE_FORM, 'free-form, nested, unicode and nulls kept');
    t.ok((await storedTypes(orm)).includes('foo'), 'the type was registered');

    t.strictSame(
      (await storedConfigs(orm, master)).map((row) => [row.type, row.data]),
      [
        ['foo', FREE_FORM],
        ['google', GOOGLE_CONFIG],
        ['mobile', MOBILE_CONFIG],
      ],
      'one row per (tenant, type)',
    );
  });

  t.test('POST twice: 409 conflict, the first config kept', async (t) => {
    const res = await admin.post(config('mobile'), { fcm_sender_id: 'other' });
    t.equal(res.status, 409);
    t.strictSame(errorBody(res), errors.configConflict('mobile'));
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG);
    const foo = await admin.post(config('foo'), {});
    t.equal(foo.status, 409);
    t.strictSame(errorBody(foo), errors.configConflict('foo'));
  });

  t.test('PUT 204 replaces the whole object', async (t) => {
    const res = await admin.put(config('google'), undefined, { client_id: 'new-id' });
    t.equal(res.status, 204);
    t.equal(res.text, '');
    t.strictSame((await admin.get(config('google'))).json(), { client_id: 'new-id' }, 'client_secret gone');
    t.equal((await admin.put(config('google'), undefined, GOOGLE_CONFIG)).status, 204);
    t.strictSame((await admin.get(config('google'))).json(), GOOGLE_CONFIG);
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG, 'other types untouched');
  });

  t.test('DELETE 204, then 404 everywhere but POST', async (t) => {
    t.equal((await admin.post(config('microsoft'), { client_id: 'ms', client_secret: 's' })).status, 201);
    const res = await admin.delete(config('microsoft'));
    t.equal(res.status, 204);
    t.equal(res.text, '');
    for (const [what, answer] of [
      ['GET', await admin.get(config('microsoft'))],
      ['PUT', await admin.put(config('microsoft'), undefined, { client_id: 'x' })],
      ['DELETE', await admin.delete(config('microsoft'))],
    ] as const) {
      t.equal(answer.status, 404, what);
      t.strictSame(errorBody(answer), errors.noConfig('microsoft'), what);
    }
    t.strictSame(
      (await storedConfigs(orm, master)).map((row) => row.type),
      ['foo', 'google', 'mobile'],
      'the PUT of a missing config created nothing',
    );
    t.equal((await admin.post(config('microsoft'), { client_id: 'again' })).status, 201, 'POST again');
    t.strictSame((await admin.get(config('microsoft'))).json(), { client_id: 'again' });
    t.equal((await admin.delete(config('microsoft'))).status, 204);
  });

  t.test('type names never registered', async (t) => {
    const read = await admin.get(config('nope'));
    t.equal(read.status, 404);
    t.strictSame(errorBody(read), errors.unknownConfig('nope'));
    const update = await admin.put(config('nope'), undefined, { a: 1 });
    t.equal(update.status, 404);
    t.strictSame(errorBody(update), errors.unknownType('nope'));
    const remove = await admin.delete(config('nope'));
    t.equal(remove.status, 404);
    t.strictSame(errorBody(remove), errors.unknownType('nope'));
    t.notOk((await storedTypes(orm)).includes('nope'), 'GET, PUT and DELETE register nothing');
    t.strictSame(errorBody(await admin.get(config('nope'))), errors.unknownConfig('nope'), 'still unknown');
  });

  t.test('bodies: a JSON object; null is {}; anything else 400 and nothing stored', async (t) => {
    const send = sender(server, admin.token);
    const before = await storedConfigs(orm);
    for (const [body, label] of [
      ['{"client_id": ', 'truncated JSON'],
      ['not json', 'not JSON'],
      ['', 'empty body'],
    ] as const) {
      const post = await send('POST', config('bodies'), { body });
      t.equal(post.status, 400, `POST ${label}`);
      t.strictSame(post.json(), BAD_BODY, `POST ${label}`);
      const put = await send('PUT', config('mobile'), { body });
      t.equal(put.status, 400, `PUT ${label}`);
      t.strictSame(put.json(), BAD_BODY, `PUT ${label}`);
    }
    const noBody = await server.call({
      method: 'POST',
      path: `/0.1${config('bodies')}`,
      headers: { 'X-Auth-Token': admin.token },
    });
    t.equal(noBody.status, 400, 'no body at all');
    t.strictSame(noBody.json(), BAD_BODY);
    for (const [body, label] of [
      ['[1, 2]', 'an array'],
      ['"text"', 'a string'],
      ['42', 'a number'],
      ['true', 'a boolean'],
    ] as const) {
      for (const [method, type] of [
        ['POST', 'bodies'],
        ['PUT', 'mobile'],
      ] as const) {
        const res = await send(method, config(type), { body });
        t.equal(res.status, 400, `${method} ${label}`);
        const error = errorBody(res);
        t.match(
          error,
          { error_id: 'invalid-data', resource: 'external', message: String },
          `${method} ${label}`,
        );
        t.type(error.details, 'object', `${method} ${label}: details`);
      }
    }
    t.strictSame(await storedConfigs(orm), before, 'nothing stored or changed by a 400');
    t.strictSame(
      errorBody(await admin.get(config('bodies'))),
      errors.unknownConfig('bodies'),
      'a refused POST registers no type',
    );

    t.equal((await send('POST', config('nullish'), { body: 'null' })).status, 201, 'POST null');
    t.strictSame((await admin.get(config('nullish'))).json(), {}, 'stored as {}');
    t.equal((await send('PUT', config('nullish'), { body: '{"a": 1}' })).status, 204);
    t.equal((await send('PUT', config('nullish'), { body: 'null' })).status, 204, 'PUT null');
    t.strictSame((await admin.get(config('nullish'))).json(), {}, 'replaced by {}');
    const textPlain = await server.call({
      method: 'POST',
      path: `/0.1${config('plain')}`,
      headers: { 'X-Auth-Token': admin.token, 'Content-Type': 'text/plain' },
      body: '{"k": "v"}',
    });
    t.equal(textPlain.status, 201, 'JSON parsed whatever the Content-Type');
    t.strictSame((await admin.get(config('plain'))).json(), { k: 'v' });
  });

  t.test('per tenant: no inheritance, Wazo-Tenant within the subtree only', async (t) => {
    const childAdmin = await loggedIn(server, 'child-admin', ['auth.#'], child);
    const grandAdmin = await loggedIn(server, 'grand-admin', ['auth.#'], grandchild);

    const fromChild = await childAdmin.get(config('mobile'));
    t.equal(fromChild.status, 404, "a sub-tenant does not see its parent's config");
    t.strictSame(errorBody(fromChild), errors.noConfig('mobile'));
    t.strictSame(
      errorBody(await admin.get(config('mobile'), child)),
      errors.noConfig('mobile'),
      'Wazo-Tenant',
    );

    t.equal((await childAdmin.post(config('mobile'), { fcm_sender_id: 'child-sender' })).status, 201);
    t.strictSame((await admin.get(config('mobile'), child)).json(), { fcm_sender_id: 'child-sender' });
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG, "the master's is untouched");
    t.strictSame(
      errorBody(await grandAdmin.get(config('mobile'))),
      errors.noConfig('mobile'),
      "a grandchild does not see its parent's either",
    );

    t.equal((await admin.post(config('mobile'), { fcm_sender_id: 'grand' }, grandchild)).status, 201);
    t.strictSame((await grandAdmin.get(config('mobile'))).json(), { fcm_sender_id: 'grand' });
    t.strictSame((await childAdmin.get(config('mobile'), grandchild)).json(), { fcm_sender_id: 'grand' });
    t.equal((await childAdmin.put(config('mobile'), grandchild, { use_sandbox: false })).status, 204);
    t.strictSame((await grandAdmin.get(config('mobile'))).json(), { use_sandbox: false });
    t.strictSame((await childAdmin.get(config('mobile'))).json(), { fcm_sender_id: 'child-sender' });
    t.equal((await childAdmin.delete(config('mobile'), grandchild)).status, 204);
    t.strictSame(errorBody(await grandAdmin.get(config('mobile'))), errors.noConfig('mobile'));
    t.strictSame((await childAdmin.get(config('mobile'))).json(), { fcm_sender_id: 'child-sender' });
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG);

    const before = await storedConfigs(orm);
    for (const [who, as, tenant] of [
      ['child → master', childAdmin, master],
      ['child → sibling', childAdmin, sibling],
      ['grandchild → child', grandAdmin, child],
      ['master → unknown tenant', admin, '00000000-0000-4000-8000-000000000000'],
      ['master → garbage', admin, 'garbage'],
    ] as const) {
      for (const [method, res] of [
        ['GET', await as.get(config('mobile'), tenant)],
        ['POST', await as.post(config('google'), GOOGLE_CONFIG, tenant)],
        ['PUT', await as.put(config('mobile'), tenant, { x: 1 })],
        ['DELETE', await as.delete(config('mobile'), tenant)],
      ] as const) {
        t.equal(res.status, 401, `${who}: ${method}`);
        t.strictSame(errorBody(res), errors.unauthorizedTenant(tenant), `${who}: ${method}`);
      }
    }
    t.strictSame(await storedConfigs(orm), before, 'nothing written by a refused tenant');
  });

  t.test('ACLs: auth.{auth_type}.external.config.{read,create,update,delete}', async (t) => {
    const reader = await loggedIn(server, 'config-reader', ['auth.mobile.external.config.read']);
    t.equal((await reader.get(config('mobile'))).status, 200);
    for (const [method, action, res] of [
      ['GET google', 'auth.google.external.config.read', await reader.get(config('google'))],
      ['POST', 'auth.mobile.external.config.create', await reader.post(config('mobile'), {})],
      ['PUT', 'auth.mobile.external.config.update', await reader.put(config('mobile'), undefined, {})],
      ['DELETE', 'auth.mobile.external.config.delete', await reader.delete(config('mobile'))],
    ] as const) {
      t.equal(res.status, 401, method);
      t.strictSame(errorBody(res), errors.missingAccess(reader.token, action), method);
    }
    const withTenant = await reader.put(config('mobile'), child, {});
    t.strictSame(
      errorBody(withTenant),
      errors.missingAccess(reader.token, 'auth.mobile.external.config.update', child),
      'the Wazo-Tenant header is echoed',
    );
    const anonymous = await caller(server, '').get(config('mobile'));
    t.equal(anonymous.status, 401);
    t.strictSame(errorBody(anonymous), errors.noToken('auth.mobile.external.config.read'));
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG, 'unchanged');

    const dotted = await loggedIn(server, 'dotted', ['auth.a_b.external.config.*']);
    t.equal(
      (await dotted.post(config('a.b'), { k: 1 })).status,
      201,
      'a "." of the type name is "_" in the ACL',
    );
    t.strictSame((await dotted.get(config('a.b'))).json(), { k: 1 });
    t.equal((await dotted.put(config('a.b'), undefined, { k: 2 })).status, 204);
    t.equal((await dotted.delete(config('a.b'))).status, 204);
  });

  t.test('deleting a tenant deletes its configs', async (t) => {
    const doomed = await createTenant(orm, 'doomed');
    t.equal((await admin.post(config('mobile'), { fcm_sender_id: 'doomed' }, doomed)).status, 201);
    t.equal((await admin.post(config('google'), GOOGLE_CONFIG, doomed)).status, 201);
    t.equal((await storedConfigs(orm, doomed)).length, 2);
    expectStatus(await admin.delete(`/tenants/${doomed}`), 204, 'DELETE /tenants');
    t.strictSame(await storedConfigs(orm, doomed), [], 'cascade');
    t.strictSame((await admin.get(config('mobile'))).json(), MOBILE_CONFIG, 'the other tenants keep theirs');
    t.strictSame((await admin.get(config('mobile'), child)).json(), { fcm_sender_id: 'child-sender' });
  });

  expectNoServerError(t, server);
});
