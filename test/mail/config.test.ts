import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/index.js';

function configFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wazo-auth-mail-config-')), 'config.yml');
  writeFileSync(file, yaml);
  return file;
}

t.test('the mail keys of emails-and-password-reset.md §1 and their defaults', async (t) => {
  const { config, ignoredKeys } = loadConfig({ env: {}, file: null });
  t.same(ignoredKeys, []);
  t.equal(config.email_notification_plugin, 'smtp');
  t.equal(config.email_confirmation_expiration, 172800);
  t.equal(config.password_reset_expiration, 172800);
  for (const key of [
    'email_confirmation_template',
    'email_confirmation_subject_template',
    'email_confirmation_get_response_body_template',
    'password_reset_email_template',
    'password_reset_email_subject_template',
  ] as const) {
    t.equal(config[key], null, `${key}: upstream's file if installed, else ours`);
  }
  t.equal(config.email_confirmation_from_name, 'wazo-auth');
  t.equal(config.email_confirmation_from_address, 'noreply@wazo.community');
  t.equal(config.email_confirmation_get_mimetype, 'text/html');
  t.equal(config.password_reset_from_name, 'wazo-auth');
  t.equal(config.password_reset_from_address, 'noreply@wazo.community');
  t.same(config.smtp, {
    hostname: 'localhost',
    port: 25,
    username: null,
    password: null,
    starttls: false,
    timeout: 4,
  });
});

t.test("an upstream configuration's mail keys are used", async (t) => {
  const file = configFile(
    [
      'email_confirmation_template: /etc/wazo-auth/templates/confirm.jinja',
      'email_confirmation_from_name: Wazo PBX',
      'email_confirmation_from_address: pbx@example.com',
      'email_confirmation_get_mimetype: text/plain',
      'password_reset_from_address: reset@example.com',
      // Upstream's packaged file misspells these two keys: accepted, unused, reported.
      "email_confirmation_get_response_body_template': /x",
      "email_confirmation_get_mimetype': text/html",
      'smtp: {hostname: relay.example.com, port: 2525, timeout: 10}',
      '',
    ].join('\n'),
  );
  const { config, ignoredKeys } = loadConfig({ env: {}, file });
  t.equal(config.email_confirmation_template, '/etc/wazo-auth/templates/confirm.jinja');
  t.equal(config.email_confirmation_from_name, 'Wazo PBX');
  t.equal(config.email_confirmation_from_address, 'pbx@example.com');
  t.equal(config.email_confirmation_get_mimetype, 'text/plain');
  t.equal(config.password_reset_from_address, 'reset@example.com');
  t.equal(config.email_confirmation_get_response_body_template, null);
  t.same(config.smtp, {
    hostname: 'relay.example.com',
    port: 2525,
    username: null,
    password: null,
    starttls: false,
    timeout: 10,
  });
  t.same(ignoredKeys.sort(), [
    "email_confirmation_get_mimetype'",
    "email_confirmation_get_response_body_template'",
  ]);
});

t.test('bad mail settings are refused, naming the key', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['email_notification_plugin: sendgrid\n', /email_notification_plugin: /],
    ['email_confirmation_from_address: "Wazo <noreply@example.com>"\n', /email_confirmation_from_address: /],
    ['password_reset_from_address: "a@b.c\\r\\nBcc: x@y.z"\n', /password_reset_from_address: /],
    ['password_reset_from_address: nobody\n', /password_reset_from_address: /],
    ['email_confirmation_get_mimetype: "text/html\\r\\nX-A: b"\n', /email_confirmation_get_mimetype: /],
    ['email_confirmation_template: ""\n', /email_confirmation_template: /],
    ['smtp: {timeout: 0}\n', /smtp\.timeout: /],
  ];
  for (const [yaml, message] of cases) {
    t.throws(() => loadConfig({ env: {}, file: configFile(yaml) }), message, yaml.trim());
  }
});
