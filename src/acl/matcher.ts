import { type AclContext, EntryCompiler, type EntryTest } from './compile.js';

/**
 * The compiled entries of one polarity, grouped by kind so that the cheapest tests run first and
 * literal entries cost one hash lookup however many there are.
 */
class EntryGroup {
  private readonly literals = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly regexes: RegExp[] = [];

  add(test: EntryTest): void {
    if (test.kind === 'literal') this.literals.add(test.value);
    else if (test.kind === 'prefix') this.prefixes.push(test.value);
    else this.regexes.push(test.regex);
  }

  matches(required: string): boolean {
    if (this.literals.has(required)) return true;
    for (const prefix of this.prefixes) if (required.startsWith(prefix)) return true;
    for (const regex of this.regexes) if (regex.test(required)) return true;
    return false;
  }
}

/**
 * A token's ACL, compiled once (at token load) and queried for every required access (acl.md §2).
 * Entry order is irrelevant: any matching negative entry denies.
 */
export class AclMatcher {
  private readonly positive = new EntryGroup();
  private readonly negative = new EntryGroup();

  constructor(acl: readonly string[], ctx: AclContext = {}) {
    const compiler = new EntryCompiler(ctx);
    for (const entry of acl) {
      const compiled = compiler.compile(entry);
      (compiled.negative ? this.negative : this.positive).add(compiled.test);
    }
  }

  /**
   * `required` is a plain string, never a pattern: wildcards, reserved words and a leading `!` in it are
   * matched literally. Absent means "no scope requested" and is granted; the empty string is a real value.
   */
  allows(required: string | undefined | null): boolean {
    if (required === undefined || required === null) return true;
    return !this.negative.matches(required) && this.positive.matches(required);
  }

  /** Escalation guard (acl.md §4): adding a restriction is free, adding a grant needs that grant. */
  mayAdd(access: string): boolean {
    return access.startsWith('!') || this.allows(access);
  }

  /**
   * Escalation guard (acl.md §4): removing `!x` widens permissions to `x`, so it needs `x`, which a
   * caller restricted by `!x` itself does not have.
   */
  mayRemove(access: string): boolean {
    return this.allows(access.startsWith('!') ? access.slice(1) : access);
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
