// The per-user routes upstream leaves unscoped (users.md §3: password, address lists, user↔policy links;
// emails-and-password-reset.md §3: the confirmation mail) reach only users within the caller's own tenant
// subtree here. `Wazo-Tenant` stays ignored on them, as upstream does.
import t from 'tap';
import { Email, User } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { adminCaller, apiError, createPolicy, unknownError, userCaller } from '../helpers/callers.js';
import { createTenant, createUser } from '../helpers/fixtures.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { attemptLogin } from '../helpers/tokens.js';

t.test("an administrator of one tenant cannot reach another tenant's users", async (t) => {
  const sink = await startSmtpSink(t);
  const server = await startTestApp(t, (config) => {
    config.smtp.hostname = '127.0.0.1';
    config.smtp.port = sink.port;
  });
  const { orm } = server;
  const admin = await adminCaller(server);
  const child = await createTenant(orm, 'child');
  const grandchild = await createTenant(orm, 'grandchild', child);
  const sibling = await createTenant(orm, 'sibling');
  const childAdmin = await userCaller(server, 'child-admin', ['#'], child);

  const victim = await createUser(orm, {
    username: 'victim',
    password: 'victim-pw',
    tenant: sibling,
    email: { address: 'victim@sibling.example', confirmed: false },
  });
  const below = await createUser(orm, {
    username: 'below',
    password: 'below-pw',
    tenant: grandchild,
    email: { address: 'below@grandchild.example', confirmed: false },
  });
  const emailOf = async (uuid: string) => (await orm.em.fork().findOneOrFail(Email, { user: uuid })).uuid;
  const hashOf = async (uuid: string) => (await orm.em.fork().findOneOrFail(User, { uuid })).passwordHash;
  const addressesOf = async (uuid: string) =>
    (await orm.em.fork().find(Email, { user: uuid })).map((email) => email.address);
  const login = (name: string, password: string) => attemptLogin(server, name, password);
  const policy = await createPolicy(childAdmin, { name: 'child-policy', acl: ['confd.users.read'] }, child);
  const linkedPolicies = async (uuid: string) =>
    (await admin.get(`/users/${uuid}/policies`))
      .json<{ items: { uuid: string }[] }>()
      .items.map((p) => p.uuid);

  t.test('password: 404 unknown-user, nothing changed; below the caller it works', async (t) => {
    const before = await hashOf(victim);
    const res = await childAdmin.put(`/users/${victim}/password`, undefined, {
      old_password: 'victim-pw',
      new_password: 'taken-over',
    });
    t.equal(res.status, 404);
    t.strictSame(apiError(res), unknownError('user', victim));
    t.equal(await hashOf(victim), before);
    t.equal((await login('victim', 'victim-pw')).status, 200, 'the old password still logs in');
    t.equal(
      (await childAdmin.put(`/users/${victim}/password`, undefined, { new_password: 'x' })).status,
      400,
      'the body is validated first, as upstream',
    );
    const mine = await childAdmin.put(`/users/${below}/password`, undefined, {
      old_password: 'below-pw',
      new_password: 'below-pw2',
    });
    t.equal(mine.status, 204, 'a user of a sub-tenant');
    t.equal((await login('below', 'below-pw2')).status, 200);
  });

  t.test('address lists, both variants: 404 unknown-user, nothing changed', async (t) => {
    for (const path of [`/users/${victim}/emails`, `/admin/users/${victim}/emails`]) {
      const res = await childAdmin.put(path, undefined, {
        emails: [{ address: 'attacker@evil.example', main: true }],
      });
      t.equal(res.status, 404, path);
      t.strictSame(apiError(res), unknownError('user', victim));
    }
    t.strictSame(await addressesOf(victim), ['victim@sibling.example']);
    const mine = await childAdmin.put(`/admin/users/${below}/emails`, undefined, {
      emails: [{ address: 'below@grandchild.example', main: true, confirmed: false }],
    });
    t.equal(mine.status, 200, 'a user of a sub-tenant');
    // Upstream ignores Wazo-Tenant here, and so does this server: the caller's own tenant decides.
    const ignored = await admin.put(`/admin/users/${victim}/emails`, child, {
      emails: [{ address: 'victim@sibling.example', main: true }],
    });
    t.equal(ignored.status, 200, 'the master administrator, whatever Wazo-Tenant says');
  });

  t.test('confirmation mail: 404 unknown-user and no mail', async (t) => {
    const res = await childAdmin.get(`/users/${victim}/emails/${await emailOf(victim)}/confirm`);
    t.equal(res.status, 404);
    t.strictSame(apiError(res), unknownError('user', victim));
    const mine = await childAdmin.get(`/users/${below}/emails/${await emailOf(below)}/confirm`);
    t.equal(mine.status, 204, 'a user of a sub-tenant');
    t.strictSame(
      sink.messages.map((message) => message.envelope.to),
      [['below@grandchild.example']],
      'only the mail for the user below the caller',
    );
  });

  t.test('user↔policy links: an empty list, 404 on link and unlink, nothing changed', async (t) => {
    const linked = await childAdmin.put(`/users/${victim}/policies/${policy.uuid}`);
    t.equal(linked.status, 404);
    t.strictSame(apiError(linked), unknownError('user', victim));
    t.strictSame(await linkedPolicies(victim), [], 'not linked');

    // The master administrator links it (upstream looks a policy UUID up in every tenant).
    t.equal((await admin.put(`/users/${victim}/policies/${policy.uuid}`)).status, 204);
    const listed = await childAdmin.get(`/users/${victim}/policies`);
    t.equal(listed.status, 200);
    t.strictSame(listed.json(), { items: [], total: 0, filtered: 0 }, "another tenant's user: nothing");
    const unlinked = await childAdmin.delete(`/users/${victim}/policies/${policy.uuid}`);
    t.equal(unlinked.status, 404);
    t.strictSame(apiError(unlinked), unknownError('user', victim));
    t.strictSame(await linkedPolicies(victim), [policy.uuid], 'still linked');

    t.equal((await childAdmin.put(`/users/${below}/policies/${policy.uuid}`)).status, 204, 'below: linked');
    t.strictSame(
      (await childAdmin.get(`/users/${below}/policies`)).json<{ total: number }>().total,
      1,
      'below: listed',
    );
    t.equal(
      (await childAdmin.delete(`/users/${below}/policies/${policy.uuid}`)).status,
      204,
      'below: unlinked',
    );
  });

  t.test('users acting on themselves are unaffected', async (t) => {
    const self = await userCaller(
      server,
      'self',
      ['auth.users.me.password.update', 'auth.users.me.emails.update'],
      sibling,
    );
    const emails = await self.put(`/users/${self.uuid}/emails`, undefined, {
      emails: [{ address: 'self@sibling.example', main: true }],
    });
    t.equal(emails.status, 200);
    const password = await self.put(`/users/${self.uuid}/password`, undefined, {
      old_password: 'pw',
      new_password: 'pw2',
    });
    t.equal(password.status, 204);
  });
});
