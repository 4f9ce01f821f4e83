import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Emit, Outbox } from '../bus/outbox.js';
import { errors } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import { MailNotSent } from '../mail/mailer.js';
import { asStored, INTERNAL_AUTH_ID, type LiveToken, type TokenRecord } from '../tokens/record.js';
import { insertTokens } from '../tokens/repository.js';
import type { TokenService } from '../tokens/service.js';

/** Upstream's `user_agent` of the tokens sent by mail (emails-and-password-reset.md §3.2). */
export const MAIL_TOKEN_AGENT = 'wazo-auth-email-reset';

/**
 * A token to send by mail (confirmation, password reset): one ACL entry, no user, a session of its own in
 * the master tenant. Written in the caller's transaction, so that it exists only if the mail left.
 */
export async function mintMailToken(
  em: SqlEntityManager,
  emit: Emit,
  grant: { acl: string; lifetimeS: number; masterTenant: string },
): Promise<string> {
  const now = Date.now() / 1000;
  const record: TokenRecord = {
    token: randomUUID(),
    authId: INTERNAL_AUTH_ID,
    pbxUserUuid: null,
    xivoUuid: null,
    issuedT: now,
    expireT: now + grant.lifetimeS,
    acl: [grant.acl],
    metadata: {},
    sessionUuid: randomUUID(),
    sessionTenantUuid: grant.masterTenant,
    mobile: false,
    remoteAddr: '',
    userAgent: MAIL_TOKEN_AGENT,
    refreshTokenUuid: null,
  };
  await insertTokens(em, emit, [asStored(record)]);
  return record.token;
}

/** Whether the token is one the server sent by mail (`mintMailToken`), not an API client's. */
export function isMailToken({ record }: LiveToken): boolean {
  return record.authId === INTERNAL_AUTH_ID && record.userAgent === MAIL_TOKEN_AGENT;
}

/**
 * A mail token works once (upstream: until it expires). Revoking it is the claim: of two requests using
 * it at once, the one whose revocation found nothing is refused. Other tokens (an administrator's) stay.
 */
export async function spendIfMailToken(tokens: TokenService, token: LiveToken): Promise<void> {
  const { record } = token;
  if (!isMailToken(token)) return;
  if (!(await tokens.revoke(record.token))) {
    throw errors.unauthorized({ invalid_token: record.token, reason: 'not_found_or_expired' });
  }
}

/**
 * Runs `work` (which mints a mail token and sends its mail) in one transaction: a mail the relay refused
 * rolls everything back and answers `503 email-not-sent` on `resource`.
 */
export async function inMailTransaction<T>(
  outbox: Outbox,
  resource: string,
  log: Logger,
  work: (em: SqlEntityManager, emit: Emit) => Promise<T>,
): Promise<T> {
  try {
    return await outbox.transaction(work);
  } catch (error) {
    if (!(error instanceof MailNotSent)) throw error;
    log.warn({ err: error.message, resource }, 'mail not sent: nothing kept');
    throw errors.emailNotSent(resource);
  }
}
