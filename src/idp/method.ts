import type { Credentials } from '../authentication/basic.js';
import type { TokenRequest } from '../tokens/login.js';

/** What a login method sees of a `POST /token`: the validated body and the Basic credentials. */
export interface LoginAttempt {
  request: TokenRequest;
  credentials: Credentials | null;
}

/** A login a method has verified. */
export interface VerifiedLogin {
  /** The Wazo user it authenticates. */
  userUuid: string;
  /** The login kept with a refresh token (the username or e-mail used; LDAP and SAML: the e-mail). */
  login: string;
  /** The backend whose policies and metadata the token gets: `wazo_user` or `ldap_user`. */
  backend: string;
  /** Native logins: the hash verified, re-checked just before the token is written. */
  passwordHash?: string | null;
  /** Runs once the token exists (SAML links its session to the refresh token issued, if any). */
  issued?(outcome: { refreshTokenUuid: string | null }): Promise<void>;
}

/**
 * One way of logging in (idp.md §2, §6): `native`, `ldap`, `saml`. The login service asks each enabled
 * method, by priority, whether a request is for it, lets the first one verify it, then requires the user's
 * effective `authentication_method` to be that method's name.
 */
export interface LoginMethod {
  /** The `authentication_method` value it serves. */
  readonly name: string;
  /** The backend of refresh-token logins of users whose effective method is this one. */
  readonly backend: string;
  /** Cheap and side-effect free: whether the request is for this method. */
  canAuthenticate(attempt: LoginAttempt): boolean;
  /**
   * Verifies the attempt. Failures are `errors.authenticationFailed()` (the legacy 401), or another
   * `HttpError` where the spec says so (LDAP: `tenant_id` naming no tenant is a 404).
   */
  verify(attempt: LoginAttempt): Promise<VerifiedLogin>;
}
