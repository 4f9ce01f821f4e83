// `GET|PUT|DELETE /backends/ldap` (ldap.md §2–3).

import t from 'tap';
import { LdapConfig } from '../../src/entities/index.js';
import { JSON_HEADERS, startSqliteTestApp, startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  type Caller,
  caller,
  legacyError,
  ok,
  sender,
  userCaller,
} from '../helpers/callers.js';
import { createTenant, masterUuid } from '../helpers/fixtures.js';

/** The keys of the configuration object, in upstream's order; `bind_password` is never among them. */
const KEYS = [
  'tenant_uuid',
  'host',
  'port',
  'protocol_version',
  'protocol_security',
  'bind_dn',
  'user_base_dn',
  'user_login_attribute',
  'user_email_attribute',
  'search_filters',
];

const EMPTY = Object.fromEntries(KEYS.map((key) => [key, null]));

/** The fields upstream's schema reads, in its order: the first failing one is the one a 400 names. */
const SCHEMA_ORDER = [
  'host',
  'port',
  'protocol_version',
  'protocol_security',
  'bind_dn',
  'bind_password',
  'user_base_dn',
  'user_login_attribute',
  'user_email_attribute',
  'search_filters',
] as const;

const MINIMAL = {
  host: 'ldap.example.com',
  port: 389,
  user_base_dn: 'ou=people,dc=example,dc=com',
  user_login_attribute: 'uid',
  user_email_attribute: 'mail',
};

const FULL = {
  ...MINIMAL,
  host: 'ldaps.example.com',
  port: 636,
  protocol_version: 2,
  protocol_security: 'ldaps',
  bind_dn: 'cn=wazo_auth,ou=people,dc=example,dc=com',
  bind_password: 'S3cr3t-bind',
  search_filters: '(&({user_login_attribute}={username})(employeeType=human))',
};

const STRING_FIELDS = [
  'host',
  'bind_dn',
  'bind_password',
  'user_base_dn',
  'user_login_attribute',
  'user_email_attribute',
  'search_filters',
] as const;

/** Each alone in an otherwise valid body must be refused (ldap.md §3). */
const REJECTED: [string, unknown][] = [
  ...STRING_FIELDS.flatMap((field) => [1, true, [], {}].map((value): [string, unknown] => [field, value])),
  ['host', null],
  ['host', 'h'.repeat(513)],
  ['port', true],
  ['port', 'aaaaaaaaaaaaaaa'],
  ['port', []],
  ['port', {}],
  ['port', null],
  ['port', 1.5e10],
  ['protocol_version', 'patate'],
  ['protocol_version', true],
  ['protocol_version', []],
  ['protocol_version', {}],
  ['protocol_version', 1],
  ['protocol_version', 4],
  ['protocol_version', null],
  ['protocol_security', 'patate'],
  ['protocol_security', true],
  ['protocol_security', []],
  ['protocol_security', {}],
  ['protocol_security', ''],
  ['protocol_security', 'LDAPS'],
  ['bind_dn', 'd'.repeat(257)],
  ['user_base_dn', 'd'.repeat(257)],
  ['user_base_dn', null],
  ['user_login_attribute', 'a'.repeat(65)],
  ['user_login_attribute', null],
  ['user_email_attribute', 'a'.repeat(65)],
  ['user_email_attribute', null],
];

/** Values at the limits, accepted. */
const ACCEPTED: [string, unknown, unknown][] = [
  ['host', 'h'.repeat(512), 'h'.repeat(512)],
  ['port', '10389', 10389],
  ['protocol_version', 3, 3],
  ['protocol_version', '2', 2],
  ['protocol_security', null, null],
  ['protocol_security', 'tls', 'tls'],
  ['bind_dn', 'd'.repeat(256), 'd'.repeat(256)],
  ['bind_dn', null, null],
  ['bind_password', null, undefined],
  ['user_base_dn', 'd'.repeat(256), 'd'.repeat(256)],
  ['user_base_dn', '', ''],
  ['user_login_attribute', 'a'.repeat(64), 'a'.repeat(64)],
  ['user_email_attribute', 'a'.repeat(64), 'a'.repeat(64)],
  ['search_filters', null, null],
];

const invalidField = (field: string) => ({
  reason: `Invalid value supplied for field: ${field}`,
  status_code: 400,
});

t.test('/backends/ldap', async (t) => {
  const app = await startTestApp(t);
  const admin = await adminCaller(app);
  const api = caller(app, admin.token);
  const master = await masterUuid(app.orm);
  const stored = async (tenant: string) => app.orm.em.fork().findOne(LdapConfig, { tenant });
  const put = (body: unknown, tenant?: string) => api.put('/backends/ldap', tenant, body);

  t.test('GET of a tenant without configuration: every field null', async (t) => {
    const res = await api.get('/backends/ldap');
    t.equal(res.status, 200);
    t.strictSame(res.json(), EMPTY);
    t.strictSame(Object.keys(res.json<object>()), KEYS);
  });

  t.test('PUT creates, with the defaults of absent optional fields; GET shows it', async (t) => {
    const res = await put(MINIMAL);
    t.equal(res.status, 200);
    const expected = {
      tenant_uuid: master,
      ...MINIMAL,
      protocol_version: 3,
      protocol_security: null,
      bind_dn: null,
      search_filters: null,
    };
    t.strictSame(
      res.json(),
      Object.fromEntries(KEYS.map((key) => [key, expected[key as keyof typeof expected]])),
    );
    t.strictSame(Object.keys(res.json<object>()), KEYS);
    t.strictSame(ok(await api.get('/backends/ldap')), res.json());
    t.equal((await stored(master))?.bindPassword, null);
  });

  t.test('bind_password is written, never returned', async (t) => {
    const res = await put(FULL);
    t.equal(res.status, 200);
    const { bind_password: _, ...shown } = FULL;
    t.strictSame(res.json(), { tenant_uuid: master, ...shown });
    t.notOk(res.text.includes('bind_password') || res.text.includes(FULL.bind_password));
    const read = await api.get('/backends/ldap');
    t.notOk(read.text.includes('bind_password') || read.text.includes(FULL.bind_password));
    t.equal((await stored(master))?.bindPassword, FULL.bind_password);
  });

  t.test('PUT merges: absent optional fields keep their value, protocol_version becomes 3', async (t) => {
    await put(FULL);
    const res = await put({ ...MINIMAL, host: 'other.example.com' });
    t.strictSame(ok(res), {
      tenant_uuid: master,
      ...MINIMAL,
      host: 'other.example.com',
      protocol_version: 3,
      protocol_security: 'ldaps',
      bind_dn: FULL.bind_dn,
      search_filters: FULL.search_filters,
    });
    t.equal((await stored(master))?.bindPassword, FULL.bind_password, 'bind_password kept');

    t.test('explicit nulls clear, present values overwrite', async (t) => {
      const cleared = ok<Record<string, unknown>>(
        await put({
          ...MINIMAL,
          protocol_security: null,
          bind_dn: null,
          bind_password: null,
          search_filters: 'uid={username}',
          protocol_version: 2,
        }),
      );
      t.match(cleared, {
        protocol_security: null,
        bind_dn: null,
        search_filters: 'uid={username}',
        protocol_version: 2,
      });
      t.equal((await stored(master))?.bindPassword, null, 'bind_password cleared');
    });

    t.test('unknown keys are ignored', async (t) => {
      const res = await put({ ...MINIMAL, tenant_uuid: '00000000-0000-4000-8000-000000000000', surprise: 1 });
      t.equal(ok<{ tenant_uuid: string }>(res).tenant_uuid, master);
      t.notOk(res.text.includes('surprise'));
    });
  });

  t.test('PUT validates a full document every time', async (t) => {
    await put(FULL);
    const before = ok(await api.get('/backends/ldap'));

    t.test('each rejected value, alone in a valid body: legacy 400 naming the field', async (t) => {
      for (const [field, value] of REJECTED) {
        const res = await put({ ...FULL, [field]: value });
        t.equal(res.status, 400, `${field}: ${JSON.stringify(value)?.slice(0, 20)}`);
        t.strictSame(legacyError(res), invalidField(field), field);
      }
      t.strictSame(ok(await api.get('/backends/ldap')), before, 'nothing changed');
    });

    t.test('each required field missing', async (t) => {
      for (const field of ['host', 'port', 'user_base_dn', 'user_login_attribute', 'user_email_attribute']) {
        const { [field as keyof typeof FULL]: _, ...body } = FULL;
        t.strictSame(legacyError(await put(body)), invalidField(field), field);
      }
    });

    t.test('several bad fields: the first in schema order is named', async (t) => {
      const bad: Record<(typeof SCHEMA_ORDER)[number], unknown> = {
        host: null,
        port: 'x',
        protocol_version: 9,
        protocol_security: 'x',
        bind_dn: 1,
        bind_password: 1,
        user_base_dn: 1,
        user_login_attribute: 1,
        user_email_attribute: 1,
        search_filters: 1,
      };
      for (let i = 0; i < SCHEMA_ORDER.length; i++) {
        const body: Record<string, unknown> = { ...FULL };
        for (const later of SCHEMA_ORDER.slice(i)) body[later] = bad[later];
        t.strictSame(legacyError(await put(body)), invalidField(SCHEMA_ORDER[i]!), SCHEMA_ORDER[i]!);
      }
    });

    t.test('values at the limits are accepted', async (t) => {
      for (const [field, value, shown] of ACCEPTED) {
        const res = await put({ ...FULL, [field]: value });
        t.equal(res.status, 200, `${field}: ${JSON.stringify(value).slice(0, 20)}`);
        if (shown !== undefined) t.strictSame(res.json<Record<string, unknown>>()[field], shown);
      }
    });

    t.test('bodies that are not a configuration', async (t) => {
      const send = sender(app, admin.token);
      t.strictSame(legacyError(await send('PUT', '/backends/ldap', { body: 'null' })), invalidField('host'));
      t.strictSame(legacyError(await send('PUT', '/backends/ldap', { body: '{}' })), invalidField('host'));
      t.strictSame(
        legacyError(await send('PUT', '/backends/ldap', { body: '[1]' })),
        invalidField('_schema'),
      );
      t.strictSame(
        legacyError(await send('PUT', '/backends/ldap', { body: '"text"' })),
        invalidField('_schema'),
      );
      for (const body of ['', '{"host": ']) {
        const res = await app.call({
          method: 'PUT',
          path: '/0.1/backends/ldap',
          headers: { ...JSON_HEADERS, 'X-Auth-Token': admin.token },
          body,
        });
        t.equal(res.status, 400, JSON.stringify(body));
        t.strictSame(res.json(), {
          message: 'The browser (or proxy) sent a request that this server could not understand.',
        });
      }
    });
  });

  t.test('DELETE: 204, also when there is nothing to delete', async (t) => {
    await put(FULL);
    const first = await api.delete('/backends/ldap');
    t.equal(first.status, 204);
    t.equal(first.text, '');
    t.strictSame(ok(await api.get('/backends/ldap')), EMPTY);
    t.equal(await stored(master), null);
    t.equal((await api.delete('/backends/ldap')).status, 204);
  });

  t.test('tenant isolation through Wazo-Tenant', async (t) => {
    const child = await createTenant(app.orm, 'ldapchild');
    const sibling = await createTenant(app.orm, 'ldapsib');
    await put({ ...MINIMAL, host: 'master.example.com' });
    t.equal(
      ok<{ host: string }>(await put({ ...MINIMAL, host: 'child.example.com' }, child)).host,
      'child.example.com',
    );
    t.equal(ok<{ host: string }>(await api.get('/backends/ldap')).host, 'master.example.com');
    t.strictSame(ok(await api.get('/backends/ldap', child)), {
      tenant_uuid: child,
      ...MINIMAL,
      host: 'child.example.com',
      protocol_version: 3,
      protocol_security: null,
      bind_dn: null,
      search_filters: null,
    });
    t.strictSame(ok(await api.get('/backends/ldap', sibling)), EMPTY);

    // A user of the child tenant acts in its own tenant, and nowhere above or beside it.
    const childAdmin = await userCaller(app, 'ldap-child-admin', ['auth.backends.ldap.*'], child);
    const childApi: Caller = caller(app, childAdmin.token);
    t.equal(ok<{ host: string }>(await childApi.get('/backends/ldap')).host, 'child.example.com');
    for (const [what, tenant] of [
      ['parent', master],
      ['sibling', sibling],
      ['garbage', 'garbage'],
    ] as const) {
      for (const res of [
        await childApi.get('/backends/ldap', tenant),
        await childApi.put('/backends/ldap', tenant, MINIMAL),
        await childApi.delete('/backends/ldap', tenant),
      ]) {
        t.equal(res.status, 401, what);
        t.strictSame(apiError(res), {
          message: 'Unauthorized tenant',
          error_id: 'unauthorized-tenant',
          details: { tenant_uuid: tenant },
        });
      }
    }
    t.equal(
      ok<{ host: string }>(await api.get('/backends/ldap')).host,
      'master.example.com',
      'parent intact',
    );
    t.equal((await childApi.delete('/backends/ldap')).status, 204);
    t.strictSame(ok(await api.get('/backends/ldap', child)), EMPTY);
    t.equal(ok<{ host: string }>(await api.get('/backends/ldap')).host, 'master.example.com');
  });

  t.test('ACL: auth.backends.ldap.read, .update, .delete', async (t) => {
    const reader = caller(app, (await userCaller(app, 'ldap-reader', ['auth.backends.ldap.read'])).token);
    t.equal((await reader.get('/backends/ldap')).status, 200);
    for (const [res, required] of [
      [await reader.put('/backends/ldap', undefined, MINIMAL), 'auth.backends.ldap.update'],
      [await reader.delete('/backends/ldap'), 'auth.backends.ldap.delete'],
    ] as const) {
      t.equal(res.status, 401);
      t.match(apiError(res), { error_id: 'unauthorized', details: { required_access: required } });
    }
    const nobody = caller(app, '00000000-0000-4000-8000-000000000000');
    const res = await nobody.get('/backends/ldap');
    t.equal(res.status, 401);
    t.match(apiError(res), {
      details: { reason: 'not_found_or_expired', required_access: 'auth.backends.ldap.read' },
    });
  });

  t.test('a tenant deleted takes its configuration along', async (t) => {
    const doomed = ok<{ uuid: string }>(await admin.post('/tenants', { name: 'doomed', slug: 'doomed' }));
    await put(MINIMAL, doomed.uuid);
    t.ok(await stored(doomed.uuid));
    t.equal((await admin.delete(`/tenants/${doomed.uuid}`)).status, 204);
    t.equal(await app.orm.em.fork().count(LdapConfig, { tenant: doomed.uuid }), 0);
  });
});

t.test('enabled_http_plugins.ldap_config: false removes the endpoints', async (t) => {
  const app = await startTestApp(t, (config) => {
    config.enabled_http_plugins.ldap_config = false;
  });
  const admin = await adminCaller(app);
  const res = await admin.get('/backends/ldap');
  t.equal(res.status, 404);
  t.match(res.headers['content-type'], /text\/html/);
});

t.test('on the embedded SQLite database too', async (t) => {
  const app = await startSqliteTestApp(t);
  const admin = await adminCaller(app);
  const put = (body: unknown) => admin.put('/backends/ldap', undefined, body);
  t.equal(ok<{ port: number }>(await put({ ...FULL, port: '10636' })).port, 10636);
  const merged = ok<Record<string, unknown>>(await put(MINIMAL));
  t.match(merged, {
    host: MINIMAL.host,
    protocol_version: 3,
    protocol_security: 'ldaps',
    bind_dn: FULL.bind_dn,
  });
  const stored = await app.orm.em.fork().findOne(LdapConfig, { tenant: await masterUuid(app.orm) });
  t.equal(stored?.bindPassword, FULL.bind_password);
  t.strictSame(legacyError(await put({ ...FULL, port: true })), invalidField('port'));
  t.equal((await admin.delete('/backends/ldap')).status, 204);
  t.strictSame(ok(await admin.get('/backends/ldap')), EMPTY);
});
