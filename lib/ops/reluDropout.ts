import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { addBias, columnSums } from './dense';
import { DRAW, DRAW_UNIFORMS, drawUniforms, dropoutWith, maskAt, type BranchDropout } from './dropout';
import { flatProgram, runProgram } from './webgpuProgram';

/**
 * dropout(relu(x + bias)) over x [..., m] and bias [m] (the TCN's convolutions' activation, a
 * transformer's feed-forward layer): `dropout` null: no dropout; `bias` absent: none added.
 */
function reference(x: tf.Tensor, dropout: BranchDropout | null, bias?: tf.Tensor1D): tf.Tensor {
  const y = (bias ? x.add(bias) : x).relu();
  return dropout ? dropoutWith.op.reference(y, dropout.draws, dropout.keep) : y;
}

/** The fused ops in turn (cpu, wasm): the bias added by dense's `addBias` (its gradient a streaming pass on wasm). */
function composed(x: tf.Tensor, dropout: BranchDropout | null, bias?: tf.Tensor1D): tf.Tensor {
  const m = x.shape[x.rank - 1];
  const y = (bias ? addBias(x.reshape([-1, m]) as tf.Tensor2D, bias).reshape(x.shape) : x).relu();
  return dropout ? dropoutWith(y, dropout.draws, dropout.keep) : y;
}

/**
 * webgpu: one dispatch each way where the bias's add, relu and dropout take three forward and
 * three back: y = max(x + bias, 0) · mask (the draws made in the kernel), dx = dy · mask
 * where y > 0 (y is 0 where the mask or relu is); the bias's gradient is dx's column sums (one
 * dispatch, as dense's). Without dropout the same without the mask.
 */
function webgpu(x: tf.Tensor, dropout: BranchDropout | null, bias?: tf.Tensor1D): tf.Tensor {
  const keep = dropout?.keep ?? 1;
  const m = x.shape[x.rank - 1];
  const mask = dropout ? ` * ${maskAt('index', keep)}` : ''; // no dropout: relu alone, its gradient in one dispatch (tfjs's: a step and a product)
  const program = (name: string, inputs: string[], value: string) => flatProgram(`gatebook_relu_dropout_${name}_${dropout ? Math.fround(keep) : 'none'}${bias ? `_bias_${m}` : ''}`, x.shape, x.size, inputs, `${DRAW}
    fn main(index : i32) {
      if (index < uniforms.size) { result[index] = ${value}; }
    }`, { size: true, uniforms: DRAW_UNIFORMS });
  const seeds = drawUniforms(dropout?.draws);
  const body = (xx: tf.Tensor, ...rest: unknown[]) => {
    const save = rest[rest.length - 1] as tf.GradSaveFunc;
    const y = bias
      ? runProgram(program('forward', ['X', 'B'], `max(X[index] + B[index % ${m}], 0.0)${mask}`), [xx, rest[0] as tf.Tensor], seeds)
      : runProgram(program('forward', ['X'], `max(X[index], 0.0)${mask}`), [xx], seeds);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [ySaved]: tf.Tensor[]) => {
        const dx = runProgram(program('backward', ['DY', 'Y'], `select(0.0, DY[index]${mask}, Y[index] > 0.0)`), [dy, ySaved], seeds);
        return bias ? [dx, columnSums(dx.reshape([-1, m]) as tf.Tensor2D)] : dx;
      },
    };
  };
  const op = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
  return bias ? op(x, bias) : op(x);
}

export const reluDropout = fusedOp<[tf.Tensor, BranchDropout | null, tf.Tensor1D?], tf.Tensor>({ name: 'reluDropout', reference, kernels: { '*': composed, webgpu } });
