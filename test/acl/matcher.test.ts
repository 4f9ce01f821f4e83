import t from 'tap';
import {
  type AclContext,
  AclMatcher,
  allows,
  clearCompileCache,
  compileEntry,
  escapeRegExp,
  testEntry,
} from '../../src/acl/index.js';

const U = '3f0c8a2e-5b1d-4c7e-9a6f-0d2b4e6f81e1';
const OTHER = '9b1e7c44-2d3a-4f5b-8c6d-7e8f9a0b1c2d';
const S = 'c0ffee00-1111-4222-8333-944455556666';

interface Row {
  readonly acl: readonly string[];
  readonly ctx?: AclContext;
  readonly required: string | null | undefined;
  readonly expected: boolean;
}

/** Expands `[acl, required[], expected]` into one row per required access. */
function rows(
  acl: readonly string[],
  required: readonly string[],
  expected: boolean,
  ctx?: AclContext,
): Row[] {
  return required.map((r) => ({ acl, ctx, required: r, expected }));
}

/** The subset of a tap test used here, to avoid spelling out tap's plugin-built test type. */
interface Asserts {
  equal(found: boolean, wanted: boolean, message: string): unknown;
}

function checkRows(t: Asserts, table: readonly Row[]): void {
  for (const { acl, ctx, required, expected } of table) {
    const ctxText = ctx ? ` ${JSON.stringify(ctx)}` : '';
    t.equal(
      new AclMatcher(acl, ctx).allows(required),
      expected,
      `${JSON.stringify(acl)}${ctxText} ${expected ? 'grants' : 'denies'} ${JSON.stringify(required)}`,
    );
  }
}

t.test('surprising consequences of acl.md §2', async (t) => {
  checkRows(t, [
    // `#` may match nothing, including between two literal dots.
    ...rows(['foo.bar.#'], ['foo.bar.'], true),
    ...rows(['x.#.y'], ['x..y'], true),
    ...rows(['confd.users.*.read'], ['confd.users..read'], true),
    ...rows(['foo.*'], ['foo.'], true),
    // Wildcards in the required access are literal characters.
    ...rows(['foo.bar.toto'], ['foo.bar.*', 'foo.bar.#'], false),
    ...rows(['foo.bar.#'], ['foo.bar.*', 'foo.bar.#'], true),
    // `me` is only expanded on the granted side.
    ...rows([`acc.users.${U}.read`], [`acc.users.${U}.read`], true, { authId: U }),
    ...rows([`acc.users.${U}.read`], ['acc.users.me.read'], false, { authId: U }),
    // Negatives win whatever the order and the specificity of positives.
    ...rows(['foo.me.bar', '!foo.me.bar', 'foo.me.bar'], ['foo.me.bar'], false),
    ...rows(['!*.bar', 'foo.bar'], ['foo.bar'], false),
    // The `edit` alias works from granted `edit` to required `update` only.
    ...rows(['foo.edit'], ['foo.update'], true),
    ...rows(['foo.update'], ['foo.edit'], false),
    // The empty string is a real value; absent means "nothing requested".
    ...rows(['x.y'], [''], false),
    ...rows(['#'], [''], true),
    ...rows(['*'], [''], true),
    { acl: ['x.y'], required: undefined, expected: true },
    { acl: ['x.y'], required: null, expected: true },
    { acl: [], required: undefined, expected: true },
    { acl: [], required: '', expected: false },
    { acl: ['!#'], required: null, expected: true },
    // Case-sensitive, Unicode compared literally.
    ...rows(['Case.Sensitive'], ['case.sensitive', 'CASE.SENSITIVE'], false),
    ...rows(['Case.Sensitive'], ['Case.Sensitive'], true),
    ...rows(['confd.utilisateurs.é.read'], ['confd.utilisateurs.é.read'], true),
    ...rows(['confd.utilisateurs.é.read'], ['confd.utilisateurs.e.read', 'confd.utilisateurs.É.read'], false),
    ...rows(['x.*', 'y.#', 'z.*.end'], ['x.日本', 'x.😀', 'y.😀.ü', 'z.😀.end', 'z..end'], true),
    ...rows(['x.*', 'ü.#'], ['x.日本.語', 'Ü.a', 'u.a'], false),
  ]);
});

t.test('every row of the "consequences worth testing" table', async (t) => {
  checkRows(t, [
    ...rows(['foo.bar.#'], ['foo.bar'], false),
    ...rows(['foo.bar.#'], ['foo.bar.'], true),
    ...rows(['foo.bar.#'], ['foo.barx', 'foo.barx.y'], false),
    ...rows(['foo.bar.#'], ['foo.bar.toto.tata', 'foo.bar.*', 'foo.bar.#'], true),
    ...rows(['foo.bar.#'], ['*.bar.toto', '#.bar.toto'], false),
    ...rows(['foo.bar.toto'], ['foo.bar.*', 'foo.bar.#'], false),
    ...rows(['foo.*.*'], ['foo.bar.toto', 'foo.*.*'], true),
    ...rows(['foo.*.*'], ['foo.bar.toto.tata', 'foo.*', 'foo.bar.#'], false),
    ...rows(['foo.bar.#.titi'], ['foo.bar.toto.tata.titi', 'foo.bar.*.titi', 'foo.bar.*.*.titi'], true),
    ...rows(['foo.bar.#.titi'], ['foo.bar.toto', 'foo.bar.#'], false),
    ...rows(['x.#.y'], ['x.a.y', 'x.a.b.c.y', 'x..y'], true),
    ...rows(['x.#.y'], ['x.y', 'x.a.y.z'], false),
    ...rows(['foo.#.me'], ['foo.bar.me', 'foo.bar.123', 'foo.*.123', 'foo.*.*.123'], true, { authId: '123' }),
    ...rows(['foo.#.me'], ['foo.bar.toto.me.titi', 'foo.*.456', 'foo.#'], false, { authId: '123' }),
    ...rows(['foo.my_session'], [`foo.${S}`, 'foo.my_session'], true, { sessionUuid: S }),
    ...rows(['foo.my_session'], [`foo.${OTHER}`], false, { sessionUuid: S }),
    ...rows(['foo.edit'], ['foo.edit', 'foo.update'], true),
    ...rows(['foo.edit'], ['foo.edit.update'], false),
    ...rows(['foo.update'], ['foo.update'], true),
    ...rows(['foo.update'], ['foo.edit'], false),
    ...rows(['#'], ['anything', '', 'a.b.c', '!x', '*', '#', '..', 'line\nbreak'], true),
    ...rows(['x.y'], [''], false),
    ...rows(['x.#', 'a*b', '*.y', 'foo.me', 'foo.my_session', 'edit', '!nothing'], [''], false, {
      authId: '',
    }),
    ...rows(['**'], [''], true),
    ...rows(['*#'], [''], true),
    ...rows(['*'], ['abc', ''], true),
    ...rows(['*'], ['a.b'], false),
    ...rows(['foo.*'], ['foo.'], true),
    ...rows(['confd.users.*.read'], ['confd.users..read'], true),
    ...rows(
      ['confd.users.*.read'],
      ['confd.users.read', 'confd.users.1.2.read', 'confd.users.42.read.more'],
      false,
    ),
    ...rows(['foo.ba*'], ['foo.bar', 'foo.ba'], true),
    ...rows(['foo.ba*'], ['foo.bar.x'], false),
    ...rows(['ctid.foo*.read'], ['ctid.foo.read', 'ctid.foobar.read'], true),
    ...rows(['ctid.foo*.read'], ['ctid.bar.read', 'ctid.foo.bar.read'], false),
    ...rows([`acc.users.${U}.read`], [`acc.users.${U}.read`], true, { authId: U }),
    ...rows([`acc.users.${U}.read`], ['acc.users.me.read'], false, { authId: U }),
    ...rows(['auth.users.{{ pbx_user_uuid }}.read'], ['auth.users.{{ pbx_user_uuid }}.read'], true, {
      authId: U,
    }),
    ...rows(['auth.users.{{ pbx_user_uuid }}.read'], [`auth.users.${U}.read`], false, { authId: U }),
    ...rows(['Case.Sensitive'], ['case.sensitive'], false),
    ...rows(['plain'], ['plain.x', 'x.plain', 'pla'], false),
    ...rows(['plain'], ['plain'], true),
    ...rows(['foo.me.bar', '!foo.me.bar', 'foo.me.bar'], ['foo.me.bar'], false),
    ...rows(['!foo.me.bar.#', 'foo.me.bar.123'], ['foo.me.bar.123'], false),
    ...rows(['foo.#', '!foo.me.bar.#', 'foo.me.bar.123'], ['foo.me.bar.123'], false),
    ...rows(['foo.*.bar', '!foo.123.bar'], ['foo.me.bar'], true),
    ...rows(['foo.*.bar', '!foo.123.bar'], ['foo.123.bar'], false),
    ...rows(['!*.bar', 'foo.bar'], ['foo.bar'], false),
    ...rows(['foo.bar'], ['!foo.bar', '!anything'], false),
    ...rows(['users.me.#'], ['users.me.123', `users.${U}.some_resource`], true, { authId: U }),
    ...rows(['users.me.#'], [`users.${OTHER}.x`], false, { authId: U }),
  ]);
});

t.test('reserved words are whole segments of the granted entry only', async (t) => {
  const ctx = { authId: '123', sessionUuid: S };
  checkRows(t, [
    ...rows(
      ['foo.mine', 'bar.me*', 'baz.xme', 'qux.my_sessions', 'quux.editor'],
      ['foo.mine', 'bar.me', 'bar.mex'],
      true,
      ctx,
    ),
    ...rows(
      ['foo.mine', 'bar.me*', 'baz.xme', 'qux.my_sessions', 'quux.editor'],
      ['baz.xme', 'qux.my_sessions'],
      true,
      ctx,
    ),
    ...rows(
      ['foo.mine', 'bar.me*', 'baz.xme', 'qux.my_sessions', 'quux.editor'],
      ['foo.123', 'bar.123', 'baz.x123', `qux.${S}`, 'quux.update', 'quux.updateor'],
      false,
      ctx,
    ),
    ...rows(['foo.edit*', 'bar.*edit'], ['foo.update', 'bar.update'], false),
    ...rows(['foo.edit*', 'bar.*edit'], ['foo.editor', 'bar.reedit'], true),
    ...rows(['me'], ['123', 'me'], true, ctx),
    ...rows(['me.me'], ['me.me', 'me.123', '123.me', '123.123'], true, ctx),
    ...rows(['me.me'], ['123', 'me.456'], false, ctx),
    ...rows(['a.edit.b', 'my_session.edit'], ['a.update.b', `${S}.update`, 'my_session.edit'], true, ctx),
    ...rows(['a.edit.b'], ['a.update.c', 'a.edit'], false, ctx),
    // `me` and `my_session` are independent.
    ...rows(['x.me', 'y.my_session'], [`x.${S}`, 'y.123'], false, ctx),
    // Without an identity only the literal word matches (no upstream-style `None`, no empty segment).
    ...rows(['foo.me', 'bar.my_session'], ['foo.me', 'bar.my_session'], true),
    ...rows(['foo.me', 'bar.my_session'], ['foo.None', 'bar.None', 'foo.', 'bar.'], false),
    ...rows(['foo.me', 'bar.my_session'], ['foo.None', 'bar.None', 'foo.', 'bar.'], false, {
      authId: null,
      sessionUuid: null,
    }),
    ...rows(['foo.me', 'bar.my_session'], ['foo.', 'bar.'], false, { authId: '', sessionUuid: '' }),
  ]);
});

t.test('regex metacharacters of granted entries are literal', async (t) => {
  checkRows(t, [
    ...rows(
      ['a+b', 'a(b)', 'a$', '[x]', 'a\\b', '^c', 'd?', 'e|f', '{1}', 'g.h'],
      ['a+b', 'a(b)', 'a$'],
      true,
    ),
    ...rows(
      ['a+b', 'a(b)', 'a$', '[x]', 'a\\b', '^c', 'd?', 'e|f', '{1}', 'g.h'],
      ['[x]', 'a\\b', '^c'],
      true,
    ),
    ...rows(
      ['a+b', 'a(b)', 'a$', '[x]', 'a\\b', '^c', 'd?', 'e|f', '{1}', 'g.h'],
      ['d?', 'e|f', '{1}', 'g.h'],
      true,
    ),
    ...rows(
      ['a+b', 'a(b)', 'a$', '[x]', 'a\\b', '^c', 'd?', 'e|f', '{1}', 'g.h'],
      ['aab', 'ab', 'a', 'x', 'a\b', 'a\\\\b', 'c', 'd', '', 'e', 'f', '1', 'gxh', 'a+bb'],
      false,
    ),
    // Same entries forced through the regex path by a wildcard or a reserved segment.
    ...rows(
      ['a+b.*', '(x)*', '[x].me', 'a\\b.#', 'e|f.edit'],
      ['a+b.c', '(x)yz', '[x].7', 'a\\b.q.r', 'e|f.update'],
      true,
      {
        authId: '7',
      },
    ),
    ...rows(
      ['a+b.*', '(x)*', '[x].me', 'a\\b.#', 'e|f.edit'],
      ['aab.c', 'xyz', 'x.7', 'ab.q', 'e.update', 'f.update'],
      false,
      {
        authId: '7',
      },
    ),
    ...rows(['a*+'], ['abc+', 'a+', 'a++', 'abc++'], true),
    ...rows(['a*+'], ['+', 'abc', 'a.b+', 'a#+'], false),
  ]);
});

t.test('the substituted auth_id and session uuid are regex-escaped', async (t) => {
  checkRows(t, [
    ...rows(['users.me.read'], ['users.a.b.read', 'users.me.read'], true, { authId: 'a.b' }),
    ...rows(['users.me.read'], ['users.axb.read', 'users.a.read'], false, { authId: 'a.b' }),
    ...rows(['users.me.read'], ['users..*.read'], true, { authId: '.*' }),
    ...rows(['users.me.read'], ['users.anything.read', 'users..read'], false, { authId: '.*' }),
    ...rows(['users.me.read'], ['users.x|y.read'], true, { authId: 'x|y' }),
    ...rows(['users.me.read'], ['users.x.read', 'users.y.read'], false, { authId: 'x|y' }),
    ...rows(['users.me.read'], ['users.(.read'], true, { authId: '(' }),
    ...rows(['s.my_session'], ['s.[a]+'], true, { sessionUuid: '[a]+' }),
    ...rows(['s.my_session'], ['s.a', 's.aa'], false, { sessionUuid: '[a]+' }),
  ]);
});

t.test('compiled templates are shared across tokens but never leak an identity', async (t) => {
  const acl = ['users.me.read', 'sessions.my_session.delete', 'auth.#'];
  const alice = new AclMatcher(acl, { authId: U, sessionUuid: S });
  const bob = new AclMatcher(acl, { authId: OTHER, sessionUuid: OTHER });
  t.equal(alice.allows(`users.${U}.read`), true);
  t.equal(bob.allows(`users.${U}.read`), false);
  t.equal(bob.allows(`users.${OTHER}.read`), true);
  t.equal(alice.allows(`users.${OTHER}.read`), false);
  t.equal(alice.allows(`sessions.${S}.delete`), true);
  t.equal(bob.allows(`sessions.${S}.delete`), false);
});

t.test('the bounded compile cache keeps working past its capacity', async (t) => {
  clearCompileCache();
  for (let i = 0; i < 12_000; i++) compileEntry(`bulk.${i}.*`);
  t.equal(allows(['bulk.1.*', 'users.me.read'], { authId: U }, 'bulk.1.x'), true);
  t.equal(allows(['bulk.1.*', 'users.me.read'], { authId: U }, `users.${U}.read`), true);
  t.equal(allows(['bulk.1.*', 'users.me.read'], { authId: U }, 'bulk.2.x'), false);
});

t.test('fast paths are chosen only where they are exact', async (t) => {
  t.equal(compileEntry('auth.users.read').test.kind, 'literal');
  t.equal(compileEntry('a+b(c)').test.kind, 'literal');
  t.equal(compileEntry('auth.#').test.kind, 'prefix');
  t.equal(compileEntry('#').test.kind, 'prefix');
  t.equal(compileEntry('!auth.#').negative, true);
  t.equal(compileEntry('a.#.b').test.kind, 'pattern');
  t.equal(compileEntry('a.*').test.kind, 'pattern');
  t.equal(compileEntry('a.me.#').test.kind, 'pattern');
  t.equal(compileEntry('a.edit').test.kind, 'pattern');
  t.equal(compileEntry('a.my_session').test.kind, 'pattern');
  t.equal(testEntry(compileEntry('a.b').test, 'a.b'), true);
  t.equal(testEntry(compileEntry('auth.#').test, 'auth.x.y'), true);
  t.equal(testEntry(compileEntry('auth.#').test, 'auth'), false);
  t.equal(testEntry(compileEntry('a.*').test, 'a.b.c'), false);
  t.equal(testEntry(compileEntry('a.me', { authId: '1' }).test, 'a.1'), true);
});

/**
 * Reference implementation written the way upstream does it (escape, then textual replacement, then
 * split on the escaped dot), compiled on every call: the optimized matcher must agree with it everywhere.
 */
function referenceAllows(acl: readonly string[], ctx: AclContext, required: string): boolean {
  const toRegex = (entry: string): RegExp => {
    // `#` first: the replacement of `*` contains a `#`.
    const source = escapeRegExp(entry).replaceAll('#', '.*?').replaceAll('\\*', '[^.#]*?');
    const words = source.split('\\.').map((word) => {
      if (word === 'me' && ctx.authId) return `(?:me|${escapeRegExp(ctx.authId)})`;
      if (word === 'my_session' && ctx.sessionUuid) return `(?:my_session|${escapeRegExp(ctx.sessionUuid)})`;
      if (word === 'edit') return '(?:edit|update)';
      return word;
    });
    return new RegExp(`^${words.join('\\.')}$`, 's');
  };
  const negatives = acl.filter((e) => e.startsWith('!')).map((e) => toRegex(e.slice(1)));
  const positives = acl.filter((e) => !e.startsWith('!')).map(toRegex);
  return !negatives.some((r) => r.test(required)) && positives.some((r) => r.test(required));
}

t.test('optimized matcher agrees with the compile-per-check reference', async (t) => {
  const entries = [
    '#',
    '*',
    'a',
    'a.b',
    'a.#',
    'a.*',
    'a.*.c',
    'a.#.c',
    '#.c',
    '*.c',
    'a.b#',
    'a.b*',
    'a.me',
    'a.me.#',
    'a.my_session',
    'a.edit',
    'edit',
    'me',
    'a.b.c',
    'a+b',
    'a\\b.#',
    'a.(b).*',
    '!',
    '!a.b',
    '!a.#',
    '!*.c',
  ];
  const requireds = [
    '',
    'a',
    'a.',
    'a.b',
    'a.b.',
    'a.b.c',
    'a..c',
    'a.bc',
    'a.b.c.d',
    'x.c',
    '.c',
    'c',
    'a.me',
    'a.42',
    'a.42.b',
    'a.S',
    'a.my_session',
    'a.update',
    'a.edit',
    'update',
    '42',
    'a+b',
    'aab',
    'a\\b.x',
    'a.(b).z',
    'a.#',
    'a.*',
    '#',
    '*',
    '!a.b',
    'a.\n',
    'a.b\nc',
  ];
  const ctxs: AclContext[] = [{}, { authId: '42', sessionUuid: 'S' }];
  const mismatches: string[] = [];
  for (const ctx of ctxs) {
    // Single entries, and pairs so that negatives meet positives of every kind.
    const acls = entries.flatMap((e) => [[e], ...entries.map((f) => [e, f])]);
    for (const acl of acls) {
      const matcher = new AclMatcher(acl, ctx);
      for (const required of requireds) {
        if (matcher.allows(required) !== referenceAllows(acl, ctx, required)) {
          mismatches.push(`${JSON.stringify(acl)} ${JSON.stringify(ctx)} ${JSON.stringify(required)}`);
        }
      }
    }
  }
  t.same(mismatches, [], 'no disagreement over the whole cross product');
});

t.test('privilege-escalation guard (acl.md §4)', async (t) => {
  const admin = new AclMatcher(['auth.#']);
  t.equal(admin.mayAdd('auth.users.*.read'), true, 'auth.# may add auth.users.*.read (taken literally)');
  t.equal(admin.mayAdd('auth.#'), true);
  t.equal(admin.mayAdd('confd.#'), false);
  t.equal(admin.mayAdd('#'), false);
  t.equal(admin.mayAdd('!confd.#'), true, 'adding a restriction is always allowed');
  t.equal(admin.mayAdd('!'), true);
  t.equal(admin.mayRemove('auth.users.read'), true);
  t.equal(admin.mayRemove('!auth.users.read'), true, 'removing !x needs x');
  t.equal(admin.mayRemove('!confd.users.read'), false);
  t.equal(admin.mayRemove('!!auth.x'), false, 'only one leading ! is stripped');
  t.equal(admin.mayRemove('confd.users.read'), false);

  const restricted = new AclMatcher(['#', '!x']);
  t.equal(restricted.mayRemove('!x'), false, 'a caller restricted by !x may not lift it');
  t.equal(restricted.mayRemove('x'), false);
  t.equal(restricted.mayAdd('x'), false);
  t.equal(restricted.mayAdd('!x'), true);
  t.equal(restricted.mayAdd('y'), true);
  t.equal(restricted.mayRemove('y'), true);
  t.equal(restricted.mayRemove('!y'), true);

  const narrow = new AclMatcher(['foo.bar']);
  t.equal(narrow.mayAdd('foo.*'), false, 'a wildcard to add is not matched as a pattern');
  t.equal(narrow.mayAdd('foo.bar'), true);
  t.equal(narrow.mayRemove('!foo.bar'), true);

  const user = new AclMatcher(['auth.users.me.#'], { authId: U });
  t.equal(user.mayAdd(`auth.users.${U}.read`), true);
  t.equal(user.mayAdd('auth.users.me.read'), true);
  t.equal(user.mayAdd(`auth.users.${OTHER}.read`), false);
  t.equal(user.mayRemove(`!auth.users.${OTHER}.read`), false);

  const nobody = new AclMatcher([]);
  t.equal(nobody.mayAdd('!anything'), true);
  t.equal(nobody.mayAdd(''), false);
  t.equal(nobody.mayRemove('!'), false);
  t.equal(new AclMatcher(['#']).mayRemove('!'), true);
});

t.test('one-off allows() helper', async (t) => {
  t.equal(allows(['users.me.read'], { authId: U }, `users.${U}.read`), true);
  t.equal(allows(['users.me.read'], {}, `users.${U}.read`), false);
  t.equal(allows([], {}, undefined), true);
  t.equal(allows([], {}, null), true);
  t.equal(allows(['#', '!a'], {}, 'a'), false);
});
