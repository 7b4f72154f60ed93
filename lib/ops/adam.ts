import { tf } from '../backend/tf';
import { f32, flatProgram, runProgram } from './webgpuProgram';
import { inPlaceAvailable, runInPlace, writableInPlace, type InPlaceKernel } from './webgpuInPlace';

/**
 * Adam as tfjs computes it, with its state kept the same way (the moments as `<name>/m`,
 * `<name>/v` variables, β₁ᵗ and β₂ᵗ as running products): checkpoints, resume and
 * `getWeights` are tfjs's. On webgpu each variable's step is one WGSL dispatch writing the
 * two moments and the value in their own buffers (`webgpuInPlace.ts`) — three (the new first
 * moment, the new second moment, the new value) where a buffer is shared with another tensor —
 * where tfjs issues ~14 (one per elementwise op); the learning rate and ε are uniforms, so a
 * schedule does not recompile.
 * Other backends run tfjs's own step.
 */
export class GatebookAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (tf.getBackend() !== 'webgpu') {
      super.applyGradients(variableGradients);
      return;
    }
    this.applyScaled(variableGradients, null);
  }

  /**
   * webgpu: the step with every gradient multiplied by `scale[at]` on the device (global-norm
   * clipping without reading the norm back), in the same three dispatches a variable.
   */
  applyScaled(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0], scale: { tensor: tf.Tensor; at: number } | null): void {
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      const corrections = tf.stack([tf.sub(1, self.accBeta1), tf.sub(1, self.accBeta2)]); // 1 − β₁ᵗ, 1 − β₂ᵗ
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient: tf.Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const g = scale ? `(G[index] * S[${scale.at}])` : 'G[index]';
        const extra = scale ? [scale.tensor] : [];
        if (inPlaceAvailable() && writableInPlace(m) && writableInPlace(v) && writableInPlace(value)) {
          // one dispatch writing the moments and the value in their own buffers
          runInPlace(stepInPlace(this.beta1, this.beta2, g), [m, v, value], [gradient, corrections, ...extra],
            [{ type: 'i32', value: value.size }, { type: 'f32', value: this.learningRate }, { type: 'f32', value: this.epsilon }], value.size);
          return;
        }
        const m2 = moment('m', this.beta1, g, [m, gradient, ...extra]);
        const v2 = moment('v', this.beta2, `${g} * ${g}`, [v, gradient, ...extra]);
        const w2 = update([m2, v2, value, corrections], this.learningRate, this.epsilon);
        m.assign(m2);
        v.assign(v2);
        value.assign(w2);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    (this as unknown as { incrementIterations(): void }).incrementIterations();
  }
}

/** Adam with tfjs's defaults (β₁ 0.9, β₂ 0.999, the backend's ε). */
export function adam(learningRate: number): GatebookAdam {
  return new GatebookAdam(learningRate, 0.9, 0.999);
}

type Slot = { originalName: string; variable: tf.Variable };
interface AdamState { accBeta1: tf.Variable; accBeta2: tf.Variable; accumulatedFirstMoment: Slot[]; accumulatedSecondMoment: Slot[] }

/**
 * The whole step of one variable in one dispatch, in place (`webgpuInPlace.ts`): the two
 * moments and the value, each in the arithmetic of the three kernels below.
 */
function stepInPlace(beta1: number, beta2: number, g: string): InPlaceKernel {
  return {
    key: `gatebook_adam_in_place_${beta1}_${beta2}_${g}`, written: ['M', 'V', 'W'], read: g.includes('S[') ? ['G', 'A', 'S'] : ['G', 'A'],
    uniforms: ['size : i32', 'lr : f32', 'eps : f32'],
    main: `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let m = M[index] * ${f32(beta1)} + (${g}) * ${f32(1 - beta1)};
        let v = V[index] * ${f32(beta2)} + (${g} * ${g}) * ${f32(1 - beta2)};
        M[index] = m;
        V[index] = v;
        let mHat = m / A[0];
        let vHat = v / A[1];
        W[index] = (mHat / (sqrt(vHat) + uniforms.eps)) * (-uniforms.lr) + W[index];
      }
    }`,
  };
}

/** moment' = moment·β + term·(1 − β), as tfjs's add(mul(moment, β), mul(term, 1 − β)). */
function moment(kind: 'm' | 'v', beta: number, term: string, inputs: tf.Tensor[]): tf.Tensor {
  const scaled = inputs.length > 2;
  return runProgram(flatProgram(`gatebook_adam_${kind}_${beta}_${term}`, inputs[0].shape, inputs[0].size, scaled ? ['M', 'G', 'S'] : ['M', 'G'], `
    fn main(index : i32) {
      if (index < uniforms.size) {
        result[index] = M[index] * ${f32(beta)} + (${term}) * ${f32(1 - beta)};
      }
    }`, { size: true }), inputs);
}

/** value' = (m'/(1 − β₁ᵗ)) / (√(v'/(1 − β₂ᵗ)) + ε) · (−lr) + value, in tfjs's order of operations. */
function update(inputs: tf.Tensor[], lr: number, epsilon: number): tf.Tensor {
  return runProgram(flatProgram('gatebook_adam_update', inputs[0].shape, inputs[0].size, ['M', 'V', 'W', 'A'], `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let mHat = M[index] / A[0];
        let vHat = V[index] / A[1];
        result[index] = (mHat / (sqrt(vHat) + uniforms.eps)) * (-uniforms.lr) + W[index];
      }
    }`, { size: true, uniforms: 'lr : f32, eps : f32,' }), inputs, [lr, epsilon]);
}
