// One worker process of the cluster, started by the primary (src/cluster/primary.ts) with its index.
import { startApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../log/logger.js';
import { ClusterPeer, type WireMessage } from './peer.js';
import type { PrimaryOrder, WorkerNotice } from './primary.js';

const index = Number(process.env.WAZO_AUTH_WORKER_INDEX);
const { config } = loadConfig();
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
      if (message.kind !== 'shutdown') listener(message);
    }),
});

try {
  const app = await startApp(config, logger, { peer, prepared: true, runsCleanup: index === 0 });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    app.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('message', (message: WireMessage | PrimaryOrder) => {
    if (message.kind === 'shutdown') stop();
  });
  // Under systemd the whole control group gets the signal: each worker stops by itself too.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The primary is gone (killed): do not linger as an orphan holding the port.
  process.on('disconnect', stop);
  send({ kind: 'ready', index, address: app.address });
} catch (error) {
  logger.fatal({ err: error }, 'worker cannot start');
  process.exit(1);
}
