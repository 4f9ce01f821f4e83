import { startActorSystem } from './actors/system.js';
import { withApiDocument } from './api-spec/index.js';
import { WazoUserBackend } from './authentication/wazo-user.js';
import { loadedBackends } from './backends/registry.js';
import { backendRoutes } from './backends/routes.js';
import { countUsers, createInitialUser, resolvePlatformUuid } from './bootstrap/index.js';
import type { EventMessage } from './bus/message.js';
import type { OutboxRelay } from './bus/relay.js';
import { createBus } from './bus/setup.js';
import { ClusterPeer } from './cluster/peer.js';
import { RevocationNotices } from './cluster/revocation-notices.js';
import type { Config } from './config/index.js';
import { configRoutes } from './config-api/index.js';
import { findMasterTenant } from './entities/index.js';
import { type Database, dialectOf, openDatabase } from './entities/orm.js';
import { externalAuth as externalAuthSubsystem } from './external-auth/index.js';
import { groupRoutes } from './groups/routes.js';
import { HttpServer, type ListenAddress } from './http/server.js';
import type { LoginMethod } from './idp/method.js';
import { NativeLoginMethod } from './idp/native.js';
import { LoginMethods } from './idp/registry.js';
import { idpRoutes } from './idp/routes.js';
import { LdapLoginMethod, ldapConfigRoutes } from './ldap/index.js';
import { databaseProbe } from './lifecycle/database-probe.js';
import type { Logger } from './log/logger.js';
import { createMailer } from './mail/index.js';
import { ClusterMetrics } from './metrics/cluster.js';
import { MetricsListener } from './metrics/listener.js';
import { ServerMetrics } from './metrics/registry.js';
import { metricsRoutes } from './metrics/routes.js';
import { policyRoutes } from './policies/routes.js';
import { provision } from './provisioning/index.js';
import { PushService } from './push/service.js';
import { Saml, SamlLoginMethod, samlConfigRoutes, samlRoutes } from './saml/index.js';
import { selfServiceRoutes } from './self-service/index.js';
import { MailBudget } from './self-service/mail-budget.js';
import { sessionRoutes } from './sessions/routes.js';
import { statusRoutes } from './status/routes.js';
import { TenantHierarchy } from './tenants/hierarchy.js';
import { tenantRoutes } from './tenants/routes.js';
import { LoginThrottle, throttleSettings } from './throttle/index.js';
import { TokenCache } from './tokens/cache.js';
import { TokenCleanup } from './tokens/cleanup.js';
import { type IssuePlan, LoginService } from './tokens/login.js';
import { refreshTokenRoutes } from './tokens/refresh-token-routes.js';
import { RefreshTokenRepository } from './tokens/refresh-tokens.js';
import { TokenRepository } from './tokens/repository.js';
import { tokenRoutes } from './tokens/routes.js';
import { TokenService } from './tokens/service.js';
import { UserRepository } from './users/repository.js';
import { userRoutes } from './users/routes.js';

export interface App {
  readonly address: ListenAddress;
  /** Where `metrics.listen` serves the metrics without authentication; null when it is not set. */
  readonly metricsAddress: { host: string; port: number } | null;
  readonly platformUuid: string;
  /** No user exists yet: the operator still has to create the first administrator. */
  readonly empty: boolean;
  /**
   * The graceful stop, within `shutdown_timeout`; resolves with whether everything finished in time
   * (false: requests were still running at the deadline, or a worker had to be killed).
   */
  stop(): Promise<boolean>;
}

/** A worker's application: its primary has it drain first, and close once every worker has drained. */
export interface WorkerApp extends App {
  /**
   * The first half of `stop`: readiness fails, nothing new is accepted, WebSocket clients get 1001, and
   * in-flight requests finish (within `shutdown_timeout`); the actors still answer other workers, whose
   * in-flight requests may need them. Resolves with whether all finished in time.
   */
  drain(): Promise<boolean>;
}

/** Where this process stands in the cluster (src/cluster): a single process is a cluster of one. */
export interface ClusterRole {
  peer: ClusterPeer;
  /** The primary already migrated, provisioned and bootstrapped the database. */
  prepared: boolean;
  /** One worker runs the periodic cleanup job for all. */
  runsCleanup: boolean;
}

const SOLO: ClusterRole = { peer: ClusterPeer.solo(), prepared: false, runsCleanup: true };

const PUSH_DELIVER = 'push.deliver';

/** Upstream waits for its database at start (db_connect_retry_timeout_seconds): so does this server. */
async function openWithRetry(config: Config, log: Logger): Promise<Database> {
  const deadline = Date.now() + config.db_connect_retry_timeout_seconds * 1000;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await openDatabase(config.db_uri);
    } catch (error) {
      const message = (error as Error).message;
      if (!message.startsWith('Cannot open the database') || Date.now() + delay > deadline) throw error;
      log.warn({ retryInMs: delay }, message);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function bootstrapUser(config: Config, orm: Database, log: Logger): Promise<void> {
  if (!config.bootstrap_user_on_startup) return;
  const result = await createInitialUser(orm, {
    username: config.bootstrap_user_username!,
    password: config.bootstrap_user_password!,
    purpose: config.bootstrap_user_purpose,
    policySlug: config.bootstrap_user_policy_slug,
  });
  if (result.outcome === 'conflict') {
    throw new Error(
      `bootstrap user "${config.bootstrap_user_username}" exists with different credentials (WAZO_AUTH_BOOTSTRAP_*)`,
    );
  }
  log.info({ user: result.uuid, outcome: result.outcome }, 'bootstrap user');
}

/**
 * The composition root of one server process: every dependency is built here and handed to the
 * modules that need it. Start-up order follows upstream (bootstrap.md §4): database and migrations,
 * bootstrap user, then HTTP.
 */
/**
 * Readies the database before serving (bootstrap.md §4): migrations (when opening), then provisioning,
 * then the bootstrap user. With workers the primary does it once, before starting them.
 */
async function readyDatabase(orm: Database, config: Config, logger: Logger): Promise<string> {
  await provision(orm, config, logger);
  const platformUuid = await resolvePlatformUuid(orm, config.uuid);
  await bootstrapUser(config, orm, logger);
  return platformUuid;
}

/** What the primary of a cluster does before starting its workers; also says whether users exist. */
export async function prepareDatabase(
  config: Config,
  logger: Logger,
): Promise<{ platformUuid: string; empty: boolean }> {
  const orm = await openWithRetry(config, logger);
  try {
    const platformUuid = await readyDatabase(orm, config, logger);
    return { platformUuid, empty: (await countUsers(orm)) === 0 };
  } finally {
    await orm.close();
  }
}

export async function startApp(config: Config, logger: Logger, role: ClusterRole = SOLO): Promise<WorkerApp> {
  const orm = await openWithRetry(config, logger);
  let relay: OutboxRelay | null = null;
  let notices: RevocationNotices | null = null;
  let metricsListener: MetricsListener | null = null;
  const { peer } = role;
  try {
    const platformUuid = role.prepared
      ? await resolvePlatformUuid(orm, config.uuid)
      : await readyDatabase(orm, config, logger);
    const masterTenantUuid = (await findMasterTenant(orm.em.fork()))!.uuid;
    // The push service needs the tokens, which need the outbox: it is bound once built.
    let push: PushService | undefined;
    // Events committed here reach this worker's WebSocket connections and every other worker's.
    const bus = createBus(config, orm, platformUuid, logger, (messages) => {
      push?.deliver(messages);
      void peer
        .broadcast(PUSH_DELIVER, messages)
        .catch((error) => logger.warn({ err: error }, 'events not handed to every worker'));
    });
    const { outbox } = bus;
    relay = bus.relay;
    // Events left by a previous run (it died between commit and publication) leave first.
    relay?.start();
    const actors = startActorSystem();
    const tokenRepository = new TokenRepository(orm, outbox);
    const refreshTokens = new RefreshTokenRepository(orm, outbox);
    // The login service prepares issues inside user actors, which the token service owns: bound once built.
    let login: LoginService | undefined;
    const cache = new TokenCache(tokenRepository);
    // Every process on the same PostgreSQL database (other instances, other workers) hears of the
    // revocations committed by any of them; SQLite serves one process, whose cache the revoker clears.
    if (dialectOf(config.db_uri) === 'postgresql') {
      notices = new RevocationNotices(
        config.db_uri,
        {
          revoked: (revoked) => {
            for (const token of revoked) cache.evict(token);
          },
          resumed: () => cache.revalidate((held) => tokenRepository.stillLive(held)),
        },
        logger,
      );
      await notices.start();
    }
    const tokens = new TokenService({
      system: actors,
      repository: tokenRepository,
      cache,
      peer,
      prepareIssue: (record, plan) => login!.prepare(record, plan as unknown as IssuePlan) as Promise<never>,
    });
    push = new PushService({
      tokens,
      masterTenantUuid,
      originUuid: platformUuid,
      leadSeconds: config.token_cleanup_interval,
      maxConnections: config.websocket.max_connections,
      log: logger,
    });
    peer.handle(PUSH_DELIVER, (messages) => push?.deliver(messages as EventMessage[]));
    const hierarchy = new TenantHierarchy(orm);
    const cleanup = new TokenCleanup(
      tokenRepository,
      (purged) => tokens.evicted(purged),
      { intervalS: config.token_cleanup_interval, batchSize: config.token_cleanup_batch_size },
      logger,
    );
    const wazoUsers = new WazoUserBackend(orm);
    // Templates are read now: a bad template path stops the start, naming its key.
    const mailer = createMailer(config, logger);
    const saml = new Saml({ orm, config, logger, tokens, refreshTokens, hierarchy, users: wazoUsers });
    saml.start();
    // A method needs its backend (idp.md §4): ldap the ldap_user one, saml the wazo_user one.
    const implementations: Record<string, LoginMethod> = {};
    if (config.enabled_backend_plugins.ldap_user === true) {
      implementations.ldap = new LdapLoginMethod({ orm, logger });
    }
    if (config.enabled_backend_plugins.wazo_user === true) implementations.saml = new SamlLoginMethod(saml);
    const methods = new LoginMethods(config, implementations, new NativeLoginMethod(wazoUsers), logger);
    login = new LoginService({
      orm,
      config,
      backend: wazoUsers,
      methods,
      tokens,
      refreshTokens,
      platformUuid,
    });
    // On every worker: each keeps the counters of the usernames and addresses its shard owns.
    const throttle = new LoginThrottle(throttleSettings(config.login_throttle), peer, logger);
    const externalAuth = externalAuthSubsystem({ orm, outbox, tokens, hierarchy, config, logger });
    await externalAuth.start();
    const metrics = new ServerMetrics();
    const clusterMetrics = new ClusterMetrics(metrics, peer, logger);
    let serving = false;
    let stopping = false;
    const databaseAnswers = databaseProbe(orm);
    const readiness = [
      { name: 'database', check: async () => ((await databaseAnswers()) ? null : 'unreachable') },
      { name: 'rest_api', check: () => (serving && http.listening ? null : 'not_listening') },
      { name: 'process', check: () => (stopping ? 'shutting_down' : serving ? null : 'starting') },
    ];
    const http: HttpServer = new HttpServer({
      config,
      logger,
      metrics,
      routes: withApiDocument(config, [
        ...statusRoutes([{ name: 'rest_api', ok: () => serving }], readiness),
        ...metricsRoutes(tokens, clusterMetrics),
        ...backendRoutes(loadedBackends(config)),
        ...tokenRoutes({
          orm,
          tokens,
          login,
          hierarchy,
          defaultExpiration: config.default_token_lifetime,
          throttle,
        }),
        ...userRoutes({ orm, tokens, hierarchy, authenticationMethods: methods.assignable() }),
        ...policyRoutes({ orm, tokens, hierarchy }),
        ...groupRoutes({ orm, tokens, hierarchy }),
        ...refreshTokenRoutes({ orm, tokens, refreshTokens, hierarchy }),
        ...sessionRoutes({ orm, tokens, hierarchy }),
        ...tenantRoutes({
          orm,
          outbox,
          tokens,
          hierarchy,
          config,
          logger,
          authenticationMethods: methods.assignable(),
        }),
        ...configRoutes({ config, logger, tokens, hierarchy, platformUuid, peer }),
        ...externalAuth.routes,
        ...(config.enabled_http_plugins.idp === false ? [] : idpRoutes({ orm, tokens, hierarchy, methods })),
        ...ldapConfigRoutes({ orm, tokens, hierarchy }, config.enabled_http_plugins.ldap_config !== false),
        ...selfServiceRoutes({
          orm,
          outbox,
          tokens,
          hierarchy,
          users: new UserRepository(orm),
          mailer,
          config,
          logger,
          mailBudget: new MailBudget(config.mail_throttle, peer),
        }),
        ...samlRoutes(saml),
        ...samlConfigRoutes(saml),
      ]),
    });
    push.mount(http.uws);
    const pushService = push;
    metrics.bind({
      tokenCacheSize: () => cache.size,
      actors: () => new Map([...actors.families].map(([kind, size]) => [kind, size()])),
      websocketConnections: () => pushService.connections,
      outboxDepth: () => relay?.depth() ?? Promise.resolve(0),
    });
    let draining: Promise<boolean> | undefined;
    let deadline = Number.POSITIVE_INFINITY;
    const left = () => Math.max(0, deadline - Date.now());
    const address = await http.listen();
    let metricsAddress: App['metricsAddress'] = null;
    if (config.metrics.listen !== null) {
      metricsListener = new MetricsListener(clusterMetrics, logger.child({ component: 'metrics' }));
      const port = await metricsListener.listen(config.metrics.listen, config.metrics.port);
      metricsAddress = { host: config.metrics.listen, port };
    }
    serving = true;
    if (role.runsCleanup) {
      cleanup.start();
      saml.startPurging(config.token_cleanup_interval);
    }
    const empty = (await countUsers(orm)) === 0;
    const app: WorkerApp = {
      address,
      metricsAddress,
      platformUuid,
      empty,
      drain() {
        draining ??= (async () => {
          deadline = Date.now() + config.shutdown_timeout * 1000;
          // Readiness fails from now on, so that a balancer sends nothing more here.
          stopping = true;
          serving = false;
          metricsListener?.close();
          cleanup.stop();
          saml.stop();
          // WebSocket clients would hold on until the deadline: they get 1001 and reconnect elsewhere.
          push?.stop();
          externalAuth.stop();
          const drained = await http.close(left());
          if (!drained)
            logger.warn({ requests: http.pending }, 'shutdown: requests still running at shutdown_timeout');
          return drained;
        })();
        return draining;
      },
      async stop() {
        const drained = await app.drain();
        // The last requests' events are sent before the database closes; what cannot be, waits in it.
        await relay?.stop(left());
        await notices?.stop();
        tokens.stop();
        actors.stop();
        await orm.close();
        return drained;
      },
    };
    return app;
  } catch (error) {
    metricsListener?.close();
    await relay?.stop(0);
    await notices?.stop();
    await orm.close(true);
    throw error;
  }
}
