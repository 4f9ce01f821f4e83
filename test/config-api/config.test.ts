// GET and PATCH /config (conventions.md §4 step 3, §7): master-tenant tokens only, run-time switches.
import t from 'tap';
import { findMasterTenant } from '../../src/entities/index.js';
import { JSON_HEADERS, startTestApp, type TestApp } from '../helpers/app.js';
import { adminCaller, apiError, userCaller } from '../helpers/callers.js';
import { createTenant } from '../helpers/fixtures.js';
import type { ClientResponse } from '../helpers/http.js';

type ConfigBody = Record<string, unknown> & {
  debug: boolean;
  profiling_enabled: boolean;
  log_level: number;
  uuid: string;
  loaded_plugins: string[];
  db_uri: string;
  amqp: { uri: string | null };
  rest_api: Record<string, unknown>;
};

const AMQP_URI = 'amqp://guest:s3cret-amqp-pw@127.0.0.1:5672';
const FRAMEWORK_400 = {
  message: 'The browser (or proxy) sent a request that this server could not understand.',
};

function patch(server: TestApp, token: string, body: string, headers: Record<string, string> = JSON_HEADERS) {
  return server.call({
    method: 'PATCH',
    path: '/0.1/config',
    headers: { 'X-Auth-Token': token, ...headers },
    body,
  });
}

t.test('GET and PATCH /config', async (t) => {
  const server = await startTestApp(t, (config) => {
    config.amqp.uri = AMQP_URI;
    config.smtp.password = 's3cret-smtp-pw';
    config.bootstrap_user_password = 's3cret-bootstrap-pw';
  });
  const admin = await adminCaller(server);
  const child = await createTenant(server.orm, 'child');
  const reader = await userCaller(server, 'reader', ['auth.config.read']);
  const childAdmin = await userCaller(
    server,
    'child-admin',
    ['auth.config.read', 'auth.config.update'],
    child,
  );
  const read = async (): Promise<ConfigBody> => {
    const res = await admin.get('/config');
    if (res.status !== 200) throw new Error(`GET /config: ${res.status} ${res.text}`);
    return res.json<ConfigBody>();
  };

  t.test('the effective configuration, as upstream shows it', async (t) => {
    const res = await admin.get('/config');
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^application\/json/);
    const body = res.json<ConfigBody>();
    t.equal(body.log_level, 20, 'info as its Python level');
    t.equal(body.debug, false);
    t.equal(body.profiling_enabled, false);
    t.equal(body.uuid, server.app.platformUuid, 'the platform UUID');
    t.strictSame(body.loaded_plugins, ['ldap_user', 'wazo_user']);
    // Upstream shows them; here a secret is masked wherever it is (ours).
    t.equal(body.db_uri, server.uri, 'a URI without a password as it is');
    t.equal(body.amqp.uri, 'amqp://guest:********@127.0.0.1:5672', "a URI's password masked");
    const secrets = body as unknown as { smtp: { password: string }; bootstrap_user_password: string };
    t.equal(secrets.smtp.password, '********');
    t.equal(secrets.bootstrap_user_password, '********');
    t.notOk(res.text.includes('s3cret'), 'no secret anywhere in the answer');
    t.equal(body.default_token_lifetime, 7200);
    t.equal(body.rest_api.port, 0);
    t.type(body.enabled_http_plugins, 'object');
    t.equal(body.update_policy_on_startup, true);
    const head = await server.call({
      method: 'HEAD',
      path: '/0.1/config',
      headers: { 'X-Auth-Token': admin.token },
    });
    t.equal(head.status, 200, 'HEAD through GET');
    t.equal(head.text, '');
  });

  t.test('Wazo-Tenant is ignored: a master token passes whatever it names', async (t) => {
    for (const tenant of [child, '00000000-0000-4000-8000-000000000000', 'garbage']) {
      const res = await admin.get('/config', tenant);
      t.equal(res.status, 200, `Wazo-Tenant: ${tenant}`);
      t.equal(res.json<ConfigBody>().uuid, server.app.platformUuid);
    }
    const patched = await server.call({
      method: 'PATCH',
      path: '/0.1/config',
      headers: { 'X-Auth-Token': admin.token, 'Wazo-Tenant': 'garbage', ...JSON_HEADERS },
      body: '[]',
    });
    t.equal(patched.status, 200, 'PATCH too');
  });

  t.test('sub-tenant tokens are refused, details holding invalid_token only', async (t) => {
    const master = (await findMasterTenant(server.orm.em.fork()))!.uuid;
    for (const tenant of [undefined, master, child, 'garbage']) {
      const res = await childAdmin.get('/config', tenant);
      t.equal(res.status, 401, `GET, Wazo-Tenant: ${tenant}`);
      t.strictSame(apiError(res), {
        message: 'Unauthorized',
        error_id: 'unauthorized',
        details: { invalid_token: childAdmin.token },
      });
    }
    const res = await patch(server, childAdmin.token, '[{"op": "replace", "path": "/debug", "value": true}]');
    t.equal(res.status, 401);
    t.strictSame(apiError(res).details, { invalid_token: childAdmin.token });
    t.equal((await read()).debug, false, 'nothing applied');
  });

  t.test('the ACL is checked first', async (t) => {
    const anonymous = await server.call({ path: '/0.1/config' });
    t.equal(anonymous.status, 401);
    t.strictSame(apiError(anonymous), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: { invalid_token: '', reason: 'not_found_or_expired', required_access: 'auth.config.read' },
    });
    const res = await patch(server, reader.token, '[]', { ...JSON_HEADERS, 'Wazo-Tenant': child });
    t.equal(res.status, 401);
    t.strictSame(apiError(res).details, {
      invalid_token: reader.token,
      reason: 'missing_permission_or_invalid_tenant',
      required_access: 'auth.config.update',
      tenant_uuid: child,
    });
    const childNoAcl = await userCaller(server, 'child-user', [], child);
    t.strictSame(apiError(await childNoAcl.get('/config')).details, {
      invalid_token: childNoAcl.token,
      reason: 'missing_permission_or_invalid_tenant',
      required_access: 'auth.config.read',
      tenant_uuid: null,
    });
    t.equal((await reader.get('/config')).status, 200, 'auth.config.read is enough to read');
  });

  t.test('PATCH switches debug and profiling_enabled, in memory', async (t) => {
    const before = await read();
    let res = await patch(server, admin.token, '[{"op": "replace", "path": "/debug", "value": true}]');
    t.equal(res.status, 200);
    t.strictSame(res.json(), { ...before, debug: true }, 'the full configuration, only debug changed');
    t.strictSame(await read(), { ...before, debug: true }, 'GET sees it');
    t.equal((await read()).log_level, 20, 'log_level keeps the configured level');

    res = await patch(
      server,
      admin.token,
      JSON.stringify([
        { op: 'replace', path: '/profiling_enabled', value: true },
        { op: 'replace', path: '/debug', value: false },
        { op: 'replace', path: '/profiling_enabled', value: false },
        { op: 'replace', path: '/profiling_enabled', value: true },
      ]),
    );
    t.equal(res.status, 200);
    t.strictSame(res.json(), { ...before, debug: false, profiling_enabled: true }, 'applied in order');

    res = await patch(server, admin.token, '[]');
    t.equal(res.status, 200, 'an empty patch is valid');
    t.strictSame(res.json(), { ...before, profiling_enabled: true });
    // Any content type but a form is read as JSON, as everywhere else.
    res = await patch(
      server,
      admin.token,
      '[{"op": "replace", "path": "/profiling_enabled", "value": false}]',
      {
        'Content-Type': 'text/plain',
      },
    );
    t.equal(res.status, 200);
    t.strictSame(await read(), before);
  });

  t.test('an invalid patch is a 400 and changes nothing', async (t) => {
    await patch(server, admin.token, '[{"op": "replace", "path": "/debug", "value": true}]');
    const before = await read();
    t.equal(before.debug, true);
    const valid = { op: 'replace', path: '/debug', value: false };
    const cases: Array<[string, unknown, Record<string, unknown>, string]> = [
      [
        'an object',
        { op: 'replace', path: '/debug', value: false },
        { _schema: { message: 'Invalid input type.' } },
        'Invalid input type.',
      ],
      ['null', null, { _schema: { message: 'Invalid input type.' } }, 'Invalid input type.'],
      ['true', true, { _schema: { message: 'Invalid input type.' } }, 'Invalid input type.'],
      ['a string', 'debug', { _schema: { message: 'Invalid input type.' } }, 'Invalid input type.'],
      ['a number item', [1], { 0: { _schema: { message: 'Invalid input type.' } } }, 'Invalid input type.'],
      [
        'a list item',
        [[valid]],
        { 0: { _schema: { message: 'Invalid input type.' } } },
        'Invalid input type.',
      ],
      [
        'another op',
        [{ ...valid, op: 'add' }],
        {
          0: { op: { constraint_id: 'equal', constraint: 'replace', message: 'Must be equal to replace.' } },
        },
        'Must be equal to replace.',
      ],
      [
        'another path',
        [{ ...valid, path: '/log_level' }],
        {
          0: {
            path: {
              constraint_id: 'enum',
              constraint: { choices: ['/debug', '/profiling_enabled'] },
              message: 'Must be one of: /debug, /profiling_enabled.',
            },
          },
        },
        'Must be one of: /debug, /profiling_enabled.',
      ],
      [
        'a string value',
        [{ ...valid, value: 'true' }],
        { 0: { value: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' } } },
        'Not a valid boolean.',
      ],
      [
        'a numeric value',
        [{ ...valid, value: 0 }],
        { 0: { value: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' } } },
        'Not a valid boolean.',
      ],
      [
        'a null value',
        [{ ...valid, value: null }],
        {
          0: {
            value: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' },
          },
        },
        'Field may not be null.',
      ],
      [
        'no value',
        [{ op: 'replace', path: '/debug' }],
        {
          0: {
            value: {
              message: 'Missing data for required field.',
              constraint_id: 'required',
              constraint: 'required',
            },
          },
        },
        'Missing data for required field.',
      ],
      [
        'no op',
        [{ path: '/debug', value: false }],
        {
          0: {
            op: {
              message: 'Missing data for required field.',
              constraint_id: 'required',
              constraint: 'required',
            },
          },
        },
        'Missing data for required field.',
      ],
      [
        'a numeric op',
        [{ ...valid, op: 1 }],
        { 0: { op: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' } } },
        'Not a valid string.',
      ],
      [
        'an unknown key',
        [{ ...valid, from: '/debug' }],
        { 0: { from: { message: 'Unknown field.' } } },
        'Unknown field.',
      ],
      [
        'a bad item after a good one',
        [valid, { ...valid, op: 'remove' }],
        {
          1: { op: { constraint_id: 'equal', constraint: 'replace', message: 'Must be equal to replace.' } },
        },
        'Must be equal to replace.',
      ],
    ];
    for (const [label, body, details, message] of cases) {
      const res = await patch(server, admin.token, JSON.stringify(body));
      t.equal(res.status, 400, label);
      t.strictSame(apiError(res), { message, error_id: 'invalid-data', details, resource: 'config' }, label);
    }
    t.strictSame(await read(), before, 'nothing applied, not even the valid items');

    for (const [label, body, headers] of [
      ['empty', '', JSON_HEADERS],
      ['not JSON', '[{"op": "replace"', JSON_HEADERS],
      ['a form', 'op=replace', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ] as const) {
      const res: ClientResponse = await patch(server, admin.token, body, headers);
      t.equal(res.status, 400, label);
      t.strictSame(res.json(), FRAMEWORK_400, label);
    }
    t.strictSame(await read(), before);
    await patch(server, admin.token, '[{"op": "replace", "path": "/debug", "value": false}]');
  });

  t.test('nothing of the configuration reaches the logs', async (t) => {
    const text = server.logs.lines.join('\n');
    t.ok(server.logs.lines.length > 0, 'the server did log (at debug level)');
    t.notOk(text.includes('s3cret-amqp-pw'), 'no AMQP password');
    t.notOk(text.includes(AMQP_URI), 'no AMQP URI');
    t.notOk(text.includes(server.uri), 'no database URI');
  });
});
