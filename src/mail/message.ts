import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWord, foldLines } from 'nodemailer/lib/mime-funcs';
import { MailNotSent } from './mailer.js';

/*
 * From and To are written here rather than by nodemailer: nodemailer quotes every display name that is
 * not made of word characters (`"wazo-auth" <…>`), while upstream (Python's formataddr) quotes only names
 * holding an RFC 5322 special (`wazo-auth <…>`, `"u4@example.com" <…>`). The rest of the message (Date,
 * Message-ID, the encoded Subject and body) is nodemailer's.
 */

/** The characters formataddr quotes a display name for. */
const SPECIALS = /[()<>[\]:;@\\,."]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * A bare addr-spec as stored for a user (dot-atom local part, no quoting): nothing that could end the
 * header line, open a second address or close the angle brackets.
 */
const BARE_ADDRESS = /^[^\s\p{Cc}<>()[\],;:\\"@]+@[^\s\p{Cc}<>()[\],;:\\"@]+$/u;

/**
 * `name <address>` as RFC 5322 name-addr, the name quoted only when it holds a special and written as an
 * RFC 2047 encoded word when it is not printable ASCII (which is also what keeps a CR or LF in a username
 * from starting a header of its own); no name gives the bare address.
 */
export function formatAddress(name: string | null | undefined, address: string): string {
  if (!BARE_ADDRESS.test(address)) throw new MailNotSent('the address cannot be written in a mail header');
  if (!name?.trim()) return address;
  if (!PRINTABLE_ASCII.test(name)) return `${encodeWord(name, 'B', 52)} <${address}>`;
  if (SPECIALS.test(name)) return `"${name.replace(/[\\"]/g, '\\$&')}" <${address}>`;
  return `${name} <${address}>`;
}

export interface MailParts {
  fromName: string | null;
  fromAddress: string;
  toName: string | null;
  toAddress: string;
  subject: string;
  body: string;
}

export interface BuiltMail {
  envelope: { from: string; to: string[] };
  /** The whole RFC 5322 message, CRLF line ends. */
  raw: Buffer;
}

/** A subject is one line: a template's stray line breaks become spaces rather than encoded newlines. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').trim();

/** A single-part text/plain message, UTF-8 where needed, and its envelope (MAIL FROM, RCPT TO). */
export async function buildMail(parts: MailParts): Promise<BuiltMail> {
  const from = formatAddress(parts.fromName, parts.fromAddress);
  const to = formatAddress(parts.toName, parts.toAddress);
  const domain = parts.fromAddress.slice(parts.fromAddress.lastIndexOf('@') + 1);
  const rest = await new MailComposer({
    subject: oneLine(parts.subject),
    text: parts.body,
    messageId: `<${randomUUID()}@${domain}>`,
    disableFileAccess: true,
    disableUrlAccess: true,
  })
    .compile()
    .build();
  const addressLines = `${foldLines(`From: ${from}`, 76)}\r\n${foldLines(`To: ${to}`, 76)}\r\n`;
  return {
    envelope: { from: parts.fromAddress, to: [parts.toAddress] },
    raw: Buffer.concat([Buffer.from(addressLines, 'utf8'), rest]),
  };
}
