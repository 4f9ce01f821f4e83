import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { LogMailer } from './log.js';
import type { Mailer } from './mailer.js';
import { createSmtpTransport, type MailTransport, SmtpMailer } from './smtp.js';
import { loadTemplates, type TemplateDirs } from './templates.js';

export type { ConfirmationContext, LinkContext, Mailer, ResetContext } from './mailer.js';
export { MailNotSent } from './mailer.js';

export interface MailerOptions {
  /** Where default templates are looked for (tests); upstream's folder, then the shipped one. */
  templateDirs?: TemplateDirs;
  /** Replaces the SMTP connection (tests). */
  transport?: MailTransport;
}

/**
 * The driver named by `email_notification_plugin`, its templates compiled. Called at start-up: a
 * template that cannot be read or compiled throws a ConfigError naming its configuration key.
 */
export function createMailer(config: Config, logger: Logger, options: MailerOptions = {}): Mailer {
  const mailLogger = logger.child({ component: 'mail' });
  const templates = loadTemplates(config, mailLogger, options.templateDirs);
  // Rendered once, as upstream does: the page has no variables and is served on every confirmation.
  const confirmationPage = {
    contentType: `${config.email_confirmation_get_mimetype}; charset=utf-8`,
    text: templates.email_confirmation_get_response_body_template.renderNow({}),
  };
  if (config.email_notification_plugin === 'log') return new LogMailer(mailLogger, confirmationPage);
  const transport = options.transport ?? createSmtpTransport(config.smtp);
  return new SmtpMailer(config, templates, transport, mailLogger, confirmationPage);
}
