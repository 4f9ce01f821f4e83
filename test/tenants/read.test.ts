// GET /tenants, GET /tenants/{uuid}, GET /tenants/{uuid}/domains (tenants.md §3, conventions.md §3, §5).
import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, ok, sender, unknownError, userCaller } from '../helpers/callers.js';
import { masterUuid } from '../helpers/fixtures.js';
import { TENANT_KEYS, type TenantBody, type TenantList } from './helpers.js';

const READ = ['auth.tenants.#'];

t.test('tenants: list and read, seen from every level of the tree', async (t) => {
  const server = await startTestApp(t);
  const admin = await adminCaller(server);
  const send = sender(server, admin.token);
  const master = await masterUuid(server.orm);
  const create = async (body: object, tenant?: string) =>
    ok<TenantBody>(await send('POST', '/tenants', { body, ...(tenant ? { tenant } : {}) }));

  // master ─┬─ alpha ─┬─ alpha1
  //         │         └─ alpha2
  //         └─ beta
  const alpha = await create({ name: 'Alpha', slug: 'alpha', domain_names: ['alpha.example.com'] });
  const alpha1 = await create(
    { name: 'Alpha One', slug: 'a1', domain_names: ['one.alpha.example.com'] },
    alpha.uuid,
  );
  const alpha2 = await create({ name: 'Alpha Two', slug: 'a2' }, alpha.uuid);
  const beta = await create({
    name: 'Beta',
    slug: 'beta',
    domain_names: ['beta.example.org', 'b.example.net'],
  });
  const names: Record<string, string> = {
    [master]: 'master',
    [alpha.uuid]: 'alpha',
    [alpha1.uuid]: 'alpha1',
    [alpha2.uuid]: 'alpha2',
    [beta.uuid]: 'beta',
  };

  const tenantAdmin = await userCaller(server, 'alpha-admin', READ, alpha.uuid);
  const subAdmin = await userCaller(server, 'alpha1-admin', READ, alpha1.uuid);
  const plainUser = await userCaller(server, 'alpha-user', ['auth.users.me.read'], alpha.uuid);
  const callers = {
    'master admin': sender(server, admin.token),
    'tenant admin': sender(server, tenantAdmin.token),
    'sub-tenant admin': sender(server, subAdmin.token),
  };

  const listed = async (caller: (typeof callers)[keyof typeof callers], query = '', tenant?: string) => {
    const body = ok<TenantList>(await caller('GET', `/tenants${query}`, tenant ? { tenant } : {}));
    return body.items.map((item) => names[item.uuid] ?? item.uuid);
  };

  t.test('the visibility matrix: own, child, sibling, parent', async (t) => {
    const expected: Record<keyof typeof callers, Record<string, number>> = {
      'master admin': { master: 200, alpha: 200, alpha1: 200, alpha2: 200, beta: 200 },
      'tenant admin': { master: 404, alpha: 200, alpha1: 200, alpha2: 200, beta: 404 },
      'sub-tenant admin': { master: 404, alpha: 404, alpha1: 200, alpha2: 404, beta: 404 },
    };
    for (const [who, caller] of Object.entries(callers) as [
      keyof typeof callers,
      (typeof callers)['master admin'],
    ][]) {
      for (const [uuid, name] of Object.entries(names)) {
        const res = await caller('GET', `/tenants/${uuid}`);
        t.equal(res.status, expected[who][name], `${who} reads ${name}`);
        if (res.status === 404) {
          t.strictSame(apiError(res), unknownError('tenant', uuid));
        }
      }
    }
    t.strictSame(await listed(callers['master admin']), ['alpha', 'alpha1', 'alpha2', 'beta', 'master']);
    t.strictSame(await listed(callers['tenant admin']), ['alpha', 'alpha1', 'alpha2']);
    t.strictSame(await listed(callers['sub-tenant admin']), ['alpha1']);

    const plain = sender(server, plainUser.token);
    for (const path of ['/tenants', `/tenants/${alpha.uuid}`, `/tenants/${alpha.uuid}/domains`]) {
      const res = await plain('GET', path);
      t.equal(res.status, 401, `a plain user: ${path}`);
      t.equal((apiError(res).details as { reason: string }).reason, 'missing_permission_or_invalid_tenant');
    }
  });

  t.test('Wazo-Tenant narrows the view; an invisible one is 401', async (t) => {
    t.strictSame(await listed(callers['master admin'], '', alpha.uuid), ['alpha', 'alpha1', 'alpha2']);
    t.equal((await send('GET', `/tenants/${master}`, { tenant: alpha.uuid })).status, 404);
    t.equal((await send('GET', `/tenants/${alpha1.uuid}`, { tenant: alpha.uuid })).status, 200);
    t.strictSame(await listed(callers['tenant admin'], '', alpha1.uuid), ['alpha1']);
    for (const tenant of [beta.uuid, master, 'garbage']) {
      const res = await callers['tenant admin']('GET', '/tenants', { tenant });
      t.equal(res.status, 401);
      t.strictSame(apiError(res), {
        message: 'Unauthorized tenant',
        error_id: 'unauthorized-tenant',
        details: { tenant_uuid: tenant },
      });
    }
  });

  t.test('one tenant; the master is its own parent', async (t) => {
    const got = ok<TenantBody>(await send('GET', `/tenants/${master}`));
    t.strictSame(Object.keys(got), TENANT_KEYS);
    t.match(got, { uuid: master, parent_uuid: master, name: 'master', slug: 'master' });
    t.equal(got.default_authentication_method, 'native');
    t.strictSame(ok(await send('GET', `/tenants/${alpha1.uuid.toUpperCase()}`)), alpha1, 'upper-case uuid');
    const unknown = '0b0e5f84-4e43-4b68-9a4f-5a7d2b5d8e21';
    t.equal((await send('GET', `/tenants/${unknown}`)).status, 404);
    const notUuid = await send('GET', '/tenants/not-a-uuid');
    t.equal(notUuid.status, 404);
    t.match(notUuid.headers['content-type'], /^text\/html/);
  });

  t.test('the list: shape, sorting, paging; recurse ignored', async (t) => {
    const body = ok<TenantList>(await send('GET', '/tenants'));
    t.strictSame(Object.keys(body), ['total', 'filtered', 'items']);
    t.equal(body.total, 5);
    t.equal(body.filtered, 5);
    t.strictSame(
      body.items.find((item) => item.uuid === beta.uuid),
      ok(await send('GET', `/tenants/${beta.uuid}`)),
      'an item is the tenant object',
    );
    const master_ = (q: string) => listed(callers['master admin'], q);
    t.strictSame(await master_('?order=slug'), ['alpha1', 'alpha2', 'alpha', 'beta', 'master']);
    t.strictSame(await master_('?order=slug&direction=desc'), [
      'master',
      'beta',
      'alpha',
      'alpha2',
      'alpha1',
    ]);
    t.strictSame(await master_('?limit=2&offset=1'), ['alpha1', 'alpha2']);
    t.strictSame(await master_('?limit=0'), []);
    const paged = ok<TenantList>(await send('GET', '/tenants?limit=1'));
    t.equal(paged.total, 5);
    t.equal(paged.filtered, 5, 'counts ignore paging');
    t.strictSame(await listed(callers['tenant admin'], '?recurse=false'), ['alpha', 'alpha1', 'alpha2']);
    t.strictSame(await listed(callers['tenant admin'], '?recurse=true'), ['alpha', 'alpha1', 'alpha2']);
  });

  t.test('search on name, slug and domains; exact filters', async (t) => {
    const found = async (query: string) => {
      const res = ok<TenantList>(await send('GET', `/tenants?${query}`));
      t.equal(res.total, 5, `${query}: total ignores filters`);
      t.equal(res.filtered, res.items.length);
      return res.items.map((item) => names[item.uuid]);
    };
    t.strictSame(await found('search=ALPHA'), ['alpha', 'alpha1', 'alpha2'], 'case-insensitive, name');
    t.strictSame(await found('search=a1'), ['alpha1'], 'slug');
    t.strictSame(await found('search=example.net'), ['beta'], 'any domain');
    t.strictSame(await found('search=al%20TWO'), ['alpha2'], 'words joined by %');
    t.strictSame(await found('search=nothing'), []);
    t.strictSame(await found(`uuid=${beta.uuid}`), ['beta']);
    t.strictSame(await found(`uuids=${beta.uuid}&uuids=${alpha1.uuid}`), ['alpha1', 'beta']);
    t.strictSame(await found('name=Alpha%20Two'), ['alpha2']);
    t.strictSame(await found('name=alpha%20two'), [], 'exact filters are case-sensitive');
    t.strictSame(await found('slug=beta'), ['beta']);
    t.strictSame(await found('domain_name=b.example.net'), ['beta']);
    t.strictSame(await found('domain_name=example.net'), []);
    t.strictSame(await found(`uuids=${alpha.uuid}&uuids=${alpha1.uuid}&search=one`), ['alpha1'], 'combined');
    t.strictSame(
      await listed(callers['tenant admin'], `?uuids=${beta.uuid}&uuids=${alpha2.uuid}`),
      ['alpha2'],
      'filters never widen the visible tenants',
    );
  });

  t.test('bad list parameters: 400 invalid-list-param', async (t) => {
    const many = Array.from({ length: 26 }, (_, i) => `uuids=${i}`).join('&');
    const tooMany = await send('GET', `/tenants?${many}`);
    t.equal(tooMany.status, 400);
    t.strictSame(apiError(tooMany), {
      message: {
        uuids: [
          {
            constraint_id: 'length',
            constraint: { min: null, max: 25 },
            message: 'Longer than maximum length 25.',
          },
        ],
      },
      error_id: 'invalid-list-param',
      details: {},
      resource: 'users',
    });
    const max = Array.from({ length: 25 }, (_, i) => `uuids=${i}`).join('&');
    t.equal((await send('GET', `/tenants?${max}`)).status, 200, '25 values are accepted');
    const order = await send('GET', '/tenants?order=uuid');
    t.equal(order.status, 400);
    t.strictSame(apiError(order).message, {
      order: [
        {
          constraint_id: 'enum',
          constraint: { choices: ['name', 'slug'] },
          message: 'Must be one of: name, slug.',
        },
      ],
    });
    for (const query of ['limit=abc', 'offset=-1', 'direction=up', 'recurse=perhaps']) {
      const res = await send('GET', `/tenants?${query}`);
      t.equal(res.status, 400, query);
      t.equal(apiError(res).error_id, 'invalid-list-param');
    }
  });

  t.test('GET /tenants/{uuid}/domains: a tenant of the caller’s subtree (upstream: any)', async (t) => {
    const domains = ok<{ total: number; items: { name: string; uuid: string }[] }>(
      await send('GET', `/tenants/${beta.uuid}/domains`),
    );
    t.equal(domains.total, 2);
    t.strictSame(
      domains.items.map((item) => Object.keys(item)),
      [
        ['name', 'uuid'],
        ['name', 'uuid'],
      ],
    );
    t.strictSame(domains.items.map((item) => item.name).sort(), ['b.example.net', 'beta.example.org']);
    for (const item of domains.items) t.match(item.uuid, /^[0-9a-f-]{36}$/);
    t.strictSame(
      ok(await send('GET', `/tenants/${alpha2.uuid}/domains`)),
      { total: 0, items: [] },
      'a tenant without domains',
    );
    const sub = callers['sub-tenant admin'];
    t.strictSame(
      apiError(await sub('GET', `/tenants/${beta.uuid}/domains`)),
      unknownError('tenant', beta.uuid),
      'outside the caller’s tree: unknown (ours; upstream answers)',
    );
    t.equal((await sub('GET', `/tenants/${alpha1.uuid}/domains`)).status, 200, 'its own tenant');
    t.equal((await sub('GET', `/tenants/${alpha.uuid}/domains`)).status, 404, 'its parent');
    const unknown = 'c1b8a8a4-6f4b-4f7e-8d65-3f1f4c7a9e10';
    const res = await send('GET', `/tenants/${unknown}/domains`);
    t.equal(res.status, 404);
    t.strictSame(apiError(res), unknownError('tenant', unknown));
  });

  t.test('HEAD and a wrong method', async (t) => {
    t.equal((await send('HEAD', '/tenants')).status, 200);
    const patch = await send('PATCH', `/tenants/${alpha.uuid}`);
    t.equal(patch.status, 405);
    t.equal(patch.headers.allow, 'GET, HEAD, PUT, DELETE, OPTIONS');
  });
});
