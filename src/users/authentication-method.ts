import type { Config } from '../config/index.js';
import type { UserPurpose } from '../entities/index.js';
import { errors } from '../http/errors.js';

/**
 * The values a user's `authentication_method` may take (users.md §2.3, idp.md §3.1): `default`, `native`
 * and the names of the enabled identity-provider plugins (`saml` and `ldap` unless configured otherwise).
 */
export function authenticationMethods(idpPlugins: Config['idp_plugins']): ReadonlySet<string> {
  const enabled = Object.entries(idpPlugins).filter(([, plugin]) => plugin.enabled);
  return new Set(['default', 'native', ...enabled.map(([name]) => name)]);
}

/**
 * The method to store: the requested one if accepted (case-sensitively), else the `invalid-data` 400 whose
 * `details` hold the raw value; when absent, service accounts log in natively and people by their
 * tenant's default.
 */
export function chooseAuthenticationMethod(
  requested: string | undefined,
  purpose: UserPurpose,
  accepted: ReadonlySet<string>,
): string {
  if (requested === undefined) return purpose === 'user' ? 'default' : 'native';
  if (!accepted.has(requested)) {
    throw errors.invalidData(
      'users',
      { authentication_method: requested },
      `Invalid authentication method ${requested}`,
    );
  }
  return requested;
}
