import nodemailer, { type NodemailerError } from 'nodemailer';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { type ConfirmationContext, type Mailer, MailNotSent, type ResetContext } from './mailer.js';
import { type BuiltMail, buildMail, type MailParts } from './message.js';
import type { MailTemplates, TemplateFile } from './templates.js';

export type SmtpConfig = Config['smtp'];

/** The whole exchange may take this many times `smtp.timeout`. */
const WHOLE_EXCHANGE_FACTOR = 2;

/** Hands built mails to the relay; one connection per mail, as upstream. */
export interface MailTransport {
  send(mail: BuiltMail): Promise<void>;
}

/**
 * What went wrong, for the error message and the log: the step and the relay's reply code, never the
 * relay's reply text (it may quote the recipient or the message) nor anything of the mail itself.
 */
export function describeFailure(error: unknown, timeoutSeconds: number): string {
  const e = error as NodemailerError;
  if (e?.name === 'AbortError' || e?.code === 'EABORT')
    return `not done within ${timeoutSeconds * WHOLE_EXCHANGE_FACTOR} s`;
  if (e?.code === 'ETIMEDOUT') {
    // The greeting and the idle-socket timers run together, so which one fires first says nothing.
    const what =
      e.timeoutType === 'CONNECT_TIMEOUT'
        ? 'connecting'
        : e.timeoutType === 'UPGRADE_TIMEOUT'
          ? 'upgrading to TLS'
          : 'waiting for an answer';
    return `timed out ${what} (${timeoutSeconds} s)`;
  }
  const command = typeof e?.command === 'string' && /^[A-Z][A-Z0-9 -]*$/.test(e.command) ? e.command : null;
  if (typeof e?.responseCode === 'number') {
    return `the relay answered ${e.responseCode}${command ? ` to ${command}` : ''}`;
  }
  const code = [e?.code, e?.originalCode].filter(
    (c): c is string => typeof c === 'string' && /^E[A-Z]+$/.test(c),
  );
  return code.length ? code.join('/') : 'unexpected error';
}

/** nodemailer's SMTP transport, set up as upstream's smtplib client (plain SMTP, no auth) unless configured. */
export function createSmtpTransport(smtp: SmtpConfig): MailTransport {
  const ms = smtp.timeout * 1000;
  const transport = nodemailer.createTransport({
    host: smtp.hostname,
    port: smtp.port,
    secure: false,
    // nodemailer upgrades to STARTTLS whenever the relay offers it, and then refuses the relay's
    // self-signed certificate; upstream never upgrades, so neither do we unless asked, and when asked
    // the upgrade is required rather than silently skipped.
    ignoreTLS: !smtp.starttls,
    requireTLS: smtp.starttls,
    auth: smtp.username ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    dnsTimeout: ms,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(mail) {
      // The per-step timeouts reset at every byte, so a relay answering slowly enough could hold the
      // HTTP request indefinitely; the whole exchange is bounded as well.
      await transport.sendMail({
        envelope: mail.envelope,
        raw: mail.raw,
        signal: AbortSignal.timeout(WHOLE_EXCHANGE_FACTOR * ms),
      });
    },
  };
}

/** `host:port` as the errors and logs name the relay. */
export function relayName(smtp: SmtpConfig): string {
  return `${smtp.hostname.includes(':') ? `[${smtp.hostname}]` : smtp.hostname}:${smtp.port}`;
}

type MailKind = 'confirmation' | 'password reset';

/** The `smtp` driver: renders the templates, builds the message and waits for the relay to accept it. */
export class SmtpMailer implements Mailer {
  private readonly relay: string;

  constructor(
    private readonly config: Config,
    private readonly templates: MailTemplates,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    readonly confirmationPage: Mailer['confirmationPage'],
  ) {
    this.relay = relayName(config.smtp);
  }

  async sendConfirmation(context: ConfirmationContext): Promise<void> {
    const { templates, config } = this;
    await this.deliver('confirmation', {
      fromName: config.email_confirmation_from_name,
      fromAddress: config.email_confirmation_from_address,
      toName: context.username,
      toAddress: context.email_address,
      subject: await this.render('confirmation', templates.email_confirmation_subject_template, context),
      body: await this.render('confirmation', templates.email_confirmation_template, context),
    });
  }

  async sendPasswordReset(context: ResetContext): Promise<void> {
    const { templates, config } = this;
    await this.deliver('password reset', {
      fromName: config.password_reset_from_name,
      fromAddress: config.password_reset_from_address,
      toName: context.username,
      toAddress: context.email_address,
      subject: await this.render('password reset', templates.password_reset_email_subject_template, context),
      body: await this.render('password reset', templates.password_reset_email_template, context),
    });
  }

  private async render(kind: MailKind, template: TemplateFile, vars: object): Promise<string> {
    try {
      return await template.render(vars);
    } catch (error) {
      // nunjucks names the template and the line, not the values being rendered.
      this.logger.error({ key: template.key, path: template.path, err: error }, 'mail template failed');
      throw new MailNotSent(`${kind} mail not sent: the template ${template.key} failed`);
    }
  }

  private async deliver(kind: MailKind, parts: MailParts): Promise<void> {
    let mail: BuiltMail;
    try {
      mail = buildMail(parts);
    } catch (error) {
      const reason = error instanceof MailNotSent ? error.message : 'the message could not be built';
      this.logger.warn({ mail: kind }, `mail not sent: ${reason}`);
      throw new MailNotSent(`${kind} mail not sent: ${reason}`);
    }
    try {
      await this.transport.send(mail);
    } catch (error) {
      const reason = describeFailure(error, this.config.smtp.timeout);
      this.logger.warn({ mail: kind, relay: this.relay }, `mail not sent: ${reason}`);
      throw new MailNotSent(`${kind} mail not sent through the SMTP relay ${this.relay}: ${reason}`);
    }
    this.logger.debug({ mail: kind, relay: this.relay }, 'mail accepted by the relay');
  }
}
