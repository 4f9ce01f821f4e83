// Metrics with two workers, through the real server process: any worker's answer covers both.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createTestDatabase } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { rootToken, startServer, withRoot } from '../helpers/process.js';
import { sample } from './support.js';

t.test('two workers: every scrape, on either path, counts the requests of both', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-metrics-'));
  const file = join(dir, 'config.yml');
  // Port 0: the primary picks one free port, which both workers share.
  writeFileSync(file, 'metrics:\n  listen: 127.0.0.1\n  port: 0\n');
  const server = await startServer(
    withRoot({ WAZO_AUTH_WORKERS: '2', WAZO_AUTH_DB_URI: db.uri, WAZO_AUTH_CONFIG: file }),
  );
  t.teardown(() => server.kill('SIGKILL'));
  const metricsUrl = /metrics without authentication on (http:\/\/\S+)\/metrics/.exec(server.output())?.[1];
  t.ok(metricsUrl, 'the start-up message gives the metrics URL');

  const token = await rootToken(server);
  const CHECKS = 24;
  // Fresh connections: the kernel spreads them over both workers.
  await Promise.all(
    Array.from({ length: CHECKS }, () => request(server.base, { path: `/0.1/token/${token}` })),
  );
  const counted = (text: string) =>
    sample(text, 'wazo_auth_http_requests_total', {
      route: '/token/{token:uuid}',
      method: 'GET',
      status: '200',
    });

  for (let i = 0; i < 6; i++) {
    const viaApi = await request(server.base, { path: '/0.1/metrics', headers: { 'X-Auth-Token': token } });
    t.equal(viaApi.status, 200);
    t.equal(sample(viaApi.text, 'wazo_auth_processes'), 2, 'both workers answered');
    t.equal(counted(viaApi.text), CHECKS, 'every check counted once, whichever worker answers');
    t.equal(
      sample(viaApi.text, 'wazo_auth_token_checks_total', { source: 'token_api', outcome: 'ok' }),
      CHECKS,
    );
    t.notOk(viaApi.text.includes(token));
    const direct = await request(metricsUrl!, { path: '/metrics' });
    t.equal(direct.status, 200);
    t.equal(sample(direct.text, 'wazo_auth_processes'), 2);
    t.equal(counted(direct.text), CHECKS);
  }
  t.equal(await server.stop(), 0);
});
