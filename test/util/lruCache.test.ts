import { describe, expect, it } from 'vitest';
import { LruCache } from '../../lib/util/lruCache';

describe('LruCache', () => {
  it('keeps `limit` entries: a hit is the most recently used, the least recently used leaves first and is told', () => {
    const left: string[] = [];
    const cache = new LruCache<string, string>(2, (v) => left.push(v));
    let made = 0;
    const get = (k: string) => cache.getOrMake(k, () => `${k}${++made}`);
    expect(get('a')).toEqual({ value: 'a1', hit: false });
    expect(get('b')).toEqual({ value: 'b2', hit: false });
    expect(get('a')).toEqual({ value: 'a1', hit: true }); // b is the oldest now
    expect(get('c')).toEqual({ value: 'c3', hit: false });
    expect(left).toEqual(['b2']);
    expect(cache.size).toBe(2);
    expect(get('a')).toEqual({ value: 'a1', hit: true });
    expect(get('b')).toEqual({ value: 'b4', hit: false }); // made again
    expect(left).toEqual(['b2', 'c3']);
  });
});
