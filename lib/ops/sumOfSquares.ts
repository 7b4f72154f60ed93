import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { runProgram, workgroupSum, type WebGpuProgram } from './webgpuProgram';
import { inPlaceAvailable, newOutputs, runInPlace, storageBuffersPerStage, type InPlaceKernel } from './webgpuInPlace';

/**
 * Σ x² over every element of several tensors (the squared global norm of the gradients), as a
 * scalar tensor: no readback. Not differentiated.
 */

/** The plain ops: each tensor's Σ x², added in groups of six (one addN over many tensors needs a
 * storage buffer each, past WebGPU's default limit of 8 per shader stage). */
function reference(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    let parts: tf.Tensor[] = tensors.map((g) => g.square().sum());
    while (parts.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < parts.length; i += 6) next.push(parts.length - i === 1 ? parts[i] : tf.addN(parts.slice(i, i + 6)));
      parts = next;
    }
    return (parts[0] ?? tf.scalar(0)) as tf.Scalar;
  });
}

const THREADS = 256;

/**
 * One workgroup strides over `count` flat inputs and reduces in workgroup memory; with
 * `carry`, the last input is the previous dispatch's partial sum (a one-element tensor), added.
 */
function program(count: number, carry: boolean): WebGpuProgram {
  const names = Array.from({ length: count }, (_, i) => `G${i}`);
  return {
    outputShape: [1],
    shaderKey: `gatebook_sum_of_squares_${count}${carry ? '_carry' : ''}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    variableNames: carry ? [...names, 'P'] : names,
    workgroupSize: [THREADS, 1, 1],
    getUserCode: () => code(names, (n) => `uniforms.${n.toLowerCase()}Shape`, `result[0] = partial[0]${carry ? ' + P[0]' : ''};`),
  };
}

/** WGSL: one workgroup strides over the arrays `names` (each `size(name)` long) summing x² into `partial[0]`, then thread 0 runs `finish`. */
function code(names: string[], size: (name: string) => string, finish: string): string {
  return `
      var<workgroup> partial : array<f32, ${THREADS}>;
      fn main(index : i32) {
        let j = i32(localId.x);
        var acc = 0.0;
        ${names.map((n) => `for (var i = j; i < ${size(n)}; i = i + ${THREADS}) { let x = ${n}[i]; acc = acc + x * x; }`).join('\n        ')}
        partial[j] = acc;${workgroupSum(['partial'], THREADS)}
        if (j == 0) { ${finish} }
      }`;
}

/**
 * As many tensors a dispatch as the adapter's storage buffers allow (the output takes one: 15
 * at 16), each dispatch after the first adding the previous one's sum — no addN of the parts
 * at the end: a transformer's 29 gradients in two dispatches, where twelve a dispatch and the
 * addN took four.
 */
function programs(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const inputs = Math.max(2, storageBuffersPerStage() - 1);
    let sum: tf.Tensor | null = null;
    for (let i = 0; i < tensors.length;) {
      const take = inputs - (sum ? 1 : 0);
      const group = tensors.slice(i, i + take).map((t) => t.reshape([t.size]));
      i += take;
      sum = runProgram(program(group.length, sum !== null), sum ? [...group, sum] : group);
    }
    return (sum ?? tf.scalar(0)).reshape([]) as tf.Scalar;
  });
}

/**
 * The same written in place into one scalar (`runInPlace`): the tensors' buffers bound as they
 * are, whatever their shapes, so no reshape a tensor (each a tfjs op: ~15 µs of the main
 * thread's bookkeeping, 29 a transformer's step), and each dispatch takes as many tensors as
 * the storage buffers allow less the sum, which it adds to.
 */
function inPlace(tensors: tf.Tensor[]): tf.Scalar {
  const inputs = Math.max(1, storageBuffersPerStage() - 1);
  const [sum] = newOutputs([[]]);
  if (tensors.length === 0) {
    runInPlace(sumKernel(0, false), [sum], [], [], 1);
    return sum as tf.Scalar;
  }
  for (let i = 0; i < tensors.length; i += inputs) {
    const group = tensors.slice(i, i + inputs);
    runInPlace(sumKernel(group.length, i > 0), [sum], group, group.map((t) => ({ type: 'i32' as const, value: t.size })), THREADS);
  }
  return sum as tf.Scalar;
}

/** One workgroup: Σ x² over `count` inputs into S[0] (added to it with `carry`). */
function sumKernel(count: number, carry: boolean): InPlaceKernel {
  const names = Array.from({ length: count }, (_, i) => `G${i}`);
  return {
    key: `gatebook_sum_of_squares_in_place_${count}${carry ? '_carry' : ''}`, written: ['S'], read: names,
    uniforms: names.map((n) => `${n.toLowerCase()}Size : i32`), workgroupSize: THREADS,
    main: () => code(names, (n) => `uniforms.${n.toLowerCase()}Size`, `S[0] = partial[0]${carry ? ' + S[0]' : ''};`),
  };
}

function webgpu(tensors: tf.Tensor[]): tf.Scalar {
  return inPlaceAvailable() ? inPlace(tensors) : programs(tensors);
}

export const sumOfSquares = fusedOp<[tf.Tensor[]], tf.Scalar>({ name: 'sumOfSquares', reference, kernels: { webgpu } });
