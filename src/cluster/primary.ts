import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { type App, prepareDatabase } from '../app.js';
import type { Config } from '../config/index.js';
import { dialectOf } from '../entities/orm.js';
import type { ListenAddress } from '../http/server.js';
import type { Logger } from '../log/logger.js';
import { freePort } from '../net/free-port.js';
import type { WireMessage } from './peer.js';

/** What a worker tells the primary besides the calls it forwards. */
export type WorkerNotice =
  | { kind: 'ready'; index: number; address: ListenAddress }
  /** Its HTTP is drained (`clean`: within the deadline); it waits for `close`. */
  | { kind: 'drained'; index: number; clean: boolean };
/**
 * What the primary tells a worker besides forwarded calls. A stop has two steps, so that no worker
 * closes its shard's actors while another one's in-flight request may still need them: `shutdown`
 * (drain HTTP), then, once every worker has drained, `close` (flush, close the database, exit).
 */
export type PrimaryOrder = { kind: 'shutdown' } | { kind: 'close' };

/** The command of TokenService the primary knows of: cache evictions. */
const EVICT = 'tokens.evict';
/** Delay before replacing a worker that died, so that a crash loop does not spin. */
const RESPAWN_DELAY_MS = 500;

interface Slot {
  worker: Worker | null;
  ready: boolean;
  drained: boolean;
  /** Messages for this index while its worker is being replaced. */
  backlog: WireMessage[];
}

/**
 * The primary of `workers` > 1: readies the database once, starts one worker process per index, all
 * listening on the same port (uWS binds with SO_REUSEPORT; the kernel spreads connections), forwards the
 * calls workers make to each other (a key's actors live on the worker owning its shard), and replaces a
 * worker that dies. The others keep their caches: a revocation the dead worker committed without telling
 * them reaches them from its transaction (src/db/revocation-trigger.ts).
 */
export async function startPrimary(config: Config, logger: Logger): Promise<App> {
  if (dialectOf(config.db_uri) !== 'postgresql')
    throw new Error(
      `workers = ${config.workers} (WAZO_AUTH_WORKERS) needs PostgreSQL (WAZO_AUTH_DB_URI): SQLite serves one process`,
    );
  const log = logger.child({ component: 'primary' });
  const { platformUuid, empty } = await prepareDatabase(config, logger);
  const { listen: host } = config.rest_api;
  const port = config.rest_api.port === 0 ? await freePort(host) : config.rest_api.port;
  // Workers must agree on one metrics port too, to share it as they share the API's.
  const metricsHost = config.metrics.listen;
  const metricsPort =
    metricsHost !== null && config.metrics.port === 0 ? await freePort(metricsHost) : config.metrics.port;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.ts', import.meta.url)) });

  const slots: Slot[] = Array.from({ length: config.workers }, () => ({
    worker: null,
    ready: false,
    drained: false,
    backlog: [],
  }));
  let stopping = false;
  let uncleanExits = 0;
  let uncleanDrains = 0;
  let drainedAll: () => void = () => {};
  const checkDrained = () => {
    if (slots.every((slot) => slot.drained || !slot.worker)) drainedAll();
  };
  let address: ListenAddress | null = null;
  let allReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    allReady = resolve;
  });

  const deliver = (index: number, message: WireMessage) => {
    const slot = slots[index];
    if (!slot) return;
    if (slot.worker && slot.ready) slot.worker.send(message);
    else if (message.kind === 'call' && message.command === EVICT)
      // A worker being replaced has no cache to clear (its successor starts empty): the revocation need
      // not wait for it.
      deliver(message.from, { kind: 'reply', id: message.id, to: message.from, ok: true, value: null });
    else slot.backlog.push(message);
  };

  const fork = (index: number) => {
    const worker = cluster.fork({
      WAZO_AUTH_WORKER_INDEX: String(index),
      WAZO_AUTH_WORKERS: String(config.workers),
      WAZO_AUTH_PORT: String(port),
      WAZO_AUTH_METRICS_PORT: String(metricsPort),
    });
    const slot = slots[index]!;
    slot.worker = worker;
    slot.ready = false;
    slot.drained = false;
    worker.on('message', (message: WireMessage | WorkerNotice) => {
      if (message.kind === 'drained') {
        slot.drained = true;
        if (!message.clean) uncleanDrains++;
        if (stopping) checkDrained();
        // A worker signalled on its own (not the whole group): it is let go, then replaced. The delay
        // leaves time for the primary's own signal when the whole group got one.
        else
          setTimeout(() => {
            if (!stopping && slot.worker === worker) worker.send({ kind: 'close' } satisfies PrimaryOrder);
          }, RESPAWN_DELAY_MS).unref();
        return;
      }
      if (message.kind === 'ready') {
        address = message.address;
        slot.ready = true;
        for (const waiting of slot.backlog.splice(0)) worker.send(waiting);
        if (slots.every((s) => s.ready)) allReady();
        return;
      }
      deliver(message.to, message);
    });
    worker.on('exit', (code, signal) => {
      slot.worker = null;
      slot.ready = false;
      if (stopping) {
        if (code !== 0) uncleanExits++;
        checkDrained();
        return;
      }
      log.error({ worker: index, code, signal }, 'worker died; replacing it');
      setTimeout(() => fork(index), RESPAWN_DELAY_MS).unref();
    });
  };

  for (let i = 0; i < config.workers; i++) fork(i);
  await ready;
  log.info({ workers: config.workers, port }, 'all workers listening');

  return {
    address: address!,
    metricsAddress: metricsHost === null ? null : { host: metricsHost, port: metricsPort },
    platformUuid,
    empty,
    /**
     * Has every worker drain (within `shutdown_timeout`), then close, and waits for them to exit; one
     * still there 2 s past the deadline is killed. Clean when every worker drained in time and exited 0.
     */
    async stop() {
      stopping = true;
      const exits = slots.flatMap(({ worker }) =>
        worker ? [new Promise<void>((resolve) => worker.once('exit', () => resolve()))] : [],
      );
      const send = (order: PrimaryOrder) => {
        for (const { worker } of slots) if (worker?.isConnected()) worker.send(order);
      };
      const killer = setTimeout(
        () => {
          for (const { worker } of slots) worker?.kill('SIGKILL');
        },
        (config.shutdown_timeout + 2) * 1000,
      );
      await new Promise<void>((resolve) => {
        // A worker that never reports (stuck) must not hold the others: they close at the deadline.
        const late = setTimeout(resolve, config.shutdown_timeout * 1000 + 500);
        drainedAll = () => {
          clearTimeout(late);
          resolve();
        };
        send({ kind: 'shutdown' });
        checkDrained();
      });
      send({ kind: 'close' });
      await Promise.all(exits);
      clearTimeout(killer);
      return uncleanExits === 0 && uncleanDrains === 0;
    },
  };
}
