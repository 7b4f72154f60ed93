import { tf } from '../backend/tf';
import { f32, flatProgram, runProgram } from './webgpuProgram';
import { inPlaceAvailable, onDevice, runInPlace, storageBuffersPerStage, writableInPlace, type InPlaceKernel } from './webgpuInPlace';

/**
 * Adam as tfjs computes it, with its state kept the same way (the moments as `<name>/m`,
 * `<name>/v` variables, β₁ᵗ and β₂ᵗ as running products): checkpoints, resume and
 * `getWeights` are tfjs's. On webgpu one WGSL dispatch steps several variables, writing
 * the two moments and the value in their own buffers (`webgpuInPlace.ts`; as many variables a
 * dispatch as the adapter's storage buffers allow: 3 at 16), where tfjs issues ~14 dispatches
 * a variable (one per elementwise op); a variable whose buffer another tensor shares takes
 * three (the new first moment, the new second moment, the new value). The learning rate and
 * ε are uniforms, so a schedule does not recompile. β₁ᵗ and β₂ᵗ stay tfjs's variables, read
 * by the kernels (which take 1 − βᵗ themselves) and stepped in place by one more dispatch.
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
   * clipping without reading the norm back), in the same dispatches.
   */
  applyScaled(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0], scale: { tensor: tf.Tensor; at: number } | null): void {
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      // β₁ᵗ and β₂ᵗ read and stepped on the device, in their own buffers: no 1 − βᵗ tensor made and uploaded each
      // step (five tfjs ops and a copy), and the dispatches bind the same buffers at every step (their bind groups reused)
      const powers = [self.accBeta1, self.accBeta2]; // every kernel below reads β₁ᵗ and β₂ᵗ and takes 1 − βᵗ itself
      powers.forEach(onDevice); // nothing where the in-place internals are missing
      const inPlace: Array<{ m: tf.Variable; v: tf.Variable; value: tf.Variable; gradient: tf.Tensor }> = [];
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient: tf.Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        if (inPlaceAvailable() && writableInPlace(m) && writableInPlace(v) && writableInPlace(value)) {
          inPlace.push({ m, v, value, gradient }); // stepped below, several variables a dispatch
          return;
        }
        const g = scale ? `(G[index] * S[${scale.at}])` : 'G[index]';
        const extra = scale ? [scale.tensor] : [];
        const m2 = moment('m', this.beta1, g, [m, gradient, ...extra]);
        const v2 = moment('v', this.beta2, `${g} * ${g}`, [v, gradient, ...extra]);
        const w2 = update([m2, v2, value, ...powers], this.learningRate, this.epsilon);
        m.assign(m2);
        v.assign(v2);
        value.assign(w2);
      });
      // as many variables a dispatch as the adapter's storage buffers allow: 4 each (m, v, value, gradient), the powers
      // (β₁ᵗ and β₂ᵗ) and the scale
      const perDispatch = Math.max(1, Math.floor((storageBuffersPerStage() - powers.length - (scale ? 1 : 0)) / 4));
      for (let at = 0; at < inPlace.length; at += perDispatch) {
        const group = inPlace.slice(at, at + perDispatch);
        let end = 0;
        const ends = group.map((e) => (end += e.value.size)); // where each variable's threads end
        runInPlace(stepInPlace(this.beta1, this.beta2, group.length, scale?.at ?? null),
          group.flatMap((e) => [e.m, e.v, e.value]), [...group.map((e) => e.gradient), ...powers, ...(scale ? [scale.tensor] : [])],
          [...ends.map((end) => ({ type: 'i32' as const, value: end })), { type: 'f32', value: this.learningRate }, { type: 'f32', value: this.epsilon }], ends[ends.length - 1]);
      }
      if (writableInPlace(self.accBeta1) && writableInPlace(self.accBeta2)) {
        runInPlace(stepPowers(this.beta1, this.beta2), [self.accBeta1, self.accBeta2], [], [], 1); // after every group read them
      } else {
        self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
        self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
      }
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
 * The whole step of `count` variables in one dispatch, in place (`webgpuInPlace.ts`): for
 * each, the two moments and the value, in the arithmetic of the three kernels below. The
 * threads run over the variables end to end; `uniforms.end<k>` is where variable k's end.
 */
function stepInPlace(beta1: number, beta2: number, count: number, scaleAt: number | null): InPlaceKernel {
  const ks = Array.from({ length: count }, (_, k) => k);
  const one = (k: number) => {
    const g = scaleAt === null ? `G${k}[i]` : `(G${k}[i] * S[${scaleAt}])`;
    return `
        let m = M${k}[i] * ${f32(beta1)} + (${g}) * ${f32(1 - beta1)};
        let v = V${k}[i] * ${f32(beta2)} + (${g} * ${g}) * ${f32(1 - beta2)};
        M${k}[i] = m;
        V${k}[i] = v;
        let mHat = m / (1.0 - B1[0]);
        let vHat = v / (1.0 - B2[0]);
        W${k}[i] = (mHat / (sqrt(vHat) + uniforms.eps)) * (-uniforms.lr) + W${k}[i];`;
  };
  return {
    key: `gatebook_adam_in_place_${count}_${beta1}_${beta2}_${scaleAt}`,
    written: ks.flatMap((k) => [`M${k}`, `V${k}`, `W${k}`]),
    read: [...ks.map((k) => `G${k}`), 'B1', 'B2', ...(scaleAt === null ? [] : ['S'])],
    uniforms: [...ks.map((k) => `end${k} : i32`), 'lr : f32', 'eps : f32'],
    main: () => `
    fn main(index : i32) {
      ${ks.map((k) => `${k ? 'else ' : ''}if (index < uniforms.end${k}) {
        let i = index${k ? ` - uniforms.end${k - 1}` : ''};${one(k)}
      }`).join(' ')}
    }`,
  };
}

/** β₁ᵗ⁺¹ = β₁ᵗ·β₁ and β₂ᵗ⁺¹ = β₂ᵗ·β₂ in place, in float32 as tfjs's mul of the scalar variables. */
function stepPowers(beta1: number, beta2: number): InPlaceKernel {
  return {
    key: `gatebook_adam_powers_${beta1}_${beta2}`, written: ['B1', 'B2'], read: [], uniforms: [],
    main: () => `
    fn main(index : i32) {
      if (index == 0) {
        B1[0] = B1[0] * ${f32(beta1)};
        B2[0] = B2[0] * ${f32(beta2)};
      }
    }`,
  };
}

/** moment' = moment·β + term·(1 − β), as tfjs's add(mul(moment, β), mul(term, 1 − β)). */
function moment(kind: 'm' | 'v', beta: number, term: string, inputs: tf.Tensor[]): tf.Tensor {
  const scaled = inputs.length > 2;
  return runProgram(flatProgram(`gatebook_adam_${kind}_${beta}_${term}`, inputs[0].shape, inputs[0].size, scaled ? ['M', 'G', 'S'] : ['M', 'G'], () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        result[index] = M[index] * ${f32(beta)} + (${term}) * ${f32(1 - beta)};
      }
    }`, { size: true }), inputs);
}

/** value' = (m'/(1 − β₁ᵗ)) / (√(v'/(1 − β₂ᵗ)) + ε) · (−lr) + value, in tfjs's order of operations. */
function update(inputs: tf.Tensor[], lr: number, epsilon: number): tf.Tensor {
  return runProgram(flatProgram('gatebook_adam_update', inputs[0].shape, inputs[0].size, ['M', 'V', 'W', 'B1', 'B2'], () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let mHat = M[index] / (1.0 - B1[0]);
        let vHat = V[index] / (1.0 - B2[0]);
        result[index] = (mHat / (sqrt(vHat) + uniforms.eps)) * (-uniforms.lr) + W[index];
      }
    }`, { size: true, uniforms: 'lr : f32, eps : f32,' }), inputs, [lr, epsilon]);
}
