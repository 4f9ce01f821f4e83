/**
 * A map of bounded size for per-key counters: memory stays bounded whatever keys clients make up.
 */

/** Insertion-ordered map used as an LRU: touching a key moves it to the end, the front goes first. */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(
    private readonly capacity: number,
    private readonly idle: (value: V, now: number) => boolean,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V, now: number): void {
    this.map.delete(key);
    // Entries with nothing left to remember go first (they gather at the front); then, when still
    // full, the least recently touched one.
    for (const [oldest, state] of this.map) {
      if (this.map.size < this.capacity && !this.idle(state, now)) break;
      this.map.delete(oldest);
    }
    this.map.set(key, value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}
