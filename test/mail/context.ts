// Shared set-up of the mail tests: a configuration pointing at a sink, a captured logger, contexts.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, configSchema } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import {
  type ConfirmationContext,
  createMailer,
  type Mailer,
  type ResetContext,
} from '../../src/mail/index.js';
import { LogSink } from '../helpers/server.js';
import { type SinkMessage, startSmtpSink } from '../helpers/smtp-sink.js';

export const TOKEN = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const RESET_TOKEN = '16fd2706-8baf-433b-82eb-8c7fb1f6b2d0';

/** The configuration of a server sending to 127.0.0.1:`port`, with `extra` keys on top. */
export function mailConfig(port: number, extra: Record<string, unknown> = {}): Config {
  const { smtp, ...rest } = extra as { smtp?: Record<string, unknown> };
  return configSchema.parse({ smtp: { hostname: '127.0.0.1', port, ...smtp }, ...rest });
}

export function capturedLogger() {
  const sink = new LogSink();
  return { sink, logger: createLogger({ log_level: 'debug', debug: false }, sink) };
}

/** Template folders where this machine's /var/lib/wazo-auth/templates cannot interfere. */
export function isolatedDirs() {
  return { upstream: join(mkdtempSync(join(tmpdir(), 'wazo-auth-no-upstream-')), 'none') };
}

export function confirmation(overrides: Partial<ConfirmationContext> = {}): ConfirmationContext {
  return {
    token: TOKEN,
    username: 'alice',
    email_uuid: '3b241101-e2bb-4255-8caf-4136c566a962',
    email_address: 'alice@example.com',
    hostname: 'pbx.example.com',
    ...overrides,
  };
}

export function reset(overrides: Partial<ResetContext> = {}): ResetContext {
  return {
    token: RESET_TOKEN,
    username: 'bob',
    user_uuid: '9a0f1c52-3a54-4e0e-9d53-0ad0c6e5a0b4',
    email_address: 'bob@example.com',
    hostname: 'pbx.example.com',
    ...overrides,
  };
}

/**
 * The reset mail of upstream's tests (its sentinel sender, a username that is an address, another
 * recipient): sent through a fresh sink, with the mailer for more and the mail as received.
 */
export async function sentinelResetMail(t: { teardown(fn: () => unknown): void }): Promise<{
  mailer: Mailer;
  context: ResetContext;
  mail: SinkMessage;
  next: () => Promise<SinkMessage>;
}> {
  const sink = await startSmtpSink(t);
  const config = mailConfig(sink.port, {
    password_reset_from_name: 'password_reset_from_name_sentinel',
    password_reset_from_address: 'password_reset_from_address_sentinel@example.com',
  });
  const mailer = createMailer(config, capturedLogger().logger, { templateDirs: isolatedDirs() });
  const context = reset({ username: 'u4@example.com', email_address: 'other@example.com', port: '443' });
  await mailer.sendPasswordReset(context);
  return { mailer, context, mail: await sink.next(), next: () => sink.next() };
}
