// GET /0.1/metrics (ACL auth.metrics.read) and the unauthenticated metrics listener (issue #12 part 1).
import t from 'tap';
import { freePort } from '../../src/net/free-port.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller, userCaller } from '../helpers/callers.js';
import { request } from '../helpers/http.js';
import { PushClient } from '../helpers/ws.js';
import { sample } from './support.js';

t.test('GET /0.1/metrics: the ACL, and what it counts', async (t) => {
  // A broker nobody listens on: events stay in the outbox, which the depth gauge shows.
  const server = await startTestApp(t, (config) => {
    config.amqp.uri = `amqp://guest:guest@127.0.0.1:${1}`;
  });
  const admin = await adminCaller(server);
  const scrape = async () => {
    const res = await server.call({ path: '/0.1/metrics', headers: { 'X-Auth-Token': admin.token } });
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  t.equal((await server.call({ path: '/0.1/metrics' })).status, 401, 'no token: 401');
  const other = await userCaller(server, 'no-metrics', ['auth.users.read']);
  t.equal((await other.get('/metrics')).status, 401, 'a token without auth.metrics.read: 401');
  const reader = await userCaller(server, 'metrics-reader', ['auth.metrics.read']);
  t.equal((await reader.get('/metrics')).status, 200, 'auth.metrics.read is enough');

  const before = await scrape();
  const count = (text: string, status: string) =>
    sample(text, 'wazo_auth_http_requests_total', { route: '/token/{token:uuid}', method: 'GET', status }) ??
    0;
  const checks = (text: string, source: string, outcome: string) =>
    sample(text, 'wazo_auth_token_checks_total', { source, outcome }) ?? 0;
  const failures = (text: string) => sample(text, 'wazo_auth_login_failures_total') ?? 0;

  for (let i = 0; i < 3; i++) t.equal((await server.call({ path: `/0.1/token/${admin.token}` })).status, 200);
  const unknown = '00000000-0000-4000-8000-00000000dead';
  t.equal((await server.call({ path: `/0.1/token/${unknown}` })).status, 404);
  t.equal((await server.call({ path: `/0.1/token/${admin.token}?scope=nothing.granted` })).status, 200);
  t.equal((await other.get('/users')).status, 200);
  t.equal((await other.get('/tenants')).status, 401, 'acl: forbidden');
  t.equal(
    (await server.call({ path: '/0.1/users', headers: { 'X-Auth-Token': unknown } })).status,
    401,
    'acl: not found',
  );
  const failed = await server.call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('admin', 'wrong') },
    body: '{}',
  });
  t.equal(failed.status, 401);
  const ws = new PushClient(server.base, { query: { token: admin.token, version: '2' } });
  t.teardown(() => ws.close());
  await ws.opened();
  await ws.frame(0);

  const after = await scrape();
  t.equal(count(after, '200') - count(before, '200'), 4, 'requests by route pattern and status');
  t.equal(count(after, '404') - count(before, '404'), 1);
  t.ok(
    (sample(after, 'wazo_auth_http_request_duration_seconds_count', {
      route: '/token/{token:uuid}',
      method: 'GET',
      status: '200',
    }) ?? 0) >= 4,
    'latency histogram per route',
  );
  t.equal(checks(after, 'token_api', 'ok') - checks(before, 'token_api', 'ok'), 4);
  t.equal(checks(after, 'token_api', 'not_found') - checks(before, 'token_api', 'not_found'), 1);
  t.equal(checks(after, 'acl', 'forbidden') - checks(before, 'acl', 'forbidden'), 1);
  t.equal(checks(after, 'acl', 'not_found') - checks(before, 'acl', 'not_found'), 1);
  t.ok(checks(after, 'acl', 'ok') - checks(before, 'acl', 'ok') >= 2, 'acl: ok (the scrape itself counts)');
  t.equal(failures(after) - failures(before), 1, 'login failures');
  t.equal(sample(after, 'wazo_auth_websocket_connections'), 1, 'open WebSocket connections');
  t.ok((sample(after, 'wazo_auth_token_cache_size') ?? 0) >= 3, 'tokens in the cache');
  t.ok((sample(after, 'wazo_auth_actors', { kind: 'user' }) ?? 0) >= 1, 'user actors');
  t.ok((sample(after, 'wazo_auth_outbox_depth') ?? 0) >= 1, 'events waiting for the unreachable broker');
  t.equal(sample(after, 'wazo_auth_processes'), 1);
  t.ok(sample(after, 'nodejs_eventloop_lag_seconds') !== undefined, 'event-loop lag');
  t.notOk(after.includes(admin.token), 'no token in the metrics');
  t.notOk(/route="\/0\.1/.test(after), 'route labels are patterns, never paths');
  t.notOk(after.includes(unknown));
});

t.test('metrics.listen: the metrics without authentication on their own port', async (t) => {
  const port = await freePort();
  const server = await startTestApp(t, (config) => {
    config.metrics.listen = '127.0.0.1';
    config.metrics.port = port;
  });
  t.same(server.app.metricsAddress, { host: '127.0.0.1', port });
  const base = `http://127.0.0.1:${port}`;
  await server.call({ path: '/0.1/backends' });
  const res = await request(base, { path: '/metrics' });
  t.equal(res.status, 200);
  t.equal(sample(res.text, 'wazo_auth_http_requests_total', { route: '/backends', status: '200' }), 1);
  t.equal((await request(base, { path: '/0.1/users' })).status, 404, 'nothing else there');
  t.equal((await server.call({ path: '/0.1/metrics' })).status, 401, 'the API route still wants a token');
});

t.test('metrics.listen is off by default', async (t) => {
  const server = await startTestApp(t);
  t.equal(server.app.metricsAddress, null);
});
