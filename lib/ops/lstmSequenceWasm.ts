import { tf } from '../backend/tf';
import { lstmWindow } from './lstmWindow';
import { wasmKernelContext, type TensorInfo, type WasmKernelContext } from './wasmBackend';

/**
 * The wasm kernel of `lstmSequence`: each direction's whole window walked in one call on the
 * wasm backend's memory, without a tfjs op per gate. Per step forward: one XNNPACK matMul
 * (h·R: the backend's own BatchMatMul kernel, called directly, R packed once a window), the
 * step's projection added in JavaScript, one vectorized Sigmoid over all four gates (the
 * g-gate doubled, tanh(g) = 2σ(2g) − 1), c in JavaScript, one Sigmoid for tanh(c), h. Back:
 * tanh(c) of every step from one Sigmoid, then per step one JavaScript loop for the
 * pre-activation gradients and one matMul dz·Rᵀ. The per-op kernel runs ~20 tfjs ops a step
 * forward and ~30 back, each ~10–50 µs of engine overhead on [batch, units] tensors. Same
 * layout as the webgpu kernel (S = per step i, f, g, o, c, h), so both share `lstmWindow`.
 * Math.exp costs ~12 ns a value here: the loops call none.
 */
const stepAt = (s: number, steps: number, reverse: boolean) => (reverse ? steps - 1 - s : s);

/** Z += step t of P for every row, the g-gate's columns doubled (σ(2g) gives tanh(g); Z's recurrent part is already doubled there). */
function addProjection(Z: Float32Array, P: Float32Array, batch: number, steps: number, units: number, t: number): void {
  const four = 4 * units, g0 = 2 * units, g1 = 3 * units;
  for (let b = 0; b < batch; b++) {
    const zAt = b * four, pAt = (b * steps + t) * four;
    for (let j = 0; j < g0; j++) Z[zAt + j] += P[pAt + j];
    for (let j = g0; j < g1; j++) Z[zAt + j] += 2 * P[pAt + j];
    for (let j = g1; j < four; j++) Z[zAt + j] += P[pAt + j];
  }
}

/** R with its g-gate's columns doubled, [1, U, 4U]: h·R then carries the doubling addProjection applies to P. */
function doubledG(c: WasmKernelContext, r: tf.Tensor2D): TensorInfo {
  const [units, four] = r.shape;
  const out = c.output([1, units, four]);
  const R = c.heap(r), O = c.heap(out);
  for (let row = 0; row < units; row++) {
    for (let j = 0; j < four; j++) O[row * four + j] = j >= 2 * units && j < 3 * units ? 2 * R[row * four + j] : R[row * four + j];
  }
  return out;
}

/** From the step's gate activations A: i, f, g, o and the new c into S; 2c into C2 (for tanh(c)); c carried. */
function cellStep(A: Float32Array, S: Float32Array, C2: Float32Array, c: Float32Array, batch: number, steps: number, units: number, t: number): void {
  const four = 4 * units, six = 6 * units;
  for (let b = 0; b < batch; b++) {
    const aAt = b * four, sAt = (b * steps + t) * six, cAt = b * units;
    for (let u = 0; u < units; u++) {
      const i = A[aAt + u], f = A[aAt + units + u], g = 2 * A[aAt + 2 * units + u] - 1;
      const cNext = f * c[cAt + u] + i * g;
      c[cAt + u] = cNext;
      C2[cAt + u] = 2 * cNext;
      S[sAt + u] = i; S[sAt + units + u] = f; S[sAt + 2 * units + u] = g; S[sAt + 3 * units + u] = A[aAt + 3 * units + u];
      S[sAt + 4 * units + u] = cNext;
    }
  }
}

/** h = o · tanh(c) (tanh(c) = 2·σ(2c) − 1, σ(2c) in TC) into S and H. */
function hiddenStep(TC: Float32Array, S: Float32Array, H: Float32Array, batch: number, steps: number, units: number, t: number): void {
  const six = 6 * units;
  for (let b = 0; b < batch; b++) {
    const sAt = (b * steps + t) * six, cAt = b * units;
    for (let u = 0; u < units; u++) {
      const h = S[sAt + 3 * units + u] * (2 * TC[cAt + u] - 1);
      H[cAt + u] = h;
      S[sAt + 5 * units + u] = h;
    }
  }
}

/** P [B, T, 4U], R [U, 4U] → S [B, T, 6U]. */
function forward(p: tf.Tensor3D, r: tf.Tensor2D, reverse: boolean): tf.Tensor3D {
  const context = wasmKernelContext();
  const { output, heap, free, matMul, sigmoid, tensor } = context;
  const [batch, steps, four] = p.shape;
  const units = four / 4, six = 6 * units;
  const out = output([batch, steps, six]);
  const h = output([1, batch, units]);
  const c2 = output([batch, units]);
  const r3 = doubledG(context, r);
  const c = new Float32Array(batch * units);
  try {
    for (let s = 0; s < steps; s++) {
      const t = stepAt(s, steps, reverse);
      let z: TensorInfo;
      if (s === 0) heap((z = output([1, batch, four]))).fill(0); // h is zero before the first step
      else z = matMul(h, r3);
      addProjection(heap(z), heap(p), batch, steps, units, t);
      const a = sigmoid(z);
      free(z);
      cellStep(heap(a), heap(out), heap(c2), c, batch, steps, units, t);
      free(a);
      const tc = sigmoid(c2);
      hiddenStep(heap(tc), heap(out), heap(h), batch, steps, units, t);
      free(tc);
    }
  } finally {
    free(h, c2, r3);
  }
  return tensor<tf.Tensor3D>(out);
}

/** One step back for every row: the pre-activation gradients into DZ (step t) and dzStep; dc carried; dhRec is what reached h through R. */
function backwardStep(S: Float32Array, TC: Float32Array, DH: Float32Array, DZ: Float32Array, dzStep: Float32Array, dhRec: Float32Array, dcCarry: Float32Array, batch: number, steps: number, units: number, t: number, tBefore: number): void {
  const four = 4 * units, six = 6 * units;
  for (let b = 0; b < batch; b++) {
    const sAt = (b * steps + t) * six, before = (b * steps + tBefore) * six + 4 * units;
    const zAt = (b * steps + t) * four, rowAt = b * four, hAt = (b * steps + t) * units, cAt = b * units;
    for (let u = 0; u < units; u++) {
      const i = S[sAt + u], f = S[sAt + units + u], g = S[sAt + 2 * units + u], o = S[sAt + 3 * units + u];
      const tc = 2 * TC[hAt + u] - 1;
      const cBefore = tBefore < 0 ? 0 : S[before + u];
      const dh = DH[hAt + u] + dhRec[cAt + u];
      const dc = dcCarry[cAt + u] + dh * o * (1 - tc * tc);
      const di = dc * g * i * (1 - i), df = dc * cBefore * f * (1 - f), dg = dc * i * (1 - g * g), dO = dh * tc * o * (1 - o);
      DZ[zAt + u] = di; DZ[zAt + units + u] = df; DZ[zAt + 2 * units + u] = dg; DZ[zAt + 3 * units + u] = dO;
      dzStep[rowAt + u] = di; dzStep[rowAt + units + u] = df; dzStep[rowAt + 2 * units + u] = dg; dzStep[rowAt + 3 * units + u] = dO;
      dcCarry[cAt + u] = dc * f;
    }
  }
}

/** 2c of every step, [B, T, U], from S (for tanh(c) by one Sigmoid). */
function doubledCells(S: Float32Array, C2: Float32Array, rows: number, units: number): void {
  const six = 6 * units;
  for (let row = 0; row < rows; row++) for (let u = 0; u < units; u++) C2[row * units + u] = 2 * S[row * six + 4 * units + u];
}

/** dH [B, T, U], S [B, T, 6U], R [U, 4U] → dZ [B, T, 4U]. */
function backward(dH: tf.Tensor3D, saved: tf.Tensor3D, r: tf.Tensor2D, reverse: boolean): tf.Tensor3D {
  const { output, heap, free, matMul, sigmoid, tensor } = wasmKernelContext();
  const [batch, steps, units] = dH.shape;
  const four = 4 * units;
  const out = output([batch, steps, four]);
  const dz = output([1, batch, four]);
  const rT = { ...(tf.transpose(r) as unknown as TensorInfo), shape: [1, four, units] }; // freed with the backward pass's other tensors
  const c2 = output([batch, steps, units]);
  let tc: TensorInfo | null = null;
  const dhRec = new Float32Array(batch * units);
  const dcCarry = new Float32Array(batch * units);
  try {
    doubledCells(heap(saved), heap(c2), batch * steps, units);
    tc = sigmoid(c2);
    for (let s = steps - 1; s >= 0; s--) {
      const t = stepAt(s, steps, reverse);
      const tBefore = s > 0 ? stepAt(s - 1, steps, reverse) : -1;
      backwardStep(heap(saved), heap(tc), heap(dH), heap(out), heap(dz), dhRec, dcCarry, batch, steps, units, t, tBefore);
      if (s === 0) break;
      const back = matMul(dz, rT); // the gradient reaching the previous step's h through R
      dhRec.set(heap(back));
      free(back);
    }
  } finally {
    free(dz, c2, tc);
  }
  return tensor<tf.Tensor3D>(out);
}

/** The direction over a whole window on wasm: one call forward, one back, then dR as one matMul. */
export function lstmSequenceWasm(projected: tf.Tensor3D, recurrent: tf.Tensor2D, o: { reverse: boolean; sequence: boolean }): tf.Tensor {
  return lstmWindow({ forward, backward }, projected, recurrent, o);
}
