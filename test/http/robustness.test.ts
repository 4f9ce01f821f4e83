import net from 'node:net';
import t from 'tap';
import { json } from '../../src/http/request.js';
import type { Route } from '../../src/http/route.js';
import { request } from '../helpers/http.js';
import { startHttp, testConfig } from '../helpers/server.js';

const routes: Route[] = [
  { method: 'POST', path: '/users', readsBody: true, handle: (req) => json({ type: typeof req.body }) },
  { method: 'PUT', path: '/users/{user_uuid:uuid}', readsBody: true, handle: () => json({}) },
  { method: 'GET', path: '/policies/{policy}/acl/{access}', handle: (req) => json(req.params) },
];

/** Deterministic pseudo-random source (mulberry32), so a failure can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
  return {
    int: (max: number) => next() % max,
    pick: <T>(items: readonly T[]): T => items[next() % items.length]!,
    bytes: (length: number) => Buffer.from(Array.from({ length }, () => next() % 256)),
  };
}

// Methods uWS's parser does not know (PROPFIND, FOO…) get their connection closed, not an answer: see README.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];
const PATHS = [
  '/0.1/users',
  '/0.1/users/3f0c2b8a-1d2e-4f5a-9b8c-7d6e5f4a3b21',
  '/0.1/users/%zz',
  '/0.1/users/../../etc/passwd',
  '/0.1/policies/a/acl/%2e%2e',
  '/0.1/policies/%ff%fe/acl/x',
  `/0.1/policies/${'p'.repeat(5000)}/acl/x`,
  '/api/auth/0.1/users?x=%%%',
  '/0.1//users',
  '/',
  '/0.1/users?limit=1&limit=2',
];
const BODIES = [
  '',
  '{',
  '{"a":1}',
  'null',
  '[]',
  '"x"',
  '{"a":'.repeat(5000),
  '\u0000\u0001',
  '{"__proto__":{"x":1}}',
];
const TYPES = [
  undefined,
  'application/json',
  'text/plain',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
];

t.test('a corpus of odd requests never gets a 5xx', async (t) => {
  const config = testConfig();
  config.rest_api.max_body_size = 64 * 1024;
  const { base, close } = await startHttp(routes, config);
  t.teardown(close);
  const random = generator(20261129);
  const statuses = new Map<number, number>();
  for (let i = 0; i < 400; i++) {
    const method = random.pick(METHODS);
    const path = random.pick(PATHS);
    const type = random.pick(TYPES);
    const body = random.int(5) === 0 ? random.bytes(random.int(2048)) : random.pick(BODIES);
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
    if (random.int(3) === 0) headers.Origin = 'https://x.example';
    if (random.int(4) === 0) headers['Access-Control-Request-Method'] = 'POST';
    // This uWS build reads no body on DELETE (the bytes are then parsed as the next request and the
    // connection is closed): no upstream DELETE route takes a body. See README.
    const canHaveBody = !['GET', 'HEAD', 'OPTIONS', 'TRACE', 'DELETE'].includes(method);
    const label = `#${i} ${method} ${path.slice(0, 60)} ${type} ${JSON.stringify(canHaveBody ? String(body).slice(0, 30) : null)}`;
    const res = await request(base, { method, path, headers, ...(canHaveBody ? { body } : {}) }).catch(
      (error) => {
        t.fail(`${label}: ${error}`);
        return null;
      },
    );
    if (!res) continue;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) t.fail(`${method} ${path} answered ${res.status}: ${res.text}`);
    if (method !== 'HEAD' && res.status !== 200 && res.status !== 404 && res.text) {
      t.doesNotThrow(() => res.json(), `${method} ${path}: JSON error body`);
    }
  }
  t.ok(statuses.size > 3, `a spread of answers: ${JSON.stringify([...statuses])}`);
  const alive = await request(base, { method: 'POST', path: '/0.1/users', body: '{}' });
  t.equal(alive.status, 200);
});

t.test('malformed HTTP on the wire is refused without taking the server down', async (t) => {
  const { base, close } = await startHttp(routes);
  t.teardown(close);
  const port = Number(new URL(base).port);
  const garbage = [
    'GARBAGE\r\n\r\n',
    'GET /0.1/users HTTP/9.9\r\n\r\n',
    'POST /0.1/users HTTP/1.1\r\nContent-Length: -5\r\n\r\n',
    'POST /0.1/users HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    `GET /0.1/users HTTP/1.1\r\n${'X-Big: '.padEnd(20000, 'a')}\r\n\r\n`,
    'POST /0.1/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n',
  ];
  for (const payload of garbage) {
    const answer = await new Promise<string>((resolve) => {
      let data = '';
      const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
      socket.on('data', (chunk) => (data += chunk));
      socket.on('error', () => resolve(data));
      socket.on('close', () => resolve(data));
      setTimeout(() => socket.destroy(), 300);
    });
    t.notMatch(answer, /^HTTP\/1\.1 5\d\d/, JSON.stringify(payload.slice(0, 40)));
  }
  const alive = await request(base, { method: 'POST', path: '/0.1/users', body: '{}' });
  t.equal(alive.status, 200, 'still serving');
});

t.test('a request whose Content-Length values disagree is refused, not acted on', async (t) => {
  let handled = 0;
  const counted: Route[] = [
    {
      method: 'POST',
      path: '/users',
      readsBody: true,
      handle: () => {
        handled++;
        return json({});
      },
    },
    { method: 'HEAD', path: '/status', handle: () => ({ status: 200 }) },
  ];
  const { base, close } = await startHttp(counted);
  t.teardown(close);
  const port = Number(new URL(base).port);
  /** Everything the server wrote before closing (or within 2 s). */
  const exchange = (payload: string) =>
    new Promise<string>((resolve) => {
      let data = '';
      const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
      socket.on('data', (chunk) => (data += chunk));
      socket.on('error', () => resolve(data));
      socket.on('close', () => resolve(data));
      setTimeout(() => {
        socket.destroy();
        resolve(data);
      }, 2000);
    });
  const message = 'The browser (or proxy) sent a request that this server could not understand.';

  for (const lengths of [
    ['2', '40'],
    ['3', '2'],
  ]) {
    const answer = await exchange(
      `POST /0.1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${lengths[0]}\r\nContent-Length: ${lengths[1]}\r\n\r\n{}`,
    );
    t.match(answer, /^HTTP\/1\.1 400 /, `Content-Length ${lengths.join(' then ')}: 400`);
    t.match(answer, /\r\nConnection: close\r\n/i, 'the connection is closed');
    t.match(answer, /\r\nContent-Type: application\/json\r\n/);
    t.same(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { message });
  }
  const head = await exchange(
    'HEAD /0.1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n',
  );
  t.match(head, /^HTTP\/1\.1 400 /, 'HEAD: 400');
  t.equal(head.slice(head.indexOf('\r\n\r\n') + 4), '', 'HEAD: no body');
  t.equal(handled, 0, 'the handler never ran');

  const same = await exchange(
    'POST /0.1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
  );
  t.match(same, /^HTTP\/1\.1 200 /, 'the same length twice is not ambiguous');
  t.equal(handled, 1);
});
