import { raw } from '@mikro-orm/core';
import { passwordManagedExternally } from '../authentication/wazo-user.js';
import { requireAcl } from '../authz/require-acl.js';
import { userVisibility } from '../authz/user-visibility.js';
import { Email, User } from '../entities/index.js';
import { errors } from '../http/errors.js';
import { empty, type HttpRequest } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import { hashPassword } from '../passwords/index.js';
import { field, length, loadOrInvalidData, schema } from '../validation/index.js';
import type { SelfServiceKit } from './index.js';
import { linkContext } from './link-context.js';
import { inMailTransaction, isMailToken, mintMailToken, spendIfMailToken } from './mail-token.js';

/** `GET /users/password/reset`: one of three ways to name the user. */
const requestSchema = schema({
  username: field.string().validate(length({ min: 1, max: 256 })),
  email: field.email(),
  login: field.string().validate(length({ min: 1, max: 256 })),
});

/** `POST /users/password/reset`: the new password, or null to remove it. */
const resetSchema = schema({
  password: field
    .string()
    .validate(length({ min: 1 }))
    .nullable()
    .required(),
});

/**
 * Password reset (emails-and-password-reset.md §4): mail a reset link to a user named by username,
 * address or login (always 204, so that nobody learns who exists), and set the password with it.
 */
export function resetRoutes(kit: SelfServiceKit): Route[] {
  const { orm, outbox, tokens, hierarchy, mailer, config, logger, users, hosts, mailBudget } = kit;
  const visible = userVisibility(orm, hierarchy);

  /** The first user the query names, across tenants, enabled or not (upstream's lookup). */
  const named = async (query: { username?: string; email?: string; login?: string }) => {
    const em = orm.em.fork();
    const populate = ['emails', 'tenant'] as const;
    if (query.username !== undefined) return em.findOne(User, { username: query.username }, { populate });
    if (query.email !== undefined) {
      const email = await em.findOne(Email, { address: query.email }, { populate: ['user'] });
      return email ? em.findOne(User, { uuid: email.user.uuid }, { populate }) : null;
    }
    const login = query.login!.toLowerCase();
    const byName = await em.findOne(User, { [raw('lower(username)')]: login }, { populate });
    if (byName) return byName;
    const email = await em.findOne(Email, { [raw('lower(address)')]: login }, { populate: ['user'] });
    return email ? em.findOne(User, { uuid: email.user.uuid }, { populate }) : null;
  };

  /** The reset route's ACL is built from the `user_uuid` query parameter, not from the path. */
  const userFromQuery: Step = (request: HttpRequest) => {
    request.params.user_uuid = request.query.get('user_uuid') ?? '';
  };

  return [
    {
      method: 'GET',
      path: '/users/password/reset',
      summary: 'Mails a password reset link (204 whether or not the user exists)',
      async handle(request) {
        const given = ['username', 'email', 'login'].filter((key) => request.query.has(key));
        if (given.length !== 1) throw errors.resetLoginMissing();
        const query = loadOrInvalidData('reset', requestSchema, {
          [given[0]!]: request.query.get(given[0]!),
        });
        const user = await named(query);
        if (!user || passwordManagedExternally(user)) return empty(204);
        const confirmed = user.emails.getItems().filter((email) => email.confirmed);
        const address =
          query.email ?? (confirmed.find((email) => email.main) ?? confirmed[0])?.address ?? null;
        if (address === null) return empty(204);
        const masterTenant = await hierarchy.masterUuid();
        const link = linkContext(request, await hosts.of(user.tenant.uuid));
        const spent = await mailBudget.spend({ user: user.uuid, address }, () =>
          inMailTransaction(outbox, 'reset', logger, async (em, emit) => {
            const token = await mintMailToken(em, emit, {
              acl: `auth.users.password.reset.${user.uuid}.create`,
              lifetimeS: config.password_reset_expiration,
              masterTenant,
            });
            await mailer.sendPasswordReset({
              ...link,
              token,
              username: user.username,
              user_uuid: user.uuid,
              email_address: address,
            });
          }),
        );
        // Over the budget: no mail, no token, and the same 204 as for an unknown user (nothing to learn).
        if (!spent.sent) logger.info({ user: user.uuid }, 'password reset mail over mail_throttle: not sent');
        return empty(204);
      },
    },
    {
      method: 'POST',
      path: '/users/password/reset',
      readsBody: true,
      steps: [
        userFromQuery,
        requireAcl(tokens, 'auth.users.password.reset.{user_uuid}.create', { tokenInQuery: true }),
      ],
      async handle(request) {
        const { password } = loadOrInvalidData('reset', resetSchema, request.body);
        const uuid = request.params.user_uuid!;
        // Upstream lets any token whose ACL matches reset anyone's password (an `auth.#` of a sub-tenant
        // included). Here an API token reaches only the users of its own tenant subtree; the mailed
        // reset token names its own user, whatever its tenant.
        const reachable = isMailToken(request.locals.token!) || (await visible(request, uuid));
        const user = reachable ? await users.find(uuid) : null;
        if (!user) throw errors.unknown('users', uuid);
        if (password !== null && passwordManagedExternally(user))
          throw errors.passwordManagedExternally(uuid);
        await spendIfMailToken(tokens, request.locals.token!);
        const stored = password === null ? { hash: null, salt: null } : await hashPassword(password);
        if (!(await users.setPassword(uuid, stored))) throw errors.unknown('users', uuid);
        // Its refresh tokens went with the old password (`setPassword`, unlike upstream); every session
        // of the user ends.
        await tokens.revokeUserSessions(uuid);
        await users.dropRefreshTokens(uuid);
        return empty(204);
      },
    },
  ];
}
