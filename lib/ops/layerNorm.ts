import { tf } from '../backend/tf';
import { fusedOp } from './fusedOp';
import { watFor, wasmModule, watGet as get, watLaneSum } from '../backend/wasmModules';
import { wasmKernelContext } from './wasmBackend';
import { flatProgram, runProgram, workgroupSum } from './webgpuProgram';
import { inPlaceAvailable, newOutputs, runInPlace } from './webgpuInPlace';
import { DRAW, DRAW_FIELDS, drawUniforms, maskAt, type BranchDropout } from './dropout';

/** Layer norm over the last axis (ε = 1e-5): (x − mean) / √(var + ε) · gain + bias. */
function reference(x: tf.Tensor3D, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(gain).add(bias) as tf.Tensor3D;
}

/*
 * The webgpu kernel: one thread per row (a row is one step's d features). Forward is one
 * dispatch; backward is one (`backwardInOne`): each row's mean and 1/σ with its dx = (1/σ)·
 * (g·dy − mean(g·dy) − x̂·mean(g·dy·x̂)), then the gain's gradient Σ_rows dy·x̂ and the bias's
 * Σ_rows dy (each workgroup's rows summed in workgroup memory, then added across workgroups);
 * five where tfjs's internals are not there. The plain ops take ~9 dispatches forward and ~20
 * back.
 */
export const STATS = (d: number) => `
  fn rowStats(row : i32) -> vec2<f32> {
    var sum = 0.0;
    for (var k = 0; k < ${d}; k++) { sum = sum + X[row * ${d} + k]; }
    let mean = sum / ${d}.0;
    var sq = 0.0;
    for (var k = 0; k < ${d}; k++) { let c = X[row * ${d} + k] - mean; sq = sq + c * c; }
    return vec2<f32>(mean, 1.0 / sqrt(sq / ${d}.0 + 1e-5));
  }`;

/** Threads of a workgroup summing one feature's column (the gain's and the bias's gradients). */
const COLUMN_THREADS = 64;

/**
 * WGSL: the gain's gradient Σ_rows dy·x̂ and the bias's Σ_rows dy of feature `column` (a
 * workgroup a feature, its threads summing strided rows, then a tree), handed to `store` as
 * `gains[0]` and `biases[0]` (reads X, DY, S: each row's mean and 1/σ; `rows`, the row count).
 * Where one thread per feature walked every row, a dispatch was d threads (64: one workgroup,
 * a sliver of a GPU) each walking batch × steps rows (15,360) in turn.
 */
const COLUMN_SUMS = (d: number, rows: string, store: string) => `
    var<workgroup> gains : array<f32, ${COLUMN_THREADS}>;
    var<workgroup> biases : array<f32, ${COLUMN_THREADS}>;
    fn main(index : i32) {
      let column = i32(workgroupId.x);
      let j = i32(localId.x);
      var acc = 0.0;
      var sum = 0.0;
      for (var r = j; r < ${rows}; r = r + ${COLUMN_THREADS}) {
        let at = r * ${d} + column;
        acc = acc + DY[at] * (X[at] - S[r * 2]) * S[r * 2 + 1];
        sum = sum + DY[at];
      }
      gains[j] = acc;
      biases[j] = sum;${workgroupSum(['gains', 'biases'], COLUMN_THREADS)}
      if (j == 0) { ${store} }
    }`;

/**
 * WGSL: row `index`'s dx = (1/σ)·(g·dy − mean(g·dy) − x̂·mean(g·dy·x̂)) from its mean and 1/σ
 * (expressions), each element as `v` at `at`, handed to `store` (reads X, G, DY).
 */
const DX_ROW = (d: number, mean: string, rstd: string, store: string) => `
        var m1 = 0.0;
        var m2 = 0.0;
        for (var k = 0; k < ${d}; k++) {
          let at = index * ${d} + k;
          let gdy = DY[at] * G[k];
          m1 = m1 + gdy;
          m2 = m2 + gdy * (X[at] - ${mean}) * ${rstd};
        }
        m1 = m1 / ${d}.0;
        m2 = m2 / ${d}.0;
        for (var k = 0; k < ${d}; k++) {
          let at = index * ${d} + k;
          let v = ${rstd} * (DY[at] * G[k] - m1 - (X[at] - ${mean}) * ${rstd} * m2);
          ${store}
        }`;

function webgpu(x: tf.Tensor3D, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const rows = b * t;
  const body = (xx: tf.Tensor3D, g: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const flat = xx.reshape([rows, d]);
    save([flat, g]);
    const y = runProgram(flatProgram(`gatebook_layernorm_forward_${d}`, [rows, d], rows, ['X', 'G', 'B'], () => `${STATS(d)}
      fn main(index : i32) {
        let rows = uniforms.xShape.x;
        if (index < rows) {
          let s = rowStats(index);
          for (var k = 0; k < ${d}; k++) {
            let at = index * ${d} + k;
            result[at] = (X[at] - s.x) * s.y * G[k] + B[k];
          }
        }
      }`), [flat, g, beta]);
    return {
      value: y.reshape([b, t, d]) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, [sx, sg]: tf.Tensor[]) => {
        const dyFlat = dy.reshape([rows, d]);
        if (inPlaceAvailable()) {
          const [dx, dGain, dBias] = backwardInOne(sx, sg, dyFlat, rows, d);
          return [dx.reshape([b, t, d]), dGain, dBias];
        }
        const stats = runProgram(flatProgram(`gatebook_layernorm_stats_${d}`, [rows, 2], rows, ['X'], () => `${STATS(d)}
          fn main(index : i32) {
            if (index < uniforms.xShape.x) {
              let s = rowStats(index);
              result[index * 2] = s.x;
              result[index * 2 + 1] = s.y;
            }
          }`), [sx]);
        const dx = runProgram(flatProgram(`gatebook_layernorm_dx_${d}`, [rows, d], rows, ['X', 'G', 'DY', 'S'], () => `
          fn main(index : i32) {
            if (index < uniforms.xShape.x) {
              let mean = S[index * 2];
              let rstd = S[index * 2 + 1];${DX_ROW(d, 'mean', 'rstd', 'result[at] = v;')}
            }
          }`), [sx, sg, dyFlat, stats]);
        const dGain = runProgram({
          outputShape: [d], shaderKey: `gatebook_layernorm_dgain_${d}`, dispatchLayout: { x: [0] }, dispatch: [d, 1, 1],
          variableNames: ['X', 'DY', 'S'], workgroupSize: [COLUMN_THREADS, 1, 1],
          getUserCode: () => COLUMN_SUMS(d, 'uniforms.xShape.x', 'result[column] = gains[0];'),
        }, [sx, dyFlat, stats]);
        return [dx.reshape([b, t, d]), dGain, dyFlat.sum(0)];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x, gain, bias) as tf.Tensor3D;
}

/** Rows a workgroup of the one-dispatch backward takes (a thread each), and features its column sums take at a time. */
const GROUP_ROWS = 64;
const SUM_FEATURES = 16;

/**
 * Layer norm's backward in one dispatch (`webgpuInPlace.ts`: several outputs from one
 * dispatch): a thread per row computes the row's mean and 1/σ and writes its dx; then the
 * workgroup's 64 rows sum their dy·x̂ and dy per feature in workgroup memory (16 features at
 * a time; 32 threads add them up) and add those sums into the gain's and the bias's gradients
 * (cleared before the dispatch: `accumulate`) — where the copying path takes five dispatches
 * (the statistics, dx, the gain's gradient, and a transpose and a reduction for the bias's)
 * and, until 2026-11-29 evening, this path two (the rows', then a workgroup per feature
 * summing the rows). With `branch` (x was h + dropout(b): `residualNorm.ts`), the row part
 * also writes b's gradient, dx times the dropout's factor (dx itself without dropout).
 */
export function backwardInOne(x: tf.Tensor, gain: tf.Tensor, dy: tf.Tensor, rows: number, d: number, branch?: BranchDropout | null): tf.Tensor[] {
  const withBranch = branch !== undefined;
  const outputs = newOutputs(withBranch ? [[rows, d], [rows, d], [d], [d]] : [[rows, d], [d], [d]]);
  const factor = branch ? ` * ${maskAt('at', branch.keep)}` : '';
  const chunks = Math.ceil(d / SUM_FEATURES);
  const stride = SUM_FEATURES + 1; // a row's slots padded by one: the column reads fall in different banks
  runInPlace({
    key: `gatebook_layernorm_backward_${d}${withBranch ? `_branch_${branch ? Math.fround(branch.keep) : 1}` : ''}`,
    written: withBranch ? ['DX', 'DBR', 'DG', 'DB'] : ['DX', 'DG', 'DB'], read: ['X', 'G', 'DY'], uniforms: ['rows : i32', ...DRAW_FIELDS],
    accumulate: ['DG', 'DB'], workgroupSize: GROUP_ROWS,
    main: () => `${DRAW}${STATS(d)}
    var<workgroup> gainPart : array<f32, ${GROUP_ROWS * stride}>;
    var<workgroup> biasPart : array<f32, ${GROUP_ROWS * stride}>;
    fn main(index : i32) {
      let j = i32(localId.x);
      let valid = index < uniforms.rows;
      var s = vec2<f32>(0.0, 1.0);
      if (valid) {
        s = rowStats(index);${DX_ROW(d, 's.x', 's.y', `DX[at] = v;${withBranch ? ` DBR[at] = v${factor};` : ''}`)}
      }
      for (var c = 0; c < ${chunks}; c++) { // a fixed count: barriers in uniform control flow
        for (var k = 0; k < ${SUM_FEATURES}; k++) {
          let f = c * ${SUM_FEATURES} + k;
          var g = 0.0;
          var b = 0.0;
          if (valid && f < ${d}) {
            let at = index * ${d} + f;
            b = DY[at];
            g = b * (X[at] - s.x) * s.y;
          }
          gainPart[j * ${stride} + k] = g;
          biasPart[j * ${stride} + k] = b;
        }
        workgroupBarrier();
        if (j < ${2 * SUM_FEATURES}) { // threads 0–15 sum a feature's dy·x̂ over the rows, 16–31 its dy
          let k = j % ${SUM_FEATURES};
          let f = c * ${SUM_FEATURES} + k;
          var acc = 0.0;
          if (j < ${SUM_FEATURES}) {
            for (var r = 0; r < ${GROUP_ROWS}; r++) { acc = acc + gainPart[r * ${stride} + k]; }
            if (f < ${d}) { add_DG(f, acc); }
          } else {
            for (var r = 0; r < ${GROUP_ROWS}; r++) { acc = acc + biasPart[r * ${stride} + k]; }
            if (f < ${d}) { add_DB(f, acc); }
          }
        }
        workgroupBarrier();
      }
    }`,
  }, outputs, [x, gain, dy], [{ type: 'i32', value: rows }, ...drawUniforms(branch?.draws)], Math.ceil(rows / GROUP_ROWS) * GROUP_ROWS);
  return withBranch ? [outputs[0], outputs[2], outputs[3], outputs[1]] : outputs;
}

/**
 * The wasm kernel's two passes in WebAssembly SIMD, for a width d that is a multiple of 4
 * (float32 lanes, where the JavaScript passes below sum in doubles: the same within ~1e-6).
 * `gainSum` and `biasSum` [d] are zeroed by the caller and accumulated row by row.
 */
interface LayerNormLoops {
  forward(x: number, g: number, b: number, y: number, xhat: number, rstd: number, rows: number, d: number): void;
  backward(dy: number, xhat: number, rstd: number, g: number, dx: number, gainSum: number, biasSum: number, rows: number, d: number): void;
}

function loopsText(): string {
  const ld = (base: string, k = '$k') => `(v128.load (i32.add ${get(base)} ${get(k)}))`;
  const st = (base: string, value: string, k = '$k') => `(v128.store (i32.add ${get(base)} ${get(k)}) ${value})`;
  const lanes = (body: string) => watFor('$k', '(i32.const 0)', get('$db'), 16, body);
  /** local `name` := this row's start in the [rows, d] array at `base` */
  const rowOf = (name: string, base: string) => `(local.set ${name} (i32.add ${get(base)} (i32.mul ${get('$row')} ${get('$db')})))`;
  const rowStart = `
      (local.set $db (i32.shl ${get('$d')} (i32.const 2)))
      (local.set $df (f32.convert_i32_u ${get('$d')}))`;
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "forward") (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $xhat i32) (param $rstd i32) (param $rows i32) (param $d i32)
    (local $row i32) (local $k i32) (local $db i32) (local $df f32) (local $acc v128) (local $mean v128) (local $r v128) (local $h v128) (local $rx i32) (local $ry i32) (local $rh i32)
    ${rowStart}
    ${watFor('$row', '(i32.const 0)', get('$rows'), 1, `
      ${rowOf('$rx', '$x')}
      ${rowOf('$ry', '$y')}
      ${rowOf('$rh', '$xhat')}
      (local.set $acc (v128.const f32x4 0 0 0 0))
      ${lanes(`(local.set $acc (f32x4.add ${get('$acc')} ${ld('$rx')}))`)}
      (local.set $mean (f32x4.splat (f32.div ${watLaneSum(get('$acc'))} ${get('$df')})))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      ${lanes(`(local.set $h (f32x4.sub ${ld('$rx')} ${get('$mean')})) (local.set $acc (f32x4.add ${get('$acc')} (f32x4.mul ${get('$h')} ${get('$h')})))`)}
      (local.set $r (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div ${watLaneSum(get('$acc'))} ${get('$df')}) (f32.const 1e-5))))))
      (f32.store (i32.add ${get('$rstd')} (i32.shl ${get('$row')} (i32.const 2))) (f32x4.extract_lane 0 ${get('$r')}))
      ${lanes(`
        (local.set $h (f32x4.mul (f32x4.sub ${ld('$rx')} ${get('$mean')}) ${get('$r')}))
        ${st('$rh', get('$h'))}
        ${st('$ry', `(f32x4.add (f32x4.mul ${get('$h')} ${ld('$g')}) ${ld('$b')})`)}`)}`)})
  (func (export "backward") (param $dy i32) (param $xhat i32) (param $rstd i32) (param $g i32) (param $dx i32) (param $gainSum i32) (param $biasSum i32) (param $rows i32) (param $d i32)
    (local $row i32) (local $k i32) (local $db i32) (local $df f32) (local $m1 v128) (local $m2 v128) (local $gdy v128) (local $v v128) (local $h v128) (local $r v128)
    (local $rdy i32) (local $rh i32) (local $rdx i32)
    ${rowStart}
    ${watFor('$row', '(i32.const 0)', get('$rows'), 1, `
      ${rowOf('$rdy', '$dy')}
      ${rowOf('$rh', '$xhat')}
      ${rowOf('$rdx', '$dx')}
      (local.set $m1 (v128.const f32x4 0 0 0 0))
      (local.set $m2 (v128.const f32x4 0 0 0 0))
      ${lanes(`
        (local.set $v ${ld('$rdy')})
        (local.set $h ${ld('$rh')})
        (local.set $gdy (f32x4.mul ${get('$v')} ${ld('$g')}))
        (local.set $m1 (f32x4.add ${get('$m1')} ${get('$gdy')}))
        (local.set $m2 (f32x4.add ${get('$m2')} (f32x4.mul ${get('$gdy')} ${get('$h')})))
        ${st('$gainSum', `(f32x4.add ${ld('$gainSum')} (f32x4.mul ${get('$v')} ${get('$h')}))`)}
        ${st('$biasSum', `(f32x4.add ${ld('$biasSum')} ${get('$v')})`)}`)}
      (local.set $m1 (f32x4.splat (f32.div ${watLaneSum(get('$m1'))} ${get('$df')})))
      (local.set $m2 (f32x4.splat (f32.div ${watLaneSum(get('$m2'))} ${get('$df')})))
      (local.set $r (f32x4.splat (f32.load (i32.add ${get('$rstd')} (i32.shl ${get('$row')} (i32.const 2))))))
      ${lanes(st('$rdx', `(f32x4.mul ${get('$r')} (f32x4.sub (f32x4.sub (f32x4.mul ${ld('$rdy')} ${ld('$g')}) ${get('$m1')}) (f32x4.mul ${ld('$rh')} ${get('$m2')})))`))}`)})
)`;
}

/** The SIMD passes when d is a multiple of 4, else null (the JavaScript passes). */
function layerNormLoops(d: number): LayerNormLoops | null {
  if (d % 4 !== 0) return null;
  return wasmModule<LayerNormLoops>('gatebook_layer_norm', loopsText);
}

/** The forward pass in JavaScript (a width not a multiple of 4): y, x̂ and each row's 1/σ, summing in doubles. */
function forwardRows(X: Float32Array, G: Float32Array, B: Float32Array, Y: Float32Array, XH: Float32Array, R: Float32Array, rows: number, d: number): void {
  for (let row = 0, at = 0; row < rows; row++, at += d) {
    let sum = 0;
    for (let k = 0; k < d; k++) sum += X[at + k];
    const mean = sum / d;
    let sq = 0;
    for (let k = 0; k < d; k++) sq += (X[at + k] - mean) ** 2;
    const r = 1 / Math.sqrt(sq / d + 1e-5);
    R[row] = r;
    for (let k = 0; k < d; k++) {
      const h = (X[at + k] - mean) * r;
      XH[at + k] = h;
      Y[at + k] = h * G[k] + B[k];
    }
  }
}

/** The backward pass in JavaScript: dx row by row, and the gain's and bias's gradients into DGAIN and DBIAS. */
function backwardRows(DY: Float32Array, XH: Float32Array, R: Float32Array, G: Float32Array, DX: Float32Array, DGAIN: Float32Array, DBIAS: Float32Array, rows: number, d: number): void {
  const gainSum = new Float64Array(d), biasSum = new Float64Array(d);
  for (let row = 0, at = 0; row < rows; row++, at += d) {
    let m1 = 0, m2 = 0;
    for (let k = 0; k < d; k++) {
      const gdy = DY[at + k] * G[k];
      m1 += gdy;
      m2 += gdy * XH[at + k];
      gainSum[k] += DY[at + k] * XH[at + k];
      biasSum[k] += DY[at + k];
    }
    m1 /= d;
    m2 /= d;
    const r = R[row];
    for (let k = 0; k < d; k++) DX[at + k] = r * (DY[at + k] * G[k] - m1 - XH[at + k] * m2);
  }
  DGAIN.set(gainSum);
  DBIAS.set(biasSum);
}

/*
 * The wasm kernel: one pass over the backend's memory each way (the SIMD passes, or the
 * JavaScript ones for a width not a multiple of 4). Forward writes y and keeps x̂ and each
 * row's 1/σ; backward computes dx = (1/σ)·(g·dy − mean(g·dy) − x̂·mean(g·dy·x̂)) row by row
 * while summing the gain's (dy·x̂) and the bias's (dy) gradients.
 * The plain ops run ~9 wasm kernels forward and ~20 back, each a pass over [b, t, d].
 */
function wasm(x: tf.Tensor3D, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const rows = b * t;
  const loops = layerNormLoops(d);
  const body = (xx: tf.Tensor3D, g: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const c = wasmKernelContext();
    const [y, xhat, rstd] = [c.output([b, t, d]), c.output([rows, d]), c.output([rows])];
    if (loops) loops.forward(c.address(xx), c.address(g), c.address(beta), c.address(y), c.address(xhat), c.address(rstd), rows, d);
    else forwardRows(c.heap(xx), c.heap(g), c.heap(beta), c.heap(y), c.heap(xhat), c.heap(rstd), rows, d);
    const saved = [c.tensor(xhat), c.tensor(rstd)];
    save([...saved, g]);
    tf.dispose(saved); // kept by save until the backward pass
    return {
      value: c.tensor<tf.Tensor3D>(y),
      gradFunc: (dy: tf.Tensor, [sxhat, srstd, sg]: tf.Tensor[]) => {
        const [dx, dGain, dBias] = [c.output([b, t, d]), c.output([d]), c.output([d])];
        if (loops) {
          c.heap(dGain).fill(0);
          c.heap(dBias).fill(0);
          loops.backward(c.address(dy), c.address(sxhat), c.address(srstd), c.address(sg), c.address(dx), c.address(dGain), c.address(dBias), rows, d);
        } else {
          backwardRows(c.heap(dy), c.heap(sxhat), c.heap(srstd), c.heap(sg), c.heap(dx), c.heap(dGain), c.heap(dBias), rows, d);
        }
        return [c.tensor(dx), c.tensor(dGain), c.tensor(dBias)];
      },
    };
  };
  return tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0])(x, gain, bias) as tf.Tensor3D;
}

export const layerNorm = fusedOp<[tf.Tensor3D, tf.Tensor1D, tf.Tensor1D], tf.Tensor3D>({ name: 'layerNorm', reference, kernels: { webgpu, wasm } });
