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
export type WorkerNotice = { kind: 'ready'; index: number; address: ListenAddress };
/** What the primary tells a worker besides forwarded calls. */
export type PrimaryOrder = { kind: 'shutdown' };

/** Commands of TokenService the primary knows of: after a worker died, and cache evictions. */
const FORGET_SHARD = 'tokens.forget-shard';
const EVICT = 'tokens.evict';
/** Delay before replacing a worker that died, so that a crash loop does not spin. */
const RESPAWN_DELAY_MS = 500;

interface Slot {
  worker: Worker | null;
  ready: boolean;
  /** Messages for this index while its worker is being replaced. */
  backlog: WireMessage[];
}

/**
 * The primary of `workers` > 1: readies the database once, starts one worker process per index, all
 * listening on the same port (uWS binds with SO_REUSEPORT; the kernel spreads connections), forwards the
 * calls workers make to each other (a key's actors live on the worker owning its shard), and replaces a
 * worker that dies: the others drop what they cached of its shard, which reloads from the database.
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
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.ts', import.meta.url)) });

  const slots: Slot[] = Array.from({ length: config.workers }, () => ({
    worker: null,
    ready: false,
    backlog: [],
  }));
  let stopping = false;
  let address: ListenAddress | null = null;
  let allReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    allReady = resolve;
  });

  const deliver = (index: number, message: WireMessage) => {
    const slot = slots[index];
    if (!slot) return;
    if (slot.worker && slot.ready) slot.worker.send(message);
    else if (message.kind === 'call' && message.command === EVICT && message.from >= 0)
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
    });
    const slot = slots[index]!;
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (message: WireMessage | WorkerNotice) => {
      if (message.kind === 'ready') {
        address = message.address;
        slot.ready = true;
        for (const waiting of slot.backlog.splice(0)) worker.send(waiting);
        if (slots.every((s) => s.ready)) allReady();
        return;
      }
      // A reply to the primary's own notices (forget-shard) needs no delivery.
      if (message.to >= 0) deliver(message.to, message);
    });
    worker.on('exit', (code, signal) => {
      slot.worker = null;
      slot.ready = false;
      if (stopping) return;
      log.error({ worker: index, code, signal }, 'worker died; replacing it');
      slots.forEach((other, i) => {
        if (i !== index && other.worker)
          deliver(i, { kind: 'call', id: 0, from: -1, to: i, command: FORGET_SHARD, payload: index });
      });
      setTimeout(() => fork(index), RESPAWN_DELAY_MS).unref();
    });
  };

  for (let i = 0; i < config.workers; i++) fork(i);
  await ready;
  log.info({ workers: config.workers, port }, 'all workers listening');

  return {
    address: address!,
    platformUuid,
    empty,
    async stop() {
      stopping = true;
      const exits = slots.flatMap(({ worker }) =>
        worker ? [new Promise<void>((resolve) => worker.once('exit', () => resolve()))] : [],
      );
      for (const { worker } of slots) worker?.send({ kind: 'shutdown' } satisfies PrimaryOrder);
      const deadline = setTimeout(
        () => {
          for (const { worker } of slots) worker?.kill('SIGKILL');
        },
        (config.shutdown_timeout + 5) * 1000,
      );
      await Promise.all(exits);
      clearTimeout(deadline);
    },
  };
}
