import t from 'tap';
import { User } from '../../src/entities/index.js';
import { openDatabase } from '../../src/entities/orm.js';
import { createTestDatabase, sqliteTempUri } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { run, startServer } from '../helpers/process.js';
import { selfSignedCertificate } from '../helpers/tls.js';

t.test('with no configuration: embedded SQLite, status, backends, instructions, clean SIGTERM', async (t) => {
  const server = await startServer({ WAZO_AUTH_DB_URI: sqliteTempUri() });
  t.match(server.base, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(server.output(), /No user exists yet/);
  t.match(server.output(), /npm run bootstrap -- initial-user --username/);

  for (const prefix of ['/0.1', '/api/auth/0.1']) {
    const status = await request(server.base, { method: 'HEAD', path: `${prefix}/status` });
    t.equal(status.status, 200, `HEAD ${prefix}/status`);
    t.equal(status.text, '');
  }
  const getStatus = await request(server.base, { path: '/0.1/status' });
  t.equal(getStatus.status, 405);
  t.equal(getStatus.headers.allow, 'HEAD, OPTIONS');
  const backends = await request(server.base, { path: '/0.1/backends' });
  t.equal(backends.status, 200);
  t.same(backends.json(), { data: ['ldap_user', 'wazo_user'] });
  const unknown = await request(server.base, { path: '/0.1/nothing-here' });
  t.equal(unknown.status, 404);

  t.equal(await server.stop(), 0, 'SIGTERM exits 0');
});

t.test('bootstrap variables create the first user at start-up, idempotently', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = {
    WAZO_AUTH_DB_URI: db.uri,
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'admin',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'first-password',
  };
  const first = await startServer(env);
  t.notMatch(first.output(), /No user exists yet/);
  t.notMatch(first.output(), /first-password/, 'the password is never printed');
  t.equal(await first.stop(), 0);

  const again = await startServer(env);
  t.equal(await again.stop(), 0, 'same credentials: nothing to do');

  const conflict = await run('src/main.ts', [], {
    ...env,
    WAZO_AUTH_PORT: '0',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'other',
  });
  t.equal(conflict.code, 1);
  t.match(conflict.stderr, /bootstrap user "admin" exists with different credentials/);
  t.notMatch(conflict.stdout + conflict.stderr, /other/, 'the password is never printed');

  const orm = await openDatabase(db.uri);
  t.equal(await orm.em.fork().count(User, {}), 1);
  await orm.close();
});

t.test('bad configuration stops the start with the key named', async (t) => {
  const badPort = await run('src/main.ts', [], { WAZO_AUTH_PORT: 'abc' });
  t.equal(badPort.code, 2);
  t.match(badPort.stderr, /WAZO_AUTH_PORT must be a whole number/);
  const badUri = await run('src/main.ts', [], { WAZO_AUTH_PORT: '0', WAZO_AUTH_DB_URI: 'mysql://x/y' });
  t.equal(badUri.code, 1);
  t.match(badUri.stderr, /WAZO_AUTH_DB_URI/);
  const workers = await run('src/main.ts', [], { WAZO_AUTH_WORKERS: '4', WAZO_AUTH_DB_URI: sqliteTempUri() });
  t.equal(workers.code, 1);
  t.match(workers.stderr, /WAZO_AUTH_WORKERS/);
});

t.test('HTTPS when WAZO_AUTH_TLS_CERT and WAZO_AUTH_TLS_KEY are set', async (t) => {
  const { cert, key } = selfSignedCertificate();
  const server = await startServer({
    WAZO_AUTH_DB_URI: sqliteTempUri(),
    WAZO_AUTH_TLS_CERT: cert,
    WAZO_AUTH_TLS_KEY: key,
  });
  t.match(server.base, /^https:/);
  const status = await request(server.base, { method: 'HEAD', path: '/0.1/status' });
  t.equal(status.status, 200);
  t.equal(await server.stop(), 0);
});

t.test('npm run bootstrap -- initial-user', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = { WAZO_AUTH_DB_URI: db.uri };
  const created = await run(
    'src/cli/bootstrap.ts',
    ['initial-user', '--username', 'boss', '--password', 'pw1'],
    env,
  );
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /created user "boss" \([0-9a-f-]{36}\)/);
  t.notMatch(created.stdout, /pw1/);

  const exists = await run(
    'src/cli/bootstrap.ts',
    ['initial-user', '--username', 'Boss', '--password', 'pw2'],
    env,
  );
  t.equal(exists.code, 1);
  t.match(exists.stderr, /user "Boss" already exists .* with another password/);

  const generated = await run('src/cli/bootstrap.ts', ['initial-user', '--purpose', 'user'], env);
  t.equal(generated.code, 0, generated.stderr);
  t.match(generated.stdout, /created user "wazo-auth-cli"/);
  t.match(generated.stdout, /generated password: [0-9a-zA-Z]{28}\n/);

  const viaEnv = await run('src/cli/bootstrap.ts', ['initial-user'], {
    ...env,
    WAZO_AUTH_BOOTSTRAP_USERNAME: 'svc',
    WAZO_AUTH_BOOTSTRAP_PASSWORD: 'k',
    WAZO_AUTH_BOOTSTRAP_PURPOSE: 'external_api',
  });
  t.equal(viaEnv.code, 0, viaEnv.stderr);

  const badPurpose = await run('src/cli/bootstrap.ts', ['initial-user', '--purpose', 'root'], env);
  t.equal(badPurpose.code, 2);
  t.match(badPurpose.stderr, /--purpose must be one of user, internal, external_api/);
  const unknown = await run('src/cli/bootstrap.ts', ['make-coffee'], env);
  t.equal(unknown.code, 2);
  const setup = await run('src/cli/bootstrap.ts', ['setup'], env);
  t.equal(setup.code, 0);

  const orm = await openDatabase(db.uri);
  const users = await orm.em.fork().find(User, {}, { orderBy: { username: 'asc' } });
  t.same(
    users.map((user) => [user.username, user.purpose]),
    [
      ['boss', 'internal'],
      ['svc', 'external_api'],
      ['wazo-auth-cli', 'user'],
    ],
  );
  await orm.close();
});
