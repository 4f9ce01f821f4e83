// A local OAuth 2.0 authorization server standing in for Google and Microsoft (external-auth.md §4, §10):
// oidc-provider on loopback, configured for the plain code flow those providers run for "connect your
// account" — no `openid` needed, a refresh token on every code grant, rotation on refresh — with the
// user's login and consent given automatically, so a simulated browser only has to follow redirects.

import { generateKeyPair } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type InteractionResults,
  type JWK,
  type KoaContextWithOIDC,
} from 'oidc-provider';

export interface OAuth2ClientOptions {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** `expires_in` of its access tokens, in seconds (default 3600). */
  accessTokenTtl?: number;
}

export interface OAuth2ProviderOptions {
  clients?: OAuth2ClientOptions[];
  /** Who consents in the browser (default `alice`). */
  accountId?: string;
  /** Extra scopes to accept, beside the Google and Microsoft ones of external-auth.md §2. */
  scopes?: string[];
}

/** One call of the token endpoint, as the provider saw it; secrets, codes and tokens are left out. */
export interface TokenRequest {
  grant_type: string | undefined;
  client_id: string | undefined;
  /** How the client authenticated: the secret in the form body, in an `Authorization: Basic` header, or not at all. */
  auth_method: 'client_secret_post' | 'client_secret_basic' | 'none';
  redirect_uri: string | undefined;
  /** Whether a PKCE `code_verifier` was sent. */
  code_verifier: boolean;
  status: number;
  /** The OAuth error code of a failed call (`invalid_grant`, `invalid_client`, ...). */
  error: string | undefined;
}

export interface OAuth2Provider {
  /** `http://127.0.0.1:PORT`, also the `iss` the provider adds to its authorization responses. */
  issuer: string;
  port: number;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Every token endpoint call since start, oldest first (survives `stop()`/`start()`). */
  tokenRequests: TokenRequest[];
  /** The underlying oidc-provider instance, for anything the helpers here do not cover. */
  provider: Provider;
  /** The next authorization is refused: the browser lands on the redirect URI with `error=access_denied`. */
  denyNext(): void;
  /**
   * Token endpoint answers wait `ms` before being processed (0: none), so that requests a test sends
   * together overlap at the provider even on a loaded machine.
   */
  slowTokens(ms: number): void;
  /** Invalidates every refresh token issued so far: refreshing with them now fails with `invalid_grant`. */
  revokeRefreshTokens(): Promise<void>;
  /** Closes the listening socket and every open connection: new requests are refused ("provider down"). */
  stop(): Promise<void>;
  /** Listens again on the same port, with the same clients, grants and tokens. */
  start(): Promise<void>;
}

/** The scopes real providers offer for the configured defaults (external-auth.md §2), and OpenID's. */
export const PROVIDER_SCOPES = [
  'openid',
  'offline_access',
  'profile',
  'email',
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/contacts',
  'Contacts.Read',
  'User.Read',
];

const DEFAULT_CLIENT: OAuth2ClientOptions = {
  client_id: 'wazo-client',
  client_secret: 'wazo-secret',
  redirect_uris: ['http://127.0.0.1/authorize'],
};

type Teardown = { teardown(fn: () => unknown): void };

/**
 * In-process storage for one provider: the package's default memory adapter is a single LRU of 1000 entries
 * shared by every instance in the process, and it offers no way to find all refresh tokens.
 */
class Store {
  readonly entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  readonly grants = new Map<string, Set<string>>();
  readonly uids = new Map<string, string>();
  readonly userCodes = new Map<string, string>();

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry?.payload;
  }

  adapter(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        this.entries.set(key(id), { payload, expiresAt });
        if (payload.grantId) {
          const members = this.grants.get(payload.grantId) ?? new Set<string>();
          members.add(key(id));
          this.grants.set(payload.grantId, members);
        }
        if (model === 'Session' && payload.uid) this.uids.set(payload.uid, id);
        if (payload.userCode) this.userCodes.set(payload.userCode, id);
      },
      find: async (id) => this.get(key(id)),
      findByUid: async (uid) => {
        const id = this.uids.get(uid);
        return id === undefined ? undefined : this.get(key(id));
      },
      findByUserCode: async (userCode) => {
        const id = this.userCodes.get(userCode);
        return id === undefined ? undefined : this.get(key(id));
      },
      consume: async (id) => {
        const payload = this.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const member of this.grants.get(grantId) ?? []) this.entries.delete(member);
        this.grants.delete(grantId);
      },
    };
  }

  destroyModel(model: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${model}:`)) this.entries.delete(key);
  }
}

let signingKey: Promise<JWK> | undefined;

/**
 * One RSA key per test process, for ID tokens when `openid` is requested: without `jwks` oidc-provider signs
 * with a built-in development key and warns about it on every start.
 */
function rsaSigningKey(): Promise<JWK> {
  signingKey ??= new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ ...(privateKey.export({ format: 'jwk' }) as JWK), kid: 'test-rsa', use: 'sig' });
    }),
  );
  return signingKey;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The client id of an `Authorization: Basic` header (its user part), never its secret. */
function basicClientId(header: string | undefined): string | undefined {
  const match = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return decoded.slice(0, colon);
  }
}

/**
 * Starts the provider on `http://127.0.0.1:<ephemeral port>`, stopped at `t`'s teardown.
 * Clients authenticate at the token endpoint with `client_secret_post`; oidc-provider treats
 * `client_secret_basic` as the same registered method, so Basic works too.
 */
export async function startOAuth2Provider(
  t: Teardown,
  options: OAuth2ProviderOptions = {},
): Promise<OAuth2Provider> {
  const clients = options.clients ?? [DEFAULT_CLIENT];
  const accountId = options.accountId ?? 'alice';
  const ttls = new Map(clients.map((client) => [client.client_id, client.accessTokenTtl ?? 3600]));
  const store = new Store();
  const tokenRequests: TokenRequest[] = [];
  let denyNext = false;

  // The issuer must name the port, so the socket is bound before the provider exists.
  let handle: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handle(req, res));
  const port = await listen(server, 0);
  const issuer = `http://127.0.0.1:${port}`;

  const configuration: Configuration = {
    adapter: (model: string) => store.adapter(model),
    clients: clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [await rsaSigningKey()] },
    cookies: { keys: ['oauth2-provider-test-cookie-key'] },
    scopes: [...new Set([...PROVIDER_SCOPES, ...(options.scopes ?? [])])],
    responseTypes: ['code'],
    // Google and Microsoft want the redirect_uri back at the token endpoint; so does this fake.
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
    },
    // Google and Microsoft hand out a refresh token for an offline/consented code grant; the default here
    // would want `offline_access` in the scope, which Google's scopes never contain.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Tokens outlive the browser's session: the server refreshes long after the user closed the tab.
    expiresWithSession: async () => false,
    pkce: { required: () => false },
    ttl: {
      AccessToken: (_ctx, _token, client) => ttls.get(client.clientId) ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: sub }) }),
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    // A test reading a failure wants the OAuth error, not an HTML page.
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };

  const provider = new Provider(issuer, configuration);

  // oidc-provider drops `offline_access` from a request whose `prompt` lacks `consent` (the OpenID rule), but
  // Microsoft keeps it and echoes it in the token response. Consent is given automatically here anyway.
  provider.use(async (ctx, next) => {
    const { scope, prompt } = ctx.query;
    if (ctx.method === 'GET' && ctx.path === '/auth' && typeof scope === 'string') {
      const prompts = typeof prompt === 'string' ? prompt.split(' ').filter(Boolean) : [];
      if (
        scope.split(' ').includes('offline_access') &&
        !prompts.includes('consent') &&
        !prompts.includes('none')
      ) {
        ctx.query = { ...ctx.query, prompt: [...prompts, 'consent'].join(' ') };
      }
    }
    await next();
  });

  let tokenDelayMs = 0;
  provider.use(async (ctx, next) => {
    if (tokenDelayMs > 0 && ctx.method === 'POST' && ctx.path === '/token')
      await new Promise((resolve) => setTimeout(resolve, tokenDelayMs));
    await next();
    if (ctx.method !== 'POST' || ctx.path !== '/token') return;
    const oidc = (ctx as unknown as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
    const body = (oidc?.body ?? {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const basic = basicClientId(ctx.get('authorization') || undefined);
    const error = (ctx.body as { error?: unknown } | undefined)?.error;
    tokenRequests.push({
      grant_type: text(body.grant_type),
      client_id: text(body.client_id) ?? basic,
      auth_method:
        body.client_secret !== undefined
          ? 'client_secret_post'
          : basic !== undefined
            ? 'client_secret_basic'
            : 'none',
      redirect_uri: text(body.redirect_uri),
      code_verifier: body.code_verifier !== undefined,
      status: ctx.status,
      error: ctx.status >= 400 ? text(error) : undefined,
    });
  });

  const providerHandler = provider.callback();
  handle = (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`interaction failed: ${String(error)}`);
      });
    } else {
      providerHandler(req, res);
    }
  };

  /** Stands in for the login and consent pages: answers the prompt at once and sends the browser back. */
  async function interact(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    let result: InteractionResults;
    if (denyNext) {
      denyNext = false;
      result = { error: 'access_denied', error_description: 'End-User denied the authorization' };
    } else if (details.prompt.name === 'login') {
      result = { login: { accountId } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({
            accountId: details.session?.accountId ?? accountId,
            clientId: String(details.params.client_id),
          });
      if (!grant) throw new Error(`grant ${details.grantId} not found`);
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      result = { consent: details.grantId ? {} : { grantId } };
    }
    const returnTo = await provider.interactionResult(req, res, result, { mergeWithLastSubmission: true });
    res.writeHead(303, { location: returnTo, 'content-length': '0' }).end();
  }

  let listening = true;
  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  t.teardown(stop);

  return {
    issuer,
    port,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    tokenRequests,
    provider,
    denyNext: () => {
      denyNext = true;
    },
    slowTokens: (ms) => {
      tokenDelayMs = ms;
    },
    revokeRefreshTokens: async () => store.destroyModel('RefreshToken'),
    stop,
    start: async () => {
      if (listening) return;
      await listen(server, port);
      listening = true;
    },
  };
}
