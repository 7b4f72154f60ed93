import { logLoss, type Labels, type Scores } from './metrics';
import { logit } from './platt';

/** p' = σ(logit(p) / T) */
export interface TemperatureState {
  kind: 'temperature';
  temperature: number;
}

/** Temperature scaling: the T > 0 that minimizes the log loss, by golden-section search on log T. */
export function fitTemperature(y: Labels, p: Scores): TemperatureState {
  if (y.length === 0) throw new Error('temperature: no samples to fit');
  const z = Array.from(p, logit);
  const loss = (logT: number) => logLoss(y, z.map((v) => 1 / (1 + Math.exp(-v / Math.exp(logT)))));
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = hi - phi * (hi - lo);
  let d = lo + phi * (hi - lo);
  let fc = loss(c);
  let fd = loss(d);
  for (let i = 0; i < 80; i++) {
    if (fc < fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - phi * (hi - lo);
      fc = loss(c);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + phi * (hi - lo);
      fd = loss(d);
    }
  }
  return { kind: 'temperature', temperature: Math.exp((lo + hi) / 2) };
}

export function applyTemperature(state: TemperatureState, p: Scores): Float64Array {
  return Float64Array.from(p, (v) => 1 / (1 + Math.exp(-logit(v) / state.temperature)));
}
