// Deleting a refresh token on the embedded database: the row lock and the revocation of the access
// tokens it minted work on SQLite as on PostgreSQL.
import t from 'tap';
import { startSqliteTestApp } from '../helpers/app.js';
import { adminCaller } from '../helpers/callers.js';
import { createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';

t.test('SQLite: a deleted refresh token takes its access tokens along', async (t) => {
  const server = await startSqliteTestApp(t);
  const admin = await adminCaller(server);
  const alice = await createUser(server.orm, { username: 'alice', password: 'pw' });
  const offline = await tokenFor(server, 'alice', 'pw', { access_type: 'offline', client_id: 'desk' });
  const other = await tokenFor(server, 'alice', 'pw');
  t.equal((await admin.delete(`/users/${alice}/tokens/desk`)).status, 204);
  t.equal(
    (await server.call({ path: `/0.1/token/${offline.token}` })).status,
    404,
    'minted from it: revoked',
  );
  t.equal((await server.call({ path: `/0.1/token/${other.token}` })).status, 200, 'another token stays');
  t.equal((await admin.delete(`/users/${alice}/tokens/desk`)).status, 404, 'gone');
});
