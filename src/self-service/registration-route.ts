import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { errors } from '../http/errors.js';
import { json } from '../http/request.js';
import type { Route } from '../http/route.js';
import { hashPassword } from '../passwords/index.js';
import { insertTenant } from '../tenants/repository.js';
import { EMPTY_ADDRESS } from '../tenants/schemas.js';
import { userJson } from '../users/format.js';
import { insertUser, type NewUser, raceConflict } from '../users/repository.js';
import { field, length, loadOrInvalidData, schema } from '../validation/index.js';
import type { SelfServiceKit } from './index.js';
import { linkContext } from './link-context.js';
import { tooManyMails } from './mail-budget.js';
import { inMailTransaction, mintMailToken } from './mail-token.js';

/**
 * The body (misc-endpoints.md §3). The username also names the new tenant, whose names stop at 128
 * characters: a longer one is a 400 here (upstream: 500). `purpose` and `authentication_method` are forced.
 */
const registrationSchema = schema({
  username: field
    .string()
    .validate(length({ min: 1, max: 128 }))
    .required(),
  password: field
    .string()
    .validate(length({ min: 1 }))
    .required(),
  email_address: field.email().required(),
  firstname: field.string().default(null),
  lastname: field.string().default(null),
});

/**
 * `POST /users/register` (misc-endpoints.md §3), off unless `enabled_http_plugins.user_registration`: a
 * tenant named after the user, the user with an unconfirmed address, and the confirmation mail — all in
 * one transaction, so that a refused mail or a conflict leaves nothing behind (upstream keeps the tenant).
 */
export function registrationRoute(kit: SelfServiceKit): Route {
  const { outbox, hierarchy, mailer, config, logger, users, hosts, mailBudget } = kit;
  return {
    method: 'POST',
    path: '/users/register',
    readsBody: true,
    summary: 'Self-registration: a new tenant and its user, with a confirmation mail',
    async handle(request) {
      const body = loadOrInvalidData('users', registrationSchema, request.body);
      const masterTenant = await hierarchy.masterUuid();
      const input: NewUser = {
        username: body.username,
        password: await hashPassword(body.password),
        firstname: body.firstname,
        lastname: body.lastname,
        purpose: 'user',
        authenticationMethod: 'default',
        enabled: true,
        emailAddress: body.email_address,
        emailConfirmed: false,
        tenant: '',
      };
      // A new tenant owns no domain yet: the links point to a configured host.
      const link = linkContext(request, await hosts.of(null));
      const register = () =>
        inMailTransaction(outbox, 'users', logger, async (em, emit) => {
          input.tenant = await insertTenant(
            em,
            emit,
            {
              uuid: null,
              slug: null,
              name: body.username,
              parent: masterTenant,
              contact: null,
              phone: null,
              defaultAuthenticationMethod: 'native',
              domainNames: [],
              address: EMPTY_ADDRESS,
            },
            { config, log: logger },
          );
          const user = await insertUser(em, input);
          // Flushed before the mail: its token needs the rows, and a conflict must not cost a mail.
          await em.flush();
          const email = user.emails.getItems()[0]!;
          const token = await mintMailToken(em, emit, {
            acl: `auth.emails.${email.uuid}.confirm.edit`,
            lifetimeS: config.email_confirmation_expiration,
            masterTenant,
          });
          await mailer.sendConfirmation({
            ...link,
            token,
            username: user.username,
            email_uuid: email.uuid,
            email_address: email.address,
          });
          return user.uuid;
        }).catch((error: unknown) => {
          const conflict =
            error instanceof UniqueConstraintViolationException ? raceConflict(error, input) : null;
          throw conflict ?? error;
        });
      const spent = await mailBudget.spend({ user: null, address: body.email_address }, register);
      if (!spent.sent) throw tooManyMails('users', spent.retryAfterS);
      const uuid = spent.value;
      const user = await users.find(uuid);
      if (!user) throw errors.unknown('users', uuid);
      return json(userJson(user));
    },
  };
}
