import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { errors } from '../../src/http/errors.js';
import { empty, json } from '../../src/http/request.js';
import type { Route } from '../../src/http/route.js';
import { request } from '../helpers/http.js';
import { startHttp, testConfig } from '../helpers/server.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const UUID = '3F0C2B8A-1D2E-4F5A-9B8C-7D6E5F4A3B21';

let release: (() => void) | undefined;
const routes: Route[] = [
  { method: 'GET', path: '/users', handle: () => json({ items: [] }) },
  { method: 'POST', path: '/users', readsBody: true, handle: (req) => json({ received: req.body ?? null }) },
  { method: 'GET', path: '/users/{user_uuid:uuid}', handle: (req) => json({ uuid: req.params.user_uuid! }) },
  { method: 'HEAD', path: '/status', handle: () => empty(200) },
  { method: 'POST', path: '/token', readsBody: true, handle: () => json({}) },
  { method: 'GET', path: '/api-error', handle: () => Promise.reject(errors.unknown('users', 'abc')) },
  { method: 'GET', path: '/legacy-error', handle: () => Promise.reject(errors.authenticationFailed()) },
  {
    method: 'GET',
    path: '/crash',
    handle: () => {
      throw new TypeError('boom');
    },
  },
  {
    method: 'GET',
    path: '/slow',
    handle: () => new Promise((resolve) => (release = () => resolve(json({ done: true })))),
  },
  {
    method: 'GET',
    path: '/stepped',
    steps: [
      (req) => {
        if (!req.headers['x-auth-token']) throw errors.unauthorized({ invalid_token: '' });
      },
    ],
    handle: () => json({ ok: true }),
  },
  {
    method: 'POST',
    path: '/stepped',
    readsBody: true,
    steps: [
      (req) => {
        if (!req.headers['x-auth-token']) throw errors.unauthorized({ invalid_token: '' });
      },
    ],
    handle: (req) => json({ received: req.body ?? null }),
  },
];

t.test('routing', async (t) => {
  const { base, close } = await startHttp(routes);
  t.teardown(close);

  t.test('both prefixes reach the same route', async (t) => {
    for (const prefix of ['/0.1', '/api/auth/0.1']) {
      const res = await request(base, { path: `${prefix}/users` });
      t.equal(res.status, 200, prefix);
      t.same(res.json(), { items: [] });
      t.match(res.headers['content-type'], 'application/json');
    }
  });

  t.test('unmatched URLs answer the framework HTML 404', async (t) => {
    for (const path of [
      '/0.1/nothing',
      '/users',
      '/0.1',
      '/0.1/users/',
      '/0.1/users/not-a-uuid',
      `/0.1/users/${UUID.replaceAll('-', '')}`,
    ]) {
      const res = await request(base, { path });
      t.equal(res.status, 404, path);
      t.equal(res.headers['content-type'], 'text/html; charset=utf-8', path);
      t.match(res.text, '<title>404 Not Found</title>');
    }
  });

  t.test('UUID path values are normalised to lower case', async (t) => {
    const res = await request(base, { path: `/0.1/users/${UUID}` });
    t.equal(res.status, 200);
    t.same(res.json(), { uuid: UUID.toLowerCase() });
  });

  t.test('wrong method: 405 with Allow listing implicit methods', async (t) => {
    const status = await request(base, { method: 'GET', path: '/0.1/status' });
    t.equal(status.status, 405);
    t.same(status.json(), { message: 'The method is not allowed for the requested URL.' });
    t.equal(status.headers.allow, 'HEAD, OPTIONS');
    const token = await request(base, { method: 'GET', path: '/0.1/token' });
    t.equal(token.status, 405);
    t.equal(token.headers.allow, 'POST, OPTIONS');
    const users = await request(base, { method: 'DELETE', path: '/0.1/users' });
    t.equal(users.headers.allow, 'GET, HEAD, POST, OPTIONS');
  });

  t.test('HEAD is answered explicitly and implicitly from GET, without a body', async (t) => {
    const status = await request(base, { method: 'HEAD', path: '/0.1/status' });
    t.equal(status.status, 200);
    t.equal(status.text, '');
    const users = await request(base, { method: 'HEAD', path: '/0.1/users' });
    t.equal(users.status, 200);
    t.equal(users.text, '');
    const failing = await request(base, { method: 'HEAD', path: '/0.1/api-error' });
    t.equal(failing.status, 404);
    t.equal(failing.text, '');
  });

  t.test('steps run before the handler and may answer early', async (t) => {
    const refused = await request(base, { path: '/0.1/stepped' });
    t.equal(refused.status, 401);
    t.equal(refused.json<{ error_id: string }>().error_id, 'unauthorized');
    const allowed = await request(base, { path: '/0.1/stepped', headers: { 'X-Auth-Token': 'x' } });
    t.same(allowed.json(), { ok: true });
    const brokenUnauthorized = await request(base, { method: 'POST', path: '/0.1/stepped', body: '{"a":' });
    t.equal(brokenUnauthorized.status, 401, 'the steps answer before the body is parsed, as upstream');
    const broken = await request(base, {
      method: 'POST',
      path: '/0.1/stepped',
      headers: { 'X-Auth-Token': 'x' },
      body: '{"a":',
    });
    t.equal(broken.status, 400);
  });
});

t.test('CORS', async (t) => {
  const { base, close } = await startHttp(routes);
  t.teardown(close);

  t.test('every response allows any origin', async (t) => {
    const plain = await request(base, { path: '/0.1/users' });
    t.equal(plain.headers['access-control-allow-origin'], '*');
    t.notOk(plain.headers.vary);
    const echoed = await request(base, { path: '/0.1/users', headers: { Origin: 'https://app.example' } });
    t.equal(echoed.headers['access-control-allow-origin'], 'https://app.example');
    t.equal(echoed.headers.vary, 'Origin');
    const notFound = await request(base, { path: '/0.1/nope', headers: { Origin: 'https://x.example' } });
    t.equal(notFound.headers['access-control-allow-origin'], 'https://x.example');
    const error = await request(base, { path: '/0.1/api-error' });
    t.equal(error.headers['access-control-allow-origin'], '*');
  });

  t.test('preflight on an existing route', async (t) => {
    const res = await request(base, {
      method: 'OPTIONS',
      path: '/0.1/token',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'X-Auth-Token, X-Unknown, content-type',
      },
    });
    t.equal(res.status, 200);
    t.equal(res.text, '');
    t.equal(res.headers.allow, 'POST, OPTIONS');
    t.equal(res.headers['access-control-allow-methods'], 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
    t.equal(res.headers['access-control-allow-headers'], 'X-Auth-Token, content-type');
    t.equal(res.headers['access-control-allow-origin'], 'https://app.example');
    t.notOk(res.headers['access-control-allow-credentials']);
  });

  t.test('preflight without requested headers has no Allow-Headers', async (t) => {
    const res = await request(base, {
      method: 'OPTIONS',
      path: '/0.1/users',
      headers: { 'Access-Control-Request-Method': 'GET' },
    });
    t.equal(res.status, 200);
    t.notOk(res.headers['access-control-allow-headers']);
    t.equal(res.headers.allow, 'GET, HEAD, POST, OPTIONS');
  });

  t.test('plain OPTIONS answers Allow; on an unknown route it is a 404', async (t) => {
    const res = await request(base, { method: 'OPTIONS', path: '/0.1/status' });
    t.equal(res.status, 200);
    t.equal(res.headers.allow, 'HEAD, OPTIONS');
    t.notOk(res.headers['access-control-allow-methods']);
    const missing = await request(base, { method: 'OPTIONS', path: '/0.1/missing' });
    t.equal(missing.status, 404);
  });

  t.test('disabled by configuration', async (t) => {
    const config = testConfig();
    config.rest_api.cors.enabled = false;
    const other = await startHttp(routes, config);
    t.teardown(other.close);
    const res = await request(other.base, { path: '/0.1/users', headers: { Origin: 'https://a.example' } });
    t.notOk(res.headers['access-control-allow-origin']);
  });
});

t.test('JSON bodies', async (t) => {
  const config = testConfig();
  config.rest_api.max_body_size = 1024;
  const { base, close } = await startHttp(routes, config);
  t.teardown(close);
  const framework400 = {
    message: 'The browser (or proxy) sent a request that this server could not understand.',
  };

  t.test('parsed whatever the content type, except form types', async (t) => {
    for (const type of [undefined, 'application/json', 'text/plain', 'application/json; charset=utf-8']) {
      const res = await request(base, {
        method: 'POST',
        path: '/0.1/users',
        headers: type ? { 'Content-Type': type } : {},
        body: '{"username":"alice"}',
      });
      t.equal(res.status, 200, String(type));
      t.same(res.json(), { received: { username: 'alice' } });
    }
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await request(base, {
        method: 'POST',
        path: '/0.1/users',
        headers: { 'Content-Type': type },
        body: '{}',
      });
      t.equal(res.status, 400, type);
      t.same(res.json(), framework400);
    }
  });

  t.test('empty, truncated and non-JSON bodies are the framework 400', async (t) => {
    for (const body of ['', '{"a":', 'not json', '\u00ff\u00fe']) {
      const res = await request(base, { method: 'POST', path: '/0.1/users', body });
      t.equal(res.status, 400, JSON.stringify(body));
      t.same(res.json(), framework400);
    }
  });

  t.test('null and other JSON values reach the handler as they are', async (t) => {
    for (const [body, expected] of [
      ['null', null],
      ['[1]', [1]],
      ['"x"', 'x'],
      ['0', 0],
    ] as const) {
      const res = await request(base, { method: 'POST', path: '/0.1/users', body });
      t.same(res.json(), { received: expected }, body);
    }
  });

  t.test('an oversized body is refused with 413, announced or streamed', async (t) => {
    const big = JSON.stringify({ data: 'x'.repeat(4096) });
    const announced = await request(base, { method: 'POST', path: '/0.1/users', body: big });
    t.equal(announced.status, 413);
    t.same(announced.json(), { message: 'The data value transmitted exceeds the capacity limit.' });
    const chunked = await request(base, {
      method: 'POST',
      path: '/0.1/users',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: big,
    });
    t.equal(chunked.status, 413);
    const after = await request(base, { path: '/0.1/users' });
    t.equal(after.status, 200, 'the server still answers');
  });

  t.test('a client that disconnects mid-body does not hurt the server', async (t) => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1', () => {
        socket.write('POST /0.1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"user');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const res = await request(base, { path: '/0.1/users' });
    t.equal(res.status, 200);
  });
});

t.test('error envelopes', async (t) => {
  const { base, close, logs } = await startHttp(routes);
  t.teardown(close);

  t.test('API error: exactly message, error_id, details, timestamp, resource', async (t) => {
    const res = await request(base, { path: '/0.1/api-error' });
    t.equal(res.status, 404);
    const body = res.json<Record<string, unknown>>();
    t.same(Object.keys(body).sort(), ['details', 'error_id', 'message', 'resource', 'timestamp']);
    t.equal(body.message, 'No such user: "abc"');
    t.equal(body.error_id, 'unknown-user');
    t.same(body.details, { uuid: 'abc' });
    t.equal(body.resource, 'users');
    t.type(body.timestamp, 'number');
    t.ok(Math.abs((body.timestamp as number) - Date.now() / 1000) < 5, 'timestamp is epoch seconds');
  });

  t.test('legacy error: reason and timestamp as one-element arrays, status_code', async (t) => {
    const res = await request(base, { path: '/0.1/legacy-error' });
    t.equal(res.status, 401);
    const body = res.json<{ reason: string[]; timestamp: number[]; status_code: number }>();
    t.same(Object.keys(body).sort(), ['reason', 'status_code', 'timestamp']);
    t.same(body.reason, ['Authentication Failed']);
    t.equal(body.timestamp.length, 1);
    t.type(body.timestamp[0], 'number');
    t.equal(body.status_code, 401);
  });

  t.test('an unexpected exception is a 500 framework error and the server survives', async (t) => {
    const res = await request(base, { path: '/0.1/crash' });
    t.equal(res.status, 500);
    t.same(res.json(), { message: 'Internal Server Error' });
    t.ok(
      logs.lines.some((line) => line.includes('boom')),
      'the cause is logged',
    );
    const after = await request(base, { path: '/0.1/users' });
    t.equal(after.status, 200);
  });
});

t.test('graceful close waits for in-flight requests', async (t) => {
  const { server, base } = await startHttp(routes);
  const pending = request(base, { path: '/0.1/slow' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = server.close(5000);
  release?.();
  const res = await pending;
  await closing;
  t.equal(res.status, 200);
  t.same(res.json(), { done: true });
  await t.rejects(request(base, { path: '/0.1/users' }), 'no longer accepting');
});

t.test('HTTPS when a certificate and key are configured', async (t) => {
  const { cert, key } = selfSignedCertificate();
  const config = testConfig({ WAZO_AUTH_TLS_CERT: cert, WAZO_AUTH_TLS_KEY: key });
  const { base, close } = await startHttp(routes, config);
  t.teardown(close);
  t.match(base, /^https:/);
  const res = await request(base, { path: '/0.1/users' });
  t.equal(res.status, 200);
  t.same(res.json(), { items: [] });
  await t.rejects(
    startHttp(
      routes,
      testConfig({
        WAZO_AUTH_TLS_CERT: join(tmpdir(), 'wazo-auth-missing-cert.pem'),
        WAZO_AUTH_TLS_KEY: key,
      }),
    ),
    /cannot be read/,
  );
});
