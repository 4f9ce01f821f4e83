import type { WazoUserBackend } from '../authentication/wazo-user.js';
import { errors } from '../http/errors.js';
import type { LoginAttempt, LoginMethod, VerifiedLogin } from './method.js';

/** Logins by password against the users table: any request with Basic credentials no plugin took. */
export class NativeLoginMethod implements LoginMethod {
  readonly name = 'native';
  readonly backend = 'wazo_user';

  constructor(private readonly users: WazoUserBackend) {}

  canAuthenticate({ credentials }: LoginAttempt): boolean {
    return credentials !== null;
  }

  async verify({ credentials }: LoginAttempt): Promise<VerifiedLogin> {
    if (!credentials) throw errors.authenticationFailed();
    const user = await this.users.authenticate(credentials.login, credentials.password);
    if (!user) throw errors.authenticationFailed();
    return {
      userUuid: user.uuid,
      login: credentials.login,
      backend: this.backend,
      passwordHash: user.passwordHash,
    };
  }
}
