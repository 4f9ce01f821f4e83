// The checks of the authorization table (table.ts) and of the matrix's instruments (run by table.test.ts):
// - against the server's own route table: every route of the server is classified (a new route fails here
//   until it has an entry), every entry names a route the server has, each entry's pinned ACL is the one
//   the route requires, and every part of the table has its matrix file (<part>.test.ts);
// - the reference ACL matcher against the examples of acl.md §2, the oracle on cases worked out by hand,
//   and the change journal and digest on known writes (an insert, an update, a delete, an update writing
//   the same values, a rolled-back write).

import { readdirSync } from 'node:fs';
import type { Test as Tap } from 'tap';
import { startTestApp } from '../helpers/app.js';
import { migratedDatabase } from '../helpers/db.js';
import { changeJournal, databaseDigest } from '../helpers/db-snapshot.js';
import { grants, inSubtree, requiredAccess, verdict } from './oracle.js';
import { serverRoutes } from './runner.js';
import { type Part, TABLE } from './table.js';
import { configureMatrix } from './world.js';

const PARTS: readonly Part[] = [
  'users',
  'user-services',
  'groups-policies',
  'tenants-sessions-tokens',
  'backends-misc',
];

const U = '11111111-1111-4111-8111-111111111111';
const S = '22222222-2222-4222-8222-222222222222';
const as = (acl: string[]) => ({ acl, authId: U, session: S });

/** Every check of the table and the instruments, as subtests of `t`. */
export function tableChecks(t: Tap): void {
  t.test('the table classifies every route of the server, and only those', async (t) => {
    const server = await startTestApp(t, configureMatrix);
    const routes = await serverRoutes(server);
    t.ok(routes.length > 90, `the server's route table (${routes.length} routes) was read`);

    const unclassified = routes.filter((route) => !TABLE[route.key]).map((route) => route.key);
    t.strictSame(unclassified, [], 'every route of the server has an entry in test/authz-matrix/table.ts');

    const served = new Set(routes.map((route) => route.key));
    const stale = Object.keys(TABLE).filter((key) => !served.has(key));
    t.strictSame(stale, [], 'every entry of the table names a route of the server');

    for (const route of routes) {
      const entry = TABLE[route.key];
      if (!entry) continue;
      t.equal(entry.acl, route.acl, `${route.key}: the ACL of the table is the route's`);
      t.equal(
        entry.rule === 'public',
        route.acl === null,
        `${route.key}: public exactly when no ACL is required`,
      );
      t.ok(PARTS.includes(entry.part), `${route.key}: in a part of the table`);
      t.ok(entry.variants.length > 0, `${route.key}: has a target`);
    }
  });

  t.test('every part of the table has its matrix file', async (t) => {
    const files = readdirSync(new URL('.', import.meta.url));
    for (const part of PARTS) t.ok(files.includes(`${part}.test.ts`), `${part}: run by ${part}.test.ts`);
  });

  t.test('the reference matcher gives the answers of acl.md §2', async (t) => {
    const rows: Array<[string[], string, boolean]> = [
      [['foo.bar.#'], 'foo.bar', false],
      [['foo.bar.#'], 'foo.bar.', true],
      [['foo.bar.#'], 'foo.bar.toto.tata', true],
      [['foo.bar.#'], 'foo.barx.y', false],
      [['foo.bar.toto'], 'foo.bar.*', false],
      [['foo.*.*'], 'foo.bar.toto', true],
      [['foo.*.*'], 'foo.bar.toto.tata', false],
      [['x.#.y'], 'x.a.b.c.y', true],
      [['x.#.y'], 'x.y', false],
      [['foo.#.me'], `foo.bar.${U}`, true],
      [['foo.#.me'], 'foo.*.456', false],
      [['foo.my_session'], `foo.${S}`, true],
      [['foo.edit'], 'foo.update', true],
      [['foo.update'], 'foo.edit', false],
      [['#'], '', true],
      [['*'], 'a.b', false],
      [['confd.users.*.read'], 'confd.users..read', true],
      [[`acc.users.${U}.read`], 'acc.users.me.read', false],
      [['foo.me.bar', '!foo.me.bar', 'foo.me.bar'], 'foo.me.bar', false],
      [['foo.#', '!foo.me.bar.#', 'foo.me.bar.123'], 'foo.me.bar.123', false],
      [['foo.*.bar', '!foo.123.bar'], 'foo.me.bar', true],
      [['!*.bar', 'foo.bar'], 'foo.bar', false],
      [['users.me.#'], `users.${U}.some_resource`, true],
      [['auth.#.read'], 'auth.users.me.tokens.read', true],
      [['auth.#.read'], 'auth.users.create', false],
    ];
    for (const [acl, required, expected] of rows)
      t.equal(grants(as(acl), required), expected, `${JSON.stringify(acl)} ⊢ ${JSON.stringify(required)}`);
    t.equal(
      requiredAccess('auth.users.{user_uuid}.tokens.{client_id}.delete', {
        user_uuid: U,
        client_id: 'my.app',
      }),
      `auth.users.${U}.tokens.my_app.delete`,
    );
  });

  t.test('the tree', async (t) => {
    t.ok(inSubtree('grandchild', 'child'));
    t.ok(inSubtree('sibling', 'master'));
    t.notOk(inSubtree('child', 'grandchild'));
    t.notOk(inSubtree('sibling', 'child'));
    t.notOk(inSubtree('unknown', 'master'), 'an unknown tenant is in nobody’s subtree');
  });

  t.test('the oracle on cases worked out by hand', async (t) => {
    const entry = TABLE['GET /users/{user_uuid}']!;
    const admin = (tenant: 'master' | 'child' | 'sibling') => ({ ...as(['auth.#']), tenant });
    const params = { user_uuid: U };
    const base = { entry, params };
    t.match(verdict({ ...base, caller: null, header: null, objects: ['child'] }), {
      allowed: false,
      reason: 'no-token',
    });
    t.match(verdict({ ...base, caller: admin('child'), header: null, objects: ['master'] }), {
      allowed: false,
      reason: 'invisible',
      deny: { status: 404, errorId: 'unknown-user' },
    });
    t.match(verdict({ ...base, caller: admin('child'), header: 'grandchild', objects: ['child'] }), {
      allowed: false,
      reason: 'invisible',
    });
    t.match(verdict({ ...base, caller: admin('child'), header: 'master', objects: ['child'] }), {
      allowed: false,
      reason: 'tenant-header',
    });
    t.match(verdict({ ...base, caller: admin('master'), header: 'sibling', objects: ['sibling'] }), {
      allowed: true,
    });
    t.match(
      verdict({
        ...base,
        caller: { ...as(['auth.users.me.read']), tenant: 'child' },
        header: null,
        objects: ['child'],
      }),
      {
        allowed: true,
      },
    );
    t.match(
      verdict({
        ...base,
        caller: { ...as(['auth.#', '!auth.users.#']), tenant: 'master' },
        header: null,
        objects: ['child'],
      }),
      { allowed: false, reason: 'acl' },
    );
    // `/config`: the master tenant only, whatever Wazo-Tenant says.
    const config = TABLE['GET /config']!;
    t.match(verdict({ entry: config, params: {}, caller: admin('child'), header: null, objects: [] }), {
      allowed: false,
      reason: 'master-only',
    });
    t.match(verdict({ entry: config, params: {}, caller: admin('master'), header: 'sibling', objects: [] }), {
      allowed: true,
    });
    // Wazo-Tenant is ignored where upstream ignores it: the caller's own subtree decides.
    const password = TABLE['PUT /users/{user_uuid}/password']!;
    t.match(
      verdict({ entry: password, params, caller: admin('child'), header: 'master', objects: ['child'] }),
      {
        allowed: true,
      },
    );
  });

  t.test('the change journal and the digest see every write, and only writes', async (t) => {
    const orm = await migratedDatabase(t);
    const em = () => orm.em.fork();
    const digest = await databaseDigest(orm);
    const journal = await changeJournal(orm);
    let mark = await journal.mark();
    const look = async () => {
      const seen = await journal.since(mark);
      mark = seen.mark;
      return seen.tables;
    };
    let before = await digest.take();
    const step = async (what: string, write: () => Promise<unknown>, tables: string[]) => {
      await write();
      const after = await digest.take();
      t.strictSame(await look(), tables, `journal: ${what}`);
      t.strictSame(digest.changed(before, after), tables, `digest: ${what}`);
      before = after;
    };
    await step('insert', () => em().execute(`insert into "auth_access" ("access") values ('matrix.x')`), [
      'auth_access',
    ]);
    await step(
      'update',
      () => em().execute(`update "auth_access" set "access" = 'matrix.y' where "access" = 'matrix.x'`),
      ['auth_access'],
    );
    await step(
      'an update writing the same values',
      () => em().execute(`update "auth_access" set "access" = 'matrix.y' where "access" = 'matrix.y'`),
      [],
    );
    await step(
      'a rolled-back insert',
      () =>
        em()
          .transactional(async (tx) => {
            await tx.execute(`insert into "auth_access" ("access") values ('matrix.z')`);
            throw new Error('rolled back');
          })
          .catch(() => undefined),
      [],
    );
    await step('delete', () => em().execute(`delete from "auth_access" where "access" = 'matrix.y'`), [
      'auth_access',
    ]);
    t.ok(journal.tables.length >= 15, `the journal covers every auth_* table (${journal.tables.length})`);
  });
}
