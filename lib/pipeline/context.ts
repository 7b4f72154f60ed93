import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pl from 'nodejs-polars';
import { frameSha256, loadDataset } from '../data/dataset';
import { PlausibilityCeilings } from '../eval/honesty';
import { modelDirOf } from '../gates/queries';
import type { GateRecord } from '../gates/record';
import { loadSplit, type SplitFile } from '../split/splitFile';
import type { PreparedData } from '../tensors/prepare';
import { CheckFailedError, InputError } from '../util/errors';
import { sha256FileSync } from '../util/hash';
import type { ExperimentConfig } from './config';
import { loadConfiguredData, type LoadedData } from './configuredData';
import { combineCallbacks, type TrainCallbacks } from '../train/loop';
import { epochLog, prepareModelData } from './modelRun';

/** A gate's way to the ledger before it ends: every record so far, and an append of an event record (a test read). */
export interface LedgerAccess {
  path: string;
  records(): GateRecord[];
  appendEvent(event: { gate: string; metrics: Record<string, number>; inputs: string; note: string }): Promise<GateRecord>;
}

/**
 * What the gates of one pipeline run share: the config, where artifacts go, and data
 * loaded once. A gate that needs an earlier gate's output reads it from memory when that
 * gate ran in this process, else from its artifact (skipped gates leave them intact).
 */
export class RunContext {
  private loaded: LoadedData | undefined;
  private features: pl.DataFrame | undefined;
  private prepared: PreparedData | undefined;

  constructor(
    readonly config: ExperimentConfig,
    readonly artifactsDir: string,
    readonly log: (line: string) => void,
    /** The pipeline run's id (model folders are named by it). */
    readonly run = 'adhoc',
    /** The latest record of each gate on the intact chain, updated as gates run. */
    readonly latest: Map<string, GateRecord> = new Map(),
    /** The ledger, for records a gate makes before it ends (the test read). */
    readonly ledger: LedgerAccess | null = null,
    /** Who else watches training (a notebook's widget or live output), per model trained. */
    readonly trainingProgress?: (label: string) => TrainCallbacks | undefined,
  ) {}

  /** The callbacks a gate trains with: one log line per epoch, and whatever else watches (a notebook's progress widget). */
  trainingCallbacks(label: string): TrainCallbacks {
    return combineCallbacks(epochLog(this.log), this.trainingProgress?.(label));
  }

  /**
   * The file a gate recorded, checked against the sha256 in that gate's latest record:
   * a gate never consumes an artifact that changed after the gate that wrote it (a
   * hand-edited split.json, a swapped model) — it refuses, naming the file.
   */
  recordedArtifact(gate: string, suffix: string): string {
    const record = this.latest.get(gate);
    const artifact = record && record.status !== 'error' ? record.artifacts.find((a) => a.path.endsWith(suffix)) : undefined;
    if (!artifact) throw new InputError(`no record of gate ${gate} names a file ${suffix}: run gate ${gate} first`);
    if (!existsSync(artifact.path)) throw new CheckFailedError(`${artifact.path} is missing, though gate ${gate} recorded it (record ${record!.hash.slice(0, 10)}…): run \`gatebook pipeline --from ${gate} --force\``);
    if (sha256FileSync(artifact.path) !== artifact.sha256) {
      throw new CheckFailedError(`${artifact.path} differs from the sha256 gate ${gate} recorded (record ${record!.hash.slice(0, 10)}…): it changed after the gate wrote it, and is not used. Rerun \`gatebook pipeline --from ${gate} --force\` to make it again`);
    }
    return artifact.path;
  }

  /**
   * The model later gates build on: the best of the last optimization when it passed,
   * else the baseline's (the folder of its model.json artifact).
   */
  currentModelDir(): string {
    for (const gate of ['optimization', 'baseline']) {
      const record = this.latest.get(gate);
      const usable = record && record.status !== 'error' && (gate === 'baseline' || record.status === 'pass');
      const dir = usable ? modelDirOf(record) : undefined;
      if (dir) return this.recordedModel(gate);
    }
    throw new InputError('no trained model recorded yet: run the baseline gate first (`gatebook pipeline --to baseline`)');
  }

  artifact(name: string): string {
    return join(this.artifactsDir, name);
  }

  /** The configured dataset (embedded, synthetic or a file) and its content sha256. */
  data(): LoadedData {
    this.loaded ??= loadConfiguredData(this.config, this.log);
    return this.loaded;
  }

  /** The config's model windows (scaled on train, its stride and features) on the recorded split. */
  modelData(): PreparedData {
    this.prepared ??= prepareModelData(this.featureFrame(), this.split(), this.config);
    return this.prepared;
  }

  /** The split the split gate recorded (its file checked against the record), on this run's feature frame. */
  split(): SplitFile {
    return loadSplit(this.recordedArtifact('split', 'split.json'), frameSha256(this.featureFrame()));
  }

  /** The model folder of a gate's latest usable record, its files checked against the record (the gate must have run). */
  modelDirOfGate(gate: string): string {
    const record = this.latest.get(gate);
    const dir = record && record.status !== 'error' ? modelDirOf(record) : undefined;
    if (!dir) throw new InputError(`no model recorded by gate ${gate}: run it first (\`gatebook pipeline --workflow gated --from ${gate}\`)`);
    return this.recordedModel(gate);
  }

  private recordedModel(gate: string): string {
    const files = this.latest.get(gate)!.artifacts.filter((a) => /\/(model\.json|weights\.bin)$/.test(a.path));
    for (const f of files) this.recordedArtifact(gate, f.path.slice(f.path.lastIndexOf('/')));
    return dirname(files[0].path);
  }

  setFeatures(frame: pl.DataFrame): void {
    this.prepared = undefined;
    this.features = frame;
  }

  /** The feature frame of this run, or of the features gate's artifact (checked against its record). */
  featureFrame(): pl.DataFrame {
    this.features ??= loadDataset(this.recordedArtifact('features', 'features.parquet')).frame;
    return this.features;
  }

  /** The plausibility ceilings every model is held to (`gates.finalization.plausible_*`). */
  plausibility(): PlausibilityCeilings {
    return PlausibilityCeilings.parse(this.config.gates.finalization ?? {});
  }
}
