import t from 'tap';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminCaller, ok } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import { type IssuedToken, tokenFor } from '../helpers/tokens.js';

/** The warning lead (`token_cleanup_interval`), short so that tests see warnings and expiries quickly. */
const LEAD_S = 2;

const USER_ACL = [
  'websocketd',
  'events.auth.users.me.sessions.my_session.expire_soon',
  'events.auth.sessions.#',
];

interface Frame {
  at: number;
  op?: string;
  data?: { name?: string; session_uuid?: string; data?: { uuid?: string } };
}

/** A started v2 client subscribed to everything, recording frames and its close with their times. */
async function subscriber(server: TestApp, token: string) {
  const socket = new WebSocket(`ws${server.base.slice(4)}/api/websocketd/?token=${token}&version=2`);
  const frames: Frame[] = [];
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  const started = new Promise<void>((resolve) => {
    socket.on('message', (raw) => {
      const frame = { at: Date.now(), ...JSON.parse(raw.toString()) } as Frame;
      frames.push(frame);
      if (frame.op === 'start') resolve();
    });
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ op: 'subscribe', data: { event_name: '*' } }));
  socket.send(JSON.stringify({ op: 'start' }));
  await started;
  const events = (name: string) =>
    frames.filter((frame) => frame.op === 'event' && frame.data?.name === name);
  return { socket, frames, closed, events };
}

const expiresAt = (token: IssuedToken) => Date.parse(`${token.utc_expires_at}Z`);

async function server(t: Tap) {
  const app = await startTestApp(t, (config) => {
    config.token_cleanup_interval = LEAD_S;
  });
  await createUser(app.orm, { username: 'alice', password: 'secret', acl: USER_ACL });
  return app;
}
type Tap = Parameters<typeof startTestApp>[0];

t.test('a token about to expire: its warning first, then 4003 within a second of expiry', async (t) => {
  const app = await server(t);
  const issued = await tokenFor(app, 'alice', 'secret', { expiration: 5 });
  const client = await subscriber(app, issued.token);
  const closed = await client.closed;
  const expiry = expiresAt(issued);
  t.equal(closed.code, 4003);
  t.equal(closed.reason, 'authentication expired');
  t.ok(Math.abs(closed.at - expiry) <= 1000, `closed ${closed.at - expiry} ms from utc_expires_at`);
  const [warning, ...more] = client.events('auth_session_expire_soon');
  t.ok(warning, 'the warning came');
  t.equal(more.length, 0, 'once');
  t.equal(warning!.data!.session_uuid, issued.session_uuid);
  t.same(warning!.data!.data, {
    uuid: issued.session_uuid,
    user_uuid: issued.metadata.uuid,
    tenant_uuid: issued.metadata.tenant_uuid,
  });
  const due = expiry - LEAD_S * 1000;
  t.ok(Math.abs(warning!.at - due) <= 1000, `warned ${warning!.at - due} ms from expiry − lead`);
  t.ok(warning!.at < closed.at, 'before the close');
});

t.test('a connection started inside the warning window gets its warning at once', async (t) => {
  const app = await server(t);
  const issued = await tokenFor(app, 'alice', 'secret', { expiration: LEAD_S });
  const client = await subscriber(app, issued.token);
  const start = client.frames.findIndex((frame) => frame.op === 'start');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(client.frames[start + 1]?.data?.name, 'auth_session_expire_soon', 'right after the start reply');
  t.equal((await client.closed).code, 4003);
});

t.test('only the owner of a session is warned', async (t) => {
  const app = await server(t);
  await createUser(app.orm, { username: 'bob', password: 'secret', acl: USER_ACL });
  const short = await tokenFor(app, 'alice', 'secret', { expiration: 3 });
  const alice = await subscriber(app, short.token);
  const bob = await subscriber(app, (await tokenFor(app, 'bob', 'secret')).token);
  await alice.closed;
  t.equal(alice.events('auth_session_expire_soon').length, 1);
  t.equal(bob.events('auth_session_expire_soon').length, 0, 'another user is not told');
  t.equal(bob.socket.readyState, WebSocket.OPEN);
  bob.socket.close();
});

t.test('revocations close the connection within a second, after the deletion event', async (t) => {
  const app = await server(t);
  const admin = await adminCaller(app);

  const revoked = async (name: string, revoke: (issued: IssuedToken, uuid: string) => Promise<unknown>) => {
    await t.test(name, async (t) => {
      const issued = await tokenFor(app, 'alice', 'secret');
      const client = await subscriber(app, issued.token);
      await revoke(issued, issued.metadata.uuid as string);
      // From the answer: the request itself may take long (a password change hashes twice).
      const answered = Date.now();
      const closed = await client.closed;
      t.equal(closed.code, 4003);
      t.ok(closed.at - answered <= 1000, `closed ${closed.at - answered} ms after the answer`);
    });
  };

  await revoked('DELETE /token/{t}, after auth_session_deleted', async (issued) => {
    const client = await subscriber(app, (await tokenFor(app, 'alice', 'secret')).token);
    await app.call({ method: 'DELETE', path: `/0.1/token/${issued.token}` });
    // A second connection of the same user sees the event too, and stays open.
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.equal(client.events('auth_session_deleted').length, 1);
    t.equal(client.socket.readyState, WebSocket.OPEN);
    client.socket.close();
  });
  await revoked('DELETE /sessions/{s}', (issued) => admin.delete(`/sessions/${issued.session_uuid}`));
  await revoked('PUT /users/{u}/password', (_issued, uuid) =>
    admin.put(`/users/${uuid}/password`, undefined, { old_password: 'secret', new_password: 'secret' }),
  );

  await t.test('the deletion event reaches the revoked connection before its close', async (t) => {
    const issued = await tokenFor(app, 'alice', 'secret');
    const client = await subscriber(app, issued.token);
    await app.call({ method: 'DELETE', path: `/0.1/token/${issued.token}` });
    await client.closed;
    t.match(client.frames.at(-1), { op: 'event', data: { name: 'auth_session_deleted' } });
  });

  await t.test('DELETE /tenants/{t} closes the connections of its users', async (t) => {
    const tenant = ok<{ uuid: string }>(await admin.post('/tenants', { name: 'doomed' })).uuid;
    await createUser(app.orm, { username: 'carol', password: 'secret', acl: USER_ACL, tenant });
    const client = await subscriber(app, (await tokenFor(app, 'carol', 'secret')).token);
    const began = Date.now();
    t.equal((await admin.delete(`/tenants/${tenant}`)).status, 204);
    const closed = await client.closed;
    t.equal(closed.code, 4003);
    t.ok(closed.at - began <= 1000);
  });
});

t.test('a renewed token keeps the connection open past the old one’s expiry', async (t) => {
  const app = await server(t);
  const old = await tokenFor(app, 'alice', 'secret', { expiration: 3 });
  const client = await subscriber(app, old.token);
  const renewed = await tokenFor(app, 'alice', 'secret', { expiration: 600 });
  client.socket.send(JSON.stringify({ op: 'token', data: { token: renewed.token } }));
  await new Promise((resolve) => setTimeout(resolve, expiresAt(old) - Date.now() + 1500));
  t.equal(client.socket.readyState, WebSocket.OPEN, 'still open after the old token expired');
  t.ok(
    client.frames.some((frame) => frame.op === 'token'),
    'the token op was answered',
  );
  const closed = client.closed;
  await app.call({ method: 'DELETE', path: `/0.1/token/${renewed.token}` });
  t.equal((await closed).code, 4003, 'the new token now governs the connection');
});
