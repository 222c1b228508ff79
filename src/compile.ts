/**
 * `compile`: traces a function once per input signature into a native program (its graph,
 * with common subexpressions merged) and replays that program for later calls: the
 * function's JavaScript does not run again and no per-op native call is made.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { checkHandle, checkStatus, lastNativeError, MxError } from "./errors.ts";
import { handlesArg } from "./native_args.ts";
import { tidy } from "./scope.ts";
import { countedTrace, leaves, replaceLeaves } from "./transforms.ts";

/** Options of `compile`. */
export interface CompileOptions {
  /** Trace once per input dtypes and ranks, whatever the sizes (elementwise functions only, as
   * MLX requires the same number of dimensions). */
  shapeless?: boolean;
}

let enabled = true;

/**
 * Turns `compile` off: compiled functions then run their JavaScript every call (for
 * debugging). `enableCompile` turns it back on.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * mx.disableCompile();
 * mx.enableCompile();
 * ```
 */
export function disableCompile(): void {
  enabled = false;
}

/** Turns `compile` back on (see `disableCompile`). */
export function enableCompile(): void {
  enabled = true;
}

const programs = new FinalizationRegistry<number>((id) => {
  native.compile_free(id);
});

interface Traced {
  id: number;
  /** The function's result with its arrays as placeholders (other leaves as returned). */
  structure: unknown;
  outputCount: number;
}

/** The cache key of a call: each array's dtype and shape (dtype and rank when shapeless),
 * and every other leaf's value. */
function signature(args: unknown[], shapeless: boolean): string {
  return JSON.stringify(args, (_key, value) => {
    if (value instanceof MxArray) {
      return `#${value.dtype.name}${shapeless ? `/${value.ndim}` : `[${value.shape}]`}`;
    }
    if (typeof value === "bigint") return `${value}n`;
    if (typeof value === "function") {
      throw new MxError("invalid_argument", "[compile] functions cannot be arguments of a compiled function");
    }
    return value;
  });
}

/**
 * Compiles `fn`: the first call with a given input signature traces it (records its graph
 * on tracers) into a native program; later calls with that signature replay the program on
 * the new inputs. Arguments and results are trees of arrays (other leaves are part of the
 * signature and are returned as traced). The function must be pure: it may not read values
 * of arrays computed from its inputs (`item()`, `tolist()`, `eval`); arrays it closes over
 * are captured as constants at trace time. Composes with `grad`, `vjp`, `vmap`.
 *
 * @param fn The function.
 * @param options `shapeless`: one trace per dtypes and ranks, any sizes (elementwise functions).
 * @returns The compiled function.
 * @throws {MxError} (when called) if the function reads a traced value or, shapeless, uses a
 *   non-elementwise op.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const gelu = mx.compile((x: mx.MxArray) =>
 *   mx.multiply(mx.multiply(x, 0.5), mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1))
 * );
 * console.log(String(gelu(mx.array([-1, 0, 1])))); // array([-0.158655, 0, 0.841345], dtype=float32)
 * ```
 */
export function compile<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: CompileOptions = {},
): (...args: A) => R {
  if (typeof fn !== "function") {
    throw new MxError("invalid_argument", `[compile] expected a function; got ${typeof fn}`);
  }
  const shapeless = options.shapeless ?? false;
  const cache = new Map<string, Traced>();
  const compiled = (...args: A): R => {
    if (!enabled) return fn(...args);
    const inputs = leaves(args);
    const key = signature(args, shapeless);
    let traced = cache.get(key);
    if (traced === undefined) {
      traced = trace(fn, args, inputs, shapeless);
      cache.set(key, traced);
      programs.register(compiled, traced.id);
    }
    const inputHandles = handlesArg(inputs.map((a) => a.handle("compile")));
    const outputs = new Uint32Array(Math.max(1, traced.outputCount));
    checkStatus(native.compile_run(traced.id, inputHandles, inputs.length, outputs, traced.outputCount));
    let next = 0;
    return fill(traced.structure, () => new MxArray(outputs[next++]!)) as R;
  };
  return compiled;
}

function trace<A extends unknown[], R>(
  fn: (...args: A) => R,
  args: A,
  inputs: MxArray[],
  shapeless: boolean,
): Traced {
  return tidy(() => {
    native.compile_begin();
    let structure: unknown;
    let outputs: MxArray[];
    let tracers: MxArray[];
    try {
      tracers = inputs.map((a) => new MxArray(checkHandle(native.tracer(a.handle("compile")))));
      let next = 0;
      const tracedArgs = replaceLeaves(args, () => tracers[next++]!);
      structure = countedTrace(() => fn(...tracedArgs));
      outputs = leaves(structure);
    } finally {
      checkStatus(native.compile_end());
    }
    const outputHandles = new Uint32Array(outputs.map((o) => o.handle("compile")));
    const tracerHandles = new Uint32Array(tracers.map((t) => t.handle("compile")));
    const id = native.compile_build(
      outputHandles,
      outputs.length,
      tracerHandles,
      tracers.length,
      shapeless ? 1 : 0,
    );
    if (id === 0) throw lastNativeError();
    // The structure keeps non-array leaves; its arrays become slots filled per call.
    return { id, structure: hollow(structure), outputCount: outputs.length };
  });
}

/** Stands for an output array in a traced result's structure. */
const slot: unique symbol = Symbol("compiled output");

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The tree with its arrays replaced by `slot`. */
function hollow(tree: unknown): unknown {
  if (tree instanceof MxArray) return slot;
  if (Array.isArray(tree)) return tree.map(hollow);
  if (isPlainObject(tree)) return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, hollow(v)]));
  return tree;
}

/** A hollow tree with its slots filled, in order, by `next()`. */
function fill(tree: unknown, next: () => MxArray): unknown {
  if (tree === slot) return next();
  if (Array.isArray(tree)) return tree.map((item) => fill(item, next));
  if (isPlainObject(tree)) {
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, fill(v, next)]));
  }
  return tree;
}

/** The number of operations in the program `fn` traces for `args`: `steps` after merging
 * common subexpressions, `fusedSteps` after fusing float32 elementwise chains (what a call
 * replays); for tests and benchmarks.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const f = (x: mx.MxArray) => mx.multiply(mx.exp(mx.sin(x)), 2);
 * console.log(mx.compiledStepCount(f, mx.array([1, 2]))); // { steps: 3, fusedSteps: 1 }
 * ```
 */
export function compiledStepCount<A extends unknown[], R>(
  fn: (...args: A) => R,
  ...args: A
): { steps: number; fusedSteps: number } {
  const inputs = leaves(args);
  const traced = trace(fn, args, inputs, false);
  try {
    return {
      steps: native.compile_step_count(traced.id, 0),
      fusedSteps: native.compile_step_count(traced.id, 1),
    };
  } finally {
    native.compile_free(traced.id);
  }
}
