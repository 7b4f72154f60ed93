import { dirname, join } from 'node:path';
import type { GateRecord } from '../gates/record';
import { InputError } from '../util/errors';
import type pl from 'nodejs-polars';
import type { ColumnMapping } from '../data/columns';
import { loadDataset, frameSha256 } from '../data/dataset';
import { loadSplit } from '../split/splitFile';
import { prepareModelData } from '../train/experiment';
import type { PreparedData } from '../models/classifier';
import { ensureEmbeddedDataset } from '../data/embedded';
import { importFile } from '../data/import';
import { generateSynthetic } from '../data/synthetic';
import type { ExperimentConfig } from '../experiments/config';

export interface LoadedData {
  frame: pl.DataFrame;
  sha256: string;
  /** A name for messages: the file, or "synthetic". */
  source: string;
}

/**
 * What the phases of one pipeline run share: the config, where artifacts go, and data
 * loaded once. A phase that needs an earlier phase's output reads it from memory when that
 * phase ran in this process, else from its artifact (skipped gates leave them intact).
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
   * The model later phases build on: the best of the last optimization when it passed,
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
    if (this.loaded) return this.loaded;
    const source = this.config.data;
    if (source.source === 'embedded') {
      const embedded = ensureEmbeddedDataset(undefined, (done, total) => this.log(`  generating the embedded data: ${done}/${total} bars`));
      if (embedded.generated) this.log(`  regenerated ${embedded.path} from its seed (sha256 ${embedded.manifest.sha256.slice(0, 12)}… as committed)`);
      this.loaded = { frame: embedded.frame, sha256: embedded.manifest.sha256, source: embedded.path };
    } else {
      const frame = source.source === 'synthetic'
        ? generateSynthetic(source.generator)
        : importFile(source.path, { adjusted: source.adjusted, mapping: source.mapping as Partial<ColumnMapping> }).frame;
      this.loaded = { frame, sha256: frameSha256(frame), source: source.source === 'file' ? source.path : 'synthetic' };
    }
    return this.loaded;
  }

  /** The config's model windows (scaled on train, its stride and features) on the recorded split. */
  modelData(): PreparedData {
    const frame = this.featureFrame();
    this.prepared ??= prepareModelData(frame, loadSplit(this.artifact('split.json'), frameSha256(frame)), this.config);
    return this.prepared;
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
}

/** The model folder a gate's record points at (the folder of its model.json artifact), if any. */
export function modelDirOf(record: GateRecord): string | undefined {
  const model = record.artifacts.find((a) => a.path.endsWith('model.json'));
  return model ? dirname(model.path) : undefined;
}
