/**
 * Compilation of one granted ACL entry (acl.md §2).
 *
 * The spec defines matching through a regular expression per entry; entries are free text written by
 * anyone allowed to edit a policy, and a backtracking regex engine takes exponential time on entries
 * such as `confd.#.#.#.#.#.#.#x` (issue #18). No user-controlled entry is therefore ever turned into a
 * RegExp: an entry is split into parts (literal text, `*`, `#`, the reserved segments) and matched by
 * {@link PartsPattern}, which walks the parts once while keeping the set of positions of the required
 * access they can reach, so a check costs at most O(entry length × required length), with no
 * backtracking. Entries that reduce to a string comparison (`literal`, `prefix`) skip even that.
 *
 * Compilation sits on the hottest path of the platform (every authenticated request of every service):
 * the entry-dependent work is done once per distinct entry string and cached. Entries with `me` /
 * `my_session` are tested with the token's own values at match time, so that no token compiles anything.
 */

/** Identity of the token whose ACL is being compiled; only used by the `me` / `my_session` segments. */
export interface AclContext {
  readonly authId?: string | null;
  readonly sessionUuid?: string | null;
}

/** An entry with wildcards or reserved segments, tested with the values of the token checked. */
export interface ContextualTest {
  matches(
    required: string,
    authId: string | null | undefined,
    sessionUuid: string | null | undefined,
  ): boolean;
}

/**
 * How one entry is tested. The `literal` and `prefix` kinds are exact equivalents of the regex the
 * spec describes, chosen when it would degenerate to a string comparison; `pattern` is the general,
 * linear-time matcher.
 */
export type EntryTest =
  /** `required === value` (entry without wildcard nor reserved segment). */
  | { readonly kind: 'literal'; readonly value: string }
  /** `required.startsWith(value)` (entry whose only wildcard is one trailing `#`, e.g. `auth.#`). */
  | { readonly kind: 'prefix'; readonly value: string }
  /** Anything else; the token's identity is already bound in (see {@link compileEntry}). */
  | { readonly kind: 'pattern'; readonly pattern: ContextualTest };

export interface CompiledEntry {
  /** A negative (`!…`) entry denies what it matches, whatever the positive entries say. */
  readonly negative: boolean;
  readonly test: EntryTest;
}

/** Kinds of {@link PatternPart}. */
export const TEXT = 0;
/** `*`: a possibly empty run of characters that are neither `.` nor `#` (the spec's `[^.#]*?`). */
export const STAR = 1;
/** `#`: a possibly empty run of anything, line terminators included (the spec's `.*?` with the `s` flag). */
export const HASH = 2;
/** `text` or `alternative`: the `edit` alias. */
export const EITHER = 3;
/** `text` (the word `me`) or the token's auth id. */
export const ME = 4;
/** `text` (the word `my_session`) or the token's session uuid. */
export const MY_SESSION = 5;

/**
 * One piece of an entry: literal text, a wildcard, the `edit` alias, or a slot filled from the token at
 * match time. One class with numeric kinds rather than a union of object literals: the matcher's
 * property reads see a single shape.
 */
export class PatternPart {
  constructor(
    readonly kind: number,
    readonly text = '',
    readonly alternative = '',
  ) {}
}

/**
 * Entry-dependent part of the compilation: the test itself when it needs nothing from the token, else a
 * test given the token's values.
 */
type Template =
  | { readonly kind: 'ready'; readonly test: EntryTest }
  | { readonly kind: 'contextual'; readonly pattern: ContextualTest };

const REGEX_META = /[\\^$.*+?()[\]{}|]/g;
const HAS_REGEX_META = /[\\^$.*+?()[\]{}|]/;

/**
 * Escapes regex metacharacters. The matcher builds no regex any more; kept for the reference
 * implementations of the tests and benchmarks, which follow the spec's regex construction literally.
 */
export function escapeRegExp(text: string): string {
  // Most segments and every UUID have nothing to escape; testing is much cheaper than replacing.
  return HAS_REGEX_META.test(text) ? text.replace(REGEX_META, '\\$&') : text;
}

function isReserved(segment: string): boolean {
  return segment === 'me' || segment === 'my_session' || segment === 'edit';
}

function buildTemplate(body: string): Template {
  const segments = body.split('.');
  const hashAt = body.indexOf('#');
  const hasReserved = segments.some(isReserved);
  if (!hasReserved && !body.includes('*')) {
    if (hashAt === -1) return { kind: 'ready', test: { kind: 'literal', value: body } };
    // A single trailing `#` after a literal prefix: `^prefix.*?$` matches exactly the strings that
    // start with the prefix.
    if (hashAt === body.length - 1)
      return { kind: 'ready', test: { kind: 'prefix', value: body.slice(0, -1) } };
  }
  const parts = entryParts(segments);
  const slotted = parts.some((part) => part.kind === ME || part.kind === MY_SESSION);
  return slotted
    ? { kind: 'contextual', pattern: contextualTest(parts) }
    : { kind: 'ready', test: { kind: 'pattern', pattern: wildcardTest(parts) } };
}

// Backward compatibility, one way only: a granted `edit` also grants `update`.
const EDIT_ALIAS = new PatternPart(EITHER, 'edit', 'update');
const STAR_PART = new PatternPart(STAR);
const HASH_PART = new PatternPart(HASH);
const ME_PART = new PatternPart(ME, 'me');
const MY_SESSION_PART = new PatternPart(MY_SESSION, 'my_session');

/**
 * The parts of an entry, adjacent literal text (dots included) merged so that each costs one comparison,
 * and adjacent wildcards merged into one.
 */
export function entryParts(segments: readonly string[]): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  const add = (part: PatternPart) => {
    if (text !== '') parts.push(new PatternPart(TEXT, text));
    text = '';
    const previous = parts[parts.length - 1];
    if (previous === STAR_PART || previous === HASH_PART) {
      // A run of wildcards matches what its widest one matches (`**` is `*`; `*#`, `#*`, `##` are `#`).
      if (part === HASH_PART) parts[parts.length - 1] = HASH_PART;
      if (part === HASH_PART || part === STAR_PART) return;
    }
    parts.push(part);
  };
  segments.forEach((segment, index) => {
    if (index > 0) text += '.';
    if (segment === 'me') add(ME_PART);
    else if (segment === 'my_session') add(MY_SESSION_PART);
    else if (segment === 'edit') add(EDIT_ALIAS);
    else {
      let literalStart = 0;
      for (let i = 0; i < segment.length; i++) {
        const c = segment[i];
        if (c === '*' || c === '#') {
          text += segment.slice(literalStart, i);
          add(c === '*' ? STAR_PART : HASH_PART);
          literalStart = i + 1;
        }
      }
      text += segment.slice(literalStart);
    }
  });
  if (text !== '') parts.push(new PatternPart(TEXT, text));
  return parts;
}

/**
 * Bounded so that a flood of distinct entries (e.g. scopes chosen by clients) cannot grow memory without
 * limit; clearing everything when full is crude but keeps the common path a single Map lookup, and real
 * deployments have far fewer distinct entries than the cap.
 */
const CACHE_LIMIT = 5000;
const templates = new Map<string, Template>();

function templateFor(body: string): Template {
  let template = templates.get(body);
  if (template === undefined) {
    template = buildTemplate(body);
    if (templates.size >= CACHE_LIMIT) templates.clear();
    templates.set(body, template);
  }
  return template;
}

/** A contextual entry with one token's values bound in, for {@link compileEntry}'s one-off use. */
class BoundPattern implements ContextualTest {
  constructor(
    private readonly pattern: ContextualTest,
    private readonly ctx: AclContext,
  ) {}

  matches(required: string): boolean {
    return this.pattern.matches(required, this.ctx.authId, this.ctx.sessionUuid);
  }
}

/**
 * Compiles entries for one token (one-off use: {@link AclMatcher} shares token-independent compiled
 * ACLs instead). A class rather than a closure: tsx/esbuild wraps every created closure in a costly
 * `__name` call.
 */
export class EntryCompiler {
  private readonly ctx: AclContext;

  constructor(ctx: AclContext = {}) {
    this.ctx = ctx;
  }

  compile(entry: string): CompiledEntry {
    const negative = entry.startsWith('!');
    const template = templateFor(negative ? entry.slice(1) : entry);
    const test: EntryTest =
      template.kind === 'ready'
        ? template.test
        : { kind: 'pattern', pattern: new BoundPattern(template.pattern, this.ctx) };
    return { negative, test };
  }
}

/**
 * The token-independent form of a granted entry (without its `!`): its test when it needs nothing from
 * the token, else a test given the token's values. Shares the template cache.
 */
export function entryShape(
  body: string,
): { readonly test: EntryTest } | { readonly pattern: ContextualTest } {
  const template = templateFor(body);
  return template.kind === 'ready' ? { test: template.test } : { pattern: template.pattern };
}

/**
 * The usual contextual entry: literal text, one `me` or `my_session` segment, literal text, and maybe a
 * final `#` (`auth.users.me.read`, `events.users.me.#`). The length of the required access tells which
 * alternative of the slot can fit before any text is compared.
 */
class SlotPattern implements ContextualTest {
  constructor(
    private readonly head: string,
    private readonly slot: PatternPart,
    private readonly tail: string,
    /** A final `#`: anything may follow the tail. */
    private readonly open: boolean,
  ) {}

  matches(required: string, authId: string | null | undefined, sessionUuid: string | null | undefined) {
    return (
      occursAt(required, this.head, 0) &&
      (this.fits(required, this.slot.text) ||
        this.fits(required, this.slot.kind === ME ? authId : sessionUuid))
    );
  }

  /**
   * An absent or empty value leaves only the literal word: an empty alternative would let `me` match an
   * empty segment, and upstream's `None` would let it match the word `None`; neither is the token's own
   * resource.
   */
  private fits(required: string, value: string | null | undefined): boolean {
    if (!value) return false;
    const tailAt = this.head.length + value.length;
    const length = tailAt + this.tail.length;
    return (
      (this.open ? required.length >= length : required.length === length) &&
      occursAt(required, value, this.head.length) &&
      occursAt(required, this.tail, tailAt)
    );
  }
}

function contextualTest(parts: readonly PatternPart[]): ContextualTest {
  let i = 0;
  const text = () => (parts[i]?.kind === TEXT ? parts[i++]!.text : '');
  const head = text();
  const slot = parts[i++];
  if (slot === undefined || (slot.kind !== ME && slot.kind !== MY_SESSION)) return new PartsPattern(parts);
  const tail = text();
  const open = parts[i]?.kind === HASH;
  if (open) i++;
  return i === parts.length ? new SlotPattern(head, slot, tail, open) : new PartsPattern(parts);
}

/**
 * Whether `text` occurs in `required` at `index`. `endsWith` with an end position rather than
 * `startsWith` with a start: V8 runs it several times faster (an end past the string would be clamped,
 * hence the bound).
 */
export function occursAt(required: string, text: string, index: number): boolean {
  const end = index + text.length;
  return end <= required.length && required.endsWith(text, end);
}

/** 46 and 35: the `.` and `#` a `*` must not cross. */
const DOT = 46;
const POUND = 35;

/*
 * Position sets. The matcher keeps the positions of the required access that the parts read so far can
 * reach, as a sorted array without duplicates (a position is at most the access length, so a set never
 * holds more than `length + 1` of them). Three scratch buffers are shared by every check while accesses
 * are short (matching is synchronous and never re-entered); longer accesses get their own.
 */
const SHARED_CAPACITY = 1024;
const sharedA = new Int32Array(SHARED_CAPACITY);
const sharedB = new Int32Array(SHARED_CAPACITY);
const sharedC = new Int32Array(SHARED_CAPACITY);

/** The positions `p + text.length` for each `p` of `from` where `text` occurs (only the first if `first`). */
function advance(
  required: string,
  text: string,
  from: Int32Array,
  size: number,
  to: Int32Array,
  first: boolean,
): number {
  const length = text.length;
  let count = 0;
  for (let i = 0; i < size; i++) {
    const at = from[i]!;
    if (occursAt(required, text, at)) {
      to[count++] = at + length;
      if (first) break;
    }
  }
  return count;
}

/** The end of every occurrence of `text` in `required` starting at `start` or later. */
function occurrencesFrom(required: string, text: string, start: number, to: Int32Array): number {
  let count = 0;
  for (let at = required.indexOf(text, start); at !== -1; at = required.indexOf(text, at + 1)) {
    to[count++] = at + text.length;
  }
  return count;
}

/** The first position at or after `at` holding a `.` or a `#` (or the end): where a `*` must stop. */
function stopOf(required: string, at: number): number {
  const length = required.length;
  while (at < length) {
    const c = required.charCodeAt(at);
    if (c === DOT || c === POUND) break;
    at++;
  }
  return at;
}

/**
 * A `*` whose end is forced: followed by text starting with `.` (it cannot consume the `.`, so it ends on
 * the first `.` or `#`), or by nothing (it must reach the end, so again its stop). One position per run.
 */
function starToStops(required: string, from: Int32Array, size: number, to: Int32Array): number {
  let count = 0;
  let stop = -1;
  for (let i = 0; i < size; i++) {
    const at = from[i]!;
    // Positions up to the previous stop belong to the same run: same stop, already recorded.
    if (at > stop) {
      stop = stopOf(required, at);
      to[count++] = stop;
    }
  }
  return count;
}

/** Any other `*`: every position from each start to its stop; runs are scanned once. */
function starToRuns(required: string, from: Int32Array, size: number, to: Int32Array): number {
  const length = required.length;
  let count = 0;
  let covered = -1;
  for (let i = 0; i < size; i++) {
    let at = from[i]!;
    if (at <= covered) continue;
    to[count++] = at;
    while (at < length) {
      const c = required.charCodeAt(at);
      if (c === DOT || c === POUND) break;
      to[count++] = ++at;
    }
    covered = at;
  }
  return count;
}

/** Sorted union of two sorted sets, into `to`. */
function union(a: Int32Array, sizeA: number, b: Int32Array, sizeB: number, to: Int32Array): number {
  let i = 0;
  let j = 0;
  let count = 0;
  while (i < sizeA || j < sizeB) {
    const x = i < sizeA ? a[i]! : Number.MAX_SAFE_INTEGER;
    const y = j < sizeB ? b[j]! : Number.MAX_SAFE_INTEGER;
    if (x <= y) {
      to[count++] = x;
      i++;
      if (x === y) j++;
    } else {
      to[count++] = y;
      j++;
    }
  }
  return count;
}

/**
 * Any entry that is not a string comparison nor a {@link SlotPattern}: exactly what the entry's regex
 * (`^…$`, `s` flag) would answer for the token of `authId` and `sessionUuid`, computed without
 * backtracking. The parts are read once, left to right, each mapping the set of reachable positions to
 * the next set (a Thompson-style simulation with the roles of pattern and text swapped), so a check costs
 * O(parts × positions) comparisons at worst, whatever the entry. A `#` turns the set into "every position
 * from its smallest one on", kept as that single position, so the sets only grow between wildcards.
 */
class PartsPattern implements ContextualTest {
  /** Per part: the next part is a `#`, so only the smallest position reached matters. */
  private readonly beforeHash: boolean[];
  /** Per `*` part: its end is forced (see {@link starToStops}). */
  private readonly forcedStar: boolean[];

  /** The final text, which a match must end with (a cheap test that rules most misses out). */
  private readonly suffix: string;

  constructor(private readonly parts: readonly PatternPart[]) {
    const lastPart = parts[parts.length - 1];
    this.suffix = lastPart?.kind === TEXT ? lastPart.text : '';
    this.beforeHash = parts.map((_, k) => parts[k + 1]?.kind === HASH);
    this.forcedStar = parts.map((part, k) => {
      const next = parts[k + 1];
      return part.kind === STAR && (next === undefined || (next.kind === TEXT && next.text[0] === '.'));
    });
  }

  matches(required: string, authId: string | null | undefined, sessionUuid: string | null | undefined) {
    if (!required.endsWith(this.suffix)) return false;
    const parts = this.parts;
    const last = parts.length - 1;
    const length = required.length;
    let current = sharedA;
    let next = sharedB;
    let spare = sharedC;
    if (length >= SHARED_CAPACITY) {
      current = new Int32Array(length + 1);
      next = new Int32Array(length + 1);
      spare = new Int32Array(length + 1);
    }
    current[0] = 0;
    let size = 1;
    /** Every position from `current[0]` to the end is reachable (after a `#`); `size` is then 1. */
    let open = false;
    for (let k = 0; k <= last; k++) {
      const part = parts[k]!;
      const kind = part.kind;
      if (kind === HASH) {
        if (k === last) return true;
        open = true;
        size = 1;
        continue;
      }
      if (kind === STAR) {
        // From an open set, or before a `#`, a `*` matching nothing changes nothing that matters.
        if (open || this.beforeHash[k]) {
          size = 1;
          continue;
        }
        size = this.forcedStar[k]
          ? starToStops(required, current, size, next)
          : starToRuns(required, current, size, next);
      } else if (kind === TEXT) {
        const text = part.text;
        if (open) {
          open = false;
          const start = current[0]!;
          if (k === last) return length - text.length >= start && required.endsWith(text);
          if (this.beforeHash[k]) {
            const at = required.indexOf(text, start);
            if (at === -1) return false;
            current[0] = at + text.length;
            continue;
          }
          size = occurrencesFrom(required, text, start, next);
        } else if (k === last) {
          // The final text is the suffix, already compared: only its position remains to be checked.
          const at = length - text.length;
          for (let i = 0; i < size; i++) if (current[i] === at) return true;
          return false;
        } else {
          size = advance(required, text, current, size, next, this.beforeHash[k]!);
        }
      } else {
        if (open) {
          // Unreachable with entries split on dots (a reserved segment follows a `.`), kept for safety.
          open = false;
          const start = current[0]!;
          size = 0;
          for (let at = start; at <= length; at++) next[size++] = at;
          [current, next] = [next, current];
        }
        const alternative = kind === EITHER ? part.alternative : kind === ME ? authId : sessionUuid;
        if (alternative && size === 1) {
          // The usual case, without the general union: at most two positions, in order.
          const at = current[0]!;
          const endA = occursAt(required, part.text, at) ? at + part.text.length : -1;
          const endB = occursAt(required, alternative, at) ? at + alternative.length : -1;
          size = 0;
          if (endA !== -1 && (endB === -1 || endA < endB)) current[size++] = endA;
          if (endB !== -1) current[size++] = endB;
          if (endA > endB && endB !== -1) current[size++] = endA;
          if (size === 0) return false;
          continue;
        }
        if (alternative) {
          const sizeA = advance(required, part.text, current, size, next, false);
          const sizeB = advance(required, alternative, current, size, spare, false);
          // `current` has been read: the union goes there.
          size = union(next, sizeA, spare, sizeB, current);
          if (size === 0) return false;
          continue;
        }
        // Absent or empty: only the word itself (see SlotPattern.fits).
        size = advance(required, part.text, current, size, next, false);
      }
      if (size === 0) return false;
      const swap = current;
      current = next;
      next = swap;
    }
    return open || current[size - 1] === length;
  }
}

/**
 * The usual wildcard entry: literal text, `*` segments and maybe a final `#` (`confd.users.*.read`,
 * `confd.users.*.lines.*.#`). Each `*` is followed by a `.` or ends the entry, so it can only end on the
 * first `.` or `#` (or the end) after its start: a single position is reachable at any time, and the
 * check is one forward scan, with neither backtracking nor position sets.
 */
export class ScanPattern implements ContextualTest {
  /** The final text, which a match must end with: most misses are told by this one comparison. */
  private readonly suffix: string;

  constructor(private readonly parts: readonly PatternPart[]) {
    const last = parts[parts.length - 1];
    this.suffix = last?.kind === TEXT ? last.text : '';
  }

  matches(required: string): boolean {
    if (!required.endsWith(this.suffix)) return false;
    const parts = this.parts;
    let at = 0;
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      if (part.kind === TEXT) {
        // The final text is the suffix, already compared: only its position remains to be checked.
        if (k === parts.length - 1) return at === required.length - part.text.length;
        if (!occursAt(required, part.text, at)) return false;
        at += part.text.length;
      } else if (part.kind === STAR) {
        at = stopOf(required, at);
      } else {
        // The final `#`.
        return true;
      }
    }
    return at === required.length;
  }
}

/** A {@link ScanPattern} when the entry has that shape, else the general {@link PartsPattern}. */
function wildcardTest(parts: readonly PatternPart[]): ContextualTest {
  const last = parts.length - 1;
  const scannable = parts.every((part, k) => {
    if (part.kind === TEXT) return true;
    if (part.kind === HASH) return k === last;
    const next = parts[k + 1];
    return part.kind === STAR && (next === undefined || (next.kind === TEXT && next.text[0] === '.'));
  });
  return scannable ? new ScanPattern(parts) : new PartsPattern(parts);
}

/** Compiles one granted entry for the token described by `ctx`. */
export function compileEntry(entry: string, ctx: AclContext = {}): CompiledEntry {
  return new EntryCompiler(ctx).compile(entry);
}

/**
 * One entry's answer for `required`, with no bound on its length (the matcher's own cost is linear:
 * {@link CompiledAcl} refuses over-long accesses before that).
 */
export function testEntry(test: EntryTest, required: string): boolean {
  switch (test.kind) {
    case 'literal':
      return required === test.value;
    case 'prefix':
      return required.startsWith(test.value);
    case 'pattern':
      return test.pattern.matches(required, undefined, undefined);
  }
}

/** Forgets every cached template (tests and benchmarks clear them through `clearCompileCache`). */
export function clearTemplateCache(): void {
  templates.clear();
}
