import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { runProgram, workgroupSum, type WebGpuProgram } from './webgpuProgram';

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

const PER_DISPATCH = 12; // inputs per dispatch: under every adapter's 16 storage buffers (with the output)
const THREADS = 256;

/** One workgroup strides over up to PER_DISPATCH flat inputs and reduces in workgroup memory. */
function program(count: number): WebGpuProgram {
  const names = Array.from({ length: count }, (_, i) => `G${i}`);
  return {
    outputShape: [1],
    shaderKey: `gatebook_sum_of_squares_${count}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    variableNames: names,
    workgroupSize: [THREADS, 1, 1],
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${THREADS}>;
      fn main(index : i32) {
        let j = i32(localId.x);
        var acc = 0.0;
        ${names.map((n) => `for (var i = j; i < uniforms.${n.toLowerCase()}Shape; i = i + ${THREADS}) { let x = ${n}[i]; acc = acc + x * x; }`).join('\n        ')}
        partial[j] = acc;${workgroupSum(['partial'], THREADS)}
        if (j == 0) { result[0] = partial[0]; }
      }`,
  };
}

function webgpu(tensors: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < tensors.length; i += PER_DISPATCH) {
      const group = tensors.slice(i, i + PER_DISPATCH).map((t) => t.reshape([t.size]));
      parts.push(runProgram(program(group.length), group));
    }
    if (parts.length === 0) return tf.scalar(0);
    return (parts.length === 1 ? parts[0] : tf.addN(parts)).reshape([]) as tf.Scalar;
  });
}

export const sumOfSquares = fusedOp<[tf.Tensor[]], tf.Scalar>({ name: 'sumOfSquares', reference, kernels: { webgpu } });
