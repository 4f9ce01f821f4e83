import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Where a token was checked: `GET|HEAD /token/{t}` (other daemons), or the `requireAcl` step of a route. */
export type TokenCheckSource = 'token_api' | 'acl';
export type TokenCheckOutcome = 'ok' | 'not_found' | 'forbidden';

/**
 * What the HTTP layer reports. Labels come from route patterns and known methods only: raw paths carry
 * tokens (`/token/<token>`) and would make every request a new series.
 */
export interface HttpMetrics {
  /** One finished (or aborted: status 0) request; `route` is a pattern, never a path. */
  request(route: string, method: string, status: number, seconds: number): void;
  tokenCheck(source: TokenCheckSource, outcome: TokenCheckOutcome): void;
  loginFailure(): void;
}

/** Read when scraped, never on a request's path. */
export interface MetricSources {
  tokenCacheSize(): number;
  /** Live actors per kind (`user`, `token`). */
  actors(): ReadonlyMap<string, number>;
  websocketConnections(): number;
  /** Outbox rows waiting for the broker (0 without one). */
  outboxDepth(): Promise<number>;
}

const NO_SOURCES: MetricSources = {
  tokenCacheSize: () => 0,
  actors: () => new Map(),
  websocketConnections: () => 0,
  outboxDepth: async () => 0,
};

/** Token checks take well under a millisecond, logins (argon2) hundreds: both ends need buckets. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface RequestSeries {
  count: { inc(): void };
  duration: { observe(value: number): void };
}

/**
 * The metrics of one server process, in their own registry (tests run several servers in one process).
 * Requests cost a map lookup and two increments: each (route, method, status) series is resolved once.
 */
export class ServerMetrics implements HttpMetrics {
  readonly registry = new Registry();
  private sources: MetricSources = NO_SOURCES;
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly durations: Histogram<'route' | 'method' | 'status'>;
  private readonly tokenChecks: Counter<'source' | 'outcome'>;
  private readonly loginFailures: Counter;
  private readonly series = new Map<string, RequestSeries>();

  constructor() {
    const registers = [this.registry];
    const sources = () => this.sources;
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'wazo_auth_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status (0: the client went away first).',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.durations = new Histogram({
      name: 'wazo_auth_http_request_duration_seconds',
      help: 'Time from the request line to the last byte of the answer, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: BUCKETS,
      registers,
    });
    this.tokenChecks = new Counter({
      name: 'wazo_auth_token_checks_total',
      help: 'Token checks: GET|HEAD /token/{t} (source token_api) and the ACL step of protected routes (acl).',
      labelNames: ['source', 'outcome'],
      registers,
    });
    // Every series exists from the start, so that rate() sees the first failure.
    for (const source of ['token_api', 'acl'])
      for (const outcome of ['ok', 'not_found', 'forbidden']) this.tokenChecks.labels(source, outcome);
    this.loginFailures = new Counter({
      name: 'wazo_auth_login_failures_total',
      help: 'POST /token answered 401.',
      registers,
    });
    new Gauge({
      name: 'wazo_auth_processes',
      help: 'Server processes whose metrics this answer covers (the workers, or 1).',
      registers,
      collect() {
        this.set(1);
      },
    });
    new Gauge({
      name: 'wazo_auth_token_cache_size',
      help: 'Live tokens held in memory (each worker holds the ones it checked: summed, a token may count twice).',
      registers,
      collect() {
        this.set(sources().tokenCacheSize());
      },
    });
    new Gauge({
      name: 'wazo_auth_actors',
      help: 'Live actors by kind (user actors serialise logins, token actors revocations).',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, count] of sources().actors()) this.set({ kind }, count);
      },
    });
    new Gauge({
      name: 'wazo_auth_websocket_connections',
      help: 'Open WebSocket (push) connections.',
      registers,
      collect() {
        this.set(sources().websocketConnections());
      },
    });
    new Gauge({
      name: 'wazo_auth_outbox_depth',
      help: 'Bus events committed and not yet accepted by the broker (one table for all workers: the maximum).',
      registers,
      aggregator: 'max',
      async collect() {
        this.set(await sources().outboxDepth());
      },
    });
  }

  /** The parts of the server read at scrape time, known once they are built. */
  bind(sources: MetricSources): void {
    this.sources = sources;
  }

  request(route: string, method: string, status: number, seconds: number): void {
    const key = `${status} ${method} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      const labels = [route, KNOWN_METHODS.has(method) ? method : 'other', String(status)];
      series = { count: this.requests.labels(...labels), duration: this.durations.labels(...labels) };
      // Unknown methods all share one series; only bounded keys are remembered.
      if (KNOWN_METHODS.has(method)) this.series.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }

  tokenCheck(source: TokenCheckSource, outcome: TokenCheckOutcome): void {
    this.tokenChecks.labels(source, outcome).inc();
  }

  loginFailure(): void {
    this.loginFailures.inc();
  }

  /** This process's metrics, in the form workers exchange. */
  snapshot(): Promise<object[]> {
    return this.registry.getMetricsAsJSON();
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
