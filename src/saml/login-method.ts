import { errors } from '../http/errors.js';
import type { LoginAttempt, LoginMethod, VerifiedLogin } from '../idp/method.js';
import type { Saml } from './service.js';

/**
 * The `saml` login method (saml.md §4.3): a `POST /token` with the `saml_session_id` of a login the ACS
 * completed. The session is claimed before anything else, so that it serves once, offline or online (upstream
 * lets an online login reuse it until the purge), whatever happens next.
 */
export class SamlLoginMethod implements LoginMethod {
  readonly name = 'saml';
  readonly backend = 'wazo_user';

  constructor(private readonly saml: Saml) {}

  canAuthenticate(attempt: LoginAttempt): boolean {
    return attempt.request.saml_session_id !== undefined;
  }

  async verify(attempt: LoginAttempt): Promise<VerifiedLogin> {
    const { sessions, configs, users, settings } = this.saml;
    const sessionId = attempt.request.saml_session_id;
    if (!sessionId) throw errors.authenticationFailed();
    const bornAfter = new Date(Date.now() - settings.saml_session_lifetime_seconds * 1000);
    const session = await sessions.claim(sessionId, bornAfter);
    if (!session?.login) throw errors.authenticationFailed();
    const config = await configs.byDomainName(session.domain);
    const user = config ? await users.findByLogin(session.login) : null;
    // The IdP of a tenant vouches for that tenant's users only (not checked upstream).
    if (!user || user.tenant.uuid !== config?.tenantUuid) throw errors.authenticationFailed();
    const key = { requestId: session.requestId, sessionId: session.sessionId };
    return {
      userUuid: user.uuid,
      login: session.login,
      backend: this.backend,
      issued: async ({ refreshTokenUuid }) => {
        if (refreshTokenUuid) await sessions.linkRefreshToken(key, refreshTokenUuid);
      },
    };
  }
}
