import type { Labels, Scores } from './metrics';

/** p' = σ(a · logit(p) + b) */
export interface PlattState {
  kind: 'platt';
  a: number;
  b: number;
}

export function logit(p: number): number {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Platt scaling: fit a and b by Newton's method on the log loss against Platt's smoothed
 * targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2), on logit(p) (Platt 1999; Lin, Lin & Weng 2007).
 */
export function fitPlatt(y: Labels, p: Scores): PlattState {
  const n = y.length;
  if (n === 0) throw new Error('platt: no samples to fit');
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i];
  const hiTarget = (positives + 1) / (positives + 2);
  const loTarget = 1 / (n - positives + 2);
  const s = Array.from(p, logit);
  const t = Array.from(y, (v) => (v === 1 ? hiTarget : loTarget));
  // Newton steps with backtracking line search (Lin, Lin & Weng 2007): never increases the loss
  const objective = (a: number, b: number) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = a * s[i] + b;
      // t·log σ(z) + (1 − t)·log(1 − σ(z)), computed stably
      f += z >= 0 ? -(1 - t[i]) * z - Math.log1p(Math.exp(-z)) : t[i] * z - Math.log1p(Math.exp(z));
    }
    return -f;
  };
  let a = 1;
  let b = 0;
  let f = objective(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const q = sigmoid(a * s[i] + b);
      const d = q - t[i];
      const w = q * (1 - q);
      ga += d * s[i];
      gb += d;
      haa += w * s[i] * s[i];
      hab += w * s[i];
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    while (step > 1e-10 && objective(a - step * da, b - step * db) > f + 1e-4 * step * (ga * -da + gb * -db)) step /= 2;
    if (step <= 1e-10) break;
    a -= step * da;
    b -= step * db;
    const next = objective(a, b);
    const done = Math.abs(f - next) < 1e-12 * Math.max(1, Math.abs(f));
    f = next;
    if (done) break;
  }
  return { kind: 'platt', a, b };
}

export function applyPlatt(state: PlattState, p: Scores): Float64Array {
  return Float64Array.from(p, (v) => sigmoid(state.a * logit(v) + state.b));
}
