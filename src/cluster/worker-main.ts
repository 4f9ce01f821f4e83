// One worker process of the cluster, started by the primary (src/cluster/primary.ts) with its index.
import { startApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { exitAfterStop } from '../lifecycle/shutdown.js';
import { createLogger } from '../log/logger.js';
import { ClusterPeer, type WireMessage } from './peer.js';
import type { PrimaryOrder, WorkerNotice } from './primary.js';

const index = Number(process.env.WAZO_AUTH_WORKER_INDEX);
const { config } = loadConfig();
// The primary chose the metrics port (it may have picked a free one for port 0): all workers share it.
if (process.env.WAZO_AUTH_METRICS_PORT) config.metrics.port = Number(process.env.WAZO_AUTH_METRICS_PORT);
const logger = createLogger(config).child({ worker: index });

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  process.exit(1);
});

const send = (message: WireMessage | WorkerNotice) => process.send?.(message);
const peer = ClusterPeer.worker(index, config.workers, {
  send,
  onMessage: (listener) =>
    process.on('message', (message: WireMessage | PrimaryOrder) => {
      if (message.kind !== 'shutdown' && message.kind !== 'close') listener(message);
    }),
});

try {
  const app = await startApp(config, logger, { peer, prepared: true, runsCleanup: index === 0 });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    exitAfterStop(app, config.shutdown_timeout, logger);
  };
  // Draining keeps this worker's actors up for the others' in-flight requests; the primary says when to close.
  const drain = () => {
    void app.drain().then((clean) => send({ kind: 'drained', index, clean }));
  };
  process.on('message', (message: WireMessage | PrimaryOrder) => {
    if (message.kind === 'shutdown') drain();
    else if (message.kind === 'close') stop();
  });
  // Under systemd the whole control group gets the signal: the primary coordinates, each worker drains
  // at once. A worker signalled alone drains too; the primary then closes and replaces it.
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
  // The primary is gone (killed): do not linger as an orphan holding the port.
  process.on('disconnect', stop);
  send({ kind: 'ready', index, address: app.address });
} catch (error) {
  logger.fatal({ err: error }, 'worker cannot start');
  process.exit(1);
}
