import { describe, expect, it } from 'vitest';
import { applyScaler, fitScaler } from '../../lib/tensors/scaler';
import { makeBatch, windowEnds } from '../../lib/tensors/windows';
import { balanced, classWeights } from '../../lib/tensors/sampling';
import { Random } from '../../lib/util/random';

describe('scaler', () => {
  it('fits on the training rows only (standard and robust) and handles constant features', () => {
    // 2 features; rows 0..3 are train; row 4 is an outlier outside train
    const m = Float32Array.from([1, 5, 2, 5, 3, 5, 4, 5, 1000, 5]);
    const s = fitScaler(m, 2, { start: 0, end: 4 });
    expect(s.center).toEqual([2.5, 5]);
    expect(s.scale[0]).toBeCloseTo(Math.sqrt(1.25));
    expect(s.scale[1]).toBe(1); // constant → 1, not 0
    const r = fitScaler(m, 2, { start: 0, end: 4 }, 'robust');
    expect(r.center[0]).toBe(2.5);
    expect(r.scale[0]).toBeCloseTo(1.5); // q75 3.25 − q25 1.75
    const scaled = applyScaler(s, Float32Array.from(m));
    expect(scaled[0]).toBeCloseTo((1 - 2.5) / Math.sqrt(1.25), 5);
    expect(scaled[3]).toBe(0);
  });
});

describe('windows', () => {
  const features = 2;
  const matrix = Float32Array.from({ length: 10 * features }, (_, i) => i);
  const source = { matrix, features, labels: Float32Array.from({ length: 10 }, (_, r) => r % 2), rows: 10 };

  it('ends stay inside the part and the batch copies rows e−T+1 … e with the label of e', () => {
    expect(Array.from(windowEnds({ start: 2, end: 8 }, 3))).toEqual([4, 5, 6, 7]);
    expect(Array.from(windowEnds({ start: 2, end: 8 }, 3, 2))).toEqual([4, 6]);
    expect(windowEnds({ start: 0, end: 2 }, 3).length).toBe(0);
    const b = makeBatch(source, [4, 7], 3);
    expect(Array.from(b.x)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(b.y)).toEqual([0, 1]);
  });

  it('class weights balance the classes; balanced sampling equalizes them', () => {
    const labels = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0]);
    const ends = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(classWeights(labels, ends)).toEqual([8 / 12, 8 / 4]);
    const drawn = balanced(labels, ends, new Random(1));
    expect(drawn.length).toBe(12);
    expect(Array.from(drawn).filter((e) => labels[e] === 1).length).toBe(6);
  });
});
