import { startActorSystem } from '../../src/actors/system.js';
import { WazoUserBackend } from '../../src/authentication/wazo-user.js';
import { Outbox } from '../../src/bus/outbox.js';
import { type Channel, ClusterPeer, type WireMessage } from '../../src/cluster/peer.js';
import { NativeLoginMethod } from '../../src/idp/native.js';
import { LoginMethods } from '../../src/idp/registry.js';
import { createLogger } from '../../src/log/logger.js';
import { TenantHierarchy } from '../../src/tenants/hierarchy.js';
import { LoginThrottle, type ThrottleSettings } from '../../src/throttle/index.js';
import { TokenCache } from '../../src/tokens/cache.js';
import { type IssuePlan, LoginService } from '../../src/tokens/login.js';
import { RefreshTokenRepository } from '../../src/tokens/refresh-tokens.js';
import { TokenRepository } from '../../src/tokens/repository.js';
import { tokenRoutes } from '../../src/tokens/routes.js';
import { TokenService } from '../../src/tokens/service.js';
import type { TestApp } from '../helpers/app.js';
import { type ClientRequest, request } from '../helpers/http.js';
import { LogSink, startHttp, testConfig } from '../helpers/server.js';

/**
 * `POST /token` and the token routes, with a login throttle, served on `server`'s database the way
 * src/app.ts composes them (until app.ts wires the throttle itself).
 */
export async function throttledTokenRoutes(
  t: { teardown(fn: () => unknown): void },
  server: TestApp,
  settings: ThrottleSettings,
  configure: (config: ReturnType<typeof testConfig>) => void = () => {},
) {
  const { orm } = server;
  const config = testConfig({ WAZO_AUTH_DB_URI: server.uri });
  configure(config);
  const logs = new LogSink();
  const logger = createLogger({ log_level: 'debug', debug: false }, logs);
  const outbox = new Outbox(orm, { toBroker: false, originUuid: server.app.platformUuid });
  const actors = startActorSystem('throttle-test');
  const repository = new TokenRepository(orm, outbox);
  const refreshTokens = new RefreshTokenRepository(orm, outbox);
  const cache = new TokenCache(repository);
  let login: LoginService | undefined;
  const peer = ClusterPeer.solo();
  const tokens = new TokenService({
    system: actors,
    repository,
    cache,
    peer,
    prepareIssue: (record, plan) => login!.prepare(record, plan as unknown as IssuePlan) as Promise<never>,
  });
  const backend = new WazoUserBackend(orm);
  const methods = new LoginMethods(config, {}, new NativeLoginMethod(backend), logger);
  login = new LoginService({
    orm,
    config,
    backend,
    methods,
    tokens,
    refreshTokens,
    platformUuid: server.app.platformUuid,
  });
  const throttle = new LoginThrottle(settings, peer, logger);
  const routes = tokenRoutes({
    orm,
    tokens,
    login,
    hierarchy: new TenantHierarchy(orm),
    defaultExpiration: 3600,
    throttle,
  });
  const http = await startHttp(routes, config);
  t.teardown(async () => {
    await http.close();
    tokens.stop();
    actors.stop();
  });
  return { throttle, backend, logs, call: (req: ClientRequest) => request(http.base, req) };
}

/** Workers of one machine in one process: the primary's forwarding, without processes. */
export function linkedPeers(count: number): ClusterPeer[] {
  const listeners: ((message: WireMessage) => void)[] = [];
  return Array.from({ length: count }, (_, index) => {
    const channel: Channel = {
      send: (message) => setImmediate(() => listeners[message.to]!(message)),
      onMessage: (listener) => {
        listeners[index] = listener;
      },
    };
    return ClusterPeer.worker(index, count, channel, 2000);
  });
}
