import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot';
import { z } from 'zod';
import type pl from 'nodejs-polars';
import { CheckFailedError } from '../util/errors';
import { loadDataset, saveDataset, type DatasetManifest } from './dataset';
import { generateSynthetic, SyntheticOptions } from './synthetic';

/** `data/embedded.json`: how the embedded default is made and the sha256 it must have. */
const EmbeddedSpec = z.object({
  file: z.string(),
  generator: SyntheticOptions,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  description: z.string().optional(),
});
export type EmbeddedSpec = z.infer<typeof EmbeddedSpec>;

export function readEmbeddedSpec(root = packageRoot()): EmbeddedSpec {
  return EmbeddedSpec.parse(JSON.parse(readFileSync(join(root, 'data', 'embedded.json'), 'utf8')));
}

/**
 * The embedded default dataset: read from `data/`, or regenerated from its seed when it is
 * missing; either way its content sha256 must equal the committed one, so every machine
 * trains on identical bars.
 */
export function ensureEmbeddedDataset(
  root = packageRoot(),
  onProgress?: (done: number, total: number) => void,
): { frame: pl.DataFrame; manifest: DatasetManifest; path: string; generated: boolean } {
  const spec = readEmbeddedSpec(root);
  const path = join(root, spec.file);
  const generated = !existsSync(path);
  if (generated) {
    const frame = generateSynthetic(spec.generator, onProgress);
    saveDataset(frame, path, { provider: 'synthetic', ...SyntheticOptions.parse(spec.generator) });
  }
  const { frame, manifest } = loadDataset(path);
  if (!manifest || manifest.sha256 !== spec.sha256) {
    throw new CheckFailedError(
      `${path}: sha256 ${manifest?.sha256 ?? '(no manifest)'} differs from data/embedded.json's ${spec.sha256}: ` +
        `the generator no longer reproduces the embedded data. Delete ${path} to regenerate; if it still differs, the generator changed.`,
    );
  }
  return { frame, manifest, path, generated };
}
