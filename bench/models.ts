/**
 * The models the benches time (`npm run bench:train`, `npm run bench:step`) and their input:
 * windows of T steps of F features. The names are the bench table's (and torch_bench.py's).
 */
export const T = 60, F = 31;

export const MODELS: Array<[name: string, family: string, params: Record<string, unknown>]> = [
  ['lstm 2x64', 'lstm', { layers: 2, units: 64, dropout: 0.2 }],
  ['bilstm 64', 'lstm', { layers: 1, units: 64, bidirectional: true, dropout: 0.2 }],
  ['tcn 32x[1,2,4,8]', 'tcn', {}],
  // the same without dropout on both sides: PyTorch's dropout costs ~9 ns a value on this kind of build (Debian's, no MKL), more than its convolutions
  ['tcn 32x[1,2,4,8] no dropout', 'tcn', { dropout: 0 }],
  ['transformer 2x4x64', 'transformer', {}],
];
