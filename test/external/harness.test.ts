// The OAuth2 test doubles on their own, driven by openid-client as a reference client: if these pass,
// a failing server test points at the server, not at the provider, browser or relay fakes.

import * as client from 'openid-client';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { createBrowser } from '../helpers/oauth2-browser.js';
import { type OAuth2Provider, startOAuth2Provider } from '../helpers/oauth2-provider.js';
import { startOAuth2Relay } from '../helpers/oauth2-relay.js';

const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/contacts',
];
const MICROSOFT_SCOPES = ['offline_access', 'Contacts.Read'];
const REDIRECT_URI = 'http://127.0.0.1:9/google/authorize';

/** openid-client set up the way a relying party without discovery is: endpoints given by hand. */
function configuration(provider: OAuth2Provider, clientId = 'google-client', secret = 'google-secret') {
  const config = new client.Configuration(
    {
      issuer: provider.issuer,
      authorization_endpoint: provider.authorizationEndpoint,
      token_endpoint: provider.tokenEndpoint,
    },
    clientId,
    { redirect_uris: [REDIRECT_URI] },
    client.ClientSecretPost(secret),
  );
  client.allowInsecureRequests(config);
  return config;
}

async function startProvider(tt: Test, accessTokenTtl?: number) {
  return startOAuth2Provider(tt, {
    clients: [
      {
        client_id: 'google-client',
        client_secret: 'google-secret',
        redirect_uris: [REDIRECT_URI],
        accessTokenTtl,
      },
    ],
  });
}

/**
 * How `promise` failed: the OAuth `error` of a provider's answer, else the network error code found down the
 * `cause` chain (fetch wraps it), else the message.
 */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (typeof (error as { error?: unknown }).error === 'string') return (error as { error: string }).error;
    for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
      const code = (cause as { code?: unknown }).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    }
    return String(error);
  }
  return 'no failure';
}

/** Runs the browser from a fresh authorization URL to the redirect URI; returns the callback URL. */
async function authorize(
  provider: OAuth2Provider,
  extra: Record<string, string> = {},
  scopes: string[] = GOOGLE_SCOPES,
) {
  const config = configuration(provider);
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: scopes.join(' '),
    state,
    ...extra,
  });
  const callback = await createBrowser().openAuthorization(url, { stopAt: REDIRECT_URI });
  return { config, state, callback };
}

t.test('code flow without openid, with Google extras and no PKCE', async (tt) => {
  const provider = await startProvider(tt, 120);
  const { config, state, callback } = await authorize(provider, {
    access_type: 'offline',
    prompt: 'consent',
  });
  tt.equal(callback.searchParams.get('state'), state);
  tt.equal(callback.searchParams.get('iss'), provider.issuer);
  tt.ok(callback.searchParams.get('code'));

  const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: state });
  tt.type(tokens.access_token, 'string');
  tt.equal(tokens.token_type.toLowerCase(), 'bearer');
  tt.equal(tokens.expires_in, 120);
  tt.type(tokens.refresh_token, 'string');
  tt.same(tokens.scope?.split(' ').sort(), [...GOOGLE_SCOPES].sort());
  tt.notOk(tokens.id_token, 'no ID token without openid');
  tt.match(provider.tokenRequests, [
    {
      grant_type: 'authorization_code',
      client_id: 'google-client',
      auth_method: 'client_secret_post',
      redirect_uri: REDIRECT_URI,
      code_verifier: false,
      status: 200,
    },
  ]);
  tt.notMatch(JSON.stringify(provider.tokenRequests), /google-secret/, 'no secret recorded');

  // Rotation: a new refresh token each time, and the one just used is spent.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
  tt.type(refreshed.refresh_token, 'string');
  tt.not(refreshed.refresh_token, tokens.refresh_token);
  tt.not(refreshed.access_token, tokens.access_token);
  tt.equal(refreshed.expires_in, 120);
  tt.same(refreshed.scope?.split(' ').sort(), [...GOOGLE_SCOPES].sort());
  tt.equal(await failure(client.refreshTokenGrant(config, tokens.refresh_token!)), 'invalid_grant');
  tt.match(provider.tokenRequests.at(-1), {
    grant_type: 'refresh_token',
    status: 400,
    error: 'invalid_grant',
  });

  // Replaying the code fails too.
  tt.equal(
    await failure(client.authorizationCodeGrant(config, callback, { expectedState: state })),
    'invalid_grant',
  );
});

t.test('PKCE is verified when sent', async (tt) => {
  const provider = await startProvider(tt);
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };

  const first = await authorize(provider, pkce);
  const wrongVerifier = client.authorizationCodeGrant(first.config, first.callback, {
    expectedState: first.state,
    pkceCodeVerifier: client.randomPKCECodeVerifier(),
  });
  tt.equal(await failure(wrongVerifier), 'invalid_grant', 'a wrong verifier is refused');

  const second = await authorize(provider, pkce);
  const tokens = await client.authorizationCodeGrant(second.config, second.callback, {
    expectedState: second.state,
    pkceCodeVerifier: verifier,
  });
  tt.equal(tokens.expires_in, 3600, 'default access token lifetime');
  tt.type(tokens.refresh_token, 'string');
  tt.equal(provider.tokenRequests.at(-1)?.code_verifier, true);
});

t.test('Microsoft scopes and openid; Basic authentication is accepted too', async (tt) => {
  const provider = await startProvider(tt);
  const ms = await authorize(provider, {}, MICROSOFT_SCOPES);
  const config = new client.Configuration(
    {
      issuer: provider.issuer,
      authorization_endpoint: provider.authorizationEndpoint,
      token_endpoint: provider.tokenEndpoint,
    },
    'google-client',
    { redirect_uris: [REDIRECT_URI] },
    client.ClientSecretBasic('google-secret'),
  );
  client.allowInsecureRequests(config);
  const tokens = await client.authorizationCodeGrant(config, ms.callback, { expectedState: ms.state });
  tt.same(
    tokens.scope?.split(' ').sort(),
    [...MICROSOFT_SCOPES].sort(),
    'offline_access kept without prompt=consent',
  );
  tt.type(tokens.refresh_token, 'string');
  tt.equal(provider.tokenRequests.at(-1)?.auth_method, 'client_secret_basic');

  const oidc = await authorize(provider, {}, ['openid', ...GOOGLE_SCOPES]);
  const withId = await client.authorizationCodeGrant(oidc.config, oidc.callback, {
    expectedState: oidc.state,
  });
  tt.type(withId.id_token, 'string');
  tt.equal(withId.claims()?.sub, 'alice');
});

t.test('denied consent and revoked refresh tokens', async (tt) => {
  const provider = await startProvider(tt);
  provider.denyNext();
  const denied = await authorize(provider);
  tt.equal(denied.callback.searchParams.get('error'), 'access_denied');
  tt.equal(denied.callback.searchParams.get('state'), denied.state);
  tt.notOk(denied.callback.searchParams.get('code'));

  const granted = await authorize(provider);
  const tokens = await client.authorizationCodeGrant(granted.config, granted.callback, {
    expectedState: granted.state,
  });
  await provider.revokeRefreshTokens();
  tt.equal(await failure(client.refreshTokenGrant(granted.config, tokens.refresh_token!)), 'invalid_grant');
});

t.test('the relay hands the callback to the socket waiting on its state', async (tt) => {
  const relay = await startOAuth2Relay(tt);
  const redirectUri = relay.redirectUri('google');
  const provider = await startOAuth2Provider(tt, {
    clients: [{ client_id: 'google-client', client_secret: 'google-secret', redirect_uris: [redirectUri] }],
  });
  const state = client.randomState();
  const socket = new WebSocket(`${relay.wsBase}/ws/${state}`);
  tt.teardown(() => socket.terminate());
  const frame = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  await relay.waitFor(state, 2000);
  tt.same(relay.waiting(), [state]);

  const url = new URL(provider.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'google-client',
    redirect_uri: redirectUri,
    scope: GOOGLE_SCOPES.join(' '),
    state,
    access_type: 'offline',
    prompt: 'consent',
  }).toString();
  const browser = createBrowser();
  const callback = await browser.openAuthorization(url, { stopAt: redirectUri });
  const page = await browser.followTo(callback);
  tt.equal(page.status, 200);

  const message = JSON.parse(await frame) as Record<string, string>;
  tt.strictSame(
    message,
    { code: callback.searchParams.get('code') },
    'the code alone, as the real relay sends it',
  );
  tt.equal(callback.searchParams.get('state'), state, 'the state is the socket’s');
  tt.equal(callback.searchParams.get('iss'), provider.issuer);

  const withoutRedirectUri = await fetch(provider.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: message.code ?? '',
      client_id: 'google-client',
      client_secret: 'google-secret',
    }),
  });
  tt.equal(withoutRedirectUri.status, 400, 'redirect_uri is required at the token endpoint');

  // The code arrived intact: it redeems.
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: message.code ?? '',
    redirect_uri: redirectUri,
    client_id: 'google-client',
    client_secret: 'google-secret',
  });
  const res = await fetch(provider.tokenEndpoint, { method: 'POST', body });
  tt.equal(res.status, 200);
  tt.match(await res.json(), { access_token: String, refresh_token: String, expires_in: 3600 });

  const missing = await browser.followTo(`${redirectUri}?code=x&state=nobody`);
  tt.equal(missing.status, 404, 'no socket waits for that state');
  await tt.rejects(relay.waitFor('never', 50), /no websocket waited/);
});

t.test('a stopped provider refuses connections, and comes back', async (tt) => {
  const provider = await startProvider(tt);
  const { config, state, callback } = await authorize(provider);
  await provider.stop();
  tt.equal(
    await failure(client.authorizationCodeGrant(config, callback, { expectedState: state })),
    'ECONNREFUSED',
  );
  await provider.start();
  const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: state });
  tt.type(tokens.access_token, 'string');
});

t.test('the browser fails loudly on an error page', async (tt) => {
  const provider = await startProvider(tt);
  const url = `${provider.authorizationEndpoint}?response_type=code&client_id=google-client&redirect_uri=http://elsewhere/&scope=openid&state=s`;
  await tt.rejects(
    createBrowser().openAuthorization(url, { stopAt: REDIRECT_URI }),
    /expected a redirect.*redirect_uri/s,
  );
});
