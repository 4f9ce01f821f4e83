import {
  type AclContext,
  EITHER,
  entryParts,
  HASH,
  ME,
  MY_SESSION,
  type PatternPart,
  STAR,
  TEXT,
} from './compile.js';

/*
 * Whether two granted entries can match a common required access (issue #18 item 5).
 *
 * The escalation guard of acl.md §4 tests an entry to add as a literal required access, so a caller
 * holding `auth.#` and `!auth.tenants.#` passes it `auth.#` (the literal string `auth.#` is not a
 * tenants access) and hands out, through a policy, the very tenants rights it is denied. Refusing every
 * entry that overlaps one of the caller's negative entries closes that: the question is whether the
 * languages of two patterns intersect, answered by walking the product of their automata.
 *
 * Each entry becomes a small non-deterministic automaton over characters, whose transitions carry one of
 * three labels: one character, "any character but `.` and `#`" (`*`), or "any character" (`#`). The
 * product is explored breadth-first from the two start states; the entries overlap iff both accept
 * together. Visited pairs are at most |a| × |b| (entries are at most 1024 characters, limits.ts), and a
 * work budget shared by one guard decision bounds what a crafted ACL can cost: exhausted, the answer is
 * "overlaps", a refusal, which is the safe side.
 */

/** Transition label: a character code (≥ 0), or one of these classes. */
const NOT_DOT_NOR_HASH = -1;
const ANY = -2;
const DOT = 46;
const HASH_CHAR = 35;

/** A state of a non-deterministic automaton: its labelled transitions and its ε-transitions. */
class State {
  readonly labels: number[] = [];
  readonly targets: State[] = [];
  readonly epsilons: State[] = [];

  constructor(readonly id: number) {}
}

/** How the reserved segments `me` / `my_session` are read on one side of the comparison. */
export interface SlotReading {
  /** The token's value of the slot, or `wildcard`: any segment (an entry granted to someone unknown). */
  readonly me: string | null | undefined | typeof WILDCARD;
  readonly mySession: string | null | undefined | typeof WILDCARD;
}

/** A slot whose value is unknown: it may become any segment. */
export const WILDCARD = Symbol('any segment');

/** The reading of an entry granted to others: `me` and `my_session` become whoever holds it. */
export const GRANTEE: SlotReading = { me: WILDCARD, mySession: WILDCARD };

/** The reading of the caller's own entries: its own `auth_id` and session. */
export function holderReading(ctx: AclContext): SlotReading {
  return { me: ctx.authId, mySession: ctx.sessionUuid };
}

class Automaton {
  readonly states: State[] = [];
  readonly start = this.state();

  state(): State {
    const state = new State(this.states.length);
    this.states.push(state);
    return state;
  }

  /** A literal run from `from`; returns its last state. */
  text(from: State, text: string): State {
    let at = from;
    for (let i = 0; i < text.length; i++) {
      const next = this.state();
      at.labels.push(text.charCodeAt(i));
      at.targets.push(next);
      at = next;
    }
    return at;
  }

  /** A possibly empty run of `label` characters from `from`; returns the state after it. */
  loop(from: State, label: number): State {
    const inside = this.state();
    const after = this.state();
    from.epsilons.push(inside);
    inside.labels.push(label);
    inside.targets.push(inside);
    inside.epsilons.push(after);
    return after;
  }

  /** One of several alternatives from `from` to a common state, returned. */
  either(from: State, alternatives: readonly (string | typeof WILDCARD)[]): State {
    const end = this.state();
    for (const alternative of alternatives) {
      const last =
        alternative === WILDCARD ? this.loop(from, NOT_DOT_NOR_HASH) : this.text(from, alternative);
      last.epsilons.push(end);
    }
    return end;
  }
}

/** The word itself, or the slot's value when there is one (an empty value leaves only the word, as the matcher does). */
function slotAlternatives(word: string, value: SlotReading['me']): (string | typeof WILDCARD)[] {
  return value ? [word, value] : [word];
}

function automaton(body: string, reading: SlotReading): { automaton: Automaton; accept: State } {
  const builder = new Automaton();
  let at = builder.start;
  for (const part of entryParts(body.split('.')) as readonly PatternPart[]) {
    if (part.kind === TEXT) at = builder.text(at, part.text);
    else if (part.kind === STAR) at = builder.loop(at, NOT_DOT_NOR_HASH);
    else if (part.kind === HASH) at = builder.loop(at, ANY);
    else if (part.kind === EITHER) at = builder.either(at, [part.text, part.alternative]);
    else if (part.kind === ME) at = builder.either(at, slotAlternatives(part.text, reading.me));
    else if (part.kind === MY_SESSION)
      at = builder.either(at, slotAlternatives(part.text, reading.mySession));
  }
  return { automaton: builder, accept: at };
}

/** Whether some character carries both labels. */
function compatible(a: number, b: number): boolean {
  if (a >= 0 && b >= 0) return a === b;
  if (a === ANY || b === ANY) return true;
  if (a >= 0) return a !== DOT && a !== HASH_CHAR;
  if (b >= 0) return b !== DOT && b !== HASH_CHAR;
  return true;
}

/** Work allowance for one guard decision, in visited state pairs. */
export class Budget {
  constructor(public remaining: number) {}
}

/** Enough for hundreds of entries of the maximum size; real ACLs use a tiny fraction of it. */
export const OVERLAP_BUDGET = 1_000_000;

/**
 * Whether an access matched by `a` (read as `readingA`) can also be matched by `b` (read as
 * `readingB`). Both are entry bodies, without `!`. Spends `budget`; once it is spent, answers true.
 */
export function entriesOverlap(
  a: string,
  readingA: SlotReading,
  b: string,
  readingB: SlotReading,
  budget: Budget,
): boolean {
  if (!prefixesAgree(a, b)) return false;
  const left = automaton(a, readingA);
  const right = automaton(b, readingB);
  const statesA = left.automaton.states;
  const statesB = right.automaton.states;
  const width = statesB.length;
  // Entries are bounded (limits.ts), so the pairs fit a flat bit per pair: at most a few megabytes.
  const seen = new Uint8Array(statesA.length * width);
  const queue: number[] = [];
  const visit = (i: number, j: number) => {
    const key = i * width + j;
    if (seen[key] === 1) return;
    seen[key] = 1;
    queue.push(i, j);
  };
  visit(left.automaton.start.id, right.automaton.start.id);
  for (let head = 0; head < queue.length; head += 2) {
    if (--budget.remaining < 0) return true;
    const i = statesA[queue[head] as number] as State;
    const j = statesB[queue[head + 1] as number] as State;
    if (i === left.accept && j === right.accept) return true;
    for (const next of i.epsilons) visit(next.id, j.id);
    for (const next of j.epsilons) visit(i.id, next.id);
    for (let x = 0; x < i.labels.length; x++) {
      for (let y = 0; y < j.labels.length; y++) {
        if (compatible(i.labels[x] as number, j.labels[y] as number)) {
          visit((i.targets[x] as State).id, (j.targets[y] as State).id);
        }
      }
    }
  }
  return false;
}

/** The literal text before an entry's first wildcard or reserved segment. */
function literalHead(body: string): string {
  const [first] = entryParts(body.split('.')) as readonly PatternPart[];
  return first?.kind === TEXT ? first.text : '';
}

/**
 * A cheap necessary condition: two entries whose literal heads differ before either ends (`auth.…` and
 * `confd.…`) match nothing in common. Most pairs stop here.
 */
function prefixesAgree(a: string, b: string): boolean {
  const headA = literalHead(a);
  const headB = literalHead(b);
  const common = Math.min(headA.length, headB.length);
  return headA.slice(0, common) === headB.slice(0, common);
}
