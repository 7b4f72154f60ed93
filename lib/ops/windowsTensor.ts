import { tf } from '../backend/tf';
import { webgpuAdapter } from '../backend/webgpu';
import { makeBatch, type WindowSource } from '../tensors/windows';
import { flatProgram, runProgram } from './webgpuProgram';

/**
 * A batch's windows built on the GPU from a copy of the source kept there (webgpu): the
 * source's feature matrix is uploaded once per backend and a dispatch gathers the windows
 * ending at the batch's rows — where `makeBatch` copies them out on the CPU and the batch is
 * uploaded every step (256 × 60 × 31 floats, 1.9 MB; makeBatch alone ~1.2 ms on a 2-core VM).
 * The copy is kept while the matrix lives (a FinalizationRegistry frees it after); a matrix is
 * taken to be left unchanged once training reads it, as the rest of the training path takes it.
 * null where the matrix is larger than a storage binding the adapter allows (then build the
 * batch on the CPU).
 */
const resident = new WeakMap<object, WeakMap<Float32Array, tf.Tensor>>();
const release = new FinalizationRegistry<tf.Tensor>((t) => {
  try {
    if (!t.isDisposed) t.dispose();
  } catch {
    // its backend is gone, and the buffer with it
  }
});

function residentMatrix(source: WindowSource): tf.Tensor | null {
  const limit = webgpuAdapter()?.limits.maxStorageBufferBindingSize ?? 128 * 2 ** 20;
  if (source.matrix.byteLength > limit || source.matrix.length === 0) return null;
  const backend = tf.backend();
  let bySource = resident.get(backend);
  if (!bySource) resident.set(backend, (bySource = new WeakMap()));
  let matrix = bySource.get(source.matrix);
  if (!matrix || matrix.isDisposed) {
    matrix = tf.keep(tf.tensor1d(source.matrix));
    bySource.set(source.matrix, matrix);
    release.register(source.matrix, matrix);
  }
  return matrix;
}

/**
 * The windows ending at `ends` as a tensor [ends.length, window, features] (`makeBatch`'s x):
 * gathered on the GPU on webgpu, copied out on the CPU elsewhere (or past the binding limit).
 */
export function windowsTensor(source: WindowSource, ends: ArrayLike<number>, window: number): tf.Tensor3D {
  return windowsOnGpu(source, ends, window) ?? tf.tensor3d(makeBatch(source, ends, window).x, [ends.length, window, source.features]);
}

/** The windows [ends.length, window, features] ending at `ends` (as `makeBatch`'s x), gathered on the GPU; null: build them on the CPU. */
export function windowsOnGpu(source: WindowSource, ends: ArrayLike<number>, window: number): tf.Tensor3D | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const matrix = residentMatrix(source);
  if (!matrix) return null;
  const f = source.features;
  const size = ends.length;
  return tf.tidy(() => runProgram(flatProgram(`gatebook_windows_${window}_${f}`, [size, window, f], size * window * f, ['M', 'E'], () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let b = index / ${window * f};
        result[index] = M[(E[b] - ${window - 1}) * ${f} + index % ${window * f}];
      }
    }`, { size: true }), [matrix, tf.tensor1d(Int32Array.from(ends), 'int32')]) as tf.Tensor3D);
}
