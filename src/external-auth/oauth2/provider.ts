import * as client from 'openid-client';
import type { OAuth2ProviderConfig } from '../../config/schema.js';
import { errors, type HttpError } from '../../http/errors.js';

/** A tenant's application registration at the provider (its `/external/<type>/config`). */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** What a token endpoint granted. */
export interface Grant {
  accessToken: string;
  refreshToken: string | null;
  /** Seconds; null when the provider did not say. */
  expiresIn: number | null;
  /** Null when the provider did not say (then the requested scopes stand). */
  scope: string[] | null;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

/**
 * One OAuth2 provider of an external auth type (Google, Microsoft, or any provider of the same shape):
 * the authorization URL, the code exchange and the refresh, through openid-client. Its endpoints come
 * from the configuration; plain HTTP is accepted on loopback only (local providers, tests).
 */
export class OAuth2Provider {
  private readonly insecure: boolean;

  constructor(
    readonly type: string,
    readonly settings: OAuth2ProviderConfig,
    /** Authorization URL parameters beyond the standard ones (Google: offline access, forced consent). */
    private readonly extraParameters: Readonly<Record<string, string>> = {},
  ) {
    const urls = [settings.authorization_base_url, settings.token_url].map((url) => new URL(url));
    const plain = urls.filter((url) => url.protocol !== 'https:');
    if (plain.some((url) => url.protocol !== 'http:' || !LOOPBACK.test(url.hostname))) {
      throw new Error(`${type}: the authorization and token URLs must be https (http only on loopback)`);
    }
    this.insecure = plain.length > 0;
  }

  private configuration(credentials: ClientCredentials): client.Configuration {
    const { settings } = this;
    const authenticate =
      settings.token_endpoint_auth_method === 'client_secret_basic'
        ? client.ClientSecretBasic(credentials.clientSecret)
        : client.ClientSecretPost(credentials.clientSecret);
    const configuration = new client.Configuration(
      {
        issuer: settings.issuer,
        authorization_endpoint: settings.authorization_base_url,
        token_endpoint: settings.token_url,
      },
      credentials.clientId,
      undefined,
      authenticate,
    );
    configuration.timeout = settings.timeout;
    if (this.insecure) client.allowInsecureRequests(configuration);
    return configuration;
  }

  /** Parameters in upstream's order (oauthlib's), so that the URL reads the same. */
  authorizationUrl(
    credentials: ClientCredentials,
    request: { state: string; scopes: readonly string[]; codeChallenge: string | null },
  ): string {
    const parameters = new URLSearchParams({
      response_type: 'code',
      client_id: credentials.clientId,
      redirect_uri: this.settings.redirect_uri,
      scope: request.scopes.join(' '),
      state: request.state,
      ...this.extraParameters,
    });
    if (request.codeChallenge !== null) {
      parameters.set('code_challenge', request.codeChallenge);
      parameters.set('code_challenge_method', 'S256');
    }
    return client.buildAuthorizationUrl(this.configuration(credentials), parameters).href;
  }

  /**
   * Redeems the code of the provider's redirect (`callback`: its query parameters, as the browser brought
   * them here or the relay forwarded them), checking the state and, when the provider sends one, `iss`.
   */
  async redeem(
    credentials: ClientCredentials,
    callback: URLSearchParams,
    checks: { state: string; codeVerifier: string | null },
  ): Promise<Grant> {
    // The redirect URI sent with the code must be the one of the authorization request.
    const current = new URL(this.settings.redirect_uri);
    current.search = callback.toString();
    const response = await client
      .authorizationCodeGrant(this.configuration(credentials), current, {
        expectedState: checks.state,
        ...(checks.codeVerifier === null ? {} : { pkceCodeVerifier: checks.codeVerifier }),
      })
      .catch((error: unknown) => {
        throw this.failure(error);
      });
    return grantOf(response);
  }

  async refresh(credentials: ClientCredentials, refreshToken: string): Promise<Grant> {
    const response = await client
      .refreshTokenGrant(this.configuration(credentials), refreshToken)
      .catch((error: unknown) => {
        throw this.failure(error);
      });
    return grantOf(response);
  }

  /** A provider's refusal, its silence, or a malformed answer, as the API reports them. */
  private failure(error: unknown): HttpError {
    if (error instanceof client.AuthorizationResponseError) {
      return errors.oauth2Denied(this.type, error.error, error.error_description ?? null);
    }
    if (error instanceof client.ResponseBodyError) {
      return errors.oauth2ProviderRefused(this.type, error.error, error.error_description ?? null);
    }
    if (error instanceof client.ClientError) {
      const cause = (error as { cause?: unknown }).cause;
      if (isNetworkFailure(cause)) return errors.oauth2ProviderUnreachable(this.type);
      return errors.oauth2ProviderRefused(this.type, error.code ?? 'invalid_response', error.message);
    }
    if (isNetworkFailure(error)) return errors.oauth2ProviderUnreachable(this.type);
    throw error;
  }
}

/** fetch's own failures: refused or reset connections, DNS, timeouts. */
function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    (error instanceof TypeError && error.message === 'fetch failed') ||
    error.name === 'TimeoutError' ||
    error.name === 'AbortError'
  );
}

function grantOf(response: client.TokenEndpointResponse): Grant {
  return {
    accessToken: response.access_token,
    refreshToken: typeof response.refresh_token === 'string' ? response.refresh_token : null,
    expiresIn: typeof response.expires_in === 'number' ? response.expires_in : null,
    scope: typeof response.scope === 'string' ? response.scope.split(' ').filter(Boolean) : null,
  };
}
