import type { Logger } from '../log/logger.js';
import type { ConfirmationContext, Mailer, ResetContext } from './mailer.js';

/**
 * The `log` driver (`email_notification_plugin: log`): records that a mail would go out, for test
 * platforms without a relay. The token is left out: with it, the log line would be a usable credential.
 */
export class LogMailer implements Mailer {
  constructor(
    private readonly logger: Logger,
    readonly confirmationPage: Mailer['confirmationPage'],
  ) {}

  async sendConfirmation({ token: _token, ...context }: ConfirmationContext): Promise<void> {
    this.logger.info({ mail: 'confirmation', context }, 'mail not sent (email_notification_plugin: log)');
  }

  async sendPasswordReset({ token: _token, ...context }: ResetContext): Promise<void> {
    this.logger.info({ mail: 'password reset', context }, 'mail not sent (email_notification_plugin: log)');
  }
}
