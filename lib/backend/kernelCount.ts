import { tf } from './tf';

/**
 * TensorFlow.js kernels run in this process since the count was first asked for: every op the
 * engine runs (`runKernelFunc`: a reshape, a clone of a tensor saved for the gradient, a
 * custom-gradient op, a matMul), dispatching on the GPU or not. Each costs the main thread the
 * engine's bookkeeping (~12–18 µs on this VM: scopes, the gradient tape, tensor tracking), so a
 * webgpu training step bound by recording pays for its ops as well as its dispatches; `npm run
 * bench:step` prints the ops a step next to the dispatches (a count that does not depend on the
 * machine's speed).
 */
let counted = 0;
let counting = false;

export function engineKernels(): number {
  if (!counting) {
    const engine = tf.engine() as unknown as { runKernelFunc: (...a: unknown[]) => unknown };
    const original = engine.runKernelFunc;
    engine.runKernelFunc = function (this: unknown, ...args: unknown[]) {
      counted++;
      return original.apply(this, args);
    };
    counting = true;
  }
  return counted;
}
