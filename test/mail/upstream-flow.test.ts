// The mails of a running server read as upstream's integration tests read them: the raw message split at
// the first blank line, the body's `key: value` lines, the `From: ` / `To: ` lines, the link taken from the
// line starting with `https://`. Users without a username get `None` where the template prints it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { adminCaller } from '../helpers/callers.js';
import { type SinkMessage, startSmtpSink } from '../helpers/smtp-sink.js';
import { attemptLogin } from '../helpers/tokens.js';

/** Templates in the style of upstream's test assets: the context as YAML-like lines. */
function templates(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-upstream-templates-'));
  const files = {
    email_confirmation_template:
      'username: {{ username }}\n\nhttps://{{ hostname }}{% if port %}:{{ port }}{% endif %}' +
      '{{ prefix }}/0.1/emails/{{ email_uuid }}/confirm?token={{ token }}\n',
    email_confirmation_subject_template: 'Confirm {{ username }}',
    password_reset_email_template:
      'username: {{ username }}\ntoken: {{ token }}\nuser_uuid: {{ user_uuid }}\nemail: {{ email_address }}\n',
    password_reset_email_subject_template: 'Reset for {{ username }}',
  };
  return Object.fromEntries(
    Object.entries(files).map(([key, text]) => {
      const path = join(dir, `${key}.jinja`);
      writeFileSync(path, text);
      return [key, path];
    }),
  );
}

/** upstream's `_update_password_from_email`: the body after the first blank line, as `key: value` lines. */
function fields(mail: SinkMessage): Record<string, string> {
  const [, body = ''] = mail.raw.replace(/\r\n/g, '\n').split(/\n\n(.*)/s);
  return Object.fromEntries(
    body
      .split('\n')
      .filter((line) => line.includes(': '))
      .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
  );
}

/** upstream's get_last_email_from / get_last_email_to / get_last_email_url. */
const lastLine = (mail: SinkMessage, prefix: string) =>
  mail.raw
    .replace(/\r\n/g, '\n')
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .at(-1)
    ?.slice(prefix === 'https://' ? 0 : prefix.length);

t.test("upstream's password reset test, a user without username among them", async (t) => {
  const sink = await startSmtpSink(t);
  const server = await startTestApp(t, (config) => {
    config.smtp.hostname = '127.0.0.1';
    config.smtp.port = sink.port;
    config.password_reset_from_name = 'password_reset_from_name_sentinel';
    config.password_reset_from_address = 'password_reset_from_address_sentinel@example.com';
    Object.assign(config, templates());
  });
  const admin = await adminCaller(server);
  const newUser = async (body: object) => {
    const res = await admin.post('/users', { password: 'old', ...body });
    if (res.status !== 200) throw new Error(res.text);
    return res.json<{ uuid: string }>().uuid;
  };
  const users = {
    foo: await newUser({ username: 'foo', email_address: 'foo@example.com' }),
    u3: await newUser({ email_address: 'u3@example.com' }),
    u4: await newUser({ username: 'u4@example.com', email_address: 'other@example.com' }),
  };
  const request = (query: string) => server.call({ path: `/0.1/users/password/reset?${query}` });

  t.equal((await request('username=foo')).status, 204);
  t.equal((await request('login=u3@example.com')).status, 204);
  t.equal((await request('login=u4@example.com')).status, 204);
  const mails = [await sink.next(), await sink.next(), await sink.next()];

  t.same(
    mails.map((mail) => fields(mail).username),
    ['foo', 'None', 'u4@example.com'],
    'username: None for the user without one',
  );
  t.equal(mails[1]!.to, 'u3@example.com', 'and the bare address as recipient');
  t.equal(mails[1]!.subject, 'Reset for None');
  t.equal(
    lastLine(mails[2]!, 'From: '),
    'password_reset_from_name_sentinel <password_reset_from_address_sentinel@example.com>',
  );
  t.equal(lastLine(mails[2]!, 'To: '), '"u4@example.com" <other@example.com>');

  for (const [i, mail] of mails.entries()) {
    const { token, user_uuid } = fields(mail);
    t.equal(user_uuid, Object.values(users)[i], 'the user_uuid line, whole');
    const res = await server.call({
      method: 'POST',
      path: `/0.1/users/password/reset?user_uuid=${user_uuid}&token=${token}`,
      headers: JSON_HEADERS,
      body: JSON.stringify({ password: '5ecr37' }),
    });
    t.equal(res.status, 204, 'the token read from the raw text works');
  }
  for (const login of ['foo', 'u3@example.com', 'u4@example.com']) {
    t.equal(
      (await attemptLogin(server, login, '5ecr37')).status,
      200,
      `${login} logs in with the new password`,
    );
  }
});

t.test(
  "upstream's confirmation test: the link read from the raw text, for a user without username",
  async (t) => {
    const sink = await startSmtpSink(t);
    const server = await startTestApp(t, (config) => {
      config.smtp.hostname = '127.0.0.1';
      config.smtp.port = sink.port;
      // The link keeps the Host the test calls with: the platform owns it.
      config.public_hosts = ['127.0.0.1'];
      Object.assign(config, templates());
    });
    const admin = await adminCaller(server);
    const created = await admin.post('/users', { email_address: 'u3@example.com', password: 'pw' });
    t.equal(created.status, 200);
    const user = created.json<{ uuid: string }>().uuid;
    const put = await admin.put(`/admin/users/${user}/emails`, undefined, {
      emails: [
        { address: 'u3@example.com', main: true, confirmed: true },
        { address: 'u3-new@example.com', main: false, confirmed: false },
      ],
    });
    t.equal(put.status, 200);
    const email = put
      .json<Array<{ uuid: string; address: string }>>()
      .find((e) => e.address === 'u3-new@example.com')!;

    t.equal((await admin.get(`/users/${user}/emails/${email.uuid}/confirm`)).status, 204);
    const mail = await sink.next();
    t.equal(mail.subject, 'Confirm None');
    t.equal(fields(mail).username, 'None');
    t.equal(mail.to, 'u3-new@example.com');
    t.notMatch(mail.raw, '=\r\n', 'no soft line break');
    const link = lastLine(mail, 'https://');
    t.match(
      link,
      new RegExp(`^https://127\\.0\\.0\\.1:\\d+/0\\.1/emails/${email.uuid}/confirm\\?token=[0-9a-f-]{36}$`),
    );
    const url = new URL(link!);
    const follow = await server.call({ path: `${url.pathname}${url.search}` });
    t.equal(follow.status, 200, 'the link taken from the raw text confirms the address');
    const after = await admin.get(`/users/${user}`);
    t.match(after.json<{ emails: unknown[] }>().emails, [
      { address: 'u3@example.com', confirmed: true },
      { address: 'u3-new@example.com', confirmed: true },
    ]);
  },
);
