import { join } from 'node:path';
import type pl from 'nodejs-polars';
import { frameSha256, loadDataset } from '../data/dataset';
import { PlausibilityCeilings } from '../eval/honesty';
import { modelDirOf } from '../gates/queries';
import type { GateRecord } from '../gates/record';
import { loadSplit, type SplitFile } from '../split/splitFile';
import type { PreparedData } from '../tensors/prepare';
import { InputError } from '../util/errors';
import type { ExperimentConfig } from './config';
import { loadConfiguredData, type LoadedData } from './configuredData';
import { prepareModelData } from './modelRun';

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
  ) {}

  /**
   * The model later gates build on: the best of the last optimization when it passed,
   * else the baseline's (the folder of its model.json artifact).
   */
  currentModelDir(): string {
    for (const gate of ['optimization', 'baseline']) {
      const record = this.latest.get(gate);
      const usable = record && record.status !== 'error' && (gate === 'baseline' || record.status === 'pass');
      const dir = usable ? modelDirOf(record) : undefined;
      if (dir) return dir;
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

  /** The split the split gate recorded, checked against this run's feature frame. */
  split(): SplitFile {
    return loadSplit(this.artifact('split.json'), frameSha256(this.featureFrame()));
  }

  /** The model folder of a gate's latest usable record (the gate must have run). */
  modelDirOfGate(gate: string): string {
    const record = this.latest.get(gate);
    const dir = record && record.status !== 'error' ? modelDirOf(record) : undefined;
    if (!dir) throw new InputError(`no model recorded by gate ${gate}: run it first (\`gatebook pipeline --workflow gated --from ${gate}\`)`);
    return dir;
  }

  setFeatures(frame: pl.DataFrame): void {
    this.prepared = undefined;
    this.features = frame;
  }

  /** The feature frame of this run, or of the features gate's artifact. */
  featureFrame(): pl.DataFrame {
    this.features ??= loadDataset(this.artifact('features.parquet')).frame;
    return this.features;
  }

  /** The plausibility ceilings every model is held to (`gates.finalization.plausible_*`). */
  plausibility(): PlausibilityCeilings {
    return PlausibilityCeilings.parse(this.config.gates.finalization ?? {});
  }
}
