import { AggregatorRegistry } from 'prom-client';
import type { ClusterPeer } from '../cluster/peer.js';
import type { Logger } from '../log/logger.js';
import type { ServerMetrics } from './registry.js';

const COLLECT = 'metrics.collect';

/** A scrape must not wait on a worker being replaced: past this, the answer covers the others. */
const PEER_TIMEOUT_MS = 2000;

/**
 * The Prometheus text of the whole machine, whichever worker is asked: it gathers the other workers'
 * metrics over the cluster channel and merges them with prom-client's aggregation (sums, except where a
 * metric says otherwise: event-loop lag is averaged, the outbox depth is a maximum). A single process
 * answers its own.
 */
export class ClusterMetrics {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly peer: ClusterPeer,
    private readonly log: Logger,
  ) {
    peer.handle(COLLECT, () => metrics.snapshot());
  }

  async text(): Promise<string> {
    if (this.peer.count === 1) return this.metrics.registry.metrics();
    const others = Array.from({ length: this.peer.count }, (_, i) => i).filter((i) => i !== this.peer.index);
    const answers = await Promise.all([
      this.metrics.snapshot(),
      ...others.map((worker) =>
        this.peer.call<object[]>(worker, COLLECT, null, PEER_TIMEOUT_MS).catch((error: Error) => {
          this.log.warn({ worker, err: error }, 'metrics: a worker did not answer; its share is missing');
          return null;
        }),
      ),
    ]);
    return AggregatorRegistry.aggregate(answers.filter((answer) => answer !== null)).metrics();
  }
}
