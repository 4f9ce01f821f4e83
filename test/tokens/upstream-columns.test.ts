// auth_token's acl and metadata as upstream types them (text[], text), so that upstream's DAO and this
// server can read each other's tokens in one PostgreSQL database: a rollback, or a tool of upstream's.
import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { createUser, masterUuid } from '../helpers/fixtures.js';
import { tokenStore } from '../helpers/stored-tokens.js';

/** Entries a careless array literal would mangle: a bare NULL, spaces, separators, quotes, backslashes. */
const AWKWARD_ACL = [
  'confd.users.read',
  'NULL',
  ' padded ',
  'a,b',
  'brace{}',
  'quote"d',
  'back\\slash',
  'é.#',
];

t.test('tokens written by upstream are read here, and ours as upstream reads them', async (t) => {
  const server = await startTestApp(t);
  const master = await masterUuid(server.orm);
  const user = await createUser(server.orm, { username: 'alice', password: 'secret' });
  const connection = server.orm.em.getConnection();

  await t.test('column types', async (t) => {
    const types = await connection.execute<{ column_name: string; data_type: string }[]>(
      `select column_name, data_type from information_schema.columns
        where table_name = 'auth_token' and column_name in ('acl', 'metadata') order by column_name`,
    );
    t.strictSame(types, [
      { column_name: 'acl', data_type: 'ARRAY' },
      { column_name: 'metadata', data_type: 'text' },
    ]);
  });

  await t.test("upstream's writer: an array and JSON text", async (t) => {
    // What upstream's TokenDAO binds (psycopg2 turns a Python list into ARRAY[...]).
    const [session] = await connection.execute<{ uuid: string }[]>(
      'insert into auth_session (tenant_uuid, mobile) values (?, false) returning uuid',
      [master],
    );
    const metadata = JSON.stringify({ uuid: user, tenant_uuid: master, purpose: 'user' });
    const now = Math.trunc(Date.now() / 1000);
    const [token] = await connection.execute<{ uuid: string }[]>(
      `insert into auth_token (session_uuid, auth_id, pbx_user_uuid, xivo_uuid, issued_t, expire_t, metadata, acl)
       values (?, ?, ?, 'upstream', ?, ?, ?, array['confd.users.#', 'NULL']) returning uuid`,
      [session!.uuid, user, user, now, now + 600, metadata],
    );
    const res = await server.call({ path: `/0.1/token/${token!.uuid}?scope=confd.users.read` });
    t.equal(res.status, 200, 'its ACL grants');
    const data = res.json<{ data: { acl: string[]; metadata: Record<string, unknown> } }>().data;
    t.strictSame(data.acl, ['confd.users.#', 'NULL']);
    t.match(data.metadata, { tenant_uuid: master, purpose: 'user' });
  });

  await t.test('our writer: every entry intact in the array, the metadata as JSON text', async (t) => {
    const store = tokenStore(server.orm);
    const stored = await store({ uuid: user, tenant: master, purpose: 'user' }, { acl: AWKWARD_ACL });
    const [row] = await connection.execute<{ acl: string[]; metadata: string }[]>(
      'select acl, metadata from auth_token where uuid = ?',
      [stored.token],
    );
    t.strictSame(row!.acl, AWKWARD_ACL, 'text[] holds each entry as given');
    t.equal(typeof row!.metadata, 'string');
    t.match(JSON.parse(row!.metadata), { uuid: user, tenant_uuid: master });
    const res = await server.call({ path: `/0.1/token/${stored.token}` });
    t.strictSame(res.json<{ data: { acl: string[] } }>().data.acl, AWKWARD_ACL, 'and read back the same');
  });

  await t.test('a login writes the same way (one statement for a batch of logins)', async (t) => {
    const login = await server.call({
      method: 'POST',
      path: '/0.1/token',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}`,
      },
      body: '{}',
    });
    t.equal(login.status, 200);
    const { token, acl } = login.json<{ data: { token: string; acl: string[] } }>().data;
    const [row] = await connection.execute<{ acl: string[]; metadata: string }[]>(
      'select acl, metadata from auth_token where uuid = ?',
      [token],
    );
    t.strictSame(row!.acl, acl);
    t.match(JSON.parse(row!.metadata), { uuid: user, tenant_uuid: master });
  });
});
