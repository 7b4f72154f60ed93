import type { EpochRecord } from '../train/loop';
import { effectiveChanges } from '../util/dotted';

/** The issues the 5-phase workflow's diagnostics phase can name, by priority of checking. */
export const ISSUES = ['divergence', 'data_quality', 'overfitting', 'underfitting', 'convergence_stall', 'resource_inefficiency', 'near_optimal'] as const;
export type Issue = (typeof ISSUES)[number];

/** A recommendation: words for people and the config change the optimization phase applies. */
export interface Recommendation {
  rank: number;
  title: string;
  why: string;
  /** dotted config paths → new values, e.g. { 'model.params.dropout': 0.35 } */
  changes: Record<string, unknown>;
}

export interface DiagnosisInput {
  history: EpochRecord[];
  error?: string | null;
  metrics: Record<string, number | null>;
  config: { learningRate: number; dropout: number; units: number; layers: number; trainStride: number; epochs: number; batchSize?: number };
  positiveRate: number;
  maxPsi: number;
  /** samples/s the backend reached in the benchmark of the same model, if known */
  expectedSamplesPerSecond?: number;
  /** The config in effect: a recommendation is kept only for the changes that would alter it. */
  effective?: unknown;
  /**
   * The baseline trained on a GPU and failed its utilization check: the mean it measured, the
   * minimum it asked, and whether that was its only failing check (every model-quality check passed).
   */
  idleGpu?: { meanPercent: number; minPercent: number; onlyFailure: boolean };
}

export interface Diagnosis {
  primary: Issue;
  evidence: string[];
  /** Ranked changes that alter the effective config (at most 5). */
  recommendations: Recommendation[];
  /** What was considered and dropped because the config already does it. */
  alreadyInEffect: string[];
}

/**
 * From a baseline gate's check results: its GPU utilization check, if that failed (the mean it
 * measured, the minimum it asked), and whether it was the only check that failed.
 */
export function idleGpuOf(checks: ReadonlyArray<{ metric: string; threshold: unknown; value: unknown; pass: boolean }>): DiagnosisInput['idleGpu'] {
  const gpu = checks.find((c) => c.metric === 'gpu_utilization_mean' && !c.pass);
  if (!gpu || typeof gpu.value !== 'number' || typeof gpu.threshold !== 'number') return undefined;
  return { meanPercent: gpu.value, minPercent: gpu.threshold, onlyFailure: checks.every((c) => c === gpu || c.pass) };
}

/** The seed's rule: diagnostics name 3–5 actionable recommendations; with fewer, the run is near-optimal for what this phase can change. */
export const MIN_RECOMMENDATIONS = 3;

/**
 * Name the primary issue of a training run from its history and data checks, and give 3–5
 * ranked, concrete recommendations as config changes (the seed's diagnostics: overfitting,
 * underfitting, NaN / divergence, convergence stall, data quality, resource inefficiency).
 */
export function diagnose(d: DiagnosisInput): Diagnosis {
  const h = d.history;
  const c = d.config;
  const first = h[0];
  const last = h.at(-1);
  const best = h.reduce((a, b) => (b.valLoss < a.valLoss ? b : a), h[0] ?? ({ valLoss: Infinity } as EpochRecord));
  const evidence: string[] = [];
  let primary: Issue;
  const idle = d.idleGpu ? `the GPU was busy ${d.idleGpu.meanPercent} % of the baseline's training on average (nvidia-smi), where the baseline gate asks ≥ ${d.idleGpu.minPercent} %` : '';
  if (d.error && /diverged|NaN|Inf/i.test(d.error)) {
    primary = 'divergence';
    evidence.push(d.error);
  } else if (d.idleGpu?.onlyFailure) {
    // the model is good enough; the run is not using what it was given (the seed's "verify GPU utilization > 60 %")
    primary = 'resource_inefficiency';
    evidence.push(`${idle}; every model-quality check of the baseline passed`);
  } else if (Math.abs(d.positiveRate - 0.5) > 0.15 || d.maxPsi > 0.25) {
    primary = 'data_quality';
    evidence.push(`label=1 rate ${d.positiveRate.toFixed(3)}, largest train→validation PSI ${d.maxPsi.toFixed(3)}`);
  } else if (last && best && last.loss < best.loss - 0.005 && last.valLoss > best.valLoss + 0.002 && best.epoch < last.epoch) {
    primary = 'overfitting';
    evidence.push(`training loss fell ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)} while validation loss rose from its best ${best.valLoss.toFixed(4)} (epoch ${best.epoch}) to ${last.valLoss.toFixed(4)}`);
  } else if (last && first && first.loss - last.loss < 0.002) {
    primary = first.loss > 0.68 ? 'underfitting' : 'convergence_stall';
    evidence.push(`training loss barely moved: ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)} over ${h.length} epoch(s)`);
  } else if (d.expectedSamplesPerSecond && last && last.samplesPerSecond < 0.3 * d.expectedSamplesPerSecond) {
    primary = 'resource_inefficiency';
    evidence.push(`${Math.round(last.samplesPerSecond)} samples/s against ${Math.round(d.expectedSamplesPerSecond)} in the backend's own benchmark`);
  } else {
    primary = 'near_optimal';
    evidence.push('no clear pathology: validation loss tracked training loss');
  }
  if (d.idleGpu && primary !== 'resource_inefficiency') evidence.push(`also: ${idle}`);
  const drafts = recommend(primary, c, d.idleGpu !== undefined).map((r) => ({ ...r, changes: d.effective === undefined ? r.changes : effectiveChanges(d.effective, r.changes) }));
  const actionable = drafts.filter((r) => Object.keys(r.changes).length > 0);
  const alreadyInEffect = drafts.filter((r) => Object.keys(r.changes).length === 0).map((r) => r.title);
  if (alreadyInEffect.length) evidence.push(`already in effect, not recommended again: ${alreadyInEffect.join('; ')}`);
  return { primary, evidence, recommendations: actionable.slice(0, 5).map((r, i) => ({ ...r, rank: i + 1 })), alreadyInEffect };
}

type Draft = Omit<Recommendation, 'rank'>;

function recommend(issue: Issue, c: DiagnosisInput['config'], onGpu: boolean): Draft[] {
  const lr = c.learningRate;
  const lower = (f: number) => Number((lr * f).toPrecision(2));
  const dropoutUp = Math.min(0.5, Number((c.dropout + 0.15).toFixed(2)));
  const table: Record<Issue, Draft[]> = {
    divergence: [
      { title: `learning rate ${lr} → ${lower(0.3)}`, why: 'the loss went non-finite: smaller steps', changes: { 'train.learningRate': lower(0.3) } },
      { title: 'clip gradients at norm 0.5', why: 'bound each update', changes: { 'train.clipNorm': 0.5 } },
      { title: 'warm up over 2 epochs', why: 'large early gradients', changes: { 'train.warmupEpochs': 2 } },
    ],
    data_quality: [
      { title: 'balanced sampling', why: 'the classes are uneven in training', changes: { 'train.balanced': true } },
      { title: 'robust scaling', why: 'heavy tails and drift between periods', changes: { 'model.scaler': 'robust' } },
      { title: 'stationary features only', why: 'price-level features drift out of the training range', changes: { 'model.features': 'stationary' } },
      { title: c.trainStride > 1 ? `train on every window (stride ${c.trainStride} → 1)` : 'reduce the learning rate on plateau', why: c.trainStride > 1 ? 'more windows of each regime' : 'adapt to shifts between periods', changes: c.trainStride > 1 ? { 'model.trainStride': 1 } : { 'train.schedule': { kind: 'plateau' } } },
      { title: `dropout ${c.dropout} → ${dropoutUp}`, why: 'less reliance on features that drift', changes: { 'model.params.dropout': dropoutUp } },
    ],
    overfitting: [
      { title: `dropout ${c.dropout} → ${dropoutUp}`, why: 'validation loss rose while training loss fell', changes: { 'model.params.dropout': dropoutUp } },
      { title: `learning rate ${lr} → ${lower(0.3)}, cosine`, why: 'the best epoch came early', changes: { 'train.learningRate': lower(0.3), 'train.schedule': { kind: 'cosine' } } },
      { title: `units ${c.units} → ${Math.max(8, Math.round(c.units / 2))}`, why: 'less capacity to memorize', changes: { 'model.params.units': Math.max(8, Math.round(c.units / 2)) } },
      { title: c.trainStride > 1 ? `train on every window (stride ${c.trainStride} → 1)` : 'patience 3', why: 'more distinct training windows', changes: c.trainStride > 1 ? { 'model.trainStride': 1 } : { 'train.patience': 3 } },
    ],
    underfitting: [
      { title: `units ${c.units} → ${c.units * 2}`, why: 'the model cannot fit the training data', changes: { 'model.params.units': c.units * 2 } },
      { title: `learning rate ${lr} → ${lower(3)}`, why: 'the loss barely moved', changes: { 'train.learningRate': lower(3) } },
      { title: `layers ${c.layers} → ${c.layers + 1}`, why: 'more depth', changes: { 'model.params.layers': c.layers + 1 } },
      { title: `epochs ${c.epochs} → ${c.epochs * 2}`, why: 'more time to learn', changes: { 'train.epochs': c.epochs * 2 } },
    ],
    convergence_stall: [
      { title: `learning rate ${lr} → ${lower(3)} with cosine decay`, why: 'training loss plateaued', changes: { 'train.learningRate': lower(3), 'train.schedule': { kind: 'cosine' } } },
      { title: 'reduce the learning rate on plateau', why: 'adapt to the plateau', changes: { 'train.schedule': { kind: 'plateau' } } },
      { title: `dropout ${c.dropout} → 0.1`, why: 'let the signal through', changes: { 'model.params.dropout': 0.1 } },
    ],
    resource_inefficiency: onGpu ? gpuRecommendations(c) : [
      { title: 'batch size 512', why: 'fewer, larger steps use the backend better', changes: { 'train.batchSize': 512 } },
      { title: `train stride ${c.trainStride} → ${c.trainStride * 2}`, why: 'half the windows per epoch', changes: { 'model.trainStride': c.trainStride * 2 } },
      { title: 'a TCN instead of the LSTM', why: 'convolutions parallelize where recurrences do not', changes: { 'model.family': 'tcn', 'model.params': {} } },
    ],
    near_optimal: [
      { title: `learning rate ${lr} → ${lower(0.3)}, cosine`, why: 'fine-tune around the current optimum', changes: { 'train.learningRate': lower(0.3), 'train.schedule': { kind: 'cosine' } } },
      { title: `dropout ${c.dropout} → ${dropoutUp}`, why: 'a little more regularization', changes: { 'model.params.dropout': dropoutUp } },
      { title: c.trainStride > 1 ? 'train on every window' : 'a TCN for comparison', why: 'more data, or another inductive bias', changes: c.trainStride > 1 ? { 'model.trainStride': 1 } : { 'model.family': 'tcn', 'model.params': {} } },
    ],
  };
  return table[issue];
}

/**
 * A GPU that sat idle: a training step costs about the same dispatches at any batch size, so
 * more rows a step is more work a dispatch; a TCN convolves every step at once where a
 * recurrence walks them one by one; wider layers give each dispatch more to do.
 */
function gpuRecommendations(c: DiagnosisInput['config']): Draft[] {
  const batch = c.batchSize ?? 256;
  const lr = c.learningRate;
  return [
    { title: `batch size ${batch} → ${batch * 4}`, why: 'the GPU waited between small steps: 4× the rows a step in the same dispatches', changes: { 'train.batchSize': batch * 4 } },
    {
      title: `batch size ${batch} → ${batch * 8}, learning rate ${lr} → ${Number((lr * 2).toPrecision(2))}`,
      why: 'an eighth of the steps an epoch, each one larger (the learning rate raised as batches grow, cautiously: ×2 for ×8)',
      changes: { 'train.batchSize': batch * 8, 'train.learningRate': Number((lr * 2).toPrecision(2)) },
    },
    { title: 'a TCN instead of the LSTM', why: 'a convolution works on every step at once where a recurrence walks them one by one', changes: { 'model.family': 'tcn', 'model.params': {} } },
    { title: `units ${c.units} → ${c.units * 2}`, why: 'more work in each dispatch for the same number of dispatches', changes: { 'model.params.units': c.units * 2 } },
  ];
}
