// IdleMap: entries unused for idleMs are forgotten, used ones are kept, and past max the least
// recently used goes; on an injected clock (no sleeps).
import { describe, expect, it } from 'vitest';
import { IdleMap } from './idle-map.js';

function clocked(idleMs = 1000, max = 10) {
  let t = 0;
  const forgotten: string[] = [];
  const map = new IdleMap<string, number>({ idleMs, max, now: () => t, onForget: (k) => forgotten.push(k) });
  return { map, forgotten, advance: (ms: number) => (t += ms) };
}

describe('IdleMap', () => {
  it('an entry unused past idleMs is forgotten; one used meanwhile is kept', () => {
    const { map, forgotten, advance } = clocked();
    map.set('gone', 1).set('active', 2);
    advance(600);
    expect(map.get('active')).toBe(2); // used at 600
    advance(400); // gone idle 1000 ms: forgotten; active idle 400 ms
    expect(map.has('gone')).toBe(false);
    expect(map.peek('gone')).toBeUndefined();
    expect(map.has('active')).toBe(true);
    expect(map.sweep()).toBe(1);
    expect(forgotten).toEqual(['gone']);
    expect(map.size).toBe(1);
    advance(599);
    map.touch('active');
    advance(999);
    expect(map.get('active')).toBe(2);
    expect(map.size).toBe(1);
  });

  // The newest entry got again takes a short path (no delete and set): it must leave as any other.
  it('the newest entry, got again and again, still counts as used, and is gone once deleted, taken, pushed out or idle', () => {
    const { map, forgotten, advance } = clocked(1000, 2);
    map.set('a', 1);
    for (let i = 0; i < 3; i++) {
      advance(900);
      expect(map.get('a')).toBe(1); // used: never idle 1000 ms
    }
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
    map.set('b', 2);
    expect(map.take('b')).toBe(2);
    expect(map.get('b')).toBeUndefined();
    map.set('c', 3).set('d', 4);
    expect(map.get('c')).toBe(3);
    map.set('e', 5); // over max 2: d, the least recently used, goes
    expect(map.get('e')).toBe(5);
    expect(map.get('d')).toBeUndefined();
    map.set('f', 6); // c goes
    expect(map.get('c')).toBeUndefined();
    expect(forgotten).toEqual(['d', 'c']);
    expect(map.get('f')).toBe(6);
    advance(1000); // e and f idle
    expect(map.get('f')).toBeUndefined();
    expect(map.size).toBe(0);
    // max 0: the entry just set is the one pushed out.
    const none = new IdleMap<string, number>({ idleMs: 1000, max: 0, now: () => 0 });
    none.set('x', 1);
    expect(none.get('x')).toBeUndefined();
  });

  it('peek and has do not count as use; get, touch and set do', () => {
    const { map, advance } = clocked();
    map.set('a', 1);
    advance(900);
    map.peek('a');
    map.has('a');
    advance(100);
    expect(map.get('a')).toBeUndefined(); // idle 1000 ms despite the peeks
    map.set('b', 1);
    advance(900);
    map.set('b', 2);
    advance(900);
    expect(map.get('b')).toBe(2);
  });

  it('a stale entry is forgotten, not revived, by get, touch or set; set after it starts afresh and onForget sees the old value', () => {
    let t = 0;
    const seen: Array<[string, number]> = [];
    const map = new IdleMap<string, number>({ idleMs: 10, max: 5, now: () => t, onForget: (k, v) => seen.push([k, v]) });
    map.set('x', 1);
    t = 10;
    map.touch('x');
    expect(map.size).toBe(0);
    map.set('x', 2);
    t = 20;
    map.set('x', 3);
    expect(seen).toEqual([
      ['x', 1],
      ['x', 2],
    ]);
    expect(map.peek('x')).toBe(3);
  });

  it('past max the least recently used goes first', () => {
    const { map, forgotten } = clocked(1e9, 3);
    map.set('a', 1).set('b', 2).set('c', 3);
    map.get('a');
    map.set('d', 4);
    expect(forgotten).toEqual(['b']);
    expect([...['a', 'b', 'c', 'd'].filter((k) => map.has(k))]).toEqual(['a', 'c', 'd']);
    map.delete('a');
    expect(map.size).toBe(2);
    expect(forgotten).toEqual(['b']); // delete() is the caller's own: not reported
  });

  it('oldest() is the next to go past max; take() returns an idle entry too, without reporting it', () => {
    const { map, forgotten, advance } = clocked(1000, 10);
    expect(map.oldest()).toBeUndefined();
    map.set('a', 1).set('b', 2);
    map.get('a');
    expect(map.oldest()).toBe('b');
    advance(1000); // both idle
    expect(map.peek('b')).toBeUndefined();
    expect(map.take('b')).toBe(2);
    expect(map.take('b')).toBeUndefined();
    expect(map.size).toBe(1);
    expect(forgotten).toEqual([]);
  });
});
