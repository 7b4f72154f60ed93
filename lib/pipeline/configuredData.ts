import pl from 'nodejs-polars';
import type { ColumnMapping } from '../data/columns';
import { frameSha256 } from '../data/dataset';
import { symbolsOf } from '../data/ohlcv';
import { ensureEmbeddedDataset } from '../data/embedded';
import { importFile } from '../data/import';
import { generateSynthetic } from '../data/synthetic';
import { generateSyntheticSymbols } from '../data/syntheticSymbols';
import { InputError } from '../util/errors';
import type { ExperimentConfig } from './config';

export interface LoadedData {
  frame: pl.DataFrame;
  sha256: string;
  /** A name for messages: the file, or "synthetic". */
  source: string;
}

/** The data a config names (embedded, generated, a file or one per symbol; only `symbol` of it when set) and its content sha256: what the data gate validates and notebooks show. */
export function loadConfiguredData(config: Pick<ExperimentConfig, 'data' | 'symbol'>, log: (line: string) => void = () => {}): LoadedData {
  const loaded = loadSource(config.data, log);
  if (config.symbol === undefined) return loaded;
  const symbols = symbolsOf(loaded.frame);
  if (!symbols.includes(config.symbol)) throw new InputError(`symbol: ${config.symbol} is not in the data (${loaded.source} holds ${symbols.join(', ')})`);
  return withSha(loaded.frame.filter(pl.col('symbol').eq(pl.lit(config.symbol))), `${loaded.source} [${config.symbol}]`);
}

function loadSource(source: ExperimentConfig['data'], log: (line: string) => void): LoadedData {
  switch (source.source) {
    case 'embedded': {
      const embedded = ensureEmbeddedDataset(undefined, (done, total) => log(`  generating the embedded data: ${done}/${total} bars`), source.variant);
      if (embedded.generated) log(`  regenerated ${embedded.path} from its seed (sha256 ${embedded.manifest.sha256.slice(0, 12)}… as committed)`);
      return { frame: embedded.frame, sha256: embedded.manifest.sha256, source: embedded.path };
    }
    case 'synthetic':
      return withSha(generateSynthetic(source.generator), 'synthetic');
    case 'synthetic-symbols':
      return withSha(generateSyntheticSymbols(source.generator), 'synthetic-symbols');
    case 'file':
      return withSha(importFile(source.path, { adjusted: source.adjusted, mapping: source.mapping as Partial<ColumnMapping> }).frame, source.path);
    case 'files': {
      const symbols = source.files.map((f) => f.symbol);
      const twice = symbols.find((s, i) => symbols.indexOf(s) !== i);
      if (twice) throw new InputError(`data.files: symbol ${twice} is given twice (one file per symbol)`);
      const frames = source.files.map((f) =>
        importFile(f.path, { adjusted: f.adjusted, mapping: f.mapping as Partial<ColumnMapping> }).frame
          .withColumn(pl.lit(f.symbol).alias('symbol')));
      return withSha(pl.concat(frames), source.files.map((f) => f.path).join(', '));
    }
  }
}

function withSha(frame: pl.DataFrame, source: string): LoadedData {
  return { frame, sha256: frameSha256(frame), source };
}
