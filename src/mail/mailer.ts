/** Where a mail's links point: the `Host` the request came to and the proxy's `X-Script-Name`. */
export interface LinkContext {
  hostname: string;
  /** Only when the `Host` header has one. */
  port?: string;
  /** Only when the request has an `X-Script-Name` header (nginx sets `/api/auth`). */
  prefix?: string;
}

/** The e-mail confirmation mail (emails-and-password-reset.md §6.1). */
export interface ConfirmationContext extends LinkContext {
  token: string;
  username: string | null;
  email_uuid: string;
  email_address: string;
}

/** The password reset mail (emails-and-password-reset.md §6.2). */
export interface ResetContext extends LinkContext {
  token: string;
  username: string | null;
  user_uuid: string;
  email_address: string;
}

/** Thrown when a mail could not be handed to the relay: the caller must not report success. */
export class MailNotSent extends Error {
  override name = 'MailNotSent';
}

/**
 * The mail driver (`email_notification_plugin`): sends synchronously, resolving once the relay accepted
 * the message, rejecting with `MailNotSent` otherwise.
 */
export interface Mailer {
  sendConfirmation(context: ConfirmationContext): Promise<void>;
  sendPasswordReset(context: ResetContext): Promise<void>;
  /** The page `GET /emails/{uuid}/confirm` answers (rendered once at start, empty context). */
  readonly confirmationPage: { contentType: string; text: string };
}
