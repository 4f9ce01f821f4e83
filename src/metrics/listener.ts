import uWS from 'uWebSockets.js';
import type { Logger } from '../log/logger.js';
import type { ClusterMetrics } from './cluster.js';
import { PROMETHEUS_CONTENT_TYPE } from './registry.js';

/**
 * `metrics.listen`: the metrics without authentication on their own address, for a scraper that holds
 * no token. Nothing else is served there. Workers bind the same port (SO_REUSEPORT), each answering for all.
 */
export class MetricsListener {
  private readonly app = uWS.App();
  private socket: uWS.us_listen_socket | null = null;

  constructor(
    private readonly metrics: ClusterMetrics,
    private readonly log: Logger,
  ) {
    this.app.get('/metrics', (res) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      this.metrics.text().then(
        (text) => {
          if (!aborted)
            res.cork(() =>
              res.writeStatus('200 OK').writeHeader('Content-Type', PROMETHEUS_CONTENT_TYPE).end(text),
            );
        },
        (error) => {
          this.log.error({ err: error }, 'metrics: cannot collect');
          if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
        },
      );
    });
    this.app.any('/*', (res) => {
      res.cork(() => res.writeStatus('404 Not Found').end());
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`Cannot listen on ${host}:${port} for metrics (metrics.listen / metrics.port)`));
          return;
        }
        this.socket = socket;
        resolve(uWS.us_socket_local_port(socket as unknown as uWS.us_socket));
      });
    });
  }

  close(): void {
    if (this.socket) uWS.us_listen_socket_close(this.socket);
    this.socket = null;
  }
}
