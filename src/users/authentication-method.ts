import type { UserPurpose } from '../entities/index.js';
import { errors } from '../http/errors.js';

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
