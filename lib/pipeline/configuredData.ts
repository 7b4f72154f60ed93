import type pl from 'nodejs-polars';
import type { ColumnMapping } from '../data/columns';
import { frameSha256 } from '../data/dataset';
import { ensureEmbeddedDataset } from '../data/embedded';
import { importFile } from '../data/import';
import { generateSynthetic } from '../data/synthetic';
import type { ExperimentConfig } from './config';

export interface LoadedData {
  frame: pl.DataFrame;
  sha256: string;
  /** A name for messages: the file, or "synthetic". */
  source: string;
}

/** The data a config names (embedded, synthetic or a file) and its content sha256: what the data gate validates and notebooks show. */
export function loadConfiguredData(config: Pick<ExperimentConfig, 'data'>, log: (line: string) => void = () => {}): LoadedData {
  const source = config.data;
  if (source.source === 'embedded') {
    const embedded = ensureEmbeddedDataset(undefined, (done, total) => log(`  generating the embedded data: ${done}/${total} bars`));
    if (embedded.generated) log(`  regenerated ${embedded.path} from its seed (sha256 ${embedded.manifest.sha256.slice(0, 12)}… as committed)`);
    return { frame: embedded.frame, sha256: embedded.manifest.sha256, source: embedded.path };
  }
  const frame = source.source === 'synthetic'
    ? generateSynthetic(source.generator)
    : importFile(source.path, { adjusted: source.adjusted, mapping: source.mapping as Partial<ColumnMapping> }).frame;
  return { frame, sha256: frameSha256(frame), source: source.source === 'file' ? source.path : 'synthetic' };
}
