import uWS from 'uWebSockets.js';
import { accessSync, constants } from 'node:fs';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { parseJsonBody } from './body.js';
import { corsPolicy } from './cors.js';
import { errors, HttpError } from './errors.js';
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
}

export class HttpServer {
  private readonly router = new Router();
  private readonly app: uWS.TemplatedApp;
  private readonly cors;
  private readonly log: Logger;
  private listenSocket: uWS.us_listen_socket | null = null;
  private inFlight = new Set<Exchange>();
  private drained: (() => void) | null = null;
  private nextId = 1;
  readonly tls: boolean;

  constructor(private readonly options: HttpServerOptions) {
    const { rest_api } = options.config;
    this.log = options.logger.child({ component: 'http' });
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

  /** Stops accepting, then waits for in-flight requests, at most `deadlineMs`. */
  async close(deadlineMs: number): Promise<void> {
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    if (this.inFlight.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private accept(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const started = performance.now();
    const exchange = new Exchange(res, {}, (done) => {
      this.inFlight.delete(done);
      if (this.inFlight.size === 0) this.drained?.();
      if (!this.log.isLevelEnabled('debug')) return;
      this.log.debug(
        {
          req: request?.id,
          method: request?.method,
          route: routePath,
          status: done.status,
          aborted: done.aborted,
        },
        'request %dms',
        Math.round(performance.now() - started),
      );
    });
    this.inFlight.add(exchange);
    let request: HttpRequest | undefined;
    let routePath: string | undefined;
    let match: RouteMatch = { kind: 'none' };
    try {
      const headers: Record<string, string> = {};
      req.forEach((name, value) => {
        headers[name] = value;
      });
      const method = req.getCaseSensitiveMethod();
      const path = stripPrefix(req.getUrl());
      request = {
        id: this.nextId++,
        method,
        path: path ?? req.getUrl(),
        query: new URLSearchParams(req.getQuery() ?? ''),
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
      match = path === null ? { kind: 'none' } : this.router.match(method, path);
      exchange.baseHeaders = this.cors(
        headers,
        match.kind === 'options' && 'access-control-request-method' in headers,
      );
      if (match.kind === 'route') routePath = match.route.path;
    } catch (error) {
      this.log.error({ err: error }, 'cannot read request');
      exchange.fail(errors.internal(), false);
      return;
    }
    void this.dispatch(exchange, request, match);
  }

  private async dispatch(exchange: Exchange, request: HttpRequest, match: RouteMatch): Promise<void> {
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
      for (const step of route.steps ?? []) await step(request);
      if (readsBody) request.body = parseJsonBody(raw ?? Buffer.alloc(0), request.headers['content-type']);
      if (keepsRaw) request.rawBody = raw ?? Buffer.alloc(0);
      const response = await route.handle(request);
      exchange.send(response, match.bodyless);
    } catch (error) {
      if (error instanceof HttpError) {
        exchange.fail(error, bodyless);
      } else {
        this.log.error(
          { err: error, req: request.id, route: match.kind === 'route' ? match.route.path : null },
          'unhandled error',
        );
        exchange.fail(errors.internal(), bodyless);
      }
    }
  }

  private readBody(exchange: Exchange, request: HttpRequest): Promise<Buffer> {
    return exchange.readBody(this.options.config.rest_api.max_body_size, request.headers['content-length']);
  }
}

function announcesBody(headers: Readonly<Record<string, string>>): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}
