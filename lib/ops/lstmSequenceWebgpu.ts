import { tf } from '../backend/tf';
import { lstmWindow } from './lstmWindow';
import { weightGradients } from './denseWebgpu';
import { maxWorkgroupThreads, runProgram, type WebGpuProgram } from './webgpuProgram';
import { inPlaceAvailable, newOutputs, runInPlace, workgroupsPerDimension, type InPlaceKernel } from './webgpuInPlace';

/**
 * The webgpu kernel of `lstmSequence`: one dispatch walks a direction's whole window forward,
 * one walks it back (WGSL). Batch rows are independent, so each row is a workgroup of 4·units
 * threads, one per gate column: a thread computes its gate's pre-activation from the row's h
 * (kept in workgroup memory), the first `units` threads then update c and h, and the next step
 * follows a barrier. The backward kernel runs the same way from the last step to the first and
 * writes every step's pre-activation gradients; the recurrent weights' gradient is then one
 * matMul over all steps. Per direction and training step that is ~6 dispatches where the
 * per-op kernel issues ~60 × 20. Needs 4·units ≤ the adapter's invocations per workgroup.
 */

/** The constants and helpers of both directions' shaders, in either form. */
function prelude(units: number, reverse: boolean): string {
  return `
    const U = ${units};
    const FOUR = ${4 * units};
    const SIX = ${6 * units};
    const REVERSE = ${reverse};
    fn sigmoid_(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
    fn tanh_(x : f32) -> f32 { return 2.0 * sigmoid_(2.0 * x) - 1.0; }
    fn stepAt(s : i32, steps : i32) -> i32 { return select(s, steps - 1 - s, REVERSE); }`;
}

/**
 * Forward over a row (a workgroup of 4·units threads, workgroup b = batch row b): P [B, T, 4U],
 * R [U, 4U] → per step the activations i, f, g, o, then c, then h into `out` [B, T, 6U].
 * `then` runs in the first U threads after h: the in-place form's other outputs.
 */
function forwardMain(units: number, steps: string, out: string, then = ''): string {
  return `
    var<workgroup> hs : array<f32, ${units}>;
    var<workgroup> acts : array<f32, ${4 * units}>;
    fn main(index : i32) {
      let steps = ${steps};
      let b = i32(workgroupId.x);
      let j = i32(localId.x);
      let gate = j / U;
      var c = 0.0;
      if (j < U) { hs[j] = 0.0; }
      workgroupBarrier();
      for (var s = 0; s < steps; s++) {
        let t = stepAt(s, steps);
        var z = P[(b * steps + t) * FOUR + j];
        for (var k = 0; k < U; k++) { z = z + hs[k] * R[k * FOUR + j]; }
        let a = select(sigmoid_(z), tanh_(z), gate == 2);
        acts[j] = a;
        let base = (b * steps + t) * SIX;
        ${out}[base + j] = a;
        workgroupBarrier();
        if (j < U) {
          let hBefore = hs[j];
          c = acts[U + j] * c + acts[j] * acts[2 * U + j];
          let h = acts[3 * U + j] * tanh_(c);
          hs[j] = h;
          ${out}[base + FOUR + j] = c;
          ${out}[base + FOUR + U + j] = h;
          ${then}
        }
        workgroupBarrier();
      }
    }`;
}

/**
 * Backward over a row: dh at each step (`dhAt`, from DH), S, R → dZ [B, T, 4U] into `out`, from
 * the last processed step to the first; the recurrent part of dh is carried in workgroup memory.
 * That part, dhRec[u] = Σ_k dz[k]·R[u, k] over 4U gates, is summed by all 4U threads, each over
 * its own gate's U terms, then the four partial sums are added: a chain of U multiply-adds a step
 * where 4U ran on U threads (the H200 timed that backward at 10× the forward's GPU time).
 */
function backwardMain(units: number, steps: string, out: string, dhAt: string): string {
  return `
    var<workgroup> dz : array<f32, ${4 * units}>;
    var<workgroup> partial : array<f32, ${4 * units}>;
    var<workgroup> dhRec : array<f32, ${units}>;
    fn main(index : i32) {
      let steps = ${steps};
      let b = i32(workgroupId.x);
      let j = i32(localId.x);
      let gate = j / U;
      let u = j % U;
      var dcCarry = 0.0;
      if (j < U) { dhRec[j] = 0.0; }
      workgroupBarrier();
      for (var s = steps - 1; s >= 0; s--) {
        let t = stepAt(s, steps);
        let base = (b * steps + t) * SIX;
        let i = S[base + u];
        let f = S[base + U + u];
        let g = S[base + 2 * U + u];
        let o = S[base + 3 * U + u];
        let tc = tanh_(S[base + FOUR + u]);
        var cBefore = 0.0;
        if (s > 0) { cBefore = S[(b * steps + stepAt(s - 1, steps)) * SIX + FOUR + u]; }
        let dh = ${dhAt} + dhRec[u];
        let dc = dcCarry + dh * o * (1.0 - tc * tc);
        var d = dh * tc * o * (1.0 - o);
        if (gate == 0) { d = dc * g * i * (1.0 - i); }
        if (gate == 1) { d = dc * cBefore * f * (1.0 - f); }
        if (gate == 2) { d = dc * i * (1.0 - g * g); }
        dz[j] = d;
        ${out}[(b * steps + t) * FOUR + j] = d;
        dcCarry = dc * f;
        workgroupBarrier();
        var acc = 0.0;
        let first = gate * U;
        for (var k = first; k < first + U; k++) { acc = acc + dz[k] * R[u * FOUR + k]; }
        partial[j] = acc;
        workgroupBarrier();
        if (j < U) { dhRec[j] = partial[j] + partial[U + j] + partial[2 * U + j] + partial[3 * U + j]; }
        workgroupBarrier();
      }
    }`;
}

/** One of tfjs's programs (one output, `result`): a workgroup of 4·units threads per batch row. */
function rowProgram(kind: 'forward' | 'backward', batch: number, outputShape: number[], units: number, reverse: boolean, variableNames: string[], main: string): WebGpuProgram {
  return {
    outputShape, shaderKey: `gatebook_lstm_${kind}_${units}_${reverse}`, dispatchLayout: { x: [0], y: [1], z: [2] },
    dispatch: [batch, 1, 1], variableNames, workgroupSize: [4 * units, 1, 1],
    getUserCode: () => `${prelude(units, reverse)}${main.replace('fn main(index : i32)', 'fn main()')}`,
  };
}

/** Forward: P [B, T, 4U], R [U, 4U] → S [B, T, 6U]: per step the activations i, f, g, o, then c, then h. */
function forwardProgram(batch: number, steps: number, units: number, reverse: boolean): WebGpuProgram {
  return rowProgram('forward', batch, [batch, steps, 6 * units], units, reverse, ['P', 'R'], forwardMain(units, 'uniforms.outShape.y', 'result'));
}

/** Backward: dH [B, T, U] (the gradient reaching each step's h from above), S, R → dZ [B, T, 4U]. */
function backwardProgram(batch: number, steps: number, units: number, reverse: boolean): WebGpuProgram {
  return rowProgram('backward', batch, [batch, steps, 4 * units], units, reverse, ['DH', 'S', 'R'], backwardMain(units, 'uniforms.outShape.y', 'result', 'DH[(b * steps + t) * U + u]'));
}

/** Whether this kernel can run the op here (4·units threads in one workgroup). */
export function webgpuLstmFits(units: number): boolean {
  return 4 * units <= maxWorkgroupThreads();
}

/**
 * Forward writing three outputs in one dispatch (`webgpuInPlace.ts`): S [B, T, 6U] as
 * `forwardProgram`'s, H (every step's h [B, T, U], or the last processed step's [B, U]) and
 * PREV [B, T, U] (h one processed step earlier, zeros at the first: the recurrent weights'
 * inputs) — where the one-output kernel is followed by slices and a pad.
 */
function forwardInPlace(units: number, reverse: boolean, sequence: boolean): InPlaceKernel {
  return {
    key: `gatebook_lstm_forward_in_place_${units}_${reverse}_${sequence}`, written: ['S', 'H', 'PREV'], read: ['P', 'R'],
    uniforms: ['steps : i32'], workgroupSize: 4 * units,
    main: () => `${prelude(units, reverse)}${forwardMain(units, 'uniforms.steps', 'S', `
          PREV[(b * steps + t) * U + j] = hBefore;
          ${sequence ? 'H[(b * steps + t) * U + j] = h;' : 'if (s == steps - 1) { H[b * U + j] = h; }'}`)}`,
  };
}

/** Backward as `backwardProgram`, into DZ, reading dy as it comes (every step's, or the last processed step's only). */
function backwardInPlace(units: number, reverse: boolean, sequence: boolean): InPlaceKernel {
  return {
    key: `gatebook_lstm_backward_in_place_${units}_${reverse}_${sequence}`, written: ['DZ'], read: ['DH', 'S', 'R'],
    uniforms: ['steps : i32'], workgroupSize: 4 * units,
    main: () => `${prelude(units, reverse)}${backwardMain(units, 'uniforms.steps', 'DZ', sequence ? 'DH[(b * steps + t) * U + u]' : 'select(0.0, DH[b * U + u], s == steps - 1)')}`,
  };
}

/**
 * The direction over a whole window with the in-place kernels: one dispatch forward, one back
 * and dR as one (`weightGradients`: the sum over batch × steps rows spread over blocks of
 * rows, where tfjs's matMul walks all 15,360 rows of a batch of 256 in 16 workgroups) — where
 * `lstmWindow` over the one-output kernels adds a slice of h (and one of the last step), a
 * slice and a pad for the previous h, and a pad of dy.
 */
function windowInPlace(projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: { reverse: boolean; sequence: boolean }): tf.Tensor {
  const [batch, steps, four] = projected.shape;
  const units = four / 4;
  const sizes = [{ type: 'i32' as const, value: steps }];
  const body = (p: tf.Tensor3D, r: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [s, h, previous] = newOutputs([[batch, steps, 6 * units], o.sequence ? [batch, steps, units] : [batch, units], [batch, steps, units]]);
    runInPlace(forwardInPlace(units, o.reverse, o.sequence), [s, h, previous], [p, r], sizes, batch * four);
    save([s, r, previous]);
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, [sSaved, rSaved, previousSaved]: tf.Tensor[]) => {
        const [dZ] = newOutputs([[batch, steps, four]]);
        runInPlace(backwardInPlace(units, o.reverse, o.sequence), [dZ], [dy, sSaved, rSaved], sizes, batch * four);
        const [dR] = weightGradients(previousSaved, dZ, false); // [batch, steps, units] and [.., four] taken as rows
        return [dZ, dR];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(projected, recurrent);
}

/** The direction over a whole window: two dispatches forward and back, then dR as one matMul. */
export function lstmSequenceWebgpu(projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: { reverse: boolean; sequence: boolean }): tf.Tensor {
  if (inPlaceAvailable() && projected.shape[0] <= workgroupsPerDimension()) return windowInPlace(projected, recurrent, o);
  const [batch, steps, four] = projected.shape;
  const units = four / 4;
  return lstmWindow({
    forward: (p, r, reverse) => runProgram(forwardProgram(batch, steps, units, reverse), [p, r]) as tf.Tensor3D,
    backward: (dH, s, r, reverse) => runProgram(backwardProgram(batch, steps, units, reverse), [dH, s, r]) as tf.Tensor3D,
  }, projected, recurrent, o);
}
