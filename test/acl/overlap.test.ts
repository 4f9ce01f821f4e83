// The overlap of two ACL entries (issue #18 item 5), checked against brute force: an entry's language is
// enumerated with the matcher itself over every short string of a small alphabet, and two entries
// overlap exactly when those sets meet.
import t from 'tap';
import { AclMatcher } from '../../src/acl/index.js';
import { Budget, entriesOverlap, GRANTEE, holderReading, OVERLAP_BUDGET } from '../../src/acl/overlap.js';

const TOKENS = ['a', '.', '*', '#', 'me', 'edit'];
/** `u` is the token's auth id; `x` any other character; `update` comes whole (the `edit` alias). */
const CHARS = ['a', '.', '#', 'x', 'u', 'me', 'update', 'edit'];

function sequences(pieces: readonly string[], max: number): string[] {
  let level = [''];
  const all = new Set(level);
  for (let n = 0; n < max; n++) {
    level = level.flatMap((prefix) => pieces.map((piece) => prefix + piece));
    for (const s of level) all.add(s);
  }
  return [...all];
}

const entries = sequences(TOKENS, 3);
const strings = sequences(CHARS, 4);
const ctx = { authId: 'u', sessionUuid: 's' };

/** Which of `strings` an entry grants to a token with `ctx`, as a bit set. */
function language(entry: string, context = ctx): Uint32Array {
  const matcher = new AclMatcher([entry], context);
  const bits = new Uint32Array(Math.ceil(strings.length / 32));
  strings.forEach((s, i) => {
    if (matcher.allows(s)) bits[i >> 5] = (bits[i >> 5] ?? 0) | (1 << (i & 31));
  });
  return bits;
}

const meet = (a: Uint32Array, b: Uint32Array) => a.some((word, i) => (word & (b[i] ?? 0)) !== 0);

t.test('two entries of one token overlap exactly when their languages meet', async (t) => {
  const languages = new Map(entries.map((e) => [e, language(e)]));
  const reading = holderReading(ctx);
  const missed: string[] = [];
  const invented: string[] = [];
  for (const a of entries) {
    for (const b of entries) {
      const found = entriesOverlap(a, reading, b, reading, new Budget(OVERLAP_BUDGET));
      const brute = meet(languages.get(a)!, languages.get(b)!);
      if (brute && !found) missed.push(`${a} ∩ ${b}`);
      // A witness may be longer than the enumerated strings: only short entries are held to exactness.
      if (found && !brute && a.length + b.length <= 4) invented.push(`${a} ∩ ${b}`);
    }
  }
  t.strictSame(missed, [], 'every common access found by brute force is seen');
  t.strictSame(invented, [], 'no overlap claimed without a common access');
  t.ok(entries.length ** 2 > 40_000, `${entries.length ** 2} pairs compared`);
});

t.test("an entry granted to others stands for every holder's `me` and `my_session`", async (t) => {
  const missed: string[] = [];
  const restrictions = new Map(entries.map((e) => [e, language(e)]));
  const holders = ['u', 'x', 'ax'].map((authId) => ({ authId, sessionUuid: authId }));
  for (const granted of entries) {
    const languages = holders.map((holder) => language(granted, holder));
    for (const negative of entries) {
      const restricted = restrictions.get(negative)!;
      if (!languages.some((l) => meet(l, restricted))) continue;
      if (!entriesOverlap(granted, GRANTEE, negative, holderReading(ctx), new Budget(OVERLAP_BUDGET)))
        missed.push(`${granted} ∩ ${negative}`);
    }
  }
  t.strictSame(missed, []);
  const own = holderReading(ctx);
  const overlaps = (granted: string, negative: string) =>
    entriesOverlap(granted, GRANTEE, negative, own, new Budget(OVERLAP_BUDGET));
  t.equal(overlaps('confd.users.me.read', 'confd.users.u.read'), true, "someone's me may be the caller");
  t.equal(overlaps('confd.users.*.read', 'confd.users.me.read'), true, "the caller's me is its own id");
  t.equal(overlaps('confd.users.v.read', 'confd.users.me.read'), false, 'another literal id is not');
  t.equal(overlaps('a.my_session', 'a.s'), true);
  t.equal(overlaps('a.edit', 'a.update'), true, 'a granted edit grants update');
  t.equal(overlaps('a.update', 'a.edit'), true, 'a restriction on edit also denies update');
  t.equal(overlaps('a.edit.x', 'a.update.x'), true);
  t.equal(overlaps('a.editx', 'a.updatex'), false, 'the alias is a whole segment');
});

t.test("the escalation guard refuses a grant that overlaps one of the caller's restrictions", async (t) => {
  const caller = new AclMatcher(['auth.#', '!auth.tenants.#', '!auth.users.me.password.edit'], ctx);
  t.equal(caller.mayAdd('auth.#'), false, 'auth.# would grant the tenants rights the caller is denied');
  t.equal(caller.mayAdd('auth.*.read'), false, 'auth.tenants.read');
  t.equal(caller.mayAdd('auth.users.*.password.update'), false, "the caller's own password, via edit");
  t.equal(caller.mayAdd('auth.users.#'), false);
  t.equal(caller.mayAdd('auth.users.read'), true);
  t.equal(caller.mayAdd('auth.policies.#'), true);
  t.equal(caller.mayAdd('auth.users.*.password.read'), true);
  t.equal(caller.mayAdd('!auth.#'), true, 'restrictions stay free');
  t.equal(caller.mayRemove('!auth.users.read'), true, 'lifting a restriction the caller does not have');
  t.equal(caller.mayRemove('!auth.#'), false, 'lifting one wider than the caller is granted');
  t.equal(new AclMatcher(['#']).mayAdd('#'), true, 'no restriction: as upstream');
});

t.test('a crafted pair of entries costs a bounded amount of work, and is refused', async (t) => {
  const crafted = `${'#a'.repeat(16)}${'b'.repeat(990)}`;
  const negative = `${'a#'.repeat(16)}${'c'.repeat(990)}`;
  const caller = new AclMatcher(['#', `!${negative}`]);
  const budget = new Budget(OVERLAP_BUDGET);
  const started = process.hrtime.bigint();
  const verdicts = Array.from({ length: 20 }, () => caller.mayAdd(crafted, budget));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.ok(verdicts.every((v) => typeof v === 'boolean'));
  t.ok(budget.remaining < OVERLAP_BUDGET, 'the work is counted');
  t.ok(ms < 5000, `20 decisions on maximal entries in ${ms.toFixed(0)} ms (bounded by the budget)`);
  const spent = new Budget(0);
  t.equal(caller.mayAdd('x.y', spent), true, 'an entry whose literal head rules out overlap costs nothing');
  t.equal(caller.mayAdd('a.y', spent), false, 'an exhausted budget answers "overlaps": a refusal');
});
