import uWS from 'uWebSockets.js';
import { accessSync, constants } from 'node:fs';
import type { Config } from '../config/index.js';
import { isDatabaseUnreachable } from '../db/unreachable.js';
import { batchedLogger } from '../log/batched-lines.js';
import type { Logger } from '../log/logger.js';
import type { HttpMetrics, TokenCheckOutcome } from '../metrics/registry.js';
import { maskedUrl, requestId, userAgent } from './access-log.js';
import { parseJsonBody } from './body.js';
import { corsPolicy } from './cors.js';
import { ApiError, errors, HttpError } from './errors.js';
import { Exchange } from './exchange.js';
import { clientAddress, type HttpRequest } from './request.js';
import type { Route } from './route.js';
import { type RouteMatch, Router } from './router.js';

/** Upstream serves its API under `/0.1`; Wazo clients reach it as `/api/auth/0.1` behind the proxy. */
const PREFIXES = ['/0.1/', '/api/auth/0.1/'];

export function stripPrefix(url: string): string | null {
  for (const prefix of PREFIXES) if (url.startsWith(prefix)) return url.slice(prefix.length - 1);
  return null;
}

export interface ListenAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface HttpServerOptions {
  config: Config;
  logger: Logger;
  routes: readonly Route[];
  metrics?: HttpMetrics;
}

/** Metric labels of requests no route pattern names (never their path: it is unbounded and may hold a token). */
const UNROUTED = '(none)';

/** What the finished-request hook needs to know of a request, filled as it is read. */
interface Seen {
  started: number;
  id: string;
  method: string;
  url: string;
  query: string;
  route: Route | null;
  request: HttpRequest | undefined;
}

export class HttpServer {
  private readonly router = new Router();
  private readonly app: uWS.TemplatedApp;
  private readonly cors;
  private readonly log: Logger;
  private readonly accessLog: Logger;
  private listenSocket: uWS.us_listen_socket | null = null;
  private inFlight = new Set<Exchange>();
  private drained: (() => void) | null = null;
  private nextId = 1;
  readonly tls: boolean;

  constructor(private readonly options: HttpServerOptions) {
    const { rest_api } = options.config;
    this.log = options.logger.child({ component: 'http' });
    // The access line holds no field redaction could censor (its path is masked, no header but the user
    // agent is logged): it skips redaction, and its lines are written a batch per event-loop turn. Both
    // take a real share of the cost of logging every token check.
    this.accessLog = batchedLogger(options.logger, { component: 'http' });
    this.cors = corsPolicy(rest_api.cors);
    for (const route of options.routes) this.router.add(route);
    this.tls = rest_api.certificate !== null && rest_api.private_key !== null;
    if (this.tls) {
      for (const file of [rest_api.certificate!, rest_api.private_key!]) {
        try {
          accessSync(file, constants.R_OK);
        } catch {
          throw new Error(`TLS file ${file} cannot be read (WAZO_AUTH_TLS_CERT / WAZO_AUTH_TLS_KEY)`);
        }
      }
      this.app = uWS.SSLApp({ cert_file_name: rest_api.certificate!, key_file_name: rest_api.private_key! });
    } else {
      this.app = uWS.App();
    }
    this.app.any('/*', (res, req) => this.accept(res, req));
  }

  /** The uWS application, for modules that add their own endpoints (the WebSocket push). */
  get uws(): uWS.TemplatedApp {
    return this.app;
  }

  listen(): Promise<ListenAddress> {
    const { listen: host, port } = this.options.config.rest_api;
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`Cannot listen on ${host}:${port} (address in use or not available)`));
          return;
        }
        this.listenSocket = socket;
        resolve({ host, port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket), tls: this.tls });
      });
    });
  }

  /** Accepting connections (between `listen` and `close`). */
  get listening(): boolean {
    return this.listenSocket !== null;
  }

  /** Requests received and not answered yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Stops accepting, then waits for in-flight requests, at most `deadlineMs`; resolves with whether they
   * all finished. Connections already open stay usable meanwhile (a keep-alive client is still answered).
   */
  async close(deadlineMs: number): Promise<boolean> {
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    if (this.inFlight.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), deadlineMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private accept(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const seen: Seen = {
      started: performance.now(),
      id: '',
      method: req.getCaseSensitiveMethod(),
      url: req.getUrl(),
      query: req.getQuery() ?? '',
      route: null,
      request: undefined,
    };
    const exchange = new Exchange(res, {}, (done) => {
      this.inFlight.delete(done);
      if (this.inFlight.size === 0) this.drained?.();
      this.finished(done, seen);
    });
    this.inFlight.add(exchange);
    let request: HttpRequest | undefined;
    let match: RouteMatch = { kind: 'none' };
    let ambiguousLength = false;
    try {
      const headers: Record<string, string> = {};
      req.forEach((name, value) => {
        // uWS frames the body by the first Content-Length; a later one that disagrees makes it a guess.
        if (name === 'content-length' && name in headers && headers[name] !== value) ambiguousLength = true;
        headers[name] = value;
      });
      seen.id = requestId(headers['x-request-id']);
      const { method } = seen;
      const path = stripPrefix(seen.url);
      request = {
        id: this.nextId++,
        method,
        path: path ?? seen.url,
        query: new URLSearchParams(seen.query),
        headers,
        remoteAddress: clientAddress(
          Buffer.from(res.getRemoteAddressAsText()).toString(),
          headers['x-forwarded-for'],
          this.options.config.rest_api.num_proxies,
        ),
        params: {},
        body: undefined,
        locals: {},
      };
      seen.request = request;
      match = path === null ? { kind: 'none' } : this.router.match(method, path);
      const base = this.cors(headers, match.kind === 'options' && 'access-control-request-method' in headers);
      // Echoed on every answer, errors included, so that a client's report can be found in the log.
      base['X-Request-Id'] = seen.id;
      exchange.baseHeaders = base;
      if (match.kind === 'route') seen.route = match.route;
    } catch (error) {
      this.log.error({ err: error, requestId: seen.id }, 'cannot read request');
      exchange.fail(errors.internal(), false);
      return;
    }
    if (ambiguousLength) {
      exchange.fail(errors.ambiguousFraming(), seen.method === 'HEAD');
      return;
    }
    void this.dispatch(exchange, request, match, seen.id);
  }

  /**
   * The access log (one info line per request, as upstream) and the request metrics. Nothing here
   * reads a header value but the user agent, and the URL is masked: tokens travel in URLs.
   */
  private finished(exchange: Exchange, seen: Seen): void {
    const seconds = (performance.now() - seen.started) / 1000;
    const { route } = seen;
    const status = exchange.aborted ? 0 : exchange.status;
    const metrics = this.options.metrics;
    if (metrics) {
      metrics.request(route?.path ?? UNROUTED, seen.method, status, seconds);
      if (route?.path === TOKEN_CHECK && (seen.method === 'GET' || seen.method === 'HEAD')) {
        const outcome = tokenApiOutcome(status);
        if (outcome) metrics.tokenCheck('token_api', outcome);
      } else if (route?.path === '/token' && route.method === 'POST' && status === 401) {
        metrics.loginFailure();
      }
    }
    if (!this.log.isLevelEnabled('info')) return;
    const path = maskedUrl(seen.url, seen.query, route !== null);
    this.accessLog.info(
      {
        requestId: seen.id || undefined,
        method: seen.method,
        route: route?.path,
        path,
        status,
        ms: Math.round(seconds * 10_000) / 10,
        remote: seen.request?.remoteAddress,
        userAgent: userAgent(seen.request?.headers['user-agent']),
        ...(exchange.aborted ? { aborted: true } : {}),
      },
      `${seen.method} ${path} ${status}`,
    );
  }

  private async dispatch(
    exchange: Exchange,
    request: HttpRequest,
    match: RouteMatch,
    requestId: string,
  ): Promise<void> {
    const bodyless = request.method === 'HEAD';
    try {
      const readsBody = match.kind === 'route' && match.route.readsBody === true;
      const keepsRaw = match.kind === 'route' && match.route.rawBody === true;
      // A body is read (within the limit) even when nobody uses it: answering before the client has sent
      // it makes the client see a reset connection instead of the answer (e.g. a 405 to a DELETE with a body).
      const raw =
        readsBody || keepsRaw || announcesBody(request.headers)
          ? await this.readBody(exchange, request)
          : undefined;
      switch (match.kind) {
        case 'none':
          throw errors.notFound();
        case 'wrong-method':
          throw errors.methodNotAllowed(match.allow);
        case 'options':
          exchange.send({ status: 200, headers: { Allow: match.allow } }, true);
          return;
      }
      const { route } = match;
      request.params = match.params;
      // The bytes are read at once (uWS hands them over only now), but parsed after the steps, as
      // upstream reads its JSON in the handler: a bad token is a 401 even when the body is broken too.
      for (const step of route.steps ?? []) {
        if (step.requiredAcl === undefined || !this.options.metrics) await step(request);
        else await this.checkedAcl(step, request, this.options.metrics);
      }
      if (readsBody) request.body = parseJsonBody(raw ?? Buffer.alloc(0), request.headers['content-type']);
      if (keepsRaw) request.rawBody = raw ?? Buffer.alloc(0);
      const response = await route.handle(request);
      exchange.send(response, match.bodyless);
    } catch (error) {
      if (error instanceof HttpError) {
        exchange.fail(error, bodyless);
      } else if (isDatabaseUnreachable(error)) {
        // Not a bug of this server: the client is told to come back, the log says why in one line.
        this.log.warn(
          {
            err: (error as Error).message,
            requestId,
            route: match.kind === 'route' ? match.route.path : null,
          },
          'database unreachable',
        );
        exchange.fail(errors.databaseUnavailable(), bodyless);
      } else {
        this.log.error(
          { err: error, requestId, route: match.kind === 'route' ? match.route.path : null },
          'unhandled error',
        );
        exchange.fail(errors.internal(), bodyless);
      }
    }
  }

  /** The ACL step, counted: the token checks other daemons make through protected routes. */
  private async checkedAcl(
    step: (request: HttpRequest) => void | Promise<void>,
    request: HttpRequest,
    metrics: HttpMetrics,
  ): Promise<void> {
    try {
      await step(request);
    } catch (error) {
      const outcome = aclOutcome(error);
      if (outcome) metrics.tokenCheck('acl', outcome);
      throw error;
    }
    metrics.tokenCheck('acl', 'ok');
  }

  private readBody(exchange: Exchange, request: HttpRequest): Promise<Buffer> {
    return exchange.readBody(this.options.config.rest_api.max_body_size, request.headers['content-length']);
  }
}

const TOKEN_CHECK = '/token/{token:uuid}';

/** `GET|HEAD /token/{t}`: 404 unknown or expired, 403 a scope or tenant the token lacks. */
function tokenApiOutcome(status: number): TokenCheckOutcome | null {
  if (status === 200 || status === 204) return 'ok';
  if (status === 404) return 'not_found';
  if (status === 403) return 'forbidden';
  return null;
}

/** `requireAcl`'s 401s say which check failed in their `reason`. */
function aclOutcome(error: unknown): TokenCheckOutcome | null {
  if (!(error instanceof ApiError) || error.status !== 401) return null;
  const details = error.details as { reason?: unknown } | null;
  return details?.reason === 'not_found_or_expired' ? 'not_found' : 'forbidden';
}

function announcesBody(headers: Readonly<Record<string, string>>): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}
