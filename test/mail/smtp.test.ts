import t from 'tap';
import { createMailer } from '../../src/mail/index.js';
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

t.test('the confirmation mail: headers, envelope, link with port and prefix', async (t) => {
  const sink = await startSmtpSink(t);
  const { logger } = capturedLogger();
  const mailer = createMailer(mailConfig(sink.port), logger, { templateDirs: isolatedDirs() });
  const context = confirmation({ port: '8443', prefix: '/api/auth' });
  await mailer.sendConfirmation(context);

  const mail = await sink.next();
  t.same(mail.envelope, { from: 'noreply@wazo.community', to: ['alice@example.com'] });
  t.equal(mail.from, 'wazo-auth <noreply@wazo.community>', 'a name without specials is not quoted');
  t.equal(mail.to, 'alice <alice@example.com>');
  t.equal(mail.subject, 'E-mail address confirmation for alice');
  const contentType = mail.headers.find(([name]) => name === 'content-type')?.[1];
  t.equal(
    contentType,
    'text/plain; charset="us-ascii"',
    'single-part text/plain, ASCII as MIMEText labels it',
  );
  t.equal(mail.headers.find(([name]) => name === 'content-transfer-encoding')?.[1], '7bit');
  t.equal(mail.headers.filter(([name]) => name === 'to').length, 1);
  t.ok(mail.headers.some(([name]) => name === 'date'));
  t.match(mail.headers.find(([name]) => name === 'message-id')?.[1], /^<[0-9a-f-]{36}@wazo\.community>$/);
  t.match(
    mail.text,
    `https://pbx.example.com:8443/api/auth/0.1/emails/${context.email_uuid}/confirm?token=${TOKEN}\n`,
  );
  t.match(mail.text, /^Hello alice,\n/);
  t.notMatch(mail.text, /None|undefined|null/);
});

t.test('the confirmation link without port or prefix', async (t) => {
  const sink = await startSmtpSink(t);
  const mailer = createMailer(mailConfig(sink.port), capturedLogger().logger, {
    templateDirs: isolatedDirs(),
  });
  const context = confirmation();
  await mailer.sendConfirmation(context);
  const mail = await sink.next();
  t.match(mail.text, `\nhttps://pbx.example.com/0.1/emails/${context.email_uuid}/confirm?token=${TOKEN}\n`);

  await mailer.sendConfirmation(confirmation({ prefix: '/api/auth' }));
  t.match((await sink.next()).text, `\nhttps://pbx.example.com/api/auth/0.1/emails/`);
});

t.test('the reset mail: configured sender, quoted recipient name, link', async (t) => {
  const { mailer, context, mail, next } = await sentinelResetMail(t);
  t.same(mail.envelope, {
    from: 'password_reset_from_address_sentinel@example.com',
    to: ['other@example.com'],
  });
  t.equal(mail.from, 'password_reset_from_name_sentinel <password_reset_from_address_sentinel@example.com>');
  t.equal(mail.to, '"u4@example.com" <other@example.com>', 'a name holding a special is quoted');
  t.equal(mail.subject, 'Password reset requested');
  t.match(
    mail.text,
    `https://app.wazo.io/reset-password?host=pbx.example.com:443&token=${RESET_TOKEN}&user_uuid=${context.user_uuid}\n`,
  );

  await mailer.sendPasswordReset(reset({ prefix: '/api/auth' }));
  t.match(
    (await next()).text,
    `https://app.wazo.io/reset-password?host=pbx.example.com&token=${RESET_TOKEN}&user_uuid=`,
    'no port, and the prefix is not part of the reset link',
  );
});

t.test('a null username: bare address, nothing printed for it', async (t) => {
  const sink = await startSmtpSink(t);
  const mailer = createMailer(mailConfig(sink.port), capturedLogger().logger, {
    templateDirs: isolatedDirs(),
  });
  await mailer.sendConfirmation(confirmation({ username: null }));
  const confirmationMail = await sink.next();
  t.equal(confirmationMail.to, 'alice@example.com');
  t.equal(confirmationMail.subject, 'E-mail address confirmation');
  t.match(confirmationMail.text, /^Hello,\n/);

  await mailer.sendPasswordReset(reset({ username: null }));
  const resetMail = await sink.next();
  t.equal(resetMail.to, 'bob@example.com');
  t.match(resetMail.text, /^Hello,\n/);
  for (const mail of [confirmationMail, resetMail]) t.notMatch(mail.raw, /None|undefined|null/);
});

t.test('names and subjects outside ASCII travel as UTF-8', async (t) => {
  const sink = await startSmtpSink(t);
  const config = mailConfig(sink.port, { email_confirmation_from_name: 'Société Wazo' });
  const mailer = createMailer(config, capturedLogger().logger, { templateDirs: isolatedDirs() });
  await mailer.sendConfirmation(confirmation({ username: 'Zoë Ångström' }));
  const mail = await sink.next();
  t.equal(mail.from, 'Société Wazo <noreply@wazo.community>');
  t.equal(mail.to, 'Zoë Ångström <alice@example.com>');
  t.equal(mail.subject, 'E-mail address confirmation for Zoë Ångström');
  t.match(mail.text, /^Hello Zoë Ångström,\n/);
  t.match(mail.raw, /^\p{ASCII}*$/u, 'the message itself is 7-bit');
  const header = (name: string) => mail.headers.find(([key]) => key === name)?.[1];
  t.equal(header('content-type'), 'text/plain; charset="utf-8"', 'as MIMEText does for text outside ASCII');
  t.equal(header('content-transfer-encoding'), 'base64');
});

t.test('the text mails are not HTML-escaped', async (t) => {
  const sink = await startSmtpSink(t);
  const mailer = createMailer(mailConfig(sink.port), capturedLogger().logger, {
    templateDirs: isolatedDirs(),
  });
  await mailer.sendPasswordReset(reset({ username: 'a&b <c>' }));
  const mail = await sink.next();
  t.match(mail.text, /^Hello a&b <c>,\n/);
  t.equal(mail.to, '"a&b <c>" <bob@example.com>');
});

t.test('a CR or LF in a name, an address or a subject adds no header', async (t) => {
  const sink = await startSmtpSink(t);
  const config = mailConfig(sink.port, {
    password_reset_from_name: 'wazo\r\nBcc: from-name@evil.example',
  });
  const { logger } = capturedLogger();
  const mailer = createMailer(config, logger, { templateDirs: isolatedDirs() });

  const username = 'mallory\r\nBcc: injected@evil.example\r\nX-Injected: 1';
  await mailer.sendConfirmation(confirmation({ username }));
  await mailer.sendPasswordReset(reset({ username: 'eve\nCc: cc@evil.example' }));
  for (const mail of [await sink.next(), await sink.next()]) {
    const names = mail.headers.map(([name]) => name);
    t.notOk(names.includes('bcc') || names.includes('cc') || names.includes('x-injected'), names.join(','));
    t.equal(mail.envelope.to.length, 1, 'one recipient only');
    const head = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n') + 2);
    t.notMatch(head, /\n(Bcc|Cc|X-Injected):/i);
    t.notMatch(mail.raw, /[^\r]\n|\r[^\n]/, 'no bare CR or LF anywhere');
  }
  t.equal(sink.messages[0]!.to, `${username} <alice@example.com>`, 'the name survives, encoded');
  t.equal(
    sink.messages[0]!.subject,
    `E-mail address confirmation for mallory Bcc: injected@evil.example X-Injected: 1`,
  );

  for (const address of [
    'x@example.com\r\nBcc: a@evil.example',
    'x@example.com>, <y@evil.example',
    'a@b\n',
  ]) {
    await t.rejects(
      mailer.sendConfirmation(confirmation({ email_address: address })),
      { name: 'MailNotSent' },
      JSON.stringify(address),
    );
  }
  t.equal(sink.messages.length, 2, 'nothing sent for a bad address');
});

t.test('the log driver sends nothing and logs the context without the token', async (t) => {
  const sink = await startSmtpSink(t);
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(mailConfig(sink.port, { email_notification_plugin: 'log' }), logger, {
    templateDirs: isolatedDirs(),
  });
  await mailer.sendConfirmation(confirmation({ port: '8443' }));
  await mailer.sendPasswordReset(reset());
  const lines = logs.lines.map((line) => JSON.parse(line));
  const logged = lines.filter((line) => line.mail);
  t.equal(logged.length, 2);
  t.same(logged[0].context, {
    username: 'alice',
    email_uuid: confirmation().email_uuid,
    email_address: 'alice@example.com',
    hostname: 'pbx.example.com',
    port: '8443',
  });
  t.equal(logged[1].context.user_uuid, reset().user_uuid);
  t.notMatch(logs.lines.join('\n'), TOKEN);
  t.notMatch(logs.lines.join('\n'), RESET_TOKEN);
  t.equal(sink.messages.length, 0);
  t.equal(mailer.confirmationPage.contentType, 'text/html; charset=utf-8');
});

t.test('no token nor body in the logs of a sent mail', async (t) => {
  const sink = await startSmtpSink(t);
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(mailConfig(sink.port), logger, { templateDirs: isolatedDirs() });
  await mailer.sendConfirmation(confirmation());
  await mailer.sendPasswordReset(reset());
  await sink.next();
  await sink.next();
  const text = logs.lines.join('\n');
  t.ok(logs.lines.length > 0, 'something is logged at debug level');
  t.notMatch(text, TOKEN);
  t.notMatch(text, RESET_TOKEN);
  t.notMatch(text, /reset-password|confirm\?token/);
});
