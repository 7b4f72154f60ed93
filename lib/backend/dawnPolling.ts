/**
 * How often Dawn's Node bindings poll for finished GPU work while a promise of theirs is pending
 * (a read's `mapAsync`, `requestDevice`, …).
 *
 * The bindings (npm `webgpu`, `AsyncRunner::ScheduleProcessEvents`) poll by calling the global
 * `setImmediate` with a fresh native function that processes Dawn's events and schedules itself
 * again: while training waits for a read, ~100,000–160,000 polls a second on one core, each
 * allocating a function and an immediate. Measured on lavapipe (2-core VM): the spin takes a
 * core from the driver's threads, and its garbage is scavenged in the middle of the next steps'
 * recording (~15 ms pauses every ~75 ms, ~10 MB a step kept until a full collection).
 *
 * `spaceDawnPolls` lets the first polls of a wait run at once (a read that is ready within
 * `IMMEDIATE_MS` sees no delay) and runs the later ones on a 1 ms timer: a long wait costs
 * ~1,000 polls a second, a read at most ~1 ms more. Only Dawn's polls are touched — native
 * functions without a name; JavaScript callbacks go to the real `setImmediate` as before.
 * `GATEBOOK_DAWN_POLL=spin` leaves Dawn's polling as it is (for an A/B on a GPU box).
 */

/** A wait's first polls run at once for this long; later ones every ~1 ms. */
const IMMEDIATE_MS = 0.25;
/** A poll this long after the previous one starts a new wait. */
const NEW_WAIT_MS = 2;

const counts = { immediate: 0, spaced: 0 };
let installed = false;

/** Dawn's polls since the process started: run at once, and run on the 1 ms timer. */
export function dawnPolls(): { immediate: number; spaced: number } {
  return { ...counts };
}

/** Dawn's poll: a native function with no name (`Napi::Function::New` of a lambda). JavaScript functions, bound ones and named built-ins are not. */
function isDawnPoll(fn: unknown): fn is (...args: unknown[]) => void {
  return typeof fn === 'function' && fn.name === '' && Function.prototype.toString.call(fn).endsWith('{ [native code] }');
}

/** Installs the spacing (once per process; call before Dawn creates its instance). */
export function spaceDawnPolls(): void {
  if (installed || process.env.GATEBOOK_DAWN_POLL === 'spin') return;
  installed = true;
  const immediate = globalThis.setImmediate;
  let waitStarted = -Infinity, lastPoll = -Infinity;
  const spaced = function setImmediate(this: unknown, callback: (...args: unknown[]) => void, ...args: unknown[]) {
    if (!isDawnPoll(callback)) return Reflect.apply(immediate, this, [callback, ...args]) as NodeJS.Immediate;
    const now = performance.now();
    if (now - lastPoll > NEW_WAIT_MS) waitStarted = now;
    lastPoll = now;
    if (now - waitStarted < IMMEDIATE_MS) {
      counts.immediate++;
      return Reflect.apply(immediate, undefined, [callback, ...args]) as NodeJS.Immediate;
    }
    counts.spaced++;
    setTimeout(callback, 0, ...args);
    return undefined as unknown as NodeJS.Immediate; // Dawn ignores what it returns
  };
  Object.assign(spaced, immediate); // setImmediate[util.promisify.custom] and the like
  globalThis.setImmediate = spaced as typeof globalThis.setImmediate;
}
