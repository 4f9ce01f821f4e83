// Deliberate differences from upstream (issue #18, items 2 and 7): a password reset by an API token reaches
// only the users of the caller's tenant subtree; credentials end with the credential (a password changed or
// reset ends the refresh tokens, a deleted user's tokens and a deleted refresh token's minted tokens end).
import t from 'tap';
import { RefreshToken, Session, Token, User } from '../../src/entities/index.js';
import { expectNoServerError } from '../groups/support.js';
import { JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, caller, unknownError, userCaller } from '../helpers/callers.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { attemptLogin, tokenFor } from '../helpers/tokens.js';

t.test('credentials end with the credential', async (t) => {
  const sink = await startSmtpSink(t);
  const server = await startTestApp(t, (config) => {
    config.smtp.hostname = '127.0.0.1';
    config.smtp.port = sink.port;
  });
  const { orm } = server;
  const admin = await adminCaller(server);
  const child = await createTenant(orm, 'child');
  const grandchild = await createTenant(orm, 'grandchild', child);
  const sibling = await createTenant(orm, 'sibling');
  // A sub-tenant administrator: every auth ACL, but only its tenant subtree.
  const subAdmin = await userCaller(server, 'sub-admin', ['auth.#'], child);

  const status = async (token: string) => (await server.call({ path: `/0.1/token/${token}` })).status;
  const refresh = (refreshToken: string, clientId: string) =>
    server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: refreshToken, client_id: clientId }),
    });
  const reset = (user: string, token: string, password: string | null) =>
    server.call({
      method: 'POST',
      path: `/0.1/users/password/reset?user_uuid=${user}`,
      headers: { ...JSON_HEADERS, 'X-Auth-Token': token },
      body: JSON.stringify({ password }),
    });
  const offline = (username: string, password: string, clientId: string) =>
    tokenFor(server, username, password, { access_type: 'offline', client_id: clientId });
  const hashOf = async (uuid: string) => (await orm.em.fork().findOneOrFail(User, { uuid })).passwordHash;

  await t.test('reset by an API token: only users of the caller’s tenant subtree', async (t) => {
    const adminHash = await hashOf(admin.uuid);
    const takeover = await reset(admin.uuid, subAdmin.token, 'owned');
    t.equal(takeover.status, 404, "a sub-tenant `auth.#` cannot reset the master admin's password");
    t.same(apiError(takeover), unknownError('user', admin.uuid));
    t.equal(await hashOf(admin.uuid), adminHash, 'the password is untouched');
    t.equal(await status(admin.token), 200, "the master admin's session stays");
    t.equal((await attemptLogin(server, 'admin', 'owned')).status, 401);

    const outsider = await createUser(orm, { username: 'outsider', password: 'pw', tenant: sibling });
    t.equal((await reset(outsider, subAdmin.token, 'x')).status, 404, 'a sibling tenant is out of reach');
    const unknown = '00000000-0000-4000-8000-000000000000';
    t.equal((await reset(unknown, subAdmin.token, 'x')).status, 404);

    const below = await createUser(orm, { username: 'below', password: 'pw', tenant: grandchild });
    t.equal((await reset(below, subAdmin.token, 'from-child')).status, 204, 'a user below is reachable');
    t.equal((await attemptLogin(server, 'below', 'from-child')).status, 200);
    t.equal((await reset(outsider, admin.token, 'from-master')).status, 204, 'the master admin reaches all');
    t.equal((await attemptLogin(server, 'outsider', 'from-master')).status, 200);

    const self = await userCaller(server, 'self', ['auth.users.password.reset.#'], sibling);
    t.equal((await reset(self.uuid, self.token, 'mine')).status, 204, 'a user acting on itself');
    t.equal((await attemptLogin(server, 'self', 'mine')).status, 200);
  });

  await t.test('the mailed reset token still names its own user, whatever its tenant', async (t) => {
    await createUser(orm, {
      username: 'mailed',
      password: 'pw',
      tenant: grandchild,
      email: { address: 'mailed@example.com', confirmed: true },
    });
    t.equal((await server.call({ path: '/0.1/users/password/reset?username=mailed' })).status, 204);
    const link = new URL(/https:\/\/\S+/.exec((await sink.next()).text)![0]);
    const token = link.searchParams.get('token')!;
    const user = link.searchParams.get('user_uuid')!;
    t.equal((await reset(user, token, 'by-mail')).status, 204);
    t.equal((await attemptLogin(server, 'mailed', 'by-mail')).status, 200);
  });

  await t.test('a password change ends the refresh tokens; another user’s stay', async (t) => {
    const dora = await createUser(orm, { username: 'dora', password: 'old', acl: ['x'], tenant: child });
    await createUser(orm, { username: 'eve', password: 'pw', acl: ['x'], tenant: child });
    const doras = await offline('dora', 'old', 'desk');
    const minted = (await refresh(doras.refresh_token!, 'desk')).json<{ data: { token: string } }>().data;
    const eves = await offline('eve', 'pw', 'desk');
    const res = await admin.put(`/users/${dora}/password`, undefined, {
      old_password: 'old',
      new_password: 'new',
    });
    t.equal(res.status, 204);
    t.equal((await refresh(doras.refresh_token!, 'desk')).status, 401, 'the old refresh token is refused');
    t.equal(await orm.em.fork().count(RefreshToken, { user: dora }), 0);
    t.equal(await status(doras.token), 404);
    t.equal(await status(minted.token), 404, 'what it minted is gone');
    t.equal(await status(eves.token), 200, "another user's token stays");
    t.equal((await refresh(eves.refresh_token!, 'desk')).status, 200, 'and so does its refresh token');
    const again = await offline('dora', 'new', 'desk');
    t.equal((await refresh(again.refresh_token!, 'desk')).status, 200, 'a new one works');
  });

  await t.test('a password reset ends the refresh tokens, by an API token or the mailed one', async (t) => {
    const fay = await createUser(orm, {
      username: 'fay',
      password: 'old',
      acl: ['x'],
      tenant: grandchild,
      email: { address: 'fay@example.com', confirmed: true },
    });
    const first = await offline('fay', 'old', 'desk');
    t.equal((await reset(fay, subAdmin.token, 'second')).status, 204);
    t.equal((await refresh(first.refresh_token!, 'desk')).status, 401, 'refused after a reset');
    t.equal(await status(first.token), 404);

    const second = await offline('fay', 'second', 'phone');
    t.equal((await server.call({ path: '/0.1/users/password/reset?username=fay' })).status, 204);
    const token = new URL(/https:\/\/\S+/.exec((await sink.next()).text)![0]).searchParams.get('token')!;
    t.equal((await reset(fay, token, null)).status, 204, 'a null password: removed');
    t.equal((await refresh(second.refresh_token!, 'phone')).status, 401, 'refused after a mailed reset');
    t.equal(await orm.em.fork().count(RefreshToken, { user: fay }), 0);
  });

  await t.test("a deleted user's tokens answer 404 at once; another user's stay", async (t) => {
    const gone = await createUser(orm, { username: 'gone', password: 'pw', acl: ['x'], tenant: child });
    const online = await tokenFor(server, 'gone', 'pw');
    const off = await offline('gone', 'pw', 'desk');
    const minted = (await refresh(off.refresh_token!, 'desk')).json<{ data: { token: string } }>().data;
    for (const token of [online.token, off.token, minted.token]) t.equal(await status(token), 200);
    const res = await subAdmin.delete(`/users/${gone}`);
    t.equal(res.status, 204);
    for (const token of [online.token, off.token, minted.token]) t.equal(await status(token), 404);
    t.equal(await orm.em.fork().count(Token, { authId: gone }), 0, 'the rows are gone too');
    t.equal((await refresh(off.refresh_token!, 'desk')).status, 401);
    t.equal(await status(subAdmin.token), 200, "the caller's token stays");
    t.equal(await status(admin.token), 200);
  });

  await t.test('deleting a refresh token revokes the access tokens minted from it', async (t) => {
    const hal = await createUser(orm, {
      username: 'hal',
      password: 'pw',
      acl: ['auth.users.me.tokens.#'],
      tenant: child,
    });
    const phone = await offline('hal', 'pw', 'phone');
    const renewed = (await refresh(phone.refresh_token!, 'phone')).json<{ data: { token: string } }>().data;
    const desk = await offline('hal', 'pw', 'desk');
    const online = await tokenFor(server, 'hal', 'pw');
    const sessions = await orm.em.fork().count(Session);

    const mine = await caller(server, online.token).delete('/users/me/tokens/phone');
    t.equal(mine.status, 204, 'DELETE /users/me/tokens/{client_id}');
    t.equal(await status(phone.token), 404, 'the offline login’s token is revoked');
    t.equal(await status(renewed.token), 404, 'a token renewed from it too');
    t.equal((await refresh(phone.refresh_token!, 'phone')).status, 401);
    t.equal(await status(desk.token), 200, "another client's token stays");
    t.equal(await status(online.token), 200, 'an online token stays');
    t.equal(await orm.em.fork().count(Session), sessions - 2, 'their sessions are deleted');

    const byAdmin = await subAdmin.delete(`/users/${hal}/tokens/desk`);
    t.equal(byAdmin.status, 204, 'DELETE /users/{user_uuid}/tokens/{client_id}');
    t.equal(await status(desk.token), 404);
    t.equal(await status(online.token), 200);
    t.equal((await subAdmin.delete(`/users/${hal}/tokens/desk`)).status, 404, 'once');
  });

  expectNoServerError(t, server);
});
