import { randomUUID } from 'node:crypto';
import { encodeWord, encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { MailNotSent } from './mailer.js';

/*
 * The message is written here, as upstream's Python writes it (email.mime.text.MIMEText, sent by
 * smtplib): one text/plain part whose body goes out as rendered (7bit) when it is ASCII, and in base64
 * with charset utf-8 otherwise; headers on one line each. Readers of upstream's mails (its integration
 * tests, line-oriented scripts) take the link from the raw text, so the body must not be quoted-printable
 * with soft line breaks, which is what nodemailer writes for any line over 76 characters. Unlike
 * upstream, the message stays within the limits of RFC 5322 (lines of at most 998 octets) and RFC 2047
 * (encoded words of at most 75 characters), and has a Date and a Message-ID.
 */

/** The characters formataddr quotes a display name for. */
const SPECIALS = /[()<>[\]:;@\\,."]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * A bare addr-spec as stored for a user (dot-atom local part, no quoting): nothing that could end the
 * header line, open a second address or close the angle brackets.
 */
const BARE_ADDRESS = /^[^\s\p{Cc}<>()[\],;:\\"@]+@[^\s\p{Cc}<>()[\],;:\\"@]+$/u;

/** RFC 5322 §2.1.1: no line of a message may exceed 998 octets, CRLF excluded. */
export const MAX_LINE_OCTETS = 998;
/** RFC 2047 §2: a header line holding encoded words is kept within 76 characters. */
const ENCODED_LINE = 76;
/** The longest encoded word written, `=?UTF-8?B?…?=` included (RFC 2047 allows 75). */
const ENCODED_WORD = 52;
const ENCODED_WORD_START = /=\?[^?\s]+\?[BbQq]\?/;
/** What a subject may hold as is: printable ASCII and tabs. */
const PLAIN_HEADER_TEXT = /^[\x20-\x7e\t]*$/;
/** Control characters but the tab, which a header may hold as is. */
const CONTROL = /(?!\t)\p{Cc}/u;

/**
 * `name <address>` as RFC 5322 name-addr, the name quoted only when it holds a special and written as an
 * RFC 2047 encoded word when it is not printable ASCII (which is also what keeps a CR or LF in a username
 * from starting a header of its own); no name gives the bare address.
 */
export function formatAddress(name: string | null | undefined, address: string): string {
  if (!BARE_ADDRESS.test(address)) throw new MailNotSent('the address cannot be written in a mail header');
  if (!name?.trim()) return address;
  if (!PRINTABLE_ASCII.test(name)) return `${encodeWord(name, 'B', ENCODED_WORD)} <${address}>`;
  if (SPECIALS.test(name)) return `"${name.replace(/[\\"]/g, '\\$&')}" <${address}>`;
  return `${name} <${address}>`;
}

/** A subject is one line: a template's stray line breaks become spaces rather than encoded newlines. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').trim();

/**
 * The subject as is when it is printable ASCII (as upstream writes it), else with its non-ASCII words as
 * RFC 2047 encoded words. A subject holding control characters, or text that looks like an encoded word
 * without being a valid one, is encoded so that it reads back as written; a valid encoded word written in
 * a template is left for readers to decode, as upstream leaves it.
 */
export function encodeSubject(subject: string): string {
  if (PLAIN_HEADER_TEXT.test(subject) && !subject.includes('=?')) return subject;
  if (CONTROL.test(subject)) return encodeWord(subject, 'B', ENCODED_WORD);
  return encodeWords(subject, 'B', ENCODED_WORD);
}

/**
 * `Name: value` on one line, as upstream writes its headers. A value holding encoded words is folded at
 * white space to 76 characters (RFC 2047), any other only if it would pass the 998-octet limit; folding
 * never cuts a word, so an address stays whole on its line.
 */
export function headerLine(name: string, value: string): string {
  const line = `${name}: ${value}`;
  const limit = ENCODED_WORD_START.test(value) ? ENCODED_LINE : MAX_LINE_OCTETS;
  return line.length > limit ? foldLines(line, limit) : line;
}

export type TransferEncoding = '7bit' | 'quoted-printable' | 'base64';

export interface EncodedBody {
  charset: 'us-ascii' | 'utf-8';
  transferEncoding: TransferEncoding;
  /** The body as written after the headers: CRLF line ends, ending with CRLF unless empty. */
  text: string;
}

const wrapBase64 = (data: string) => data.replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '');

/**
 * The body as MIMEText sends it: ASCII text as is (7bit), line ends made CRLF as smtplib does, and a
 * final line break added if the template left none; text outside ASCII as UTF-8 in base64. An ASCII
 * line longer than SMTP allows (998 octets, which upstream would send regardless and a relay may refuse
 * or break anywhere) turns the whole body quoted-printable instead, the only case with soft line breaks.
 */
export function encodeBody(body: string): EncodedBody {
  const lines = body.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const text = lines.length === 1 && lines[0] === '' ? '' : `${lines.join('\r\n')}\r\n`;
  if (/\P{ASCII}/u.test(text)) {
    const base64 = Buffer.from(text, 'utf8').toString('base64');
    return { charset: 'utf-8', transferEncoding: 'base64', text: base64 ? `${wrapBase64(base64)}\r\n` : '' };
  }
  if (lines.every((line) => line.length <= MAX_LINE_OCTETS) && !text.includes('\0')) {
    return { charset: 'us-ascii', transferEncoding: '7bit', text };
  }
  const encoded = qpWrap(qpEncode(text), ENCODED_LINE);
  return {
    charset: 'us-ascii',
    transferEncoding: 'quoted-printable',
    text: encoded.endsWith('\r\n') ? encoded : `${encoded}\r\n`,
  };
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

/** A single-part text/plain message and its envelope (MAIL FROM, RCPT TO). */
export function buildMail(parts: MailParts): BuiltMail {
  const from = formatAddress(parts.fromName, parts.fromAddress);
  const to = formatAddress(parts.toName, parts.toAddress);
  const domain = parts.fromAddress.slice(parts.fromAddress.lastIndexOf('@') + 1);
  const body = encodeBody(parts.body);
  const headers = [
    headerLine('From', from),
    headerLine('To', to),
    headerLine('Subject', encodeSubject(oneLine(parts.subject))),
    headerLine('Date', new Date().toUTCString().replace(/GMT$/, '+0000')),
    headerLine('Message-ID', `<${randomUUID()}@${domain}>`),
    'MIME-Version: 1.0',
    `Content-Type: text/plain; charset="${body.charset}"`,
    `Content-Transfer-Encoding: ${body.transferEncoding}`,
  ];
  return {
    envelope: { from: parts.fromAddress, to: [parts.toAddress] },
    raw: Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body.text}`, 'utf8'),
  };
}
