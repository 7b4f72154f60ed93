import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';
import { z } from 'zod';
import type pl from 'nodejs-polars';
import { CheckFailedError } from '../util/errors';
import { loadDataset, saveDataset, type DatasetManifest } from './dataset';
import { generateSynthetic, SyntheticOptions } from './synthetic';
import { generateSyntheticSymbols, SyntheticSymbolsOptions } from './syntheticSymbols';

/** The embedded datasets: the default (one symbol) and the three-symbol option, each a spec file in `data/`. */
export const EMBEDDED_VARIANTS = { default: 'embedded.json', 'three-symbol': 'embedded-three-symbol.json' } as const;
export type EmbeddedVariant = keyof typeof EMBEDDED_VARIANTS;

/** `data/embedded*.json`: how an embedded dataset is made and the sha256 it must have. */
const EmbeddedSpec = z.object({
  file: z.string(),
  generator: z.union([SyntheticOptions, SyntheticSymbolsOptions]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  description: z.string().optional(),
});
export type EmbeddedSpec = z.infer<typeof EmbeddedSpec>;

export function readEmbeddedSpec(root = packageRoot(), variant: EmbeddedVariant = 'default'): EmbeddedSpec {
  return EmbeddedSpec.parse(JSON.parse(readFileSync(join(root, 'data', EMBEDDED_VARIANTS[variant]), 'utf8')));
}

/** Generate an embedded dataset from its spec (one symbol or several). */
export function generateEmbedded(spec: EmbeddedSpec, onProgress?: (done: number, total: number) => void): { frame: pl.DataFrame; source: Record<string, unknown> } {
  if ('symbols' in spec.generator) {
    const options = SyntheticSymbolsOptions.parse(spec.generator);
    return { frame: generateSyntheticSymbols(options, onProgress), source: { provider: 'synthetic-symbols', ...options } };
  }
  return { frame: generateSynthetic(spec.generator, onProgress), source: { provider: 'synthetic', ...SyntheticOptions.parse(spec.generator) } };
}

/**
 * The embedded default dataset: read from `data/`, or regenerated from its seed when it is
 * missing; either way its content sha256 must equal the committed one, so every machine
 * trains on identical bars.
 */
export function ensureEmbeddedDataset(
  root = packageRoot(),
  onProgress?: (done: number, total: number) => void,
  variant: EmbeddedVariant = 'default',
): { frame: pl.DataFrame; manifest: DatasetManifest; path: string; generated: boolean } {
  const spec = readEmbeddedSpec(root, variant);
  const path = join(root, spec.file);
  const generated = !existsSync(path);
  if (generated) {
    const { frame, source } = generateEmbedded(spec, onProgress);
    saveDataset(frame, path, source);
  }
  const { frame, manifest } = loadDataset(path);
  if (!manifest || manifest.sha256 !== spec.sha256) {
    throw new CheckFailedError(
      `${path}: sha256 ${manifest?.sha256 ?? '(no manifest)'} differs from data/${EMBEDDED_VARIANTS[variant]}'s ${spec.sha256}: ` +
        `the generator no longer reproduces the embedded data. Delete ${path} to regenerate; if it still differs, the generator changed.`,
    );
  }
  return { frame, manifest, path, generated };
}
