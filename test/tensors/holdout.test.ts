import { describe, expect, it } from 'vitest';
import { trainTailHoldout } from '../../lib/tensors/holdout';
import { toyData } from '../helpers/toy';

describe('early stopping on a purged tail of the training windows', () => {
  it('holds out the latest windows, purges the ones that overlap them, and leaves validation out of it', () => {
    const data = toyData(1000, 2, 10); // train ends 9 … 699
    const held = trainTailHoldout(data, 0.2, 25);
    const first = held.val[0];
    expect(held.val.length).toBe(Math.ceil(data.train.length * 0.2));
    expect(Math.max(...held.train)).toBeLessThanOrEqual(first - 25);
    expect(held.train.length + held.val.length).toBe(data.train.length - 24); // 24 purged windows
    expect([...held.val].every((e) => e < data.val[0])).toBe(true); // never a validation window
  });

  it('keeps appended (augmented) windows in training, never in the tail', () => {
    const data = toyData(1000, 2, 10);
    const extra = Int32Array.from([1009, 1019]);
    const withExtra = { ...data, train: Int32Array.from([...data.train, ...extra]) };
    const held = trainTailHoldout(withExtra, 0.2, 25, 1000);
    expect([...held.train]).toEqual(expect.arrayContaining([1009, 1019]));
    expect([...held.val].every((e) => e < 1000)).toBe(true);
  });
});
