import { requireAcl } from '../authz/require-acl.js';
import { userVisibility } from '../authz/user-visibility.js';
import { Email } from '../entities/index.js';
import { errors } from '../http/errors.js';
import { empty, type HttpRequest } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { SelfServiceKit } from './index.js';
import { linkContext } from './link-context.js';
import { tooManyMails } from './mail-budget.js';
import { inMailTransaction, isMailToken, mintMailToken, spendIfMailToken } from './mail-token.js';

/**
 * E-mail confirmation (emails-and-password-reset.md §3): mail a link to an address of a user, and confirm
 * the address through it (`GET`, the link itself) or through the API (`PUT`).
 */
export function confirmationRoutes(kit: SelfServiceKit): Route[] {
  const { orm, outbox, tokens, hierarchy, mailer, config, logger, hosts, mailBudget } = kit;
  const visible = userVisibility(orm, hierarchy);

  /**
   * Confirms the address the path names. The mailed token names its own address; an API token (an
   * administrator's) reaches only the addresses of users of its tenant subtree: upstream lets any token
   * whose ACL matches confirm any tenant's address, an `auth.#` of a sub-tenant included.
   */
  const confirm = async (request: HttpRequest) => {
    const emailUuid = request.params.email_uuid!;
    const token = request.locals.token!;
    if (!isMailToken(token)) {
      const email = await orm.em.fork().findOne(Email, { uuid: emailUuid }, { populate: ['user'] });
      if (!email || !(await visible(request, email.user.uuid))) throw errors.unknown('emails', emailUuid);
    }
    await spendIfMailToken(tokens, token);
    const confirmed = await orm.em.fork().nativeUpdate(Email, { uuid: emailUuid }, { confirmed: true });
    if (confirmed === 0) throw errors.unknown('emails', emailUuid);
  };

  return [
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}/emails/{email_uuid:uuid}/confirm',
      summary: 'Mails a confirmation link for one of the user’s addresses',
      // Upstream checks the ACL only; here a user outside the caller's tenant subtree is unknown too.
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.emails.{email_uuid}.confirm.read')],
      async handle(request) {
        const userUuid = request.params.user_uuid!;
        const emailUuid = request.params.email_uuid!;
        if (!(await visible(request, userUuid))) throw errors.unknown('users', userUuid);
        const email = await orm.em.fork().findOne(Email, { uuid: emailUuid }, { populate: ['user'] });
        if (!email || email.user.uuid !== userUuid) throw errors.unknown('emails', emailUuid);
        if (email.confirmed) throw errors.emailAlreadyConfirmed(emailUuid);
        const masterTenant = await hierarchy.masterUuid();
        const link = linkContext(request, await hosts.of(email.user.tenant.uuid));
        const spent = await mailBudget.spend({ user: userUuid, address: email.address }, () =>
          inMailTransaction(outbox, 'emails', logger, async (em, emit) => {
            const token = await mintMailToken(em, emit, {
              acl: `auth.emails.${emailUuid}.confirm.edit`,
              lifetimeS: config.email_confirmation_expiration,
              masterTenant,
            });
            await mailer.sendConfirmation({
              ...link,
              token,
              username: email.user.username,
              email_uuid: emailUuid,
              email_address: email.address,
            });
          }),
        );
        // The caller is authenticated: telling it to wait reveals nothing it does not know.
        if (!spent.sent) throw tooManyMails('emails', spent.retryAfterS);
        return empty(204);
      },
    },
    {
      method: 'PUT',
      path: '/emails/{email_uuid:uuid}/confirm',
      steps: [requireAcl(tokens, 'auth.emails.{email_uuid}.confirm.update')],
      async handle(request) {
        await confirm(request);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: '/emails/{email_uuid:uuid}/confirm',
      summary: 'The link of a confirmation mail (the token in the query)',
      steps: [requireAcl(tokens, 'auth.emails.{email_uuid}.confirm.update', { tokenInQuery: true })],
      async handle(request) {
        await confirm(request);
        return { status: 200, raw: mailer.confirmationPage };
      },
    },
  ];
}
