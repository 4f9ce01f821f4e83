// The access log (issue #12 part 2): one line per request, a request id, and no secret in any line.
import t from 'tap';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller } from '../helpers/callers.js';
import type { ClientRequest } from '../helpers/http.js';

const ACCESS = '"component":"http"';
const accessLines = (lines: readonly string[]) =>
  lines
    .filter((line) => line.includes(ACCESS))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => typeof entry.status === 'number');

t.test('no token, password or credential in any log line, failures included', async (t) => {
  const server = await startTestApp(t, undefined, { loggerFromConfig: true });
  const admin = await adminCaller(server);
  const secrets = new Set<string>([admin.token]);
  const call = server.call;

  const userPassword = 'Zq8-user-password-61';
  const created = await call({
    method: 'POST',
    path: '/0.1/users',
    headers: { 'X-Auth-Token': admin.token, ...JSON_HEADERS },
    body: JSON.stringify({ username: 'alice', password: userPassword }),
  });
  t.equal(created.status, 200);
  secrets.add(userPassword);
  const alice = created.json<{ uuid: string }>().uuid;

  const login = await call({
    method: 'POST',
    path: '/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('alice', userPassword) },
    body: JSON.stringify({ access_type: 'offline', client_id: 'log-test' }),
  });
  t.equal(login.status, 200);
  const { token, refresh_token: refresh } = login.json<{ data: { token: string; refresh_token: string } }>()
    .data;
  secrets.add(token).add(refresh).add(basic('alice', userPassword).slice(6));

  const wrongPassword = 'Wr0ng-password-for-alice-77';
  secrets.add(wrongPassword).add(basic('alice', wrongPassword).slice(6));
  const unknownToken = '5f0c4a3e-8d1b-4c2a-9e7f-0a1b2c3d4e5f';
  secrets.add(unknownToken);
  // Not a secret: a tenant or e-mail uuid beside a token.
  const someUuid = '7d9e0f1a-2b3c-4d5e-8f60-718293a4b5c6';
  const newPassword = 'N3w-alice-password-88';
  secrets.add(newPassword);

  const requests: ClientRequest[] = [
    {
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic('alice', wrongPassword) },
      body: '{}',
    },
    {
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` },
      body: '{}',
    },
    {
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: refresh, client_id: 'log-test' }),
    },
    {
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: `{"refresh_token": "${refresh}", broken`,
    },
    { path: `/0.1/token/${token}` },
    { method: 'HEAD', path: `/0.1/token/${token}` },
    { path: `/0.1/token/${token}?scope=auth.users.read&tenant=${someUuid}` },
    { path: `/api/auth/0.1/token/${unknownToken}` },
    {
      path: `/0.1/token/${token}/scopes/check`,
      method: 'POST',
      headers: JSON_HEADERS,
      body: '{"scopes": ["a"]}',
    },
    { path: `/0.1/TOKEN/${token}` },
    { path: `/0.1/nothing/${token}/here` },
    { path: '/0.1/users', headers: { 'X-Auth-Token': token } },
    { path: '/0.1/users', headers: { 'X-Auth-Token': unknownToken } },
    { path: '/0.1/users', headers: { 'X-Auth-Token': `not-a-uuid-${wrongPassword}` } },
    { path: `/0.1/users?token=${token}&recurse=true` },
    { path: `/0.1/emails/${someUuid}/confirm?token=${token}` },
    { path: `/0.1/nothing?token=${token}&access_token=${unknownToken}` },
    {
      method: 'PUT',
      path: `/0.1/users/${alice}/password`,
      headers: { 'X-Auth-Token': admin.token, ...JSON_HEADERS },
      body: JSON.stringify({ old_password: wrongPassword, new_password: newPassword }),
    },
    {
      method: 'PUT',
      path: `/0.1/users/${alice}/password`,
      headers: { 'X-Auth-Token': admin.token, ...JSON_HEADERS },
      body: JSON.stringify({ old_password: userPassword, new_password: newPassword }),
    },
    {
      method: 'POST',
      path: '/0.1/users',
      headers: { 'X-Auth-Token': admin.token, ...JSON_HEADERS },
      body: JSON.stringify({ username: 'alice', password: newPassword }),
    },
    { method: 'DELETE', path: `/0.1/token/${admin.token}` },
    { method: 'DELETE', path: `/0.1/token/${admin.token}` },
  ];
  for (const req of requests) {
    const res = await call(req);
    t.ok(
      res.status > 0,
      `${req.method ?? 'GET'} ${req.path.replace(/[0-9a-f-]{36}/g, '<uuid>')}: ${res.status}`,
    );
  }

  const leaks = server.logs.lines.filter((line) => [...secrets].some((secret) => line.includes(secret)));
  t.same(leaks, [], 'no line holds a secret');
  const lines = accessLines(server.logs.lines);
  t.ok(lines.length >= requests.length + 3, 'one access line per request');
  t.ok(
    lines.some((line) => line.path === '/0.1/token/…' && line.route === '/token/{token:uuid}'),
    'the token of a path is masked',
  );
  t.ok(
    lines.some((line) => line.path === '/0.1/users?token=…&recurse=true'),
    'a token= query value is masked, the rest kept',
  );
});

t.test('the access line: fields, request id, level from the configuration and PATCH /config', async (t) => {
  const server = await startTestApp(
    t,
    (config) => {
      config.log_level = 'warning';
    },
    { loggerFromConfig: true },
  );
  const admin = await adminCaller(server);
  const backends = (headers: Record<string, string> = {}) => server.call({ path: '/0.1/backends', headers });
  const backendLines = () => accessLines(server.logs.lines).filter((line) => line.route === '/backends');

  const quiet = await backends();
  t.match(quiet.headers['x-request-id'], /^[0-9a-f]{8}-[0-9a-z]+$/, 'a request id is generated and echoed');
  t.equal(backendLines().length, 0, 'log_level warning: no access line');

  const setDebug = async (value: boolean) => {
    const res = await server.call({
      method: 'PATCH',
      path: '/0.1/config',
      headers: { 'X-Auth-Token': admin.token, ...JSON_HEADERS },
      body: JSON.stringify([{ op: 'replace', path: '/debug', value }]),
    });
    t.equal(res.status, 200);
  };
  await setDebug(true);
  const sent = await backends({ 'X-Request-Id': 'client-id.42', 'User-Agent': 'probe/1.0' });
  t.equal(sent.headers['x-request-id'], 'client-id.42', "a client's sane request id is kept");
  const insane = await backends({ 'X-Request-Id': 'has spaces and "quotes"' });
  t.not(insane.headers['x-request-id'], 'has spaces and "quotes"', 'an odd one is replaced');
  const errorReply = await server.call({ path: '/0.1/users', headers: { 'X-Request-Id': 'err-1' } });
  t.equal(errorReply.status, 401);
  t.equal(errorReply.headers['x-request-id'], 'err-1', 'errors carry it too');

  const [line] = backendLines().filter((entry) => entry.requestId === 'client-id.42');
  t.match(line, {
    level: 30,
    requestId: 'client-id.42',
    method: 'GET',
    route: '/backends',
    path: '/0.1/backends',
    status: 200,
    remote: '127.0.0.1',
    userAgent: 'probe/1.0',
    msg: 'GET /0.1/backends 200',
  });
  t.type(line?.ms, 'number');
  t.ok(
    accessLines(server.logs.lines).some((entry) => entry.requestId === 'err-1' && entry.status === 401),
    'failed requests are logged',
  );

  await setDebug(false);
  const count = backendLines().length;
  await backends();
  t.equal(backendLines().length, count, 'debug off: back to the configured level');
});
