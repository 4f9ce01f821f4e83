// POST /tenants (tenants.md §2, §3; bootstrap.md §3 for what a new tenant receives).
import t from 'tap';
import {
  Address,
  allUsersGroupName,
  Group,
  Policy,
  Session,
  Tenant,
  TenantDomain,
  User,
} from '../../src/entities/index.js';
import { DOMAIN_PATTERN } from '../../src/tenants/schemas.js';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, ok, sender, unknownError, userCaller } from '../helpers/callers.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { domainConflict, EMPTY_ADDRESS, INVALID_DOMAINS, TENANT_KEYS, type TenantBody } from './helpers.js';

const lengthError = (min: number, max: number) => ({
  constraint_id: 'length',
  constraint: { min, max },
  message: `Length must be between ${min} and ${max}.`,
});
const typeError = (type: string, message: string) => ({ message, constraint_id: 'type', constraint: type });
const NOT_NULL = { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' };
const domainRegexError = {
  constraint_id: 'regex',
  constraint: DOMAIN_PATTERN,
  message: 'String does not match expected pattern.',
};

t.test('POST /tenants', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const send = sender(server, admin.token);
  const master = await masterUuid(orm);
  const count = () => orm.em.fork().count(Tenant, {});
  const post = async (body: unknown, tenant?: string) =>
    ok<TenantBody>(await send('POST', '/tenants', { body, ...(tenant ? { tenant } : {}) }));

  t.test('an empty body: defaults, random slug, child of the scoping tenant', async (t) => {
    const created = await post({});
    t.strictSame(Object.keys(created), TENANT_KEYS);
    t.match(created.slug, /^[a-z0-9]{3}$/);
    t.strictSame(created, {
      uuid: created.uuid,
      parent_uuid: master,
      name: null,
      slug: created.slug,
      contact: null,
      phone: null,
      default_authentication_method: 'native',
      domain_names: [],
      address: EMPTY_ADDRESS,
    });
    t.strictSame(ok(await send('GET', `/tenants/${created.uuid}`)), created, 'a later GET answers the same');
    t.equal(await orm.em.fork().count(Address, { tenant: created.uuid }), 0, 'no address row');
    for (const body of ['null', 'false', '[]', '0', '""']) {
      const res = await send('POST', '/tenants', { body });
      t.equal(res.status, 200, `${body} is read as {}`);
      t.equal(res.json<TenantBody>().name, null);
    }
  });

  t.test('a full body, as given; a later GET answers the same', async (t) => {
    const contact = await createUser(orm, { username: 'contact-person' });
    const uuid = '2d1e2b9a-4f4e-4c3a-9b1f-0123456789ab';
    const body = {
      uuid: uuid.toUpperCase(),
      name: 'Acme Corp',
      slug: 'acme_1',
      contact,
      phone: '+1 555 0100',
      default_authentication_method: 'saml',
      domain_names: ['b.acme.example', 'a.acme.example', 'b.acme.example'],
      address: { line_1: '1 Main Street', city: 'Springfield', zip_code: '12345' },
      parent_uuid: '00000000-0000-4000-8000-000000000000',
      unknown_field: 'ignored',
    };
    const created = await post(body);
    t.strictSame(created, {
      uuid,
      parent_uuid: master,
      name: 'Acme Corp',
      slug: 'acme_1',
      contact,
      phone: '+1 555 0100',
      default_authentication_method: 'saml',
      domain_names: ['a.acme.example', 'b.acme.example'],
      address: { ...EMPTY_ADDRESS, line_1: '1 Main Street', city: 'Springfield', zip_code: '12345' },
    });
    t.notOk('unknown_field' in created);
    t.strictSame(ok(await send('GET', `/tenants/${uuid}`)), created);
    t.equal(await orm.em.fork().count(TenantDomain, { tenant: uuid }), 2, 'a repeated domain is stored once');
    for (const method of ['native', 'default', 'ldap']) {
      const res = await post({ default_authentication_method: method });
      t.equal(res.default_authentication_method, method);
    }
  });

  t.test('slug generation from the name', async (t) => {
    t.equal((await post({ name: 'Ab-c 123456' })).slug, 'Abc123456');
    t.equal((await post({ name: 'Ab-c 1234567' })).slug, 'Abc1234567', 'cut to 10 characters');
    const again = await post({ name: 'Ab-c 1234567' });
    t.match(again.slug, /^[a-z0-9]{3}$/, 'a derived slug already used gives a random one');
    t.equal(again.name, 'Ab-c 1234567', 'names need not be unique');
    t.equal((await post({ name: 'Ünïcode_ok' })).slug, 'ncode_ok');
  });

  t.test('the parent is the scoping tenant: Wazo-Tenant, or the caller’s own tenant', async (t) => {
    const child = await post({ name: 'parent-a' });
    const grandchild = await post({ name: 'under-a' }, child.uuid);
    t.equal(grandchild.parent_uuid, child.uuid);
    const subAdmin = await userCaller(server, 'sub-admin', ['auth.tenants.#'], child.uuid);
    const bySub = ok<TenantBody>(await sender(server, subAdmin.token)('POST', '/tenants', { body: {} }));
    t.equal(bySub.parent_uuid, child.uuid, 'a sub-tenant user creates under its own tenant');
    const refused = await sender(server, subAdmin.token)('POST', '/tenants', { body: {}, tenant: master });
    t.equal(refused.status, 401);
    t.strictSame(apiError(refused), {
      message: 'Unauthorized tenant',
      error_id: 'unauthorized-tenant',
      details: { tenant_uuid: master },
    });
  });

  t.test('authorization: unknown token, missing ACL', async (t) => {
    const before = await count();
    const anonymous = await sender(server, 'not-a-token')('POST', '/tenants', { body: {} });
    t.equal(anonymous.status, 401);
    t.strictSame(apiError(anonymous), {
      message: 'Unauthorized',
      error_id: 'unauthorized',
      details: {
        invalid_token: 'not-a-token',
        reason: 'not_found_or_expired',
        required_access: 'auth.tenants.create',
      },
    });
    const reader = await userCaller(server, 'reader', ['auth.tenants.read']);
    const res = await sender(server, reader.token)('POST', '/tenants', { body: {} });
    t.equal(res.status, 401);
    t.equal((apiError(res).details as { reason: string }).reason, 'missing_permission_or_invalid_tenant');
    t.equal(await count(), before);
  });

  t.test('body validation: 400 invalid-data naming the first failing field, nothing created', async (t) => {
    const before = await count();
    const cases: [string, unknown, Record<string, unknown>][] = [
      ['name too long', { name: 'n'.repeat(129) }, { name: lengthError(1, 128) }],
      ['empty name', { name: '' }, { name: lengthError(1, 128) }],
      ['name not a string', { name: 5 }, { name: typeError('string', 'Not a valid string.') }],
      ['slug too long', { slug: 'abcdefghijk' }, { slug: lengthError(1, 10) }],
      [
        'slug with a hyphen',
        { slug: 'bad-slug' },
        {
          slug: {
            constraint_id: 'regex',
            constraint: '^[a-zA-Z0-9_]+$',
            message: 'String does not match expected pattern.',
          },
        },
      ],
      ['slug not a string', { slug: [] }, { slug: typeError('string', 'Not a valid string.') }],
      ['uuid not a uuid', { uuid: 'abc' }, { uuid: typeError('uuid', 'Not a valid UUID.') }],
      ['uuid of the wrong type', { uuid: 12 }, { uuid: typeError('uuid', 'Not a valid UUID.') }],
      ['contact not a uuid', { contact: 'bob' }, { contact: typeError('uuid', 'Not a valid UUID.') }],
      ['empty phone', { phone: '' }, { phone: lengthError(1, 32) }],
      ['phone too long', { phone: '1'.repeat(33) }, { phone: lengthError(1, 32) }],
      [
        'null authentication method',
        { default_authentication_method: null },
        { default_authentication_method: NOT_NULL },
      ],
      [
        'authentication method not a string',
        { default_authentication_method: 42 },
        { default_authentication_method: typeError('string', 'Not a valid string.') },
      ],
      ['null domain list', { domain_names: null }, { domain_names: NOT_NULL }],
      ['null address', { address: null }, { address: NOT_NULL }],
      [
        'address field too long',
        { address: { city: 'Springfield', zip_code: '1'.repeat(17) } },
        { address: { zip_code: lengthError(1, 16) } },
      ],
      [
        'address field not a string',
        { address: { line_1: 3 } },
        { address: { line_1: typeError('string', 'Not a valid string.') } },
      ],
      ['a list body', [1], { _schema: { message: 'Invalid input type.' } }],
      ['a string body', '"tenant"', { _schema: { message: 'Invalid input type.' } }],
      [
        'several errors: the first field in schema order',
        { phone: '', name: '' },
        { name: lengthError(1, 128) },
      ],
    ];
    for (const [label, body, details] of cases) {
      const res = await send('POST', '/tenants', { body });
      t.equal(res.status, 400, label);
      const error = apiError(res);
      const first = Object.values(details)[0] as Record<string, unknown>;
      const message = (typeof first.message === 'string' ? first : Object.values(first)[0]) as {
        message: string;
      };
      t.strictSame(
        error,
        { message: message.message, error_id: 'invalid-data', details, resource: 'tenants' },
        label,
      );
    }
    t.equal(await count(), before);
  });

  t.test('domain names: the pattern, non-lists, oversized names', async (t) => {
    const before = await count();
    const rejected = [...INVALID_DOMAINS, '', `${'a'.repeat(250)}.bc.`];
    for (const name of rejected) {
      const res = await send('POST', '/tenants', { body: { domain_names: ['ok.example.com', name] } });
      t.equal(res.status, 400, JSON.stringify(name));
      t.strictSame(res.json<{ details: unknown }>().details, { domain_names: { '1': domainRegexError } });
    }
    for (const value of [true, 'wazo.io', 42, { a: 'wazo.io' }]) {
      const res = await send('POST', '/tenants', { body: { domain_names: value } });
      t.equal(res.status, 400, JSON.stringify(value));
      t.strictSame(apiError(res), {
        message: 'Not a valid list.',
        error_id: 'invalid-data',
        details: { domain_names: typeError('list', 'Not a valid list.') },
        resource: 'tenants',
      });
    }
    const notString = await send('POST', '/tenants', { body: { domain_names: [42] } });
    t.strictSame(notString.json<{ details: unknown }>().details, {
      domain_names: { '0': typeError('string', 'Not a valid string.') },
    });
    t.equal(await count(), before);
    const accepted = await post({
      domain_names: ['wazo.io', 'sub.wazo-platform.org', 'a.b.c.example.com', `${'a'.repeat(249)}.bc.`],
    });
    t.equal(accepted.domain_names.length, 4, 'a 253-character name with its trailing dot fits');
  });

  t.test('an unknown authentication method, checked after the body', async (t) => {
    for (const method of ['foo', 'Native', '']) {
      const res = await send('POST', '/tenants', { body: { default_authentication_method: method } });
      t.equal(res.status, 400);
      t.strictSame(apiError(res), {
        message: `Invalid default authentication method ${method}`,
        error_id: 'invalid-data',
        details: { default_authentication_method: method },
        resource: 'tenants',
      });
    }
    const bodyFirst = await send('POST', '/tenants', {
      body: { default_authentication_method: 'foo', name: '' },
    });
    t.equal(apiError(bodyFirst).message, 'Length must be between 1 and 128.');
  });

  t.test('a broken body: the framework 400', async (t) => {
    for (const body of ['', '{"name": ', 'not json']) {
      const res = await send('POST', '/tenants', { body });
      t.equal(res.status, 400);
      t.strictSame(res.json(), {
        message: 'The browser (or proxy) sent a request that this server could not understand.',
      });
    }
  });

  t.test('an oversized body: 413, nothing created', async (t) => {
    const before = await count();
    const res = await send('POST', '/tenants', { body: { name: 'big', phone: 'x'.repeat(2 * 1024 * 1024) } });
    t.equal(res.status, 413);
    t.strictSame(res.json(), { message: 'The data value transmitted exceeds the capacity limit.' });
    t.equal(await count(), before);
  });

  t.test('conflicts, nothing created', async (t) => {
    const existing = await post({ name: 'taken', slug: 'taken', domain_names: ['taken.example.com'] });
    const before = await count();

    const masterConflict = await send('POST', '/tenants', { body: { uuid: master } });
    t.equal(masterConflict.status, 403);
    t.strictSame(apiError(masterConflict), {
      message: 'Conflict detected',
      error_id: 'conflict',
      details: { parent_uuid: { constraint_id: 'unique', msg: 'A master tenant already exist' } },
      resource: 'tenants',
    });

    const identity = await send('POST', '/tenants', { body: { uuid: existing.uuid } });
    t.equal(identity.status, 409);
    t.strictSame(apiError(identity), {
      message: 'Tenant Conflict detected',
      error_id: 'tenant-identity-conflict',
      details: {
        uuid: {
          constraint_id: 'unique',
          message: `A tenant with identity uuid="${existing.uuid}" already exists`,
        },
      },
      resource: 'tenants',
    });

    const slug = await send('POST', '/tenants', { body: { slug: 'taken' } });
    t.equal(slug.status, 409);
    t.strictSame(apiError(slug), {
      message: 'Conflict detected',
      error_id: 'conflict',
      details: { slug: { constraint_id: 'unique', message: 'The slug "taken" is already used' } },
      resource: 'tenants',
    });
    t.equal(
      (await send('POST', '/tenants', { body: { slug: 'TAKEN' } })).status,
      200,
      'slugs are case-sensitive',
    );

    const domain = await send('POST', '/tenants', {
      body: { domain_names: ['new.example.com', 'taken.example.com', 'new.example.com'] },
    });
    t.equal(domain.status, 409);
    t.strictSame(apiError(domain), domainConflict("['new.example.com', 'taken.example.com']"));
    t.equal(await orm.em.fork().count(TenantDomain, { name: 'new.example.com' }), 0);

    const unknownContact = '6a1d7e58-3d3f-4d7b-8f0e-1f2a3b4c5d6e';
    const contact = await send('POST', '/tenants', { body: { contact: unknownContact } });
    t.equal(contact.status, 404);
    t.strictSame(apiError(contact), unknownError('user', unknownContact));
    t.equal(await count(), before + 1, 'only the TAKEN tenant was created');
  });

  t.test('a new tenant with the stock configuration: its all-users group and nothing else', async (t) => {
    const created = await post({ name: 'fresh' });
    const em = orm.em.fork();
    const groups = await em.find(Group, { tenant: created.uuid }, { populate: ['policies'] });
    t.equal(groups.length, 1);
    const [group] = groups;
    t.equal(group!.name, allUsersGroupName(created.uuid));
    t.equal(group!.slug, allUsersGroupName(created.uuid));
    t.equal(group!.systemManaged, true);
    t.equal(group!.policies.count(), 0);
    t.equal(await em.count(Policy, { tenant: created.uuid }), 0);
    t.equal(await em.count(User, { tenant: created.uuid }), 0);
    t.equal(await em.count(Session, { tenant: created.uuid }), 0);
  });
});

t.test('POST /tenants provisions the configured all-users policies and default groups', async (t) => {
  const server = await startTestApp(t, (config) => {
    config.all_users_policies = {
      'all-users-policy': true,
      'disabled-policy': false,
      'missing-policy': true,
    };
    config.tenant_default_groups = {
      admins: { policies: { 'admin-policy': true, 'disabled-policy': false, 'missing-policy': true } },
      operators: { policies: {} },
    };
  });
  const admin = await adminCaller(server);
  const send = sender(server, admin.token);
  const policy = async (slug: string) =>
    ok<{ uuid: string }>(
      await send('POST', '/policies', { body: { name: slug, slug, acl: [`${slug}.read`] } }),
    ).uuid;
  const allUsersPolicy = await policy('all-users-policy');
  const adminPolicy = await policy('admin-policy');
  await policy('disabled-policy');

  const created = ok<TenantBody>(await send('POST', '/tenants', { body: { name: 'provisioned' } }));
  const em = server.orm.em.fork();
  const groups = await em.find(
    Group,
    { tenant: created.uuid },
    { populate: ['policies'], orderBy: { name: 'asc' } },
  );
  const shape = groups.map((group) => ({
    name: group.name,
    slug: group.slug,
    systemManaged: group.systemManaged,
    policies: group.policies.getItems().map((p) => p.uuid),
  }));
  t.strictSame(shape, [
    { name: 'admins', slug: 'admins', systemManaged: false, policies: [adminPolicy] },
    { name: 'operators', slug: 'operators', systemManaged: false, policies: [] },
    {
      name: allUsersGroupName(created.uuid),
      slug: allUsersGroupName(created.uuid),
      systemManaged: true,
      policies: [allUsersPolicy],
    },
  ]);
  t.equal(await em.count(Policy, { tenant: created.uuid }), 0, 'the policies stay where they are');
  t.ok(
    server.logs.lines.some((line) => line.includes('missing-policy')),
    'a missing policy is logged and skipped',
  );
});
