/**
 * Issue #18: the matcher must stay linear whatever the entries and accesses (no backtracking), agree with
 * an independent reference on random inputs, and ACL text is bounded at write time.
 */
import fc from 'fast-check';
import t from 'tap';
import {
  type AclContext,
  AclMatcher,
  aclEntryProblem,
  compileEntry,
  isValidAclEntry,
  MAX_ACL_ENTRY_LENGTH,
  MAX_ACL_ENTRY_WILDCARDS,
  MAX_REQUIRED_ACCESS_LENGTH,
  testEntry,
} from '../../src/acl/index.js';
import { checkAccessParam, parsePolicyPost, parsePolicyPut } from '../../src/policies/schemas.js';

/** A guard against super-linear behaviour, not a benchmark: the old regex engine took seconds or hung. */
const LIMIT_MS = 50;

function elapsedMs(run: () => unknown): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const SCOPE_LENGTH = 10_000;
const ADVERSARIAL_ENTRIES = [
  `confd.${'#.'.repeat(10)}#x`,
  `confd.${'#.'.repeat(30)}#x`,
  `${'*.'.repeat(30)}x`,
  `${'#a'.repeat(16)}b`,
  `${'*a'.repeat(16)}b`,
  `${'a*'.repeat(16)}.b`,
  `${'#.me.'.repeat(10)}x`,
  `${'me.*.my_session.#.'.repeat(8)}x`,
  `${'edit.#.'.repeat(16)}update.x`,
  `#.${'*.'.repeat(15)}#.${'me.'.repeat(10)}x`,
  `${'#'.padEnd(31, 'a').repeat(MAX_ACL_ENTRY_WILDCARDS)}b`.slice(0, MAX_ACL_ENTRY_LENGTH),
  // Past the write-time bounds (entries stored before them, or compiled directly): still linear.
  `confd.${'#.'.repeat(200)}#x`,
  `${'*'.repeat(500)}x`,
  `${'*.'.repeat(200)}x`,
  `${'#a'.repeat(200)}b`,
];
const BASE_SCOPES = [
  `confd.${'.'.repeat(SCOPE_LENGTH)}`,
  'a'.repeat(SCOPE_LENGTH),
  'a.'.repeat(SCOPE_LENGTH / 2),
  `confd.${'x.'.repeat(SCOPE_LENGTH / 2)}y`,
  'me.'.repeat(SCOPE_LENGTH / 3),
  'me.42.'.repeat(SCOPE_LENGTH / 6),
  'edit.'.repeat(SCOPE_LENGTH / 5),
  '#'.repeat(SCOPE_LENGTH),
  '*.#'.repeat(SCOPE_LENGTH / 3),
  'ab'.repeat(SCOPE_LENGTH / 2),
  `${'a'.repeat(SCOPE_LENGTH)}\n`,
];
/**
 * Each scope also with the endings of the entries above, so that no check is answered by the cheap test of
 * an entry's final text alone.
 */
const ADVERSARIAL_SCOPES = BASE_SCOPES.flatMap((scope) => [
  scope,
  ...['x', 'b', '.b', '.x', 'update.x'].map((end) => scope.slice(0, SCOPE_LENGTH - end.length) + end),
]);

t.test('adversarial entries meet ~10 kB scopes in linear time', async (t) => {
  const ctx: AclContext = { authId: '42', sessionUuid: 'a' };
  let worst = 0;
  let checks = 0;
  for (const entry of ADVERSARIAL_ENTRIES) {
    for (const acl of [[entry], [`!${entry}`, '#'], ['confd.#', entry, 'auth.users.me.read']]) {
      const matcher = new AclMatcher(acl, ctx);
      for (const scope of ADVERSARIAL_SCOPES) {
        const ms = elapsedMs(() => matcher.allows(scope));
        // A second, warm run: the first may include compilation by the JIT.
        const warm = Math.min(
          ms,
          elapsedMs(() => matcher.allows(scope)),
        );
        worst = Math.max(worst, warm);
        checks++;
        if (warm >= LIMIT_MS)
          t.fail(`${JSON.stringify(acl).slice(0, 80)} vs ${scope.slice(0, 20)}…: ${warm} ms`);
      }
    }
  }
  t.ok(worst < LIMIT_MS, `${checks} checks, slowest ${worst.toFixed(2)} ms`);
});

t.test('the answers on adversarial inputs are still the right ones', async (t) => {
  const ctx = { authId: '42', sessionUuid: 'S' };
  const dots = `confd.${'.'.repeat(SCOPE_LENGTH)}`;
  t.equal(new AclMatcher([`confd.${'#.'.repeat(10)}#x`], ctx).allows(dots), false);
  t.equal(new AclMatcher([`confd.${'#.'.repeat(10)}#x`], ctx).allows(`${dots}x`), true);
  t.equal(new AclMatcher([`${'*.'.repeat(30)}x`], ctx).allows('.'.repeat(30)), false);
  t.equal(new AclMatcher([`${'*.'.repeat(30)}x`], ctx).allows(`${'.'.repeat(30)}x`), true);
  t.equal(new AclMatcher([`${'*.'.repeat(30)}x`], ctx).allows(`${'.'.repeat(31)}x`), false);
  t.equal(new AclMatcher([`${'#a'.repeat(16)}b`], ctx).allows('a'.repeat(SCOPE_LENGTH)), false);
  t.equal(new AclMatcher([`${'#a'.repeat(16)}b`], ctx).allows(`${'a'.repeat(SCOPE_LENGTH)}b`), true);
  t.equal(new AclMatcher([`${'#a'.repeat(16)}b`], ctx).allows(`${'a'.repeat(15)}b`), false);
  t.equal(new AclMatcher([`${'#.me.'.repeat(3)}x`], ctx).allows('.42..me..42.x'), true);
  t.equal(new AclMatcher([`${'#.me.'.repeat(3)}x`], ctx).allows('.42..me..43.x'), false);
});

t.test('the matcher itself stays linear on inputs far past the required-access bound', async (t) => {
  const long = 200_000;
  const inputs = ['a'.repeat(long), '.'.repeat(long), 'a.'.repeat(long / 2), '#'.repeat(long)].flatMap(
    (input) => [input, `${input}x`, `${input}b`, `${input}.b`],
  );
  let worst = 0;
  for (const entry of ADVERSARIAL_ENTRIES.filter(isValidAclEntry)) {
    const test = compileEntry(entry, { authId: 'a', sessionUuid: 'a.a' }).test;
    for (const input of inputs)
      worst = Math.max(
        worst,
        elapsedMs(() => testEntry(test, input)),
      );
  }
  // 20 times the input of the 50 ms guard above: a generous linear allowance.
  t.ok(worst < 20 * LIMIT_MS, `slowest ${worst.toFixed(2)} ms on 200 kB`);
});

t.test('a required access longer than the bound is never granted', async (t) => {
  const atBound = 'a'.repeat(MAX_REQUIRED_ACCESS_LENGTH);
  const past = `${atBound}a`;
  t.equal(new AclMatcher(['#']).allows(atBound), true);
  t.equal(new AclMatcher(['#']).allows(past), false);
  t.equal(new AclMatcher([past]).allows(past), false, 'not even by a literal entry');
  t.equal(new AclMatcher(['a#']).allows(past), false);
  t.equal(new AclMatcher(['#']).mayAdd(past), false);
  t.equal(new AclMatcher([]).mayAdd(`!${past}`), true, 'adding a restriction stays free');
});

/**
 * Reference matcher written from the spec's semantics rather than from its regex construction: the entry
 * is a list of tokens (a character, `*`, `#`, or a set of alternatives for a reserved segment), matched by
 * memoized recursion over (token, position). Slow, obviously right.
 */
type Token = { char: string } | { star: true } | { hash: true } | { either: readonly string[] };

function tokenize(body: string, ctx: AclContext): Token[] {
  const tokens: Token[] = [];
  body.split('.').forEach((segment, index) => {
    if (index > 0) tokens.push({ char: '.' });
    if (segment === 'me') tokens.push({ either: ctx.authId ? ['me', ctx.authId] : ['me'] });
    else if (segment === 'my_session')
      tokens.push({ either: ctx.sessionUuid ? ['my_session', ctx.sessionUuid] : ['my_session'] });
    else if (segment === 'edit') tokens.push({ either: ['edit', 'update'] });
    else
      for (const c of segment) {
        tokens.push(c === '*' ? { star: true } : c === '#' ? { hash: true } : { char: c });
      }
  });
  return tokens;
}

function referenceEntry(body: string, ctx: AclContext, required: string): boolean {
  const tokens = tokenize(body, ctx);
  const memo = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * (required.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const token = tokens[i];
    let result: boolean;
    if (token === undefined) result = j === required.length;
    else if ('char' in token) result = required.startsWith(token.char, j) && at(i + 1, j + token.char.length);
    else if ('either' in token)
      result = token.either.some((w) => required.startsWith(w, j) && at(i + 1, j + w.length));
    else {
      const c = required[j];
      const canEat = c !== undefined && ('hash' in token || (c !== '.' && c !== '#'));
      result = at(i + 1, j) || (canEat && at(i, j + 1));
    }
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

function referenceAllows(acl: readonly string[], ctx: AclContext, required: string): boolean {
  const negatives = acl.filter((e) => e.startsWith('!')).map((e) => e.slice(1));
  const positives = acl.filter((e) => !e.startsWith('!'));
  return (
    !negatives.some((e) => referenceEntry(e, ctx, required)) &&
    positives.some((e) => referenceEntry(e, ctx, required))
  );
}

t.test('differential: the matcher agrees with the reference on random entries and accesses', async (t) => {
  const entryPiece = fc.constantFrom(
    'a',
    'b',
    '.',
    '.',
    '*',
    '#',
    'me',
    'my_session',
    'edit',
    'update',
    'ab',
    '\n',
  );
  const requiredPiece = fc.constantFrom(
    'a',
    'b',
    '.',
    '.',
    '*',
    '#',
    'me',
    '42',
    'a.b',
    'S',
    'update',
    'edit',
    '\n',
  );
  const entry = fc
    .tuple(fc.boolean(), fc.array(entryPiece, { maxLength: 8 }))
    .map(([negative, pieces]) => (negative ? '!' : '') + pieces.join(''));
  const required = fc.array(requiredPiece, { maxLength: 10 }).map((pieces) => pieces.join(''));
  const ctx = fc.constantFrom<AclContext>(
    {},
    { authId: '42', sessionUuid: 'S' },
    { authId: 'a.b', sessionUuid: 'a' },
    { authId: '', sessionUuid: null },
  );
  let runs = 0;
  fc.assert(
    fc.property(
      fc.array(entry, { minLength: 1, maxLength: 3 }),
      ctx,
      fc.array(required, { maxLength: 4 }),
      (acl, c, reqs) => {
        runs++;
        const matcher = new AclMatcher(acl, c);
        for (const r of reqs) {
          if (matcher.allows(r) !== referenceAllows(acl, c, r)) return false;
        }
        return true;
      },
    ),
    { numRuns: 20_000 },
  );
  t.equal(runs >= 20_000, true, `${runs} random ACLs checked`);
});

t.test('differential: the spec table rows also hold for the reference', async (t) => {
  // Sanity of the reference itself, on rows of acl.md §2.
  t.equal(referenceAllows(['foo.bar.#'], {}, 'foo.bar'), false);
  t.equal(referenceAllows(['foo.bar.#'], {}, 'foo.bar.'), true);
  t.equal(referenceAllows(['foo.*.*'], {}, 'foo.bar.#'), false);
  t.equal(referenceAllows(['foo.#.me'], { authId: '123' }, 'foo.*.*.123'), true);
  t.equal(referenceAllows(['foo.edit'], {}, 'foo.update'), true);
  t.equal(referenceAllows(['foo.update'], {}, 'foo.edit'), false);
  t.equal(referenceAllows(['#'], {}, 'line\nbreak\n'), true);
  t.equal(referenceAllows(['!*.bar', 'foo.bar'], {}, 'foo.bar'), false);
});

t.test('write-time bounds of ACL entries', async (t) => {
  t.equal(MAX_ACL_ENTRY_LENGTH, 1024);
  t.equal(MAX_ACL_ENTRY_WILDCARDS, 32);
  t.equal(aclEntryProblem('confd.users.*.read'), undefined);
  t.equal(aclEntryProblem('a'.repeat(MAX_ACL_ENTRY_LENGTH)), undefined);
  t.match(aclEntryProblem('a'.repeat(MAX_ACL_ENTRY_LENGTH + 1)), /longer/);
  t.equal(aclEntryProblem('#.'.repeat(16)), undefined);
  t.equal(aclEntryProblem('*#'.repeat(16)), undefined);
  t.match(aclEntryProblem(`${'*#'.repeat(16)}*`), /wildcards/);
  t.equal(isValidAclEntry(`!${'#'.repeat(MAX_ACL_ENTRY_WILDCARDS)}`), true);

  const tooMany = `confd.${'#.'.repeat(MAX_ACL_ENTRY_WILDCARDS)}#x`;
  const tooLong = `confd.${'a'.repeat(MAX_ACL_ENTRY_LENGTH)}`;
  for (const bad of [tooMany, tooLong, `!${tooMany}`]) {
    for (const parse of [parsePolicyPost, parsePolicyPut]) {
      t.throws(
        () => parse({ name: 'p', acl: ['confd.users.read', bad] }),
        { status: 400, message: 'Invalid value supplied for field: acl' },
        'a policy body with an over-long entry is a 400 on field acl',
      );
    }
    t.throws(() => checkAccessParam(bad), {
      status: 400,
      message: 'Invalid value supplied for field: access',
    });
  }
  t.same(parsePolicyPost({ name: 'p', acl: ['confd.#', `x.${'*.'.repeat(31)}y`] }).acl, [
    'confd.#',
    `x.${'*.'.repeat(31)}y`,
  ]);
  t.doesNotThrow(() => checkAccessParam('auth.users.me.#'));
});
