// The group writes on the embedded SQLite database (raw SQL: `on conflict do nothing`, `lower(slug)`,
// affected-row counts), the dialect the server uses when no PostgreSQL is configured.
import t from 'tap';
import { startSqliteTestApp } from '../helpers/app.js';
import { adminCaller, legacyError } from '../helpers/callers.js';
import type { GroupBody, GroupList } from './support.js';

t.test('groups on SQLite', async (t) => {
  const server = await startSqliteTestApp(t);
  const admin = await adminCaller(server);

  const created = await admin.post('/groups', { name: 'Team A!' });
  t.equal(created.status, 200);
  const group = created.json<GroupBody>();
  t.equal(group.slug, 'TeamA');
  const clash = await admin.post('/groups', { name: 'team a' });
  t.strictSame(
    legacyError(clash),
    { reason: 'Group "team a" already exists', status_code: 409 },
    'lower(slug)',
  );
  t.equal((await admin.put(`/groups/${group.uuid}`, undefined, { name: 'renamed' })).status, 200);

  t.equal((await admin.put(`/groups/${group.uuid}/users/${admin.uuid}`)).status, 204);
  t.equal((await admin.put(`/groups/${group.uuid}/users/${admin.uuid}`)).status, 204, 'already a member');
  const members = (await admin.get(`/groups/${group.uuid}/users`)).json<{
    total: number;
    filtered: number;
  }>();
  t.strictSame([members.total, members.filtered], [1, 1]);
  const policy = (await admin.post('/policies', { name: 'p1', acl: ['a.b'] })).json<{ uuid: string }>();
  t.equal((await admin.put(`/groups/${group.uuid}/policies/${policy.uuid}`)).status, 204);
  t.equal((await admin.put(`/groups/${group.uuid}/policies/p1`)).status, 204, 'already linked');
  const links = (await admin.get(`/groups/${group.uuid}/policies`)).json<{
    total: number;
    items: unknown[];
  }>();
  t.strictSame([links.total, links.items.length], [1, 1]);
  t.equal((await admin.delete(`/groups/${group.uuid}/policies/p1`)).status, 204);
  t.equal((await admin.delete(`/groups/${group.uuid}/users/${admin.uuid}`)).status, 204);
  t.equal(
    (await admin.delete(`/groups/${group.uuid}/users/00000000-0000-4000-8000-000000000000`)).status,
    404,
  );
  const listed = (await admin.get('/groups?search=REN')).json<GroupList>();
  t.strictSame(
    listed.items.map((item) => item.name),
    ['renamed'],
  );
  const mine = (await admin.get(`/users/${admin.uuid}/groups`)).json<GroupList>();
  t.equal(mine.total, 1, 'the all-users group');
  t.equal((await admin.delete(`/groups/${group.uuid}`)).status, 204);
  t.notOk(
    server.logs.lines.some((line) => line.includes('unhandled error')),
    'no unexpected error',
  );
});
