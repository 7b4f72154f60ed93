/**
 * A map kept to `limit` entries, the least recently used leaving first (a Map's insertion
 * order: a hit moves its entry to the end). `left` is told of each value that leaves.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly limit: number, private readonly left: (value: V) => void = () => undefined) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value kept under `key` (now the most recently used), or undefined. */
  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key)!;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** The value kept under `key` (now the most recently used), or `make()`'s, kept under it; `hit` says which. */
  getOrMake(key: K, make: () => V): { value: V; hit: boolean } {
    const found = this.get(key);
    if (found !== undefined || this.entries.has(key)) return { value: found as V, hit: true };
    const value = make();
    if (this.entries.size >= this.limit) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.left(oldest);
    }
    this.entries.set(key, value);
    return { value, hit: false };
  }
}
