// PUT /tenants/{uuid} and PUT /tenants/{uuid}/parent/{parent_uuid} (tenants.md §3).
import t from 'tap';
import { Address, Tenant, TenantDomain, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, ok, sender, unknownError, userCaller } from '../helpers/callers.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { domainConflict, EMPTY_ADDRESS, type TenantBody, type TenantList } from './helpers.js';

t.test('PUT /tenants/{uuid}', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const send = sender(server, admin.token);
  const create = async (body: object, tenant?: string) =>
    ok<TenantBody>(await send('POST', '/tenants', { body, ...(tenant ? { tenant } : {}) }));
  const get = async (uuid: string) => ok<TenantBody>(await send('GET', `/tenants/${uuid}`));
  const put = (uuid: string, body: unknown, tenant?: string) =>
    send('PUT', `/tenants/${uuid}`, { body, ...(tenant ? { tenant } : {}) });

  const full = {
    name: 'Full',
    slug: 'full',
    phone: '555-0100',
    domain_names: ['full.example.com'],
    address: { line_1: '1 Main St', city: 'Springfield', country: 'US' },
  };

  t.test('a full replacement: omitted fields are reset, uuid/slug/parent ignored', async (t) => {
    const tenant = await create(full);
    const res = await put(tenant.uuid, {
      name: 'x',
      slug: 'ignored',
      uuid: '5c5e4a3f-1f1f-4e4e-9d9d-0a0b0c0d0e0f',
      parent_uuid: tenant.uuid,
      extra: true,
    });
    const updated = ok<TenantBody>(res);
    t.strictSame(updated, {
      uuid: tenant.uuid,
      parent_uuid: tenant.parent_uuid,
      name: 'x',
      slug: 'full',
      contact: null,
      phone: null,
      default_authentication_method: 'native',
      domain_names: [],
      address: EMPTY_ADDRESS,
    });
    t.strictSame(await get(tenant.uuid), updated, 'a later GET answers the same');
    const em = orm.em.fork();
    t.equal(await em.count(Address, { tenant: tenant.uuid }), 0, 'the all-null address is removed');
    t.equal(await em.count(TenantDomain, { tenant: tenant.uuid }), 0);
  });

  t.test('domains kept keep their uuids; the address row is updated or created', async (t) => {
    const tenant = await create({ ...full, slug: 'doms', domain_names: ['a.example.com', 'b.example.com'] });
    const before = await orm.em.fork().find(TenantDomain, { tenant: tenant.uuid });
    const kept = before.find((domain) => domain.name === 'b.example.com')!.uuid;
    const [address] = await orm.em.fork().find(Address, { tenant: tenant.uuid });
    const updated = ok<TenantBody>(
      await put(tenant.uuid, {
        name: 'Doms',
        phone: '1',
        default_authentication_method: 'ldap',
        domain_names: ['c.example.com', 'b.example.com', 'c.example.com'],
        address: { zip_code: 'H0H 0H0' },
      }),
    );
    t.strictSame(updated.domain_names, ['b.example.com', 'c.example.com']);
    t.strictSame(updated.address, { ...EMPTY_ADDRESS, zip_code: 'H0H 0H0' });
    t.equal(updated.default_authentication_method, 'ldap');
    const after = await orm.em.fork().find(TenantDomain, { tenant: tenant.uuid });
    t.equal(after.find((domain) => domain.name === 'b.example.com')!.uuid, kept);
    t.equal(after.length, 2);
    const rows = await orm.em.fork().find(Address, { tenant: tenant.uuid });
    t.strictSame(
      rows.map((row) => row.id),
      [address!.id],
      'the same address row',
    );
    const bare = await create({ slug: 'bare' });
    const withAddress = ok<TenantBody>(await put(bare.uuid, { address: { state: 'QC' } }));
    t.strictSame(withAddress.address, { ...EMPTY_ADDRESS, state: 'QC' });
    t.equal(await orm.em.fork().count(Address, { tenant: bare.uuid }), 1, 'created');
    t.strictSame(ok(await send('GET', `/tenants/${tenant.uuid}/domains`)), {
      total: 2,
      items: after
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((domain) => ({ name: domain.name, uuid: domain.uuid })),
    });
  });

  t.test('contact: set, unknown (404, nothing changed), nulled when the user goes', async (t) => {
    const tenant = await create({ slug: 'contact', phone: '42' });
    const person = await createUser(orm, { username: 'the-contact' });
    const unknown = '9e3f4c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b';
    const refused = await put(tenant.uuid, { contact: unknown, phone: '43' });
    t.equal(refused.status, 404);
    t.strictSame(apiError(refused), unknownError('user', unknown));
    t.equal((await get(tenant.uuid)).phone, '42', 'nothing changed');
    t.equal(ok<TenantBody>(await put(tenant.uuid, { contact: person })).contact, person);
    await orm.em.fork().nativeDelete(User, { uuid: person });
    t.equal((await get(tenant.uuid)).contact, null);
  });

  t.test('a domain of another tenant: 409, nothing changed', async (t) => {
    const owner = await create({ slug: 'owner', domain_names: ['owned.example.com'] });
    const other = await create({ slug: 'other', name: 'Other', domain_names: ['mine.example.com'] });
    const res = await put(other.uuid, {
      name: 'Renamed',
      domain_names: ['mine.example.com', 'owned.example.com'],
    });
    t.equal(res.status, 409);
    t.strictSame(apiError(res), domainConflict("['mine.example.com', 'owned.example.com']"));
    t.strictSame(await get(other.uuid), other, 'nothing changed');
    t.strictSame((await get(owner.uuid)).domain_names, ['owned.example.com']);
    t.equal((await put(other.uuid, { domain_names: ['mine.example.com'] })).status, 200, 'its own domain');
  });

  t.test('order of checks: body, then authentication method, then visibility', async (t) => {
    const alpha = await create({ slug: 'alpha', name: 'Alpha' });
    const sibling = await create({ slug: 'sibling' });
    const alphaAdmin = await userCaller(server, 'alpha-admin', ['auth.tenants.#'], alpha.uuid);
    const asAlpha = sender(server, alphaAdmin.token);
    const bad = await asAlpha('PUT', `/tenants/${sibling.uuid}`, { body: { phone: '' } });
    t.equal(bad.status, 400, 'the body before visibility');
    t.strictSame(apiError(bad), {
      message: 'Length must be between 1 and 32.',
      error_id: 'invalid-data',
      details: {
        phone: {
          constraint_id: 'length',
          constraint: { min: 1, max: 32 },
          message: 'Length must be between 1 and 32.',
        },
      },
      resource: 'tenants',
    });
    const method = await asAlpha('PUT', `/tenants/${sibling.uuid}`, {
      body: { default_authentication_method: 'kerberos' },
    });
    t.equal(method.status, 400);
    t.strictSame(apiError(method), {
      message: 'Invalid default authentication method kerberos',
      error_id: 'invalid-data',
      details: { default_authentication_method: 'kerberos' },
      resource: 'tenants',
    });
    const hidden = await asAlpha('PUT', `/tenants/${sibling.uuid}`, { body: { name: 'mine now' } });
    t.equal(hidden.status, 404);
    t.strictSame(apiError(hidden), unknownError('tenant', sibling.uuid));
    t.equal((await get(sibling.uuid)).name, null, 'nothing changed');
    t.equal(
      ok<TenantBody>(await asAlpha('PUT', `/tenants/${alpha.uuid}`, { body: { name: 'Own' } })).name,
      'Own',
    );
    const unknown = '3f2e1d0c-5b4a-4987-a6b5-c4d3e2f1a0b9';
    t.equal((await put(unknown, {})).status, 404);
    const broken = await put(alpha.uuid, '{');
    t.equal(broken.status, 400);
    t.strictSame(broken.json(), {
      message: 'The browser (or proxy) sent a request that this server could not understand.',
    });
    const reader = await userCaller(server, 'reader', ['auth.tenants.*.read']);
    const denied = await sender(server, reader.token)('PUT', `/tenants/${alpha.uuid}`, { body: {} });
    t.equal(denied.status, 401);
    t.equal(
      (apiError(denied).details as { required_access: string }).required_access,
      `auth.tenants.${alpha.uuid}.update`,
    );
  });

  t.test('bad input changes nothing', async (t) => {
    const tenant = await create({ ...full, slug: 'stable', domain_names: ['stable.example.com'] });
    const cases: unknown[] = [
      { name: 'n'.repeat(129) },
      { name: 3 },
      { contact: 'not-a-uuid' },
      { phone: 'p'.repeat(33) },
      { domain_names: ['ok.example.com', 'not a domain'] },
      { domain_names: 'stable.example.com' },
      { address: { line_2: 'l'.repeat(257) } },
      { address: 'somewhere' },
      { default_authentication_method: null },
      [{ name: 'x' }],
    ];
    for (const body of cases) {
      const res = await put(tenant.uuid, body);
      t.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
      t.equal(apiError(res).error_id, 'invalid-data');
    }
    t.strictSame(await get(tenant.uuid), tenant);
  });
});

t.test('PUT /tenants/{uuid}/parent/{parent_uuid}', async (t) => {
  const server = await startTestApp(t);
  const admin = await adminCaller(server);
  const send = sender(server, admin.token);
  const master = await masterUuid(server.orm);
  const create = async (slug: string, parent?: string) =>
    ok<TenantBody>(
      await send('POST', '/tenants', { body: { slug, name: slug }, ...(parent ? { tenant: parent } : {}) }),
    ).uuid;
  // master ─┬─ a ─── a1 ─── a11
  //         └─ b
  const a = await create('a');
  const a1 = await create('a1', a);
  const a11 = await create('a11', a1);
  const b = await create('b');
  const aAdmin = await userCaller(server, 'a-admin', ['auth.tenants.#'], a);
  const asA = sender(server, aAdmin.token);
  const slugs = async (caller = send, tenant?: string) =>
    ok<TenantList>(await caller('GET', '/tenants', tenant ? { tenant } : {}))
      .items.map((item) => item.slug)
      .sort();
  const parentOf = async (uuid: string) =>
    (await server.orm.em.fork().findOneOrFail(Tenant, { uuid })).parent.uuid;

  t.test('cycles: under itself, under a descendant, the master anywhere', async (t) => {
    for (const [tenant, parent] of [
      [a, a],
      [a, a1],
      [a, a11],
      [master, b],
    ] as const) {
      const res = await send('PUT', `/tenants/${tenant}/parent/${parent}`);
      t.equal(res.status, 409);
      t.strictSame(apiError(res), {
        message: `Parent (${parent}) is a descendent of tenant: "${tenant}"`,
        error_id: 'conflict',
        details: { uuid: tenant, parent_uuid: parent },
        resource: 'tenants',
      });
    }
    t.equal(await parentOf(a), master);
    t.equal(await parentOf(master), master);
  });

  t.test('visibility of the tenant, then of the parent', async (t) => {
    const hiddenTenant = await asA('PUT', `/tenants/${b}/parent/${a}`);
    t.equal(hiddenTenant.status, 404);
    t.strictSame(apiError(hiddenTenant).details, { uuid: b });
    const hiddenParent = await asA('PUT', `/tenants/${a11}/parent/${b}`);
    t.equal(hiddenParent.status, 404);
    t.strictSame(apiError(hiddenParent), unknownError('tenant', b));
    const unknown = '7d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
    t.strictSame(apiError(await send('PUT', `/tenants/${unknown}/parent/${a}`)).details, { uuid: unknown });
    t.strictSame(apiError(await send('PUT', `/tenants/${a}/parent/${unknown}`)).details, { uuid: unknown });
    t.equal(await parentOf(a11), a1);
    const denied = await sender(server, (await userCaller(server, 'nobody', ['auth.tenants.read'])).token)(
      'PUT',
      `/tenants/${a11}/parent/${a}`,
    );
    t.equal(denied.status, 401);
    t.equal(
      (apiError(denied).details as { required_access: string }).required_access,
      `auth.tenants.${a11}.parent.${a}.update`,
    );
  });

  t.test('a move: the subtree follows, listed under its new parent only', async (t) => {
    t.strictSame(await slugs(asA), ['a', 'a1', 'a11']);
    t.equal((await asA('PUT', `/tenants/${a11}/parent/${a}`)).status, 204, 'within the caller’s tree');
    t.equal(await parentOf(a11), a);
    const moved = await send('PUT', `/tenants/${a1}/parent/${b}`);
    t.equal(moved.status, 204);
    t.equal(moved.text, '');
    t.equal(await parentOf(a1), b);
    t.strictSame(await slugs(asA), ['a', 'a11']);
    t.strictSame(await slugs(send, b), ['a1', 'b']);
    t.equal((await asA('GET', `/tenants/${a1}`)).status, 404);
    t.equal((await send('PUT', `/tenants/${b}/parent/${a11}`)).status, 204, 'b (with a1) under a11');
    t.strictSame(await slugs(asA), ['a', 'a1', 'a11', 'b']);
    t.equal((await send('PUT', `/tenants/${a}/parent/${a1}`)).status, 409, 'a1 is now a descendant of a');
  });
});
