/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32). Deterministic
 * across machines: only integer arithmetic and V8's fdlibm-based Math.log/cos/sqrt.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The generator's whole state (to continue the same sequence after a restart). */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spare ?? Number.NaN];
  }

  setState(state: number[]): this {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0);
    this.spare = Number.isNaN(state[4]) || state[4] === null ? null : state[4];
    return this;
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0;
    return result;
  }

  /** Uniform in (0, 1): never exactly 0, so log() is always finite. */
  uniform(): number {
    return (this.uint32() + 0.5) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, the spare value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Student-t with `dof` degrees of freedom (integer dof), scaled to unit variance. */
  studentT(dof: number): number {
    let chi2 = 0;
    for (let i = 0; i < dof; i++) {
      const z = this.normal();
      chi2 += z * z;
    }
    return (this.normal() / Math.sqrt(chi2 / dof)) * Math.sqrt((dof - 2) / dof);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Uniform draws in [0, 1) by position: the i-th is MurmurHash3 (x86, 32-bit) of the counter i
 * under the seed, as a 24-bit float32-exact value. Any stretch [from, from + count) of a seed's
 * stream is drawn on its own, equal to the same positions of the whole, and streams of
 * different seeds are not shifts of one another (the seed enters the hash non-linearly).
 * Dropout draws its masks with it: a data-parallel replica draws only its rows of the whole
 * batch's mask. ~2–3 ns a value, where tf.randomUniform (seedrandom's alea) takes ~20 (on wasm,
 * `ops/dropout.ts` draws the same values in WebAssembly straight into the tensor's memory).
 */
export function uniformDraws(seed: number, from: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let k = Math.imul(from + n, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    let h = seed ^ k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
    h ^= 4; // the key's length in bytes
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    out[n] = (h >>> 8) / 16777216;
  }
  return out;
}
