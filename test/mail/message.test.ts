import t from 'tap';
import {
  buildMail,
  encodeBody,
  encodeSubject,
  formatAddress,
  headerLine,
  MAX_LINE_OCTETS,
} from '../../src/mail/message.js';
import { parseMessage } from '../helpers/smtp-sink.js';

t.test('display names are quoted only when they hold a special, as formataddr does', async (t) => {
  const cases: Array<[string | null, string]> = [
    ['wazo-auth', 'wazo-auth <a@example.com>'],
    ['password_reset_from_name_sentinel', 'password_reset_from_name_sentinel <a@example.com>'],
    ["O'Brien & sons", "O'Brien & sons <a@example.com>"],
    ['u4@example.com', '"u4@example.com" <a@example.com>'],
    ['Smith, John', '"Smith, John" <a@example.com>'],
    ['J. Smith', '"J. Smith" <a@example.com>'],
    ['say "hi" \\o/', '"say \\"hi\\" \\\\o/" <a@example.com>'],
    [null, 'a@example.com'],
    ['', 'a@example.com'],
    ['   ', 'a@example.com'],
  ];
  for (const [name, expected] of cases) t.equal(formatAddress(name, 'a@example.com'), expected, String(name));
  t.match(formatAddress('Zoë', 'a@example.com'), /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <a@example\.com>$/);
  t.match(formatAddress('tab\there', 'a@example.com'), /^=\?UTF-8\?B\?/, 'control characters are encoded');
});

t.test('addresses that could break out of the header are refused', async (t) => {
  for (const address of [
    'a@b\r\nBcc: c@d',
    'a@b>, <c@d',
    'a b@c',
    'no-at-sign',
    '"q"@example.com',
    'a@b@c',
    '',
  ]) {
    t.throws(() => formatAddress('x', address), { name: 'MailNotSent' }, JSON.stringify(address));
  }
  t.equal(formatAddress(null, 'ünï@exämple.com'), 'ünï@exämple.com', 'UTF-8 addresses pass');
});

t.test('a long encoded name is folded, and reads back whole', async (t) => {
  const name = 'Ééééééééééééééééééééééééé Ààààààààààààààààààààààààààà Üüüüüüüüüüüüü';
  const mail = buildMail({
    fromName: 'wazo-auth',
    fromAddress: 'noreply@wazo.community',
    toName: name,
    toAddress: 'x@example.com',
    subject: 'line one\r\nline two\n',
    body: 'body\n',
  });
  const raw = mail.raw.toString('utf8');
  for (const line of raw.split('\r\n')) t.ok(line.length <= 78, `${line.length} characters: ${line}`);
  const parsed = parseMessage(raw, mail.envelope);
  t.equal(parsed.to, `${name} <x@example.com>`);
  t.equal(parsed.subject, 'line one line two', 'a subject is one line');
  t.same(mail.envelope, { from: 'noreply@wazo.community', to: ['x@example.com'] });
  t.equal(parsed.text, 'body\n');
});

t.test('the body as MIMEText sends it: 7bit for ASCII, base64 UTF-8 otherwise', async (t) => {
  t.same(encodeBody('Hello,\n\nhttps://x/y?token=z'), {
    charset: 'us-ascii',
    transferEncoding: '7bit',
    text: 'Hello,\r\n\r\nhttps://x/y?token=z\r\n',
  });
  t.equal(encodeBody('a\r\nb\rc\n').text, 'a\r\nb\r\nc\r\n', 'line ends made CRLF, as smtplib does');
  t.equal(encodeBody('a\n\n').text, 'a\r\n\r\n', 'a blank last line is kept');
  t.equal(encodeBody('').text, '', 'an empty body stays empty');
  const link = `https://example.com/${'x'.repeat(MAX_LINE_OCTETS - 20)}`;
  t.equal(encodeBody(link).transferEncoding, '7bit', `${link.length} octets fit on one line`);
  t.equal(encodeBody('\t tabs and trailing spaces  \n').text, '\t tabs and trailing spaces  \r\n');

  const utf8 = encodeBody('Zoë\n');
  t.same(utf8, { charset: 'utf-8', transferEncoding: 'base64', text: 'Wm/Dqw0K\r\n' });
  const long = encodeBody(`${'é'.repeat(100)}\n`);
  t.ok(long.text.split('\r\n').every((line) => line.length <= 76));
  t.equal(Buffer.from(long.text, 'base64').toString('utf8'), `${'é'.repeat(100)}\r\n`);
});

t.test('a line past 998 octets or a NUL: quoted-printable, which reads back the same', async (t) => {
  const line = `https://example.com/?t=${'y'.repeat(MAX_LINE_OCTETS)}`;
  const body = encodeBody(`before\n${line}\n.after`);
  t.equal(body.transferEncoding, 'quoted-printable');
  t.equal(body.charset, 'us-ascii');
  for (const written of body.text.split('\r\n')) t.ok(written.length <= 76);
  const mail = buildMail({
    fromName: null,
    fromAddress: 'a@example.com',
    toName: null,
    toAddress: 'b@example.com',
    subject: 's',
    body: `before\n${line}\n.after`,
  });
  t.equal(parseMessage(mail.raw.toString('utf8'), mail.envelope).text, `before\n${line}\n.after\n`);
  t.equal(encodeBody('a\0b').transferEncoding, 'quoted-printable', 'no NUL in a 7bit body');
});

t.test('headers: one line as upstream, folded only past the limits, never inside an address', async (t) => {
  const from = headerLine('From', formatAddress('password_reset_from_name_sentinel', 'sentinel@example.com'));
  t.equal(from, 'From: password_reset_from_name_sentinel <sentinel@example.com>');

  const name = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  const address = `${'l'.repeat(60)}@example.com`;
  const long = headerLine('To', formatAddress(name, address));
  const lines = long.split('\r\n');
  t.ok(lines.length > 1, 'a line past 998 octets is folded');
  for (const line of lines) t.ok(line.length <= MAX_LINE_OCTETS);
  t.ok(
    lines.slice(1).every((line) => line.startsWith(' ')),
    'at white space',
  );
  t.ok(
    lines.some((line) => line.endsWith(`<${address}>`)),
    'the address whole',
  );
  t.equal(long.replace(/\r\n/g, ''), `To: ${name} <${address}>`, 'and unfolds back');

  const encoded = headerLine('To', formatAddress('Zoë '.repeat(30).trim(), address));
  for (const line of encoded.split('\r\n')) t.ok(line.length <= 76 || line === ` <${address}>`, line);
  t.ok(encoded.includes(`<${address}>`));
});

t.test('subjects: ASCII as is, encoded words only where needed', async (t) => {
  t.equal(encodeSubject('Password reset for "bob" & co'), 'Password reset for "bob" & co');
  t.equal(encodeSubject('Mot de passe demandé'), `Mot de passe ${encodeSubject('demandé')}`);
  t.match(encodeSubject('demandé'), /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
  t.equal(
    encodeSubject('=?utf-8?q?d=C3=A9j=C3=A0?='),
    '=?utf-8?q?d=C3=A9j=C3=A0?=',
    'a valid encoded word left to readers',
  );
  for (const subject of ['looks =?utf-8?X?encoded?= but is not', 'bell\x07', 'nul\0']) {
    const encoded = encodeSubject(subject);
    t.match(encoded, /=\?UTF-8\?B\?/, JSON.stringify(subject));
    t.match(encoded, /^[\x20-\x7e]*$/, 'printable ASCII only');
    const mail = buildMail({
      fromName: null,
      fromAddress: 'a@example.com',
      toName: null,
      toAddress: 'b@example.com',
      subject,
      body: '',
    });
    t.equal(parseMessage(mail.raw.toString('utf8'), mail.envelope).subject, subject, 'reads back as written');
  }
});
