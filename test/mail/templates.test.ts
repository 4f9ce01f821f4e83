import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../../src/config/index.js';
import { createMailer } from '../../src/mail/index.js';
import { compileTemplate, SHIPPED_TEMPLATE_DIR, TEMPLATE_KEYS } from '../../src/mail/templates.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { capturedLogger, confirmation, isolatedDirs, mailConfig, reset, TOKEN } from './context.js';

function templateDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-templates-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Moves a file's modification time forward, as an edit a few seconds later would. */
function touchLater(path: string, seconds: number) {
  const later = new Date(statSync(path).mtimeMs + seconds * 1000);
  utimesSync(path, later, later);
}

t.test('the shipped templates exist, one per key', async (t) => {
  for (const name of Object.values(TEMPLATE_KEYS)) {
    t.ok(statSync(join(SHIPPED_TEMPLATE_DIR, `${name}.jinja`)).isFile(), name);
  }
});

t.test('the confirmation page: shipped HTML, content type from the mimetype key', async (t) => {
  const { logger } = capturedLogger();
  const mailer = createMailer(mailConfig(25), logger, { templateDirs: isolatedDirs() });
  t.equal(mailer.confirmationPage.contentType, 'text/html; charset=utf-8');
  t.match(mailer.confirmationPage.text, /<html>.*confirmed.*<\/html>$/s);

  const plain = createMailer(mailConfig(25, { email_confirmation_get_mimetype: 'text/plain' }), logger, {
    templateDirs: isolatedDirs(),
  });
  t.equal(plain.confirmationPage.contentType, 'text/plain; charset=utf-8');
});

t.test('the confirmation page escapes HTML, rendered once with an empty context', async (t) => {
  const dir = templateDir({ 'page.jinja': '{% set name = "<b>&" %}<p>{{ name }}{{ token }}</p>\n' });
  const path = join(dir, 'page.jinja');
  const mailer = createMailer(
    mailConfig(25, { email_confirmation_get_response_body_template: path }),
    capturedLogger().logger,
    { templateDirs: isolatedDirs() },
  );
  t.equal(
    mailer.confirmationPage.text,
    '<p>&lt;b&gt;&amp;</p>',
    'escaped, no variable, final newline dropped',
  );
  writeFileSync(path, 'changed');
  touchLater(path, 5);
  t.equal(mailer.confirmationPage.text, '<p>&lt;b&gt;&amp;</p>', 'not re-read');
});

t.test('templates from configured paths, re-read when they change', async (t) => {
  const sink = await startSmtpSink(t);
  const dir = templateDir({
    'body.jinja': 'v1 {{ username }} {{ hostname }}{% if port %}:{{ port }}{% endif %} {{ token }}\n',
    'subject.jinja': 'Subject v1 {{ username }}\n',
    'reset.jinja': 'reset v1 {{ user_uuid }}\n',
    'reset-subject.jinja': 'Reset v1\n',
  });
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(
    mailConfig(sink.port, {
      email_confirmation_template: join(dir, 'body.jinja'),
      email_confirmation_subject_template: join(dir, 'subject.jinja'),
      password_reset_email_template: join(dir, 'reset.jinja'),
      password_reset_email_subject_template: join(dir, 'reset-subject.jinja'),
    }),
    logger,
    { templateDirs: isolatedDirs() },
  );

  // A body always ends with a line break on the wire, whatever the template's last line.
  await mailer.sendConfirmation(confirmation({ port: '8443' }));
  let mail = await sink.next();
  t.equal(mail.subject, 'Subject v1 alice');
  t.equal(mail.text, `v1 alice pbx.example.com:8443 ${TOKEN}\n`);
  await mailer.sendPasswordReset(reset());
  mail = await sink.next();
  t.equal(mail.subject, 'Reset v1');
  t.equal(mail.text, `reset v1 ${reset().user_uuid}\n`);

  writeFileSync(join(dir, 'body.jinja'), 'v2 {{ email_address }}');
  touchLater(join(dir, 'body.jinja'), 5);
  writeFileSync(join(dir, 'subject.jinja'), 'Subject v2');
  touchLater(join(dir, 'subject.jinja'), 5);
  await mailer.sendConfirmation(confirmation());
  mail = await sink.next();
  t.equal(mail.subject, 'Subject v2');
  t.equal(mail.text, 'v2 alice@example.com\n', 'the new version is used');

  // An editor that saves by writing a new file and renaming it over the old one.
  writeFileSync(join(dir, 'body.jinja.tmp'), 'v3 {{ email_uuid }}');
  renameSync(join(dir, 'body.jinja.tmp'), join(dir, 'body.jinja'));
  await mailer.sendConfirmation(confirmation());
  t.equal((await sink.next()).text, `v3 ${confirmation().email_uuid}\n`, 'replaced by rename');

  writeFileSync(join(dir, 'body.jinja'), 'v4 {% if %}');
  touchLater(join(dir, 'body.jinja'), 10);
  await mailer.sendConfirmation(confirmation());
  t.equal(
    (await sink.next()).text,
    `v3 ${confirmation().email_uuid}\n`,
    'a broken edit keeps the last good one',
  );
  await mailer.sendConfirmation(confirmation());
  await sink.next();
  const errors = logs.lines.filter((line) => line.includes('cannot be used'));
  t.equal(errors.length, 1, 'the broken edit is reported once');
  t.match(errors[0], 'email_confirmation_template');

  rmSync(join(dir, 'body.jinja'));
  await mailer.sendConfirmation(confirmation());
  t.equal(
    (await sink.next()).text,
    `v3 ${confirmation().email_uuid}\n`,
    'a deleted file keeps the last good one',
  );
  writeFileSync(join(dir, 'body.jinja'), 'v5');
  await mailer.sendConfirmation(confirmation());
  t.equal((await sink.next()).text, 'v5\n', 'and comes back');
});

t.test('a template failing at render time: MailNotSent, nothing sent', async (t) => {
  const sink = await startSmtpSink(t);
  const dir = templateDir({ 'body.jinja': '{{ token }} {{ not_a_function() }}' });
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(
    mailConfig(sink.port, { email_confirmation_template: join(dir, 'body.jinja') }),
    logger,
    {
      templateDirs: isolatedDirs(),
    },
  );
  await t.rejects(mailer.sendConfirmation(confirmation()), {
    name: 'MailNotSent',
    message: 'confirmation mail not sent: the template email_confirmation_template failed',
  });
  t.equal(sink.messages.length, 0);
  t.ok(logs.lines.some((line) => line.includes('mail template failed')));
  t.notMatch(logs.lines.join('\n'), TOKEN);
});

t.test("upstream's installed templates are preferred to the shipped ones", async (t) => {
  const sink = await startSmtpSink(t);
  const upstream = templateDir({ 'email_confirmation_subject.jinja': 'Operator subject for {{ username }}' });
  const mailer = createMailer(mailConfig(sink.port), capturedLogger().logger, {
    templateDirs: { upstream },
  });
  await mailer.sendConfirmation(confirmation());
  const mail = await sink.next();
  t.equal(mail.subject, 'Operator subject for alice');
  t.match(mail.text, /^Hello alice,/, 'the other templates fall back to the shipped ones');
});

t.test('a template that cannot be used stops start-up, naming its key', async (t) => {
  const dir = templateDir({ 'broken.jinja': 'Hello {% for %}' });
  mkdirSync(join(dir, 'folder.jinja'));
  const cases: Array<[string, string, RegExp]> = [
    [
      'email_confirmation_template',
      join(dir, 'missing.jinja'),
      /email_confirmation_template: .*missing\.jinja/,
    ],
    [
      'password_reset_email_subject_template',
      join(dir, 'broken.jinja'),
      /password_reset_email_subject_template: /,
    ],
    [
      'email_confirmation_get_response_body_template',
      join(dir, 'folder.jinja'),
      /get_response_body_template: /,
    ],
  ];
  for (const [key, path, message] of cases) {
    const config = mailConfig(25, { [key]: path });
    t.throws(() => createMailer(config, capturedLogger().logger), message, key);
    t.throws(() => createMailer(config, capturedLogger().logger), ConfigError);
  }
});

t.test('values print as Jinja prints them: None, True, False, nothing when undefined', async (t) => {
  const source =
    '{{ username }}|{{ missing }}|{{ port }}|{{ flag }}|{{ not flag }}|{{ count }}|{{ username is none }}|' +
    '{{ None }}|{{ none }}|{{ True }}|{{ username|default("x") }}|{{ missing|default("d") }}|' +
    '{% if username %}set{% else %}unset{% endif %}|{{ html }}|{{ html|safe }}';
  const context = { username: null, port: undefined, flag: true, count: 0, html: '<b>&' };
  t.equal(
    compileTemplate(source, false).render(context),
    'None|||True|False|0|True|None|None|True|None|d|unset|<b>&|<b>&',
    'text: as Jinja renders it',
  );
  t.equal(
    compileTemplate(source, true).render(context),
    'None|||True|False|0|True|None|None|True|None|d|unset|&lt;b&gt;&amp;|<b>&',
    'HTML: the same, escaping unchanged',
  );
  const nested =
    '{% macro show(v) %}[{{ v }}]{% endmacro %}{{ show(username) }}' +
    '{% for v in values %}{{ v }},{% endfor %}{% set copy = username %}{{ copy }}';
  t.equal(
    compileTemplate(nested, false).render({ username: null, values: [null, false, 0, '', undefined, 'x'] }),
    '[None]None,False,0,,,x,None',
    'inside macros, loops and set',
  );
  t.equal(
    compileTemplate('{{ "<" ~ none }}', true).render({}),
    '&lt;null',
    "concatenation is nunjucks' own (Jinja would give &lt;None)",
  );
});

t.test('a user without a username: None in the mails sent through the relay', async (t) => {
  const sink = await startSmtpSink(t);
  const dir = templateDir({
    'confirm.jinja': 'username: {{ username }}\ntoken: {{ token }}\n',
    'confirm-subject.jinja': 'Confirmation for {{ username }}',
    'reset.jinja': 'username: {{ username }}\ntoken: {{ token }}\nuser_uuid: {{ user_uuid }}\n',
    'reset-subject.jinja': 'Reset for {{ username }}',
  });
  const mailer = createMailer(
    mailConfig(sink.port, {
      email_confirmation_template: join(dir, 'confirm.jinja'),
      email_confirmation_subject_template: join(dir, 'confirm-subject.jinja'),
      password_reset_email_template: join(dir, 'reset.jinja'),
      password_reset_email_subject_template: join(dir, 'reset-subject.jinja'),
    }),
    capturedLogger().logger,
    { templateDirs: isolatedDirs() },
  );

  await mailer.sendConfirmation(confirmation({ username: null }));
  const confirm = await sink.next();
  t.equal(confirm.to, 'alice@example.com', 'no name: the bare address');
  t.equal(confirm.subject, 'Confirmation for None');
  t.equal(confirm.rawBody, `username: None\r\ntoken: ${TOKEN}\r\n`, 'as upstream renders None');

  await mailer.sendPasswordReset(reset({ username: null }));
  const sent = await sink.next();
  t.equal(sent.to, 'bob@example.com');
  t.equal(sent.subject, 'Reset for None');
  t.equal(sent.text, `username: None\ntoken: ${reset().token}\nuser_uuid: ${reset().user_uuid}\n`);

  await mailer.sendPasswordReset(reset({ username: 'bob' }));
  t.equal((await sink.next()).subject, 'Reset for bob');
});
