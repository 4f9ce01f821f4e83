import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startActorSystem } from '../../src/actors/system.js';
import { WazoUserBackend } from '../../src/authentication/wazo-user.js';
import { Outbox } from '../../src/bus/outbox.js';
import { ClusterPeer } from '../../src/cluster/peer.js';
import { loadConfig } from '../../src/config/index.js';
import { User } from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import { LegacyError } from '../../src/http/errors.js';
import { NativeLoginMethod } from '../../src/idp/native.js';
import { LoginMethods } from '../../src/idp/registry.js';
import { createLogger } from '../../src/log/logger.js';
import { hashPassword } from '../../src/passwords/index.js';
import { TokenCache } from '../../src/tokens/cache.js';
import { type IssuePlan, LoginService } from '../../src/tokens/login.js';
import { RefreshTokenRepository } from '../../src/tokens/refresh-tokens.js';
import { TokenRepository } from '../../src/tokens/repository.js';
import { TokenService } from '../../src/tokens/service.js';
import { migratedDatabase } from '../helpers/db.js';
import { createUser } from '../helpers/fixtures.js';
import { LogSink } from '../helpers/server.js';

/** A backend that lets `meanwhile` run after the password was verified, as a concurrent request would. */
class InterleavedBackend extends WazoUserBackend {
  meanwhile: (() => Promise<void>) | undefined;
  override async authenticate(login: string, password: string) {
    const user = await super.authenticate(login, password);
    await this.meanwhile?.();
    return user;
  }
}

function loginService(orm: Database, backend: WazoUserBackend) {
  const system = startActorSystem(`recheck-${Math.random()}`);
  const outbox = new Outbox(orm, { toBroker: false, originUuid: randomUUID() });
  const repository = new TokenRepository(orm, outbox);
  let service: LoginService | undefined;
  const tokens = new TokenService({
    system,
    repository,
    cache: new TokenCache(repository),
    peer: ClusterPeer.solo(),
    prepareIssue: (record, plan) => service!.prepare(record, plan as unknown as IssuePlan) as Promise<never>,
  });
  const config = loadConfig({ env: {}, file: null }).config;
  const logger = createLogger({ log_level: 'error', debug: false }, new LogSink());
  service = new LoginService({
    orm,
    config,
    backend,
    methods: new LoginMethods(config, {}, new NativeLoginMethod(backend), logger),
    tokens,
    refreshTokens: new RefreshTokenRepository(orm, outbox),
    platformUuid: null,
  });
  return {
    service,
    stop() {
      tokens.stop();
      system.stop();
    },
  };
}

const request = { backend: 'wazo_user', expiration: 60, access_type: 'online' as const };
const context = (password: string) => ({
  credentials: { login: 'racer', password },
  mobile: false,
  userAgent: '',
  remoteAddr: '127.0.0.1',
});

t.test('a login verified just before the user changed gets no token', async (t) => {
  const orm = await migratedDatabase(t);
  const uuid = await createUser(orm, { username: 'racer', password: 'old' });
  const backend = new InterleavedBackend(orm);
  const { service, stop } = loginService(orm, backend);
  t.teardown(stop);

  const issued = await service.login(request, context('old'));
  t.match(issued.token.record.authId, uuid, 'an ordinary login works');

  backend.meanwhile = async () => {
    const changed = await hashPassword('new');
    await orm.em.fork().nativeUpdate(User, { uuid }, { passwordHash: changed.hash });
  };
  await t.rejects(
    service.login(request, context('old')),
    new LegacyError(401, 'Authentication Failed'),
    'password changed meanwhile',
  );

  backend.meanwhile = async () => {
    await orm.em.fork().nativeUpdate(User, { uuid }, { enabled: false });
  };
  await t.rejects(
    service.login(request, context('new')),
    new LegacyError(401, 'Authentication Failed'),
    'disabled meanwhile',
  );

  backend.meanwhile = undefined;
  await orm.em.fork().nativeUpdate(User, { uuid }, { enabled: true });
  const after = await service.login(request, context('new'));
  t.ok(after.token.record.token, 'the new password logs in once nothing interferes');
});

t.test('an upgraded PBKDF2 hash does not count as a password change', async (t) => {
  const orm = await migratedDatabase(t);
  await createUser(orm, { username: 'racer', password: 'legacy', upstreamHash: true });
  const { service, stop } = loginService(orm, new WazoUserBackend(orm));
  t.teardown(stop);
  const issued = await service.login(request, context('legacy'));
  t.ok(issued.token.record.token);
});
