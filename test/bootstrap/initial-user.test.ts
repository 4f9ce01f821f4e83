import t from 'tap';
import {
  countUsers,
  createInitialUser,
  type InitialUserInput,
  resolvePlatformUuid,
} from '../../src/bootstrap/index.js';
import { allUsersGroupName, findMasterTenant, Group, User } from '../../src/entities/index.js';
import { verifyPassword } from '../../src/passwords/index.js';
import { migratedDatabase } from '../helpers/db.js';

const adminInput = (username: string, password: string): InitialUserInput => ({
  username,
  password,
  purpose: 'internal',
  policySlug: 'wazo_default_master_user_policy',
});

t.test('create initial user on PostgreSQL', async (t) => {
  const orm = await migratedDatabase(t);
  const input = adminInput('root', 's3cret');

  t.equal(await countUsers(orm), 0);
  const created = await createInitialUser(orm, input);
  t.equal(created.outcome, 'created');
  t.equal(await countUsers(orm), 1);

  const em = orm.em.fork();
  const master = await findMasterTenant(em);
  const user = await em.findOneOrFail(User, created.uuid, { populate: ['policies', 'groups', 'tenant'] });
  t.equal(user.username, 'root');
  t.equal(user.tenant.uuid, master?.uuid, 'in the master tenant');
  t.equal(user.enabled, true);
  t.equal(user.purpose, 'internal');
  t.equal(user.authenticationMethod, 'native');
  t.same(
    user.policies.getItems().map((policy) => policy.slug),
    ['wazo_default_master_user_policy'],
  );
  t.same(
    user.groups.getItems().map((group) => group.name),
    [allUsersGroupName(master!.uuid)],
    'member of the all-users group',
  );
  t.match(user.passwordHash, /^\$argon2id\$/);
  t.equal((await verifyPassword('s3cret', { hash: user.passwordHash, salt: user.passwordSalt })).ok, true);

  t.same(
    await createInitialUser(orm, input),
    { outcome: 'unchanged', uuid: created.uuid },
    'same credentials',
  );
  t.same(
    await createInitialUser(orm, { ...input, username: 'ROOT' }),
    { outcome: 'unchanged', uuid: created.uuid },
    'usernames are case-insensitive',
  );
  t.same(await createInitialUser(orm, { ...input, password: 'other' }), {
    outcome: 'conflict',
    uuid: created.uuid,
  });
  t.equal(await countUsers(orm), 1);

  await t.rejects(
    createInitialUser(orm, { ...input, username: 'svc', policySlug: 'missing' }),
    /no policy with slug "missing"/,
  );
  await t.rejects(createInitialUser(orm, { ...input, username: '' }), /username must not be empty/);
  t.equal(await countUsers(orm), 1, 'a failed creation writes nothing');

  const members = await orm.em
    .fork()
    .findOneOrFail(Group, { name: allUsersGroupName(master!.uuid) }, { populate: ['users'] });
  t.equal(members.users.count(), 1);
});

t.test('concurrent creations of one username end with one user', async (t) => {
  const orm = await migratedDatabase(t);
  const input = adminInput('race', 'pw');
  const results = await Promise.all([
    createInitialUser(orm, input),
    createInitialUser(orm, input),
    createInitialUser(orm, input),
  ]);
  t.equal(results.filter((result) => result.outcome === 'created').length, 1);
  t.equal(new Set(results.map((result) => result.uuid)).size, 1);
  t.equal(await countUsers(orm), 1);
});

t.test('platform uuid: configured, else kept in the database', async (t) => {
  const orm = await migratedDatabase(t);
  const stored = await resolvePlatformUuid(orm, null);
  t.match(stored, /^[0-9a-f-]{36}$/);
  t.equal(await resolvePlatformUuid(orm, null), stored, 'stable');
  t.equal(
    await resolvePlatformUuid(orm, 'AAAAAAAA-1111-4111-8111-111111111111'),
    'AAAAAAAA-1111-4111-8111-111111111111',
    'a configured value is used as given',
  );
  t.equal(await resolvePlatformUuid(orm, 'the-predefined-xivo-uuid'), 'the-predefined-xivo-uuid');
});
