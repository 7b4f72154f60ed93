import { tf } from '../backend/tf';

/**
 * A fused operation: one op with its own gradient, a kernel per backend, and the plain-op
 * version it must agree with (forward and every gradient; `test/ops/`). Models call the op;
 * which kernel runs is decided per call from the active backend. `GATEBOOK_FUSED=0` runs
 * the plain-op reference everywhere (to compare, or to rule a fused kernel out).
 */
export interface FusedOp<A extends unknown[], R> {
  name: string;
  /** plain TensorFlow.js ops, differentiated by autograd: the definition of the op */
  reference: (...args: A) => R;
  /** kernels by backend name; `*` serves every backend without its own */
  kernels: Partial<Record<string, (...args: A) => R>>;
}

/** Whether fused kernels are on (GATEBOOK_FUSED=0 turns them off). */
export function fusedEnabled(): boolean {
  return process.env.GATEBOOK_FUSED !== '0';
}

/** The op as a function: the active backend's kernel, else `*`, else (or when fused kernels are off) the reference. */
export function fusedOp<A extends unknown[], R>(op: FusedOp<A, R>): ((...args: A) => R) & { op: FusedOp<A, R> } {
  const call = (...args: A): R => {
    const kernel = fusedEnabled() ? (op.kernels[tf.getBackend()] ?? op.kernels['*']) : undefined;
    return (kernel ?? op.reference)(...args);
  };
  return Object.assign(call, { op });
}
