// The mails as they reach the relay, read from the raw text the way upstream's tests and line-oriented
// scripts read them: upstream (Python's MIMEText through smtplib) sends an ASCII body as is (7bit), the
// link whole on its line, and each header on one line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createMailer } from '../../src/mail/index.js';
import type { SinkMessage } from '../helpers/smtp-sink.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import {
  capturedLogger,
  confirmation,
  isolatedDirs,
  mailConfig,
  RESET_TOKEN,
  reset,
  sentinelResetMail,
  TOKEN,
} from './context.js';

/** The header block and the body of a raw message, the header block as its lines. */
function split(mail: SinkMessage): { head: string[]; body: string } {
  const end = mail.raw.indexOf('\r\n\r\n');
  return { head: mail.raw.slice(0, end).split('\r\n'), body: mail.raw.slice(end + 4) };
}

/** The lines of one header as written: its first line and the continuation lines after it. */
function headerLines(head: string[], name: string): string[] {
  const start = head.findIndex((line) => line.startsWith(`${name}: `));
  if (start < 0) return [];
  const end = head.findIndex((line, i) => i > start && !/^[ \t]/.test(line));
  return head.slice(start, end < 0 ? head.length : end);
}

/** What upstream's `get_last_email_url` does: the lines of the raw text that start with `https://`. */
const linkLines = (raw: string) =>
  raw
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.startsWith('https://'));

/** Checks shared by every ASCII mail: the headers MIMEText writes, nothing folded, nothing encoded. */
function checkPlainAscii(t: Test, mail: SinkMessage) {
  const { head, body } = split(mail);
  t.ok(head.includes('MIME-Version: 1.0'), 'MIME-Version');
  t.ok(head.includes('Content-Type: text/plain; charset="us-ascii"'), 'Content-Type as MIMEText writes it');
  t.ok(head.includes('Content-Transfer-Encoding: 7bit'), 'Content-Transfer-Encoding: 7bit');
  t.notOk(
    head.some((line) => /^[ \t]/.test(line)),
    'no header is folded',
  );
  t.same(headerLines(head, 'From'), [head.find((line) => line.startsWith('From: '))], 'From: one line');
  t.notMatch(mail.raw, '=\r\n', 'no quoted-printable soft line break');
  t.notMatch(mail.raw, /=3D|=20\r\n/, 'nothing quoted-printable encoded');
  t.equal(body, mail.text.replace(/\n/g, '\r\n'), 'the body is sent as rendered, CRLF line ends');
  for (const line of mail.raw.split('\r\n')) t.ok(line.length <= 998, 'no line over 998 octets');
}

t.test('the confirmation mail: 7bit, the link whole on its own line', async (t) => {
  const sink = await startSmtpSink(t);
  const mailer = createMailer(mailConfig(sink.port), capturedLogger().logger, {
    templateDirs: isolatedDirs(),
  });
  const context = confirmation({ port: '8443', prefix: '/api/auth' });
  await mailer.sendConfirmation(context);
  const mail = await sink.next();

  checkPlainAscii(t, mail);
  const link = `https://pbx.example.com:8443/api/auth/0.1/emails/${context.email_uuid}/confirm?token=${TOKEN}`;
  t.ok(link.length > 76, 'a link longer than a quoted-printable line');
  t.same(linkLines(mail.raw), [link], 'the link is found whole in the raw text');
  t.ok(split(mail).body.split('\r\n').includes(link), 'on a line of its own');
  const { head } = split(mail);
  t.ok(head.includes('From: wazo-auth <noreply@wazo.community>'));
  t.ok(head.includes('To: alice <alice@example.com>'));
  t.ok(head.includes('Subject: E-mail address confirmation for alice'));
});

t.test("the reset mail with upstream's test sender: From and To each on one line", async (t) => {
  const { context, mail } = await sentinelResetMail(t);

  checkPlainAscii(t, mail);
  const from = 'From: password_reset_from_name_sentinel <password_reset_from_address_sentinel@example.com>';
  t.ok(from.length > 78, 'longer than the recommended 78 characters, not folded all the same');
  const { head } = split(mail);
  t.ok(head.includes(from), 'From: one line, the configured address whole');
  t.ok(head.includes('To: "u4@example.com" <other@example.com>'));
  // upstream's get_last_email_from / get_last_email_to
  const lineAfter = (prefix: string) =>
    mail.raw
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .at(-1)
      ?.replace(/\r$/, '')
      .slice(prefix.length);
  t.equal(
    lineAfter('From: '),
    'password_reset_from_name_sentinel <password_reset_from_address_sentinel@example.com>',
  );
  t.equal(lineAfter('To: '), '"u4@example.com" <other@example.com>');
  t.same(linkLines(mail.raw), [
    `https://app.wazo.io/reset-password?host=pbx.example.com:443&token=${RESET_TOKEN}&user_uuid=${context.user_uuid}`,
  ]);
});

t.test('a long link stays whole; a line past the SMTP limit turns the body quoted-printable', async (t) => {
  const sink = await startSmtpSink(t);
  const mailer = createMailer(mailConfig(sink.port), capturedLogger().logger, {
    templateDirs: isolatedDirs(),
  });

  const long = `${'a'.repeat(60)}.`.repeat(7).concat('example.com');
  await mailer.sendConfirmation(confirmation({ hostname: long }));
  const mail = await sink.next();
  checkPlainAscii(t, mail);
  const [link] = linkLines(mail.raw);
  t.ok(link!.length > 450 && link!.length <= 998, `a link of ${link!.length} characters`);
  t.ok(link!.startsWith(`https://${long}/0.1/emails/`));

  const tooLong = `${'b'.repeat(60)}.`.repeat(17).concat('example.com');
  await mailer.sendConfirmation(confirmation({ hostname: tooLong }));
  const over = await sink.next();
  const header = (name: string) => over.headers.find(([key]) => key === name)?.[1];
  t.equal(header('content-transfer-encoding'), 'quoted-printable', 'the one case with soft line breaks');
  t.equal(header('content-type'), 'text/plain; charset="us-ascii"');
  for (const line of over.raw.split('\r\n')) t.ok(line.length <= 998, 'no line over 998 octets');
  const decoded = over.text.split('\n').find((line) => line.startsWith('https://'));
  t.equal(decoded, `https://${tooLong}/0.1/emails/${confirmation().email_uuid}/confirm?token=${TOKEN}`);
  t.ok(decoded!.length > 998, 'and reads back whole once decoded');
});

t.test('outside ASCII: encoded-word subject and names, UTF-8 body in base64', async (t) => {
  const sink = await startSmtpSink(t);
  const config = mailConfig(sink.port, { password_reset_from_name: 'Société Wazo' });
  const mailer = createMailer(config, capturedLogger().logger, { templateDirs: isolatedDirs() });
  const context = reset({ username: 'Zoë Ångström' });
  await mailer.sendPasswordReset(context);
  const mail = await sink.next();
  const { head, body } = split(mail);

  t.match(mail.raw, /^\p{ASCII}*$/u, 'nothing but ASCII on the wire');
  t.ok(head.includes('Content-Type: text/plain; charset="utf-8"'));
  t.ok(head.includes('Content-Transfer-Encoding: base64'));
  t.match(
    head.find((line) => line.startsWith('From: ')),
    /^From: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <noreply@wazo\.community>$/,
  );
  t.match(
    head.find((line) => line.startsWith('To: ')),
    /^To: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <bob@example\.com>$/,
  );
  for (const line of head) t.ok(line.length <= 78, `${line.length} characters: ${line}`);
  for (const line of body.split('\r\n').filter(Boolean)) t.match(line, /^[A-Za-z0-9+/=]{1,76}$/);
  t.equal(mail.from, 'Société Wazo <noreply@wazo.community>');
  t.equal(mail.to, 'Zoë Ångström <bob@example.com>');
  t.match(mail.text, /^Hello Zoë Ångström,\n/);
  t.ok(
    mail.text
      .split('\n')
      .includes(
        `https://app.wazo.io/reset-password?host=pbx.example.com&token=${RESET_TOKEN}&user_uuid=${context.user_uuid}`,
      ),
    'the link whole once decoded',
  );

  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-subject-'));
  writeFileSync(join(dir, 'subject.jinja'), 'Nouveau mot de passe demandé pour {{ username }}');
  const custom = createMailer(
    mailConfig(sink.port, { password_reset_email_subject_template: join(dir, 'subject.jinja') }),
    capturedLogger().logger,
    { templateDirs: isolatedDirs() },
  );
  await custom.sendPasswordReset(context);
  const subjectMail = await sink.next();
  t.equal(subjectMail.subject, 'Nouveau mot de passe demandé pour Zoë Ångström');
  const subject = headerLines(split(subjectMail).head, 'Subject');
  t.match(
    subject.join(''),
    /^Subject: Nouveau mot de passe =\?UTF-8\?B\?/,
    'only the words outside ASCII encoded',
  );
  for (const line of subject) t.ok(line.length <= 78, 'encoded words folded to RFC 2047 lengths');
});

t.test('lines starting with a dot, blank lines and the final line break survive', async (t) => {
  const sink = await startSmtpSink(t);
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-dots-'));
  writeFileSync(join(dir, 'body.jinja'), '.{{ token }}\n..\n.\n\n\nend\n\n');
  const mailer = createMailer(
    mailConfig(sink.port, { email_confirmation_template: join(dir, 'body.jinja') }),
    capturedLogger().logger,
    { templateDirs: isolatedDirs() },
  );
  await mailer.sendConfirmation(confirmation());
  const mail = await sink.next();
  checkPlainAscii(t, mail);
  t.equal(mail.text, `.${TOKEN}\n..\n.\n\n\nend\n`, "Jinja's final newline dropped, the rest as written");
});
