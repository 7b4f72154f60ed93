import { tf } from '../backend/tf';
import { inPlaceAvailable, newOutputs, runInPlace, view } from './webgpuInPlace';
import { reluGradient } from './reluDropout';

/**
 * The dense layer on webgpu, x [.., in] · w [in, out] (+ bias) (then relu) → [.., out] (every
 * step of a window too: x of any rank taken as rows, with no reshape op), as one tfjs kernel
 * with its own gradient:
 *
 * - forward: tfjs's fused matMul (the bias's add and the relu in the product's dispatch);
 * - back: xᵀ·dy and the bias's Σ_rows dy in one dispatch (`weightGradients`), where tfjs's
 *   matMul gradient splits a long reduction into a zero fill and a split-K product and the
 *   bias's sum is a dispatch of its own; dy·wᵀ only where x needs a gradient (not a model's
 *   input data), as tfjs's matMul — its gradient is registered per input, and autograd asks
 *   only for the ones it needs (a tf.customGrad computes every input's gradient).
 *
 * A transformer's feed-forward layer: 5 dispatches back and 2 forward → 3 and 1.
 */
const KERNEL = 'GatebookDense';

/** The side of a workgroup's output tile, the rows it stages in workgroup memory at a time, and the rows it sums (a block). */
const TILE = 32;
const CHUNK = 32;
const BLOCK = 256;

/**
 * xᵀ·dy [in, out] and, with `bias`, Σ_rows dy [out] (as x's column of ones) in one dispatch,
 * x [.., in] and dy [.., out] of any rank taken as rows:
 * a workgroup of 64 threads per 32 × 32 tile of the output and block of 256 rows, staging 32
 * rows of x and dy at a time in workgroup memory, each thread summing a 4 × 4 grid of the tile
 * (for each row 16 products of 4 + 4 values read), then adding its sums into the outputs (cleared before
 * the dispatch: `accumulate`). At batch 256 × 60 steps that is 60 blocks: the [64, 192]
 * weights' gradient runs in 720 workgroups, where tfjs's packed matMul walks all 15,360 rows
 * in 12 (and its split-K product needs a fill dispatch before it).
 */
export function weightGradients(x: tf.Tensor, dy: tf.Tensor, bias: boolean): [tf.Tensor2D, tf.Tensor1D | null] {
  const inputs = x.shape[x.rank - 1], outputs = dy.shape[dy.rank - 1];
  const rows = x.size / inputs; // x [.., in] and dy [.., out] as rows: their buffers are bound as they are
  if (dy.size / outputs !== rows) throw new Error(`weightGradients: x has ${rows} rows, dy ${dy.size / outputs}`);
  const augmented = inputs + (bias ? 1 : 0); // the bias's row: x's column of ones
  const tilesIn = Math.ceil(augmented / TILE);
  const tilesOut = Math.ceil(outputs / TILE);
  const blocks = Math.ceil(rows / BLOCK);
  const [dw, db] = newOutputs(bias ? [[inputs, outputs], [outputs]] : [[inputs, outputs]]);
  const loads = (CHUNK * TILE) / 64;
  runInPlace({
    key: `gatebook_weight_gradients_${inputs}_${outputs}${bias ? '_bias' : ''}`, written: bias ? ['DW', 'DB'] : ['DW'], read: ['X', 'DY'], uniforms: ['rows : i32'],
    accumulate: bias ? ['DW', 'DB'] : ['DW'],
    main: () => `
      var<workgroup> xs : array<f32, ${CHUNK * TILE}>;
      var<workgroup> ds : array<f32, ${CHUNK * TILE}>;
      fn main(index : i32) {
        let l = i32(localId.x);
        let group = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
        let tile = group % ${tilesIn * tilesOut};
        let first = (group / ${tilesIn * tilesOut}) * ${BLOCK};
        let last = min(first + ${BLOCK}, uniforms.rows);
        let i0 = (tile / ${tilesOut}) * ${TILE};
        let o0 = (tile % ${tilesOut}) * ${TILE};
        let a = l / 8; // this thread's inputs a, a + 8, a + 16, a + 24 of the tile; outputs c, c + 8, …
        let c = l % 8;
        var acc : array<f32, 16>;
        for (var chunk = 0; chunk < ${BLOCK / CHUNK}; chunk++) { // a fixed count: barriers in uniform control flow
          let r0 = first + chunk * ${CHUNK};
          for (var k = 0; k < ${loads}; k++) {
            let e = l + 64 * k;
            let row = r0 + e / ${TILE};
            let i = i0 + e % ${TILE};
            let o = o0 + e % ${TILE};
            var xv = 0.0;
            if (row < last && i < ${inputs}) { xv = X[row * ${inputs} + i]; }${bias ? `
            if (row < last && i == ${inputs}) { xv = 1.0; }` : ''}
            xs[e] = xv;
            var dv = 0.0;
            if (row < last && o < ${outputs}) { dv = DY[row * ${outputs} + o]; }
            ds[e] = dv;
          }
          workgroupBarrier();
          for (var r = 0; r < ${CHUNK}; r++) {
            for (var m = 0; m < 4; m++) {
              let xv = xs[r * ${TILE} + a + 8 * m];
              for (var n = 0; n < 4; n++) { acc[m * 4 + n] = acc[m * 4 + n] + xv * ds[r * ${TILE} + c + 8 * n]; }
            }
          }
          workgroupBarrier();
        }
        for (var m = 0; m < 4; m++) {
          let i = i0 + a + 8 * m;
          for (var n = 0; n < 4; n++) {
            let o = o0 + c + 8 * n;
            if (i < ${inputs} && o < ${outputs}) { add_DW(i * ${outputs} + o, acc[m * 4 + n]); }${bias ? `
            if (i == ${inputs} && o < ${outputs}) { add_DB(o, acc[m * 4 + n]); }` : ''}
          }
        }
      }`,
  }, bias ? [dw, db] : [dw], [x, dy], [{ type: 'i32', value: rows }], 64 * tilesIn * tilesOut * blocks);
  return [dw as tf.Tensor2D, bias ? (db as tf.Tensor1D) : null];
}

/** x [.., in] as [rows, in]: a TensorInfo of the same buffer (within a kernel, where x outlives it). */
function rowsOf(x: tf.TensorInfo): tf.TensorInfo {
  if (x.shape.length === 2) return x;
  const inputs = x.shape[x.shape.length - 1];
  return { dataId: x.dataId, shape: [tf.util.sizeFromShape(x.shape) / inputs, inputs], dtype: x.dtype };
}

/** What follows the product and the bias: nothing, or relu (the dense op's, `dense.ts`). */
export type Activation = 'linear' | 'relu';
interface Attrs { activation: Activation; bias: boolean; keep: boolean }

function register(): void {
  if (tf.getKernel(KERNEL, 'webgpu')) return;
  tf.registerKernel({
    kernelName: KERNEL, backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { activation, keep } = attrs as unknown as Attrs;
      const x = inputs.x as tf.TensorInfo, w = inputs.w as tf.TensorInfo;
      // x [.., in] as [rows, in] and the product [rows, out] as [.., out]: the same buffers relabelled, as tfjs's
      // reshape kernel does, inside this kernel — a reshape op each way (and its gradient's) costs the main thread more
      const y = tf.getKernel(tf._FusedMatMul, 'webgpu')!.kernelFunc({
        inputs: { a: rowsOf(x), b: w, ...(inputs.bias ? { bias: inputs.bias } : {}) }, backend,
        attrs: { transposeA: false, transposeB: false, activation: activation === 'relu' ? 'relu' : null, leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      const out = { dataId: y.dataId, shape: [...x.shape.slice(0, -1), w.shape[1]], dtype: y.dtype };
      if (!keep) return out;
      // x again, its buffer shared (as tfjs's identity kernel does)
      (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return [out, { dataId: x.dataId, shape: x.shape, dtype: x.dtype }];
    },
  });
  tf.registerGradient({
    kernelName: KERNEL, inputsToSave: ['x', 'w'], outputsToSave: [true],
    gradFunc: (dys, saved, attrs) => {
      const [x, w, y] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor];
      const { activation, bias } = attrs as unknown as Attrs;
      const [dy, dKept] = (Array.isArray(dys) ? dys : [dys, null]) as [tf.Tensor, tf.Tensor | null];
      const d = activation === 'relu' ? reluGradient(dy, y) : dy;
      const [dw, db] = weightGradients(x, d, bias); // the weights' are always asked for; x's only where needed
      // x's: dy·wᵀ, plus the kept copy's gradient added in the product's dispatch (tfjs's fused matMul, dKept as its
      // bias), on [rows, ..] views and relabelled x's shape (a gradient function is not taped: no reshape op needed)
      const dx = () => {
        const rows = x.size / w.shape[0];
        const product = tf.engine().runKernel(tf._FusedMatMul, { a: view(d, [rows, w.shape[1]]), b: w, ...(dKept ? { bias: view(dKept, [rows, w.shape[0]]) } : {}) },
          { transposeA: false, transposeB: true, activation: null, leakyreluAlpha: 0 } as unknown as tf.NamedAttrMap) as tf.Tensor;
        return view(product, x.shape);
      };
      return { x: dx, w: () => dw, ...(db ? { bias: () => db } : {}) };
    },
  });
}

/** Whether `denseWebgpu` runs here: the webgpu backend with several outputs a dispatch (`webgpuInPlace`). */
export function denseWebgpuAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && inPlaceAvailable();
}

/** x [.., in] · w [in, out] (+ bias [out]) (then relu) → [.., out] on webgpu (see the file's comment); only where `denseWebgpuAvailable`. */
export function denseWebgpu<T extends tf.Tensor>(x: T, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation: Activation): T {
  return run(x, w, bias, activation, false) as T;
}

/**
 * `denseWebgpu`, and x again as the op's second output (its buffer shared, no dispatch): for a
 * residual that adds x back. x's gradient is then dy·wᵀ plus the copy's in one dispatch, where
 * x read by two ops gets two gradients and autograd adds them in a dispatch of its own.
 */
export function denseWebgpuKeepingInput<T extends tf.Tensor>(x: T, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation: Activation): [T, T] {
  return run(x, w, bias, activation, true) as [T, T];
}

function run(x: tf.Tensor, w: tf.Tensor2D, bias: tf.Tensor1D | undefined, activation: Activation, keep: boolean): tf.Tensor | tf.Tensor[] {
  register();
  const attrs = { activation, bias: bias !== undefined, keep } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(KERNEL, (bias ? { x, w, bias } : { x, w }) as unknown as tf.NamedTensorMap, attrs);
}
