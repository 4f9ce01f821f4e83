/**
 * Compilation of one granted ACL entry (acl.md §2).
 *
 * Compilation is split in two stages because it sits on the hottest path of the platform (every
 * authenticated request of every service): the entry-dependent work (escaping, wildcard expansion,
 * reserved-segment detection, and for most entries the RegExp itself) is done once per distinct entry
 * string and cached. Entries with `me` / `my_session` become pattern parts that a token's matcher tests
 * with the token's own values, so that no token compiles anything ({@link compileEntry} still builds
 * per-token regexes, for one-off use).
 */

/** Identity of the token whose ACL is being compiled; only used by the `me` / `my_session` segments. */
export interface AclContext {
  readonly authId?: string | null;
  readonly sessionUuid?: string | null;
}

/**
 * How one entry is tested. The `literal` and `prefix` kinds are exact equivalents of the regex the
 * spec describes, chosen when the regex would degenerate to a string comparison.
 */
export type EntryTest =
  /** `required === value` (entry without wildcard nor reserved segment). */
  | { readonly kind: 'literal'; readonly value: string }
  /** `required.startsWith(value)` (entry whose only wildcard is one trailing `#`, e.g. `auth.#`). */
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly regex: RegExp };

export interface CompiledEntry {
  /** A negative (`!…`) entry denies what it matches, whatever the positive entries say. */
  readonly negative: boolean;
  readonly test: EntryTest;
}

/**
 * `*`: a possibly empty run inside one segment; it must not cross a `.` and must not match a literal `#`
 * of the required access (so `foo.*.*` does not grant `foo.bar.#`).
 */
const STAR_SOURCE = '[^.#]*?';
/**
 * `#`: a possibly empty run of anything. The `s` flag below makes `.` match line terminators too, so
 * "anything" really is anything, as the spec states.
 */
const HASH_SOURCE = '.*?';
/**
 * No `u` flag: it would reject some escapes and changes nothing here (runs of code units never split a
 * surrogate pair from a `.` or `#`, and literal code units compare the same).
 */
const FLAGS = 's';

/** Segments substituted only from the token (the `edit` alias is token-independent). */
type Slot = 'me' | 'my_session';

/** Kinds of {@link PatternPart}. */
const TEXT = 0;
const STAR = 1;
const HASH = 2;
/** `text` or `alternative`: the `edit` alias. */
const EITHER = 3;
/** `text` (the word `me`) or the token's auth id. */
const ME = 4;
/** `text` (the word `my_session`) or the token's session uuid. */
const MY_SESSION = 5;

/**
 * One piece of an entry with reserved segments, as {@link matchPattern} tests it: literal text, a
 * wildcard, the `edit` alias, or a slot filled from the token at match time. One class with numeric
 * kinds rather than a union of object literals: the matcher's property reads see a single shape.
 */
class PatternPart {
  constructor(
    readonly kind: number,
    readonly text = '',
    readonly alternative = '',
  ) {}
}

/**
 * Entry-dependent part of the compilation. Token-independent entries are fully compiled (`ready`);
 * the others keep the regex source split around the reserved segments (`chunks.length ===
 * slots.length + 1`), and the same entry as pattern parts, which a token's matcher tests without a
 * regex of its own.
 */
type Template =
  | { readonly kind: 'ready'; readonly test: EntryTest }
  | {
      readonly kind: 'contextual';
      readonly chunks: readonly string[];
      readonly slots: readonly Slot[];
      readonly pattern: ContextualTest;
    };

const REGEX_META = /[\\^$.*+?()[\]{}|]/g;
const HAS_REGEX_META = /[\\^$.*+?()[\]{}|]/;

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

  // The regex source is cut at the slots, which the token fills in.
  const parts = entryParts(segments);
  const chunks: string[] = [];
  const slots: Slot[] = [];
  let current = '^';
  for (const part of parts) {
    if (part.kind === ME || part.kind === MY_SESSION) {
      chunks.push(current);
      slots.push(part.kind === ME ? 'me' : 'my_session');
      current = '';
    } else {
      current += partSource(part);
    }
  }
  chunks.push(`${current}$`);
  if (slots.length === 0) {
    return { kind: 'ready', test: { kind: 'regex', regex: new RegExp(chunks[0]!, FLAGS) } };
  }
  return { kind: 'contextual', chunks, slots, pattern: contextualTest(parts) };
}

// Backward compatibility, one way only: a granted `edit` also grants `update`.
const EDIT_ALIAS = new PatternPart(EITHER, 'edit', 'update');
const STAR_PART = new PatternPart(STAR);
const HASH_PART = new PatternPart(HASH);
const ME_PART = new PatternPart(ME, 'me');
const MY_SESSION_PART = new PatternPart(MY_SESSION, 'my_session');

/** The parts of an entry, adjacent literal text (dots included) merged so that each costs one comparison. */
function entryParts(segments: readonly string[]): PatternPart[] {
  const parts: PatternPart[] = [];
  let text = '';
  const add = (part: PatternPart) => {
    if (text !== '') parts.push(new PatternPart(TEXT, text));
    text = '';
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

/** Regex source of a part that is not a slot. */
function partSource(part: PatternPart): string {
  switch (part.kind) {
    case TEXT:
      return escapeRegExp(part.text);
    case STAR:
      return STAR_SOURCE;
    case HASH:
      return HASH_SOURCE;
    default:
      return `(?:${part.text}|${part.alternative})`;
  }
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

/**
 * Alternation for a reserved segment. An absent (or empty) value leaves only the literal word: an empty
 * alternative would let `me` match an empty segment, and upstream's `None` would let it match the word
 * `None`; neither is the token's own resource.
 */
function slotSource(slot: Slot, value: string | null | undefined): string {
  return value ? `(?:${slot}|${escapeRegExp(value)})` : slot;
}

/**
 * Compiles the entries of one token. The slot alternations are built once per token (and only if some
 * entry needs them) rather than once per entry, escaping being a large share of the per-token cost. A
 * class rather than a closure: tsx/esbuild wraps every created closure in a costly `__name` call.
 */
export class EntryCompiler {
  private readonly ctx: AclContext;
  private slots: Record<Slot, string> | undefined;

  constructor(ctx: AclContext = {}) {
    this.ctx = ctx;
  }

  compile(entry: string): CompiledEntry {
    const negative = entry.startsWith('!');
    return { negative, test: this.instantiate(templateFor(negative ? entry.slice(1) : entry)) };
  }

  private instantiate(template: Template): EntryTest {
    if (template.kind === 'ready') return template.test;
    this.slots ??= {
      me: slotSource('me', this.ctx.authId),
      my_session: slotSource('my_session', this.ctx.sessionUuid),
    };
    let source = template.chunks[0]!;
    for (let i = 0; i < template.slots.length; i++) {
      source += this.slots[template.slots[i]!] + template.chunks[i + 1]!;
    }
    return { kind: 'regex', regex: new RegExp(source, FLAGS) };
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

/** An entry with `me` / `my_session`, tested with the values of the token checked. */
export interface ContextualTest {
  matches(
    required: string,
    authId: string | null | undefined,
    sessionUuid: string | null | undefined,
  ): boolean;
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

  /** Absent or empty: no alternative to the word itself (see slotSource). */
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

/** Any other contextual entry (wildcards, the `edit` alias, several slots): see {@link matchPattern}. */
class PartsPattern implements ContextualTest {
  constructor(private readonly parts: readonly PatternPart[]) {}

  matches(required: string, authId: string | null | undefined, sessionUuid: string | null | undefined) {
    return matchPattern(this.parts, 0, required, 0, authId, sessionUuid);
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

/**
 * Whether `required` from `at` on matches `parts` from `k` on: exactly what the entry's regex (`^…$`,
 * `s` flag) would answer for the token of `authId` and `sessionUuid`, by direct comparison of code units
 * and backtracking over the wildcards and alternatives like the regex engine. Each token thereby shares
 * its entries with every other token instead of compiling regexes embedding its own uuids.
 */
function matchPattern(
  parts: readonly PatternPart[],
  k: number,
  required: string,
  at: number,
  authId: string | null | undefined,
  sessionUuid: string | null | undefined,
): boolean {
  for (; k < parts.length; k++) {
    const part = parts[k]!;
    switch (part.kind) {
      case TEXT:
        if (!occursAt(required, part.text, at)) return false;
        at += part.text.length;
        break;
      case ME:
      case MY_SESSION: {
        const value = part.kind === ME ? authId : sessionUuid;
        return (
          (occursAt(required, part.text, at) &&
            matchPattern(parts, k + 1, required, at + part.text.length, authId, sessionUuid)) ||
          // Absent or empty: only the word itself (see slotSource).
          (!!value &&
            occursAt(required, value, at) &&
            matchPattern(parts, k + 1, required, at + value.length, authId, sessionUuid))
        );
      }
      case EITHER:
        return (
          (occursAt(required, part.text, at) &&
            matchPattern(parts, k + 1, required, at + part.text.length, authId, sessionUuid)) ||
          (occursAt(required, part.alternative, at) &&
            matchPattern(parts, k + 1, required, at + part.alternative.length, authId, sessionUuid))
        );
      case HASH:
        if (k === parts.length - 1) return true;
        for (let end = at; end <= required.length; end++) {
          if (matchPattern(parts, k + 1, required, end, authId, sessionUuid)) return true;
        }
        return false;
      default:
        // STAR
        for (let end = at; ; end++) {
          if (matchPattern(parts, k + 1, required, end, authId, sessionUuid)) return true;
          if (end === required.length) return false;
          const c = required.charCodeAt(end);
          if (c === DOT || c === POUND) return false;
        }
    }
  }
  return at === required.length;
}

/** Compiles one granted entry for the token described by `ctx`. */
export function compileEntry(entry: string, ctx: AclContext = {}): CompiledEntry {
  return new EntryCompiler(ctx).compile(entry);
}

export function testEntry(test: EntryTest, required: string): boolean {
  switch (test.kind) {
    case 'literal':
      return required === test.value;
    case 'prefix':
      return required.startsWith(test.value);
    case 'regex':
      return test.regex.test(required);
  }
}

/** Forgets every cached template (tests and benchmarks clear them through `clearCompileCache`). */
export function clearTemplateCache(): void {
  templates.clear();
}
