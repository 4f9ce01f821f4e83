// Confirming an address with an API token (not the mailed one): only an address of a user of the
// token's tenant subtree (issue #18 item 6; upstream confirms any tenant's address for `auth.#`).
import t from 'tap';
import { Email } from '../../src/entities/index.js';
import { startTestApp } from '../helpers/app.js';
import { userCaller } from '../helpers/callers.js';
import { createTenant, createUser, masterUuid } from '../helpers/fixtures.js';

t.test('an administrator confirms the addresses of its own subtree only', async (t) => {
  const server = await startTestApp(t);
  const master = await masterUuid(server.orm);
  const child = await createTenant(server.orm, 'child', master);
  const sibling = await createTenant(server.orm, 'sibling', master);
  const addressOf = async (username: string, address: string) => {
    const user = await createUser(server.orm, {
      username,
      password: 'pw',
      tenant: child,
      email: { address, confirmed: false },
    });
    const email = await server.orm.em.fork().findOneOrFail(Email, { user });
    return email.uuid;
  };
  const first = await addressOf('zed', 'zed@example.com');
  const second = await addressOf('yan', 'yan@example.com');
  const confirmed = async (uuid: string) =>
    (await server.orm.em.fork().findOneOrFail(Email, { uuid })).confirmed;

  const siblingAdmin = await userCaller(server, 'sibling-admin', ['auth.#'], sibling);
  const childAdmin = await userCaller(server, 'child-admin', ['auth.#'], child);
  const masterAdmin = await userCaller(server, 'master-admin', ['auth.#']);

  const refused = await siblingAdmin.put(`/emails/${first}/confirm`);
  t.equal(refused.status, 404, 'another tenant’s address is unknown');
  t.equal(
    (await server.call({ path: `/0.1/emails/${first}/confirm?token=${siblingAdmin.token}` })).status,
    404,
    'through the link route too',
  );
  t.equal(await confirmed(first), false, 'nothing changed');

  t.equal((await childAdmin.put(`/emails/${first}/confirm`)).status, 204, 'its own tenant');
  t.equal(await confirmed(first), true);
  t.equal((await masterAdmin.put(`/emails/${second}/confirm`)).status, 204, 'from the master tenant');
  t.equal(await confirmed(second), true);
});
