import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { freePort } from '../../src/net/free-port.js';
import { basic, JSON_HEADERS } from '../helpers/app.js';
import { sqliteTempUri } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/process.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const SNIPPET = new URL('../../deploy/nginx/wazo-auth-ts.conf', import.meta.url).pathname;

/** nginx with the shipped snippet, its three marked values set for this test; stopped at teardown. */
async function nginx(t: Tap, backendPort: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-nginx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { cert, key } = selfSignedCertificate();
  const port = await freePort();
  const snippet = readFileSync(SNIPPET, 'utf8')
    .replace('server 127.0.0.1:9497;', `server 127.0.0.1:${backendPort};`)
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
    .replace('/etc/wazo-auth-ts/tls/server.crt', cert)
    .replace('/etc/wazo-auth-ts/tls/server.key', key);
  writeFileSync(join(dir, 'wazo-auth-ts.conf'), snippet);
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, temp));
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      '  access_log off;',
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (temp) => `  ${temp === 'body' ? 'client_body' : temp}_temp_path ${dir}/${temp};`,
      ),
      `  include ${dir}/wazo-auth-ts.conf;`,
      '}',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: 'inherit',
  });
  t.teardown(async () => {
    child.kill('SIGQUIT');
    await once(child, 'exit');
  });
  for (let i = 0; i < 50; i++) {
    const up = await request(`https://127.0.0.1:${port}`, { path: '/api/auth/0.1/backends' }).catch(
      () => null,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return port;
}
type Tap = { teardown(fn: () => unknown): void };

t.test('deploy/nginx: TLS in front of /api/auth/ and /api/websocketd/', async (t) => {
  const server = await startServer({
    WAZO_AUTH_DB_URI: sqliteTempUri(),
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'root',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'secret',
  });
  t.teardown(() => server.stop());
  const port = await nginx(t, Number(new URL(server.base).port));
  const base = `https://127.0.0.1:${port}`;

  const backends = await request(base, { path: '/api/auth/0.1/backends' });
  t.equal(backends.status, 200);
  t.same(backends.json(), { data: ['ldap_user', 'wazo_user'] });
  const login = await request(base, {
    method: 'POST',
    path: '/api/auth/0.1/token',
    headers: { ...JSON_HEADERS, Authorization: basic('root', 'secret') },
    body: '{}',
  });
  t.equal(login.status, 200, 'a login through the proxy');
  const { token } = login.json<{ data: { token: string } }>().data;

  const socket = new WebSocket(`wss://127.0.0.1:${port}/api/websocketd/?token=${token}&version=2`, {
    rejectUnauthorized: false,
  });
  const [first] = (await once(socket, 'message')) as [Buffer];
  t.same(
    JSON.parse(first.toString()),
    { op: 'init', code: 0, data: { version: 2 } },
    'a WebSocket through it',
  );
  socket.close();
});
