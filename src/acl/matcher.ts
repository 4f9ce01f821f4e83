import {
  type AclContext,
  type ContextualTest,
  clearTemplateCache,
  entryShape,
  occursAt,
  ScanPattern,
} from './compile.js';
import { MAX_REQUIRED_ACCESS_LENGTH } from './limits.js';
import { Budget, entriesOverlap, GRANTEE, holderReading, OVERLAP_BUDGET } from './overlap.js';

/**
 * The non-literal entries of a group that may match a required access starting with a given character.
 * The plain `*` entries have a list of their own, so that its loop's call site sees a single class.
 */
class Bucket {
  readonly prefixes: string[] = [];
  /** Entries with `me` / `my_session`, and the general linear-time matcher (compile.ts), in ACL order. */
  readonly contextual: ContextualTest[] = [];
  /** Plain `*` entries, the most common wildcard entries: a single forward scan each. */
  readonly scans: ScanPattern[] = [];

  add(test: ContextualTest): void {
    if (test instanceof ScanPattern) this.scans.push(test);
    else this.contextual.push(test);
  }

  matches(required: string, authId: string | null | undefined, sessionUuid: string | null | undefined) {
    for (const prefix of this.prefixes) if (occursAt(required, prefix, 0)) return true;
    for (const test of this.contextual) if (test.matches(required, authId, sessionUuid)) return true;
    for (const test of this.scans) if (test.matches(required)) return true;
    return false;
  }
}

/** Buckets are kept for these first characters (ASCII, where entries start); others go with `anyFirst`. */
const INDEXED_CHARS = 128;
const RESERVED_FIRST_SEGMENT = /^(?:me|my_session|edit)(?:\.|$)/;

/**
 * The first character every access the entry matches starts with, when there is one (a literal first
 * character of a segment that is not reserved), else -1.
 */
function firstChar(body: string): number {
  const code = body.charCodeAt(0);
  if (Number.isNaN(code) || body[0] === '*' || body[0] === '#' || code >= INDEXED_CHARS) return -1;
  return RESERVED_FIRST_SEGMENT.test(body) ? -1 : code;
}

/**
 * The compiled entries of one polarity, grouped so that the cheapest tests run first and few run at
 * all: literal entries cost one hash lookup however many there are, and the others are only tried when
 * their first character is the required access's (`auth.…` entries are not tried on `confd.…`).
 * Entries with `me` / `my_session` are tested with the token's values, without compiling anything per token.
 */
class EntryGroup {
  private readonly literals = new Set<string>();
  private readonly byFirst: (Bucket | undefined)[] = new Array(INDEXED_CHARS).fill(undefined);
  private readonly anyFirst = new Bucket();

  add(body: string): void {
    const shape = entryShape(body);
    if ('test' in shape && shape.test.kind === 'literal') {
      this.literals.add(shape.test.value);
      return;
    }
    const first = firstChar(body);
    let bucket = this.anyFirst;
    if (first !== -1) {
      bucket = this.byFirst[first] ?? new Bucket();
      this.byFirst[first] = bucket;
    }
    if ('pattern' in shape) bucket.add(shape.pattern);
    else if (shape.test.kind === 'prefix') bucket.prefixes.push(shape.test.value);
    else if (shape.test.kind === 'pattern') bucket.add(shape.test.pattern);
  }

  matches(required: string, authId: string | null | undefined, sessionUuid: string | null | undefined) {
    if (this.literals.has(required)) return true;
    const first = required.charCodeAt(0);
    const bucket = first < INDEXED_CHARS ? this.byFirst[first] : undefined;
    return (
      bucket?.matches(required, authId, sessionUuid) || this.anyFirst.matches(required, authId, sessionUuid)
    );
  }
}

/**
 * One ACL compiled independently of any token, and shared by every token granted the same entries (the
 * users of one policy): a token keeps only a reference to it, plus its own `me` and `my_session`.
 */
export class CompiledAcl {
  /** The entries, frozen: tokens hold this array as their ACL rather than a copy each. */
  readonly entries: readonly string[];
  private readonly positive = new EntryGroup();
  /** Null without negative entries, the common case: nothing to rule out. */
  private readonly negative: EntryGroup | null = null;

  constructor(acl: readonly string[]) {
    this.entries = Object.freeze([...acl]);
    for (const entry of acl) {
      if (entry.startsWith('!')) {
        this.negative ??= new EntryGroup();
        this.negative.add(entry.slice(1));
      } else {
        this.positive.add(entry);
      }
    }
  }

  /** A required access longer than {@link MAX_REQUIRED_ACCESS_LENGTH} is never granted. */
  allows(required: string, authId: string | null | undefined, sessionUuid: string | null | undefined) {
    return (
      required.length <= MAX_REQUIRED_ACCESS_LENGTH &&
      !this.negative?.matches(required, authId, sessionUuid) &&
      this.positive.matches(required, authId, sessionUuid)
    );
  }
}

/** Bounded like the template cache, and for the same reason: ACLs are policies' entries, a few hundred. */
const ACL_CACHE_LIMIT = 2000;
const compiledAcls = new Map<string, CompiledAcl>();

/** The shared compilation of `acl`, by content (entry order included: it is the token's read-back). */
export function compileAcl(acl: readonly string[]): CompiledAcl {
  const key = JSON.stringify(acl);
  let compiled = compiledAcls.get(key);
  if (compiled === undefined) {
    compiled = new CompiledAcl(acl);
    if (compiledAcls.size >= ACL_CACHE_LIMIT) compiledAcls.clear();
    compiledAcls.set(key, compiled);
  }
  return compiled;
}

/** For tests and benchmarks: forget every cached template and compiled ACL. */
export function clearCompileCache(): void {
  clearTemplateCache();
  compiledAcls.clear();
}

/**
 * A token's ACL, compiled once (at token load) and queried for every required access (acl.md §2).
 * Entry order is irrelevant: any matching negative entry denies.
 */
export class AclMatcher {
  private readonly acl: CompiledAcl;
  private readonly authId: string | null | undefined;
  private readonly sessionUuid: string | null | undefined;

  constructor(acl: readonly string[] | CompiledAcl, ctx: AclContext = {}) {
    this.acl = acl instanceof CompiledAcl ? acl : compileAcl(acl);
    this.authId = ctx.authId;
    this.sessionUuid = ctx.sessionUuid;
  }

  /**
   * `required` is a plain string, never a pattern: wildcards, reserved words and a leading `!` in it are
   * matched literally. Absent means "no scope requested" and is granted; the empty string is a real value.
   * One longer than `MAX_REQUIRED_ACCESS_LENGTH` (limits.ts) is denied.
   */
  allows(required: string | undefined | null): boolean {
    if (required === undefined || required === null) return true;
    return this.acl.allows(required, this.authId, this.sessionUuid);
  }

  /**
   * Escalation guard (acl.md §4): adding a restriction is free; adding a grant needs that grant, and
   * (issue #18) the grant may not overlap one of this token's negative entries: `auth.#` held with
   * `!auth.tenants.#` does not let its holder hand out `auth.#`. `budget` is shared by one decision.
   */
  mayAdd(access: string, budget: Budget = new Budget(OVERLAP_BUDGET)): boolean {
    return access.startsWith('!') || this.mayGrant(access, budget);
  }

  /**
   * Escalation guard (acl.md §4): removing `!x` widens permissions to `x`, so it needs what adding `x`
   * needs, which a caller restricted by `!x` itself does not have; removing a grant needs that grant.
   */
  mayRemove(access: string, budget: Budget = new Budget(OVERLAP_BUDGET)): boolean {
    return access.startsWith('!') ? this.mayGrant(access.slice(1), budget) : this.allows(access);
  }

  private mayGrant(access: string, budget: Budget): boolean {
    if (!this.allows(access)) return false;
    const own = holderReading({ authId: this.authId, sessionUuid: this.sessionUuid });
    for (const entry of this.acl.entries) {
      if (entry.startsWith('!') && entriesOverlap(access, GRANTEE, entry.slice(1), own, budget)) {
        return false;
      }
    }
    return true;
  }
}

/** One-off check; prefer keeping an {@link AclMatcher} per token when checking repeatedly. */
export function allows(
  acl: readonly string[],
  ctx: AclContext,
  required: string | undefined | null,
): boolean {
  return new AclMatcher(acl, ctx).allows(required);
}
