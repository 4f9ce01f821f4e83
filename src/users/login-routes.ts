import { passwordManagedExternally, type WazoUserBackend } from '../authentication/wazo-user.js';
import { requireAcl } from '../authz/require-acl.js';
import type { UserVisibility } from '../authz/user-visibility.js';
import type { User } from '../entities/index.js';
import { errors } from '../http/errors.js';
import { empty, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import { hashPassword } from '../passwords/index.js';
import type { TokenService } from '../tokens/service.js';
import { replacedEmailJson } from './format.js';
import type { UserRepository } from './repository.js';
import { type EmailsVariant, parseEmailsPut, parsePasswordChange } from './schemas.js';

export interface UserLoginRouteDependencies {
  tokens: TokenService;
  users: UserRepository;
  backend: WazoUserBackend;
  visible: UserVisibility;
}

/** The login the old password is checked through: the username, else the main confirmed address. */
function loginOf(user: User): string | null {
  // `||`, as upstream's `or`: an empty username (imported data) falls back to the address.
  return (
    user.username || (user.emails.getItems().find((email) => email.main && email.confirmed)?.address ?? null)
  );
}

/**
 * What a user logs in with: `PUT /users/{u}/password` and the address lists of `PUT /users/{u}/emails`
 * (self-service) and `PUT /admin/users/{u}/emails` (users.md §3). Upstream scopes none of them to a
 * tenant; here a user outside the caller's tenant subtree is unknown (`userVisibility`), checked where
 * upstream looks the user up, after the body's validation.
 */
export function userLoginRoutes({ tokens, users, backend, visible }: UserLoginRouteDependencies): Route[] {
  const emails = (path: string, template: string, variant: EmailsVariant): Route => ({
    method: 'PUT',
    path,
    readsBody: true,
    steps: [requireAcl(tokens, template)],
    async handle(request) {
      const uuid = request.params.user_uuid!;
      const submitted = parseEmailsPut(request.body, variant);
      if (!(await visible(request, uuid))) throw errors.unknown('users', uuid);
      const replaced = await users.replaceEmails(uuid, submitted);
      if (!replaced) throw errors.unknown('users', uuid);
      return json(
        replaced.map(({ email, created }, index) =>
          replacedEmailJson(
            email,
            created && variant === 'admin' && submitted[index]!.confirmed === null ? null : email.confirmed,
          ),
        ),
      );
    },
  });

  return [
    {
      method: 'PUT',
      path: '/users/{user_uuid:uuid}/password',
      readsBody: true,
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.password.update')],
      async handle(request) {
        const uuid = request.params.user_uuid!;
        const body = parsePasswordChange(request.body);
        const user = (await visible(request, uuid)) ? await users.find(uuid) : null;
        if (!user) throw errors.unknown('users', uuid);
        const login = loginOf(user);
        if (login === null) throw errors.authenticationFailed();
        // Through the login, as a login would: it must still name this user, and an enabled one.
        const found = await backend.findByLogin(login);
        // Timed as every failed login is: the answer does not tell how the password was stored, if at all.
        const verified = await backend.passwordMatches(
          found?.uuid === uuid ? found : null,
          body.old_password,
        );
        if (!verified) throw errors.authenticationFailed();
        if (passwordManagedExternally(user)) throw errors.passwordManagedExternally(uuid);
        if (!(await users.setPassword(uuid, await hashPassword(body.new_password))))
          throw errors.unknown('users', uuid);
        // The refresh tokens went with the old password (`setPassword`); every session ends, the caller's
        // own included when users change their own password.
        await tokens.revokeUserSessions(uuid);
        await users.dropRefreshTokens(uuid);
        return empty(204);
      },
    },
    emails('/users/{user_uuid:uuid}/emails', 'auth.users.{user_uuid}.emails.update', 'user'),
    emails('/admin/users/{user_uuid:uuid}/emails', 'auth.admin.users.{user_uuid}.emails.update', 'admin'),
  ];
}
