import type { TrainOptions } from './options';

/** Tracks validation losses for reduce-on-plateau. */
export class PlateauTracker {
  private best = Infinity;
  private waited = 0;
  factor = 1;

  getState(): { best: number; waited: number; factor: number } {
    return { best: this.best, waited: this.waited, factor: this.factor };
  }

  setState(state: { best: number; waited: number; factor: number }): void {
    this.best = state.best ?? Infinity;
    this.waited = state.waited;
    this.factor = state.factor;
  }

  update(valLoss: number, patience: number, factor: number): void {
    if (valLoss < this.best - 1e-6) {
      this.best = valLoss;
      this.waited = 0;
    } else if (++this.waited >= patience) {
      this.factor *= factor;
      this.waited = 0;
    }
  }
}

/** The learning rate for `epoch` (0-based): warm-up, then the schedule. */
export function learningRateAt(epoch: number, o: TrainOptions, plateau: PlateauTracker): number {
  const base = o.learningRate;
  if (epoch < o.warmupEpochs) return base * (0.1 + (0.9 * epoch) / o.warmupEpochs);
  const e = epoch - o.warmupEpochs;
  const s = o.schedule;
  switch (s.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * s.factor ** Math.floor(e / s.everyEpochs);
    case 'cosine': {
      const span = Math.max(1, o.epochs - o.warmupEpochs - 1);
      return s.minLearningRate + 0.5 * (base - s.minLearningRate) * (1 + Math.cos((Math.PI * Math.min(e, span)) / span));
    }
    case 'plateau':
      return Math.max(s.minLearningRate, base * plateau.factor);
  }
}
