/**
 * Function transforms: `vjp`, `grad`, `valueAndGrad`. The function runs once on tracers (views
 * of its array arguments that the native graph marks); the native `vjp` walks the recorded
 * graph back from the outputs with each primitive's derivative rule. Gradients are lazy arrays
 * like any other, so transforms compose (the gradient of a gradient).
 *
 * Functions take and return trees: arrays, plain objects and JS arrays of them, nested;
 * other leaves (numbers, strings, null) pass through untouched.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { fromBytes, MxArray } from "./array.ts";
import { float64 } from "./dtype.ts";
import { checkHandle, checkStatus, MxError } from "./errors.ts";
import { handlesArg } from "./native_args.ts";
import { astype } from "./ops.ts";
import { tidy } from "./scope.ts";

/** A tree of arrays: an array, or plain objects / JS arrays of trees; other leaves pass
 * through transforms untouched. */
export type Tree =
  | MxArray
  | readonly Tree[]
  | { readonly [key: string]: Tree }
  | number
  | string
  | boolean
  | null
  | undefined;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The arrays of a tree, depth first (object keys in insertion order). */
function leaves(tree: unknown, out: MxArray[] = []): MxArray[] {
  if (tree instanceof MxArray) out.push(tree);
  else if (Array.isArray(tree)) { for (const item of tree) leaves(item, out); }
  else if (isPlainObject(tree)) { for (const key of Object.keys(tree)) leaves(tree[key], out); }
  return out;
}

/** The tree with its arrays replaced, in `leaves` order, by `next()`. */
function replaceLeaves<T>(tree: T, next: () => MxArray): T {
  if (tree instanceof MxArray) return next() as T;
  if (Array.isArray(tree)) return tree.map((item) => replaceLeaves(item, next)) as T;
  if (isPlainObject(tree)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(tree)) out[key] = replaceLeaves(tree[key], next);
    return out as T;
  }
  return tree;
}

/** Runs `body` inside a native trace (tracers keep their graph until it ends). */
function traced<T>(body: () => T): T {
  native.trace_begin();
  try {
    return body();
  } finally {
    checkStatus(native.trace_end());
  }
}

/** Tracers standing for `primals`. */
function makeTracers(op: string, primals: readonly MxArray[]): MxArray[] {
  return primals.map((p) => new MxArray(checkHandle(native.tracer(p.handle(op)))));
}

/** The native vjp: cotangents of `tracers` given `cotangents` of `outputs`. */
function nativeVjp(
  op: string,
  outputs: readonly MxArray[],
  cotangents: readonly MxArray[],
  tracers: readonly MxArray[],
): MxArray[] {
  const outputHandles = new Uint32Array(outputs.map((o) => o.handle(op)));
  const cotangentHandles = new Uint32Array(cotangents.map((c) => c.handle(op)));
  const primalHandles = handlesArg(tracers.map((t) => t.handle(op)));
  const grads = new Uint32Array(Math.max(1, tracers.length));
  checkStatus(
    native.vjp(outputHandles, cotangentHandles, outputs.length, primalHandles, tracers.length, grads),
  );
  return Array.from(grads.subarray(0, tracers.length), (handle) => new MxArray(handle));
}

/**
 * The vector-Jacobian product of `fn` at `primals`: runs `fn(...primals)` and returns its
 * outputs and, for each primal, the sum over outputs of `cotangent · d output / d primal`.
 *
 * @param fn A function of arrays returning an array or a list of arrays.
 * @param primals The points to differentiate at.
 * @param cotangents One per output, each of its output's shape.
 * @returns `[outputs, vjps]`: the outputs (a list) and one cotangent per primal.
 * @throws {MxError} When the counts or shapes of cotangents and outputs differ, or an op in
 *   `fn` has no derivative rule yet.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [outputs, [dx]] = mx.vjp((x) => mx.multiply(x, x), [mx.array([1, 2, 3])], [mx.array([1, 1, 1])]);
 * console.log(outputs[0]!.tolist(), dx!.tolist()); // [1, 4, 9] [2, 4, 6]
 * ```
 */
export function vjp(
  fn: (...args: MxArray[]) => MxArray | MxArray[],
  primals: readonly MxArray[],
  cotangents: readonly MxArray[],
): [MxArray[], MxArray[]] {
  checkFunction("vjp", fn);
  checkArrays("vjp", primals, "primals");
  checkArrays("vjp", cotangents, "cotangents");
  return tidy(() =>
    traced(() => {
      const tracers = makeTracers("vjp", primals);
      const result = fn(...tracers);
      const outputs = Array.isArray(result) ? [...result] : [result];
      checkArrays("vjp", outputs, "the outputs of the function");
      if (outputs.length !== cotangents.length) {
        throw new MxError(
          "invalid_argument",
          `[vjp] ${cotangents.length} cotangents given for ${outputs.length} outputs`,
        );
      }
      return [outputs, nativeVjp("vjp", outputs, cotangents, tracers)] as [MxArray[], MxArray[]];
    })
  );
}

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions {
  /** The argument(s) to differentiate with respect to (default 0). A list gives a list of
   * gradients. Each selected argument may be a tree of arrays. */
  argnums?: number | readonly number[];
}

/** The result of a function `valueAndGrad` differentiates: a scalar array, or a list whose
 * first element is the scalar array (the rest, auxiliary values, pass through). */
type Value = MxArray | readonly [MxArray, ...unknown[]];

function checkFunction(op: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new MxError("invalid_argument", `[${op}] expected a function; got ${typeof fn}`);
  }
}

function checkArrays(op: string, values: readonly unknown[], what: string): void {
  if (!Array.isArray(values)) {
    throw new MxError("invalid_argument", `[${op}] ${what} must be a list of arrays`);
  }
  values.forEach((v, i) => {
    if (!(v instanceof MxArray)) {
      throw new MxError("invalid_argument", `[${op}] ${what}[${i}] must be an MxArray; got ${typeof v}`);
    }
  });
}

function argnumList(op: string, argnums: number | readonly number[] | undefined, argCount: number): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === "number" ? [argnums] : [...argnums];
  if (list.length === 0) throw new MxError("invalid_argument", `[${op}] argnums is empty`);
  for (const n of list) {
    if (!Number.isInteger(n) || n < 0 || n >= argCount) {
      throw new MxError(
        "invalid_argument",
        `[${op}] argnums ${n} is out of range for a call with ${argCount} argument${
          argCount === 1 ? "" : "s"
        }`,
      );
    }
  }
  if (new Set(list).size !== list.length) {
    throw new MxError("invalid_argument", `[${op}] argnums repeats an argument`);
  }
  return list;
}

/** The value and the gradients (one tree per selected argument) of `fn` at `args`. */
function valueAndGradImpl<A extends unknown[]>(
  op: string,
  fn: (...args: A) => Value,
  options: GradOptions,
  args: A,
): [Value, unknown] {
  const argnums = argnumList(op, options.argnums, args.length);
  const selected = argnums.map((n) => leaves(args[n]));
  const primals = selected.flat();
  return tidy(() =>
    traced(() => {
      const tracers = makeTracers(op, primals);
      let next = 0;
      const tracedArgs = [...args];
      for (const n of argnums) tracedArgs[n] = replaceLeaves(args[n], () => tracers[next++]!);
      const value = fn(...(tracedArgs as A));
      const loss = value instanceof MxArray ? value : Array.isArray(value) ? value[0] : undefined;
      if (!(loss instanceof MxArray)) {
        throw new MxError(
          "invalid_argument",
          `[${op}] the function must return a scalar array (or a list whose first element is one); got ${typeof value}`,
        );
      }
      if (loss.size !== 1 || loss.ndim !== 0) {
        throw new MxError(
          "invalid_argument",
          `[${op}] the function must return a scalar (0-d) array to differentiate; got shape [${loss.shape}]`,
        );
      }
      using one = fromBytes(new Float64Array([1]), float64, []);
      using seed = astype(one, loss.dtype);
      const grads = nativeVjp(op, [loss], [seed], tracers);
      let k = 0;
      const trees = argnums.map((n) => replaceLeaves(args[n], () => grads[k++]!));
      return [value, typeof options.argnums === "object" ? trees : trees[0]] as [Value, unknown];
    })
  );
}

/**
 * A function computing the gradient of `fn` (which must return a scalar array) with respect
 * to the argument(s) `argnums` selects; each may be a tree of arrays, and the gradient has
 * the same structure.
 *
 * @param fn The function to differentiate.
 * @param options `argnums` (default 0; a list gives a list of gradients).
 * @returns `(...args) => gradient(s)`.
 * @throws {MxError} (when called) if `fn` returns a non-scalar, `argnums` is out of range, or
 *   an op has no derivative rule yet.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const f = (x: mx.MxArray) => mx.sum(mx.multiply(x, x));
 * console.log(mx.grad(f)(mx.array([1, 2, 3])).tolist()); // [2, 4, 6]
 * const d2 = mx.grad(mx.grad((x: mx.MxArray) => mx.multiply(mx.multiply(x, x), x)));
 * console.log(d2(mx.array(2)).item()); // 12
 * ```
 */
export function grad<A extends unknown[], N extends number = 0>(
  fn: (...args: A) => Value,
  options?: { argnums?: N },
): (...args: A) => A[N];
export function grad<A extends unknown[]>(
  fn: (...args: A) => Value,
  options: { argnums: readonly number[] },
): (...args: A) => Tree[];
export function grad<A extends unknown[]>(
  fn: (...args: A) => Value,
  options: GradOptions = {},
): (...args: A) => unknown {
  checkFunction("grad", fn);
  return (...args: A) => {
    const [value, grads] = valueAndGradImpl("grad", fn, options, args);
    const kept = new Set(leaves(grads));
    for (const a of leaves(value)) if (!kept.has(a)) a.dispose();
    return grads;
  };
}

/**
 * A function returning `[fn(...args), gradient(s)]` (see `grad`); `fn` may return a list
 * whose first element is the scalar to differentiate and the rest auxiliary values.
 *
 * @param fn The function to differentiate.
 * @param options `argnums` (default 0).
 * @returns `(...args) => [value, gradient(s)]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const loss = (w: mx.MxArray, x: mx.MxArray) => mx.sum(mx.square(mx.subtract(mx.matmul(x, w), 1)));
 * const [value, dw] = mx.valueAndGrad(loss)(mx.array([0.5, 0.5]), mx.array([[1, 2], [3, 4]]));
 * console.log(value.item(), dw.tolist()); // 2.5 [12, 17]
 * ```
 */
export function valueAndGrad<A extends unknown[], R extends Value, N extends number = 0>(
  fn: (...args: A) => R,
  options?: { argnums?: N },
): (...args: A) => [R, A[N]];
export function valueAndGrad<A extends unknown[], R extends Value>(
  fn: (...args: A) => R,
  options: { argnums: readonly number[] },
): (...args: A) => [R, Tree[]];
export function valueAndGrad<A extends unknown[], R extends Value>(
  fn: (...args: A) => R,
  options: GradOptions = {},
): (...args: A) => [R, unknown] {
  checkFunction("valueAndGrad", fn);
  return (...args: A) => valueAndGradImpl("valueAndGrad", fn, options, args) as [R, unknown];
}
