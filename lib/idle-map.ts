// A map that forgets what was not used for a while, and past a count the least recently used
// (issue 26): per-agent state of a guest that reported once and went away must leave the
// collector's memory, not wait for enough other agents to push it out. Entries are kept in order
// of last use, so a sweep looks only at the oldest and costs what it forgets plus one; it runs at
// every get, set and touch (no timer: a collector that hears from nobody keeps what it has, and that
// does not grow). lru-cache does max + ttl too, but forgets stale entries only by a timer per
// entry (ttlAutopurge) or a purgeStale() that walks every entry, and preallocates to its max.

/** Forgetting after this long unheard (collector --forget-after's default). */
export const FORGET_AFTER_MS = 24 * 3_600_000;

export interface IdleMapOptions<K, V> {
  /** An entry not used for this long is forgotten (invisible at once, removed at the next get, set, touch or sweep()). */
  idleMs: number;
  /** At most this many entries; past it the least recently used goes. */
  max: number;
  /** Milliseconds on a clock that does not jump back (tests inject theirs). */
  now?: () => number;
  /** Told of each entry the map forgets by itself (idle or over max), not of delete(). */
  onForget?: (key: K, value: V) => void;
}

export class IdleMap<K, V> {
  private readonly entries = new Map<K, { value: V; used: number }>();
  private readonly now: () => number;
  /**
   * No entry goes idle before this time (the oldest use + idleMs; Infinity when none was seen):
   * a sweep before it would find nothing, so it is skipped. The collector uses these maps per
   * record (the tag budgets, the rate buckets), where the sweep's iterator was most of a get.
   */
  private sweepAt = Infinity;
  /**
   * The entry at the newest end and its key: a get of it again (a batch's records are one
   * agent's) only updates its use time, without the map's delete and set, each of which hashed
   * the fresh key string a record builds.
   */
  private lastKey: K | undefined;
  private lastEntry: { value: V; used: number } | undefined;

  constructor(private readonly opts: IdleMapOptions<K, V>) {
    // performance.now, not Date.now: a wall clock set back would make every entry look fresh.
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether the key is there and not idle past idleMs (not counted as a use). */
  has(key: K): boolean {
    return this.fresh(key) !== undefined;
  }

  /** The value, without counting this as a use (undefined when idle past idleMs). */
  peek(key: K): V | undefined {
    return this.fresh(key)?.value;
  }

  /** The value, counted as used now (undefined when idle past idleMs: then forgotten). */
  get(key: K): V | undefined {
    this.sweep();
    if (this.lastEntry && key === this.lastKey) {
      this.lastEntry.used = this.now(); // already at the newest end
      return this.lastEntry.value;
    }
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    e.used = this.now(); // the same entry moved to the newest end: no new object per use
    this.entries.set(key, e);
    this.lastKey = key;
    this.lastEntry = e;
    return e.value;
  }

  /** Counts the entry as used now (nothing when absent or idle past idleMs). */
  touch(key: K): void {
    this.get(key);
  }

  set(key: K, value: V): this {
    this.sweep();
    this.entries.delete(key);
    const used = this.now();
    const e = { value, used };
    this.entries.set(key, e);
    this.lastKey = key;
    this.lastEntry = e;
    if (this.sweepAt === Infinity) this.sweepAt = used + this.opts.idleMs;
    while (this.entries.size > this.opts.max) this.forgetOldest();
    return this;
  }

  delete(key: K): boolean {
    this.leaving(key);
    return this.entries.delete(key);
  }

  /** Removes the key and returns its value, idle or not (not told to onForget): for a caller that counts what it holds. */
  take(key: K): V | undefined {
    const e = this.entries.get(key);
    this.leaving(key);
    this.entries.delete(key);
    return e?.value;
  }

  /** The least recently used key, idle or not (the next to go past max); undefined when empty. */
  oldest(): K | undefined {
    return this.entries.keys().next().value;
  }

  /** Forgets every entry unused for idleMs; returns how many. */
  sweep(): number {
    const now = this.now();
    if (now < this.sweepAt) return 0;
    const cutoff = now - this.opts.idleMs;
    let n = 0;
    this.sweepAt = Infinity;
    for (const [key, e] of this.entries) {
      if (e.used > cutoff) {
        this.sweepAt = e.used + this.opts.idleMs; // in order of use: the rest are newer
        break;
      }
      this.leaving(key);
      this.entries.delete(key);
      this.opts.onForget?.(key, e.value);
      n++;
    }
    return n;
  }

  /** The key leaves the map: no longer the newest entry. */
  private leaving(key: K): void {
    if (key === this.lastKey) this.lastEntry = this.lastKey = undefined;
  }

  private fresh(key: K): { value: V; used: number } | undefined {
    const e = this.entries.get(key);
    return e && e.used > this.now() - this.opts.idleMs ? e : undefined;
  }

  private forgetOldest(): void {
    const [key, e] = this.entries.entries().next().value!;
    this.leaving(key);
    this.entries.delete(key);
    this.opts.onForget?.(key, e.value);
  }
}
