import * as client from 'openid-client';
import { errors, type Json } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import type { Blob, ExternalAuthStore } from '../store.js';
import type { PendingFlow, PendingFlows } from './flows.js';
import type { ClientCredentials, Grant, OAuth2Provider } from './provider.js';
import type { RelayListeners } from './relay-listener.js';
import type { SessionLiveness } from './session-liveness.js';

/** An access token this close to its expiry is refreshed before it is handed out (upstream: 30 s). */
const REFRESH_MARGIN_S = 30;

/** What `GET /users/{uuid}/external/<type>` shows: never the refresh token. */
export interface AccessView {
  access_token: Json;
  token_expiration: number | null;
  scope: Json;
}

const nowS = () => Date.now() / 1000;

/**
 * "Connect your account" for one OAuth2 type (external-auth.md §4): starts an authorization, completes it
 * when the provider's redirect comes back (to this server, or through the relay), keeps the user's
 * provider tokens and refreshes them when read after expiry.
 */
export class AccountLink {
  /** Refreshes in progress, per user: concurrent reads share one (a rotated refresh token works once). */
  private readonly refreshing = new Map<string, Promise<AccessView>>();

  constructor(
    private readonly provider: OAuth2Provider,
    private readonly store: ExternalAuthStore,
    private readonly flows: PendingFlows,
    private readonly relay: RelayListeners,
    private readonly sessionLive: SessionLiveness,
    private readonly log: Logger,
  ) {}

  get type(): string {
    return this.provider.type;
  }

  /** The configured scopes: an authorization asks for these or for some of them. */
  get scopes(): readonly string[] {
    return this.provider.settings.scope;
  }

  /** The tenant's client id and secret: without both, no authorization can be made. */
  async credentials(tenant: string): Promise<ClientCredentials> {
    const config = await this.store.config(this.type, tenant);
    const { client_id: clientId, client_secret: clientSecret } = config;
    if (typeof clientId !== 'string' || !clientId || typeof clientSecret !== 'string' || !clientSecret) {
      throw errors.invalidData(
        this.type,
        { client_id: { constraint_id: 'required', message: 'Missing data for required field.' } },
        `The ${this.type} configuration of this tenant needs a client_id and a client_secret`,
      );
    }
    return { clientId, clientSecret };
  }

  /**
   * A new authorization for the user, started by a token of `session`: the URL to open in a browser and
   * its state. `requestedScopes` are a subset of the configured ones (checked by the route); none asks
   * for all of them. The user's previous authorization of this type, if pending, is abandoned.
   */
  async start(
    user: string,
    tenant: string,
    session: string,
    credentials: ClientCredentials,
    requestedScopes: readonly string[],
  ): Promise<{ authorization_url: string; state: string }> {
    const settings = this.provider.settings;
    const scopes = requestedScopes.length > 0 ? [...new Set(requestedScopes)] : settings.scope;
    const codeVerifier = settings.pkce ? client.randomPKCECodeVerifier() : null;
    const state = await this.flows.begin({
      authType: this.type,
      userUuid: user,
      tenantUuid: tenant,
      scope: scopes.join(' '),
      codeVerifier,
      sessionUuid: session,
    });
    const url = this.provider.authorizationUrl(credentials, {
      state,
      scopes,
      codeChallenge: codeVerifier === null ? null : await client.calculatePKCECodeChallenge(codeVerifier),
    });
    if (settings.websocket_host !== null) {
      // One relay connection per user and type: the one of a superseded flow closes now.
      await this.relay.listen(
        `${this.type} ${user}`,
        `${settings.websocket_host}/ws/${state}`,
        this.flows.timeoutMs,
        (parameters) => this.complete(relayedCallback(parameters, state)).then(() => undefined),
      );
    }
    return { authorization_url: url, state };
  }

  /**
   * The provider's redirect: redeems the code of a pending flow and stores the tokens. The flow is spent
   * whatever happens next; nothing is stored unless the provider granted tokens.
   */
  async complete(callback: URLSearchParams): Promise<{ user: string }> {
    const state = callback.get('state');
    const flow = state ? await this.flows.take(this.type, state) : null;
    if (!flow || !state) throw errors.oauth2UnknownState(this.type);
    // The browser that consented is not authenticated here: the flow stands only while the session that
    // started it does (a logout or a revocation meanwhile abandons it). Checked before the code is spent
    // at the provider, and again before anything is stored.
    await this.requireLiveSession(flow);
    const error = callback.get('error');
    if (error !== null) throw errors.oauth2Denied(this.type, error, callback.get('error_description'));
    const credentials = await this.credentials(flow.tenantUuid);
    const grant = await this.provider.redeem(credentials, callback, {
      state,
      codeVerifier: flow.codeVerifier,
    });
    await this.requireLiveSession(flow);
    const change = await this.store.put(
      flow.userUuid,
      this.type,
      tokenData(grant, flow.scope.split(' '), null),
    );
    this.log.info({ component: 'oauth2', type: this.type, user: flow.userUuid, change }, 'account connected');
    return { user: flow.userUuid };
  }

  private async requireLiveSession(flow: PendingFlow): Promise<void> {
    if (await this.sessionLive(flow.sessionUuid)) return;
    this.log.info(
      { component: 'oauth2', type: this.type, user: flow.userUuid },
      'authorization abandoned: the session that started it has ended',
    );
    throw errors.oauth2UnknownState(this.type);
  }

  /** The user's access token, refreshed first when it expires within 30 s. */
  async access(user: string, tenant: string): Promise<AccessView> {
    const data = await this.store.data(user, this.type);
    if (isFresh(data)) return view(data);
    const key = `${user} ${tenant}`;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.refresh(user, tenant, data).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  private async refresh(user: string, tenant: string, data: Blob): Promise<AccessView> {
    const refreshToken = data.refresh_token;
    if (typeof refreshToken !== 'string' || !refreshToken) {
      throw errors.oauth2ProviderRefused(this.type, 'invalid_grant', 'no refresh token was granted');
    }
    const credentials = await this.credentials(tenant);
    let grant: Grant;
    try {
      grant = await this.provider.refresh(credentials, refreshToken);
    } catch (error) {
      // Another process (worker, instance) may have refreshed first, spending a rotating refresh token.
      const current = await this.store.data(user, this.type);
      if (current.refresh_token !== refreshToken && isFresh(current)) return view(current);
      throw error;
    }
    const previousScope = Array.isArray(data.scope) ? data.scope.map(String) : [];
    const refreshed = tokenData(grant, previousScope, refreshToken);
    // Deleted while the provider answered: the deletion stands.
    if (!(await this.store.replace(user, this.type, refreshed))) throw errors.externalAuthMissing(this.type);
    return view(refreshed);
  }
}

/** The stored data (external-auth.md §4.2): what the provider left unsaid keeps its previous value. */
function tokenData(grant: Grant, scope: readonly string[], refreshToken: string | null): Blob {
  return {
    access_token: grant.accessToken,
    refresh_token: grant.refreshToken ?? refreshToken,
    token_expiration: grant.expiresIn === null ? null : nowS() + grant.expiresIn,
    scope: [...(grant.scope ?? scope)],
  };
}

/** The access token is good for more than the refresh margin. */
function isFresh(data: Blob): boolean {
  const expiration = data.token_expiration;
  return typeof expiration === 'number' && nowS() + REFRESH_MARGIN_S <= expiration;
}

function view(data: Blob): AccessView {
  const expiration = data.token_expiration;
  return {
    access_token: data.access_token ?? null,
    token_expiration: typeof expiration === 'number' ? Math.trunc(expiration) : null,
    scope: data.scope ?? [],
  };
}

/**
 * The callback a relay frame stands for. The wazo-oauth2 relay sends only `code` (upstream reads nothing
 * else): the flow is the one of the socket, whose URL holds the state. A frame naming another state is
 * not this socket's and is refused.
 */
export function relayedCallback(frame: URLSearchParams, socketState: string): URLSearchParams {
  const named = frame.get('state');
  const callback = new URLSearchParams(frame);
  if (named === null) callback.set('state', socketState);
  else if (named !== socketState) callback.delete('state');
  return callback;
}
