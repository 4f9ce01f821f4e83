import t from 'tap';
import { buildMail, formatAddress } from '../../src/mail/message.js';
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
  const mail = await buildMail({
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
