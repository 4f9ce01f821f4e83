import t from 'tap';
import { LoginThrottle, type ThrottleSettings } from '../../src/throttle/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { createUser } from '../helpers/fixtures.js';
import { linkedPeers, throttledTokenRoutes } from './support.js';

const SMALL: ThrottleSettings = {
  enabled: true,
  username: { failures: 5, windowSeconds: 60, backoffSeconds: 2, maxBackoffSeconds: 30 },
  address: { failures: 1000, windowSeconds: 60 },
  maxEntries: 1000,
};

type ErrorBody = {
  message: string;
  error_id: string;
  details: { retry_after: number };
  timestamp: number;
  resource: string;
};

t.test('POST /token is throttled per username', async (t) => {
  const server = await startTestApp(t);
  await createUser(server.orm, { username: 'Alice', password: 'right' });
  const { call, backend } = await throttledTokenRoutes(t, server, SMALL);
  const login = (authorization: string, body = '{}', headers: Record<string, string> = {}) =>
    call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: authorization, ...headers },
      body,
    });

  t.test('the sixth consecutive failure is refused with a 429, whatever the case of the login', async (t) => {
    for (let i = 0; i < 5; i++) {
      const res = await login(basic(i % 2 ? 'ALICE' : 'alice', `wrong-${i}`));
      t.equal(res.status, 401, `failure ${i + 1}`);
    }
    // The throttle must answer without verifying: a spy on the backend counts verifications.
    const verify = backend.authenticate.bind(backend);
    let verified = 0;
    backend.authenticate = (...args) => {
      verified++;
      return verify(...args);
    };
    t.teardown(() => {
      backend.authenticate = verify;
    });
    const started = performance.now();
    const res = await login(basic('alice', 'right'));
    const elapsed = performance.now() - started;
    t.equal(res.status, 429, 'even with the right password');
    t.equal(verified, 0, 'no password was checked');
    t.ok(elapsed < 100, `answered fast (${elapsed.toFixed(1)} ms)`);
    t.equal(res.headers['retry-after'], '2');
    t.match(res.headers['content-type'], /^application\/json/);
    const body = res.json<ErrorBody>();
    t.same(Object.keys(body), ['message', 'error_id', 'details', 'timestamp', 'resource']);
    t.match(body, {
      message: 'Too many failed logins: retry later',
      error_id: 'too-many-login-failures',
      details: { retry_after: 2 },
      resource: 'tokens',
    });
    t.equal(typeof body.timestamp, 'number');
    t.test('other usernames log in meanwhile', async (t) => {
      await createUser(server.orm, { username: 'bob', password: 'pw' });
      t.equal((await login(basic('bob', 'pw'))).status, 200);
    });
    t.test('after Retry-After, one attempt: its success resets the count', async (t) => {
      await new Promise((resolve) => setTimeout(resolve, 2100));
      t.equal((await login(basic('alice', 'right'))).status, 200);
      for (let i = 0; i < 4; i++) t.equal((await login(basic('alice', 'wrong'))).status, 401);
      t.equal((await login(basic('alice', 'right'))).status, 200, 'four failures: still verified');
    });
  });

  t.test('body validation still comes first; other refusals do not count', async (t) => {
    for (let i = 0; i < 8; i++) {
      t.equal((await login(basic('carol', 'x'), '{"expiration": "soon"}')).status, 400);
    }
    t.equal((await login(basic('carol', 'x'))).status, 401, 'eight 400s: not throttled');
  });

  t.test('concurrent failures cannot pass the threshold', async (t) => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => login(basic('dave', 'wrong')).then((res) => res.status)),
    );
    t.equal(answers.filter((s) => s === 401).length, 5, 'five verified');
    t.equal(answers.filter((s) => s === 429).length, 15, 'the others refused at once');
  });
});

t.test('POST /token is throttled per source address (as rest_api.num_proxies computes it)', async (t) => {
  const server = await startTestApp(t);
  await createUser(server.orm, { username: 'erin', password: 'pw' });
  const settings = { ...SMALL, address: { failures: 6, windowSeconds: 600 } };
  const { call } = await throttledTokenRoutes(t, server, settings, (config) => {
    config.rest_api.num_proxies = 1;
  });
  const login = (user: string, password: string, from: string, body = '{}') =>
    call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic(user, password), 'X-Forwarded-For': from },
      body,
    });
  for (let i = 0; i < 6; i++) t.equal((await login(`nobody-${i}`, 'x', '203.0.113.5')).status, 401);
  const refused = await login('erin', 'pw', '203.0.113.5');
  t.equal(refused.status, 429, 'a spraying address is refused, even for a right password');
  t.ok(
    Number(refused.headers['retry-after']) > 90 && Number(refused.headers['retry-after']) <= 100,
    `one failure drains every 100 s (Retry-After: ${refused.headers['retry-after']})`,
  );
  t.equal((await login('erin', 'pw', '203.0.113.6')).status, 200, 'other addresses are not');
  const refreshLogin = await call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, 'X-Forwarded-For': '203.0.113.5' },
    body: '{"refresh_token": "r", "client_id": "c"}',
  });
  t.equal(refreshLogin.status, 429, 'logins without Basic credentials are throttled by address too');
});

t.test('logins with no password to guess hold no slot and count no failure', async (t) => {
  const server = await startTestApp(t);
  await createUser(server.orm, { username: 'frank', password: 'pw' });
  const settings = { ...SMALL, address: { failures: 6, windowSeconds: 600 } };
  const { call } = await throttledTokenRoutes(t, server, settings);
  const offline = await call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('frank', 'pw') },
    body: '{"access_type": "offline", "client_id": "desk"}',
  });
  t.equal(offline.status, 200);
  const refreshToken = offline.json<{ data: { refresh_token: string } }>().data.refresh_token;
  const refresh = (token: string) =>
    call({
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: token, client_id: 'desk' }),
    });

  // Far more at once than the address's 6 slots: a service, or every client behind one proxy.
  const together = await Promise.all(Array.from({ length: 40 }, () => refresh(refreshToken)));
  t.strictSame(
    [...new Set(together.map((res) => res.status))],
    [200],
    '40 concurrent refresh-token logins from one address',
  );
  for (let i = 0; i < 10; i++)
    t.equal(
      (await refresh(`00000000-0000-4000-8000-00000000000${i}`)).status,
      401,
      `unknown refresh token ${i}`,
    );
  const password = await call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('frank', 'pw') },
    body: '{}',
  });
  t.equal(password.status, 200, 'those failures did not fill the address bucket');
});

t.test('the counters of a username are shared by the workers', async (t) => {
  const peers = linkedPeers(3);
  const throttles = peers.map((peer) => new LoginThrottle(SMALL, peer));
  let failures = 0;
  for (let i = 0; i < 12; i++) {
    // Each attempt reaches another worker, as connections spread over SO_REUSEPORT.
    const throttle = throttles[i % 3]!;
    try {
      const ticket = await throttle.admit(i % 2 ? 'Frank' : 'frank', `198.51.100.${i}`);
      await ticket.settle('failure');
      failures++;
    } catch (error) {
      t.equal((error as { status: number }).status, 429);
    }
  }
  t.equal(failures, 5, 'five failures in all, over three workers');
  const held = throttles.map((throttle) => throttle.size.usernames);
  t.same(held.filter((n) => n > 0).length, 1, `one worker holds the username's counters (${held})`);
  t.test('a worker that does not answer does not stop logins', async (t) => {
    // Worker 1 runs no throttle: its answer to every throttle command is an error.
    const [alone] = linkedPeers(2);
    const throttle = new LoginThrottle({ ...SMALL, address: { failures: 1, windowSeconds: 60 } }, alone!);
    const outcomes = { local: 0, remote: 0 };
    for (let i = 0; i < 20; i++) {
      const address = `192.0.2.${i}`;
      await (await throttle.admit(`user-${i}`, address)).settle('failure');
      try {
        await (await throttle.admit(`user-${i}`, address)).settle('failure');
        outcomes.remote++;
      } catch {
        outcomes.local++;
      }
    }
    t.ok(outcomes.local > 0, `addresses of worker 0 are throttled (${outcomes.local})`);
    t.ok(outcomes.remote > 0, `those of the silent worker are admitted (${outcomes.remote})`);
  });
});
