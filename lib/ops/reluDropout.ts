import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { DRAW, DRAW_UNIFORMS, drawUniforms, dropoutWith, maskAt, type BranchDropout } from './dropout';
import { flatProgram, runProgram } from './webgpuProgram';

/** dropout(relu(x)) (the TCN's convolutions' activation): `dropout` null: relu alone. */
function reference(x: tf.Tensor, dropout: BranchDropout | null): tf.Tensor {
  const y = x.relu();
  return dropout ? dropoutWith.op.reference(y, dropout.draws, dropout.keep) : y;
}

/** The fused ops in turn (cpu, wasm). */
function composed(x: tf.Tensor, dropout: BranchDropout | null): tf.Tensor {
  const y = x.relu();
  return dropout ? dropoutWith(y, dropout.draws, dropout.keep) : y;
}

/**
 * webgpu: one dispatch each way where relu and dropout take two forward and three back:
 * y = max(x, 0) · mask (the draws made in the kernel), dx = dy · mask where y > 0 (y is 0
 * where the mask or relu is). Without dropout the same without the mask.
 */
function webgpu(x: tf.Tensor, dropout: BranchDropout | null): tf.Tensor {
  const keep = dropout?.keep ?? 1;
  const mask = dropout ? ` * ${maskAt('index', keep)}` : ''; // no dropout: relu alone, its gradient in one dispatch (tfjs's: a step and a product)
  const program = (name: string, inputs: string[], value: string) => flatProgram(`gatebook_relu_dropout_${name}_${dropout ? Math.fround(keep) : 'none'}`, x.shape, x.size, inputs, () => `${DRAW}
    fn main(index : i32) {
      if (index < uniforms.size) { result[index] = ${value}; }
    }`, { size: true, uniforms: DRAW_UNIFORMS });
  const seeds = drawUniforms(dropout?.draws);
  const body = (xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = runProgram(program('forward', ['X'], `max(X[index], 0.0)${mask}`), [xx], seeds);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [ySaved]: tf.Tensor[]) => (dropout ? runProgram(program('backward', ['DY', 'Y'], `select(0.0, DY[index]${mask}, Y[index] > 0.0)`), [dy, ySaved], seeds) : reluGradient(dy, ySaved)),
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

/** webgpu: relu's gradient from its output, dy where y > 0 (else 0), in one dispatch (tfjs's: a step and a product). */
export function reluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return runProgram(flatProgram('gatebook_relu_backward', y.shape, y.size, ['DY', 'Y'], () => `
    fn main(index : i32) {
      if (index < uniforms.size) { result[index] = select(0.0, DY[index], Y[index] > 0.0); }
    }`, { size: true }), [dy, y]);
}

export const reluDropout = fusedOp<[tf.Tensor, BranchDropout | null], tf.Tensor>({ name: 'reluDropout', reference, kernels: { '*': composed, webgpu } });
