/**
 * Compilation of one granted ACL entry (acl.md §2).
 *
 * Compilation is split in two stages because it sits on the hottest path of the platform (every
 * authenticated request of every service): the entry-dependent work (escaping, wildcard expansion,
 * reserved-segment detection, and for most entries the RegExp itself) is done once per distinct entry
 * string and cached; only the `me` / `my_session` substitution, which depends on the token, is done per
 * token.
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

/**
 * Entry-dependent part of the compilation. Token-independent entries are fully compiled (`ready`);
 * the others keep the regex source split around the reserved segments: `chunks.length === slots.length + 1`.
 */
type Template =
  | { readonly kind: 'ready'; readonly test: EntryTest }
  | { readonly kind: 'contextual'; readonly chunks: readonly string[]; readonly slots: readonly Slot[] };

const REGEX_META = /[\\^$.*+?()[\]{}|]/g;
const HAS_REGEX_META = /[\\^$.*+?()[\]{}|]/;

export function escapeRegExp(text: string): string {
  // Most segments and every UUID have nothing to escape; testing is much cheaper than replacing.
  return HAS_REGEX_META.test(text) ? text.replace(REGEX_META, '\\$&') : text;
}

function isReserved(segment: string): boolean {
  return segment === 'me' || segment === 'my_session' || segment === 'edit';
}

/** Regex source of one segment that is not a reserved word. */
function segmentSource(segment: string): string {
  let source = '';
  let literalStart = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*' || c === '#') {
      source += escapeRegExp(segment.slice(literalStart, i)) + (c === '*' ? STAR_SOURCE : HASH_SOURCE);
      literalStart = i + 1;
    }
  }
  return source + escapeRegExp(segment.slice(literalStart));
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

  const chunks: string[] = [];
  const slots: Slot[] = [];
  let current = '^';
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (index > 0) current += '\\.';
    if (segment === 'me' || segment === 'my_session') {
      chunks.push(current);
      slots.push(segment);
      current = '';
    } else if (segment === 'edit') {
      // Backward compatibility, one way only: a granted `edit` also grants `update`.
      current += '(?:edit|update)';
    } else {
      current += segmentSource(segment);
    }
  }
  chunks.push(`${current}$`);
  if (slots.length === 0) {
    return { kind: 'ready', test: { kind: 'regex', regex: new RegExp(chunks[0]!, FLAGS) } };
  }
  return { kind: 'contextual', chunks, slots };
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

/** For tests and benchmarks: forget every cached template. */
export function clearCompileCache(): void {
  templates.clear();
}
