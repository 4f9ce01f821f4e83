// DELETE /tenants/{uuid} (tenants.md §3, conventions.md §6.5, database.md cascade summary).
import t from 'tap';
import {
  Address,
  Email,
  Group,
  Policy,
  RefreshToken,
  Session,
  Tenant,
  TenantDomain,
  Token,
  User,
} from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import {
  adminCaller,
  apiError,
  legacyError,
  ok,
  sender,
  unknownError,
  userCaller,
} from '../helpers/callers.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';
import type { TenantBody } from './helpers.js';

t.test('DELETE /tenants/{uuid}', async (t) => {
  const server = await startTestApp(t);
  const { orm } = server;
  const admin = await adminCaller(server);
  const send = sender(server, admin.token);
  const master = await masterUuid(orm);
  const create = async (body: object, tenant?: string) =>
    ok<TenantBody>(await send('POST', '/tenants', { body, ...(tenant ? { tenant } : {}) })).uuid;
  const exists = async (uuid: string) => (await orm.em.fork().count(Tenant, { uuid })) === 1;

  t.test('its own scoping tenant: 403, with or without Wazo-Tenant', async (t) => {
    const own = await send('DELETE', `/tenants/${master}`);
    t.equal(own.status, 403);
    t.strictSame(apiError(own), {
      message: `Deleting its own tenant is forbidden: "${master}"`,
      error_id: 'deleting-own-tenant-forbidden',
      details: { tenant_uuid: master },
      resource: 'tenants',
    });
    const alpha = await create({ slug: 'own' });
    const viaHeader = await send('DELETE', `/tenants/${alpha}`, { tenant: alpha });
    t.equal(viaHeader.status, 403);
    t.strictSame(apiError(viaHeader).details, { tenant_uuid: alpha });
    const alphaAdmin = await userCaller(server, 'own-admin', ['auth.tenants.#'], alpha);
    const byItsUser = await sender(server, alphaAdmin.token)('DELETE', `/tenants/${alpha}`);
    t.equal(byItsUser.status, 403);
    t.ok(await exists(alpha));
    t.ok(await exists(master));
  });

  t.test('not visible or unknown: 404', async (t) => {
    const alpha = await create({ slug: 'alpha' });
    const sibling = await create({ slug: 'sibling' });
    const alphaAdmin = await userCaller(server, 'alpha-admin', ['auth.tenants.#'], alpha);
    const asAlpha = sender(server, alphaAdmin.token);
    for (const target of [sibling, master]) {
      const res = await asAlpha('DELETE', `/tenants/${target}`);
      t.equal(res.status, 404);
      t.strictSame(apiError(res), unknownError('tenant', target));
    }
    t.equal((await send('DELETE', '/tenants/0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f')).status, 404);
    t.ok(await exists(sibling));
    const child = await create({ slug: 'child' }, alpha);
    t.equal(
      (await asAlpha('DELETE', `/tenants/${child}`)).status,
      204,
      'a sub-tenant admin deletes its child',
    );
    const nobody = await userCaller(server, 'nobody', ['auth.tenants.read']);
    const denied = await sender(server, nobody.token)('DELETE', `/tenants/${sibling}`);
    t.equal(denied.status, 401);
    t.equal(
      (apiError(denied).details as { required_access: string }).required_access,
      `auth.tenants.${sibling}.delete`,
    );
  });

  t.test('with children: the malformed 400, the tenant kept', async (t) => {
    const parent = await create({ slug: 'parent' });
    const child = await create({ slug: 'kid' }, parent);
    const res = await send('DELETE', `/tenants/${parent}`);
    t.equal(res.status, 400);
    const body = res.json<Record<string, unknown>>();
    t.strictSame(Object.keys(body), ['message', 'error_id', 'details', 'timestamp']);
    t.type(body.timestamp, 'number');
    t.strictSame(apiError(res), {
      message: `Unauthorized delete of tenant : "${parent}" ; since it has at least one child`,
      error_id: { uuid: parent },
      details: 'tenants',
    });
    t.ok(await exists(parent));
    t.equal((await send('DELETE', `/tenants/${child}`)).status, 204);
    t.equal((await send('DELETE', `/tenants/${parent}`)).status, 204, 'once childless');
  });

  t.test('the cascade: users, groups, policies, sessions and tokens, at once', async (t) => {
    const doomed = await create({
      name: 'Doomed',
      slug: 'doomed',
      domain_names: ['doomed.example.com'],
      address: { city: 'Pompeii' },
    });
    const survivor = await create({ slug: 'survivor' });

    // A user of the tenant, logged in, with a refresh token and an address.
    const victim = {
      uuid: await createUser(orm, {
        username: 'victim',
        password: 'pw',
        acl: ['auth.tenants.read'],
        tenant: doomed,
        email: { address: 'victim@doomed.example.com', confirmed: true },
      }),
      token: (await tokenFor(server, 'victim', 'pw')).token,
    };
    const offline = await tokenFor(server, 'victim', 'pw', { access_type: 'offline', client_id: 'app' });
    // An API user of the tenant, and a policy of the tenant held by a master user.
    const apiUser = ok<{ uuid: string }>(
      await send('POST', '/users', { body: { username: 'api' }, tenant: doomed }),
    );
    const policy = ok<{ uuid: string }>(
      await send('POST', '/policies', { body: { name: 'doomed-policy', acl: ['x.y'] }, tenant: doomed }),
    );
    const keeper = await userCaller(server, 'keeper', []);
    t.equal((await send('PUT', `/users/${keeper.uuid}/policies/${policy.uuid}`)).status, 204);
    // Another tenant whose contact is a user of the doomed one.
    t.equal((await send('PUT', `/tenants/${survivor}`, { body: { contact: victim.uuid } })).status, 200);

    for (const token of [victim.token, offline.token]) {
      t.equal((await server.call({ path: `/0.1/token/${token}` })).status, 200, 'live (and cached) before');
    }
    const em = orm.em.fork();
    const sessions = await em.find(Session, { tenant: doomed });
    t.equal(sessions.length, 2);

    const res = await send('DELETE', `/tenants/${doomed}`);
    t.equal(res.status, 204);
    t.equal(res.text, '');

    for (const token of [victim.token, offline.token]) {
      const gone = await server.call({ path: `/0.1/token/${token}` });
      t.equal(gone.status, 404, 'the tokens are gone right away, from memory too');
      t.strictSame(legacyError(gone), { reason: 'No such token', status_code: 404 });
      t.equal((await server.call({ method: 'HEAD', path: `/0.1/token/${token}` })).status, 404);
    }
    const withOldToken = await sender(server, victim.token)('GET', '/tenants');
    t.equal(withOldToken.status, 401);
    t.equal((apiError(withOldToken).details as { reason: string }).reason, 'not_found_or_expired');

    for (const user of [victim.uuid, apiUser.uuid]) {
      const lookup = await send('GET', `/users/${user}`);
      t.equal(lookup.status, 404);
      t.equal(apiError(lookup).error_id, 'unknown-user');
    }
    const policyLookup = await send('GET', `/policies/${policy.uuid}`);
    t.equal(policyLookup.status, 404);
    t.strictSame(legacyError(policyLookup), {
      reason: `No such policy {'uuid': '${policy.uuid}'}`,
      status_code: 404,
    });
    for (const method of ['GET', 'DELETE']) {
      const again = await send(method, `/tenants/${doomed}`);
      t.equal(again.status, 404, `${method} afterwards`);
      t.equal(apiError(again).error_id, 'unknown-tenant');
    }
    t.equal((await send('GET', `/tenants/${doomed}/domains`)).status, 404);
    t.equal(
      ok<TenantBody>(await send('GET', `/tenants/${survivor}`)).contact,
      null,
      'contacts elsewhere nulled',
    );

    const after = orm.em.fork();
    t.strictSame(
      {
        users: await after.count(User, { tenant: doomed }),
        emails: await after.count(Email, { user: victim.uuid }),
        groups: await after.count(Group, { tenant: doomed }),
        policies: await after.count(Policy, { tenant: doomed }),
        sessions: await after.count(Session, { tenant: doomed }),
        tokens: await after.count(Token, { session: { $in: sessions.map((s) => s.uuid) } }),
        refreshTokens: await after.count(RefreshToken, { user: victim.uuid }),
        domains: await after.count(TenantDomain, { tenant: doomed }),
        addresses: await after.count(Address, { tenant: doomed }),
      },
      {
        users: 0,
        emails: 0,
        groups: 0,
        policies: 0,
        sessions: 0,
        tokens: 0,
        refreshTokens: 0,
        domains: 0,
        addresses: 0,
      },
    );
    t.equal(
      (await after.findOneOrFail(User, { uuid: keeper.uuid }, { populate: ['policies'] })).policies.count(),
      1,
    );
    t.equal((await server.call({ path: `/0.1/token/${keeper.token}` })).status, 200, 'other tokens live on');
    t.equal((await server.call({ path: `/0.1/token/${admin.token}` })).status, 200);
  });
});
