import { describe, expect, it } from 'vitest';
import { bootstrapCI } from '../../lib/eval/bootstrap';
import { accuracy } from '../../lib/eval/metrics';
import { Random } from '../../lib/util/random';

describe('moving-block bootstrap', () => {
  it('widens the interval when errors come in runs, as overlapping windows make them', () => {
    // 2000 predictions right or wrong in runs of 50 (independent runs): 40 effective samples
    const r = new Random(1);
    const y: number[] = [];
    const p: number[] = [];
    for (let run = 0; run < 40; run++) {
      const right = r.uniform() < 0.5;
      for (let k = 0; k < 50; k++) {
        y.push(1);
        p.push(right ? 0.9 : 0.1);
      }
    }
    const iid = bootstrapCI(accuracy, y, p, { seed: 2, samples: 400 });
    const blocked = bootstrapCI(accuracy, y, p, { seed: 2, samples: 400, block: 50 });
    expect(blocked.value).toBe(iid.value);
    // the standard error of a mean of 40 independent coin flips is 0.079: the 95 % width ≈ 0.31; i.i.d. resampling sees 2000
    expect(blocked.hi - blocked.lo).toBeGreaterThan(0.2);
    expect(iid.hi - iid.lo).toBeLessThan(0.06);
  });

  it('with block 1 is the plain bootstrap (same draws, same interval)', () => {
    const y = Array.from({ length: 300 }, (_, i) => i % 2);
    const p = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 0.8 : 0.2));
    expect(bootstrapCI(accuracy, y, p, { seed: 5, samples: 200, block: 1 })).toEqual(bootstrapCI(accuracy, y, p, { seed: 5, samples: 200 }));
  });
});
