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
import { checkHandle, checkStatus, lastNativeError, MxError } from "./errors.ts";
import { handlesArg } from "./native_args.ts";
import { astype } from "./ops.ts";
import { tidy } from "./scope.ts";
import { broadcastTo, expandDims, moveaxis } from "./shapes.ts";
import { index } from "./indexing.ts";
import { stack } from "./joining.ts";

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
export function leaves(tree: unknown, out: MxArray[] = []): MxArray[] {
  if (tree instanceof MxArray) out.push(tree);
  else if (Array.isArray(tree)) { for (const item of tree) leaves(item, out); }
  else if (isPlainObject(tree)) { for (const key of Object.keys(tree)) leaves(tree[key], out); }
  return out;
}

/** The tree with its arrays replaced, in `leaves` order, by `next()`. */
export function replaceLeaves<T>(tree: T, next: () => MxArray): T {
  if (tree instanceof MxArray) return next() as T;
  if (Array.isArray(tree)) return tree.map((item) => replaceLeaves(item, next)) as T;
  if (isPlainObject(tree)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(tree)) out[key] = replaceLeaves(tree[key], next);
    return out as T;
  }
  return tree;
}

/** How many transform traces (grad, vjp, jvp, compile) are open. */
let openTraces = 0;

/** Runs `body` inside a native trace (tracers keep their graph until it ends). */
function traced<T>(body: () => T): T {
  native.trace_begin();
  openTraces++;
  try {
    return body();
  } finally {
    openTraces--;
    checkStatus(native.trace_end());
  }
}

/** Runs `body` counted as an open trace (for traces opened natively elsewhere: compile). */
export function countedTrace<T>(body: () => T): T {
  openTraces++;
  try {
    return body();
  } finally {
    openTraces--;
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

/**
 * The Jacobian-vector product of `fn` at `primals`: runs `fn(...primals)` and returns its
 * outputs and, for each output, `sum over primals of d output / d primal · tangent`.
 *
 * Computed by transposing the vjp: the vjp is linear in its cotangents, so differentiating it
 * with respect to (traced) cotangents, with the tangents as its cotangents, gives J·t. Every
 * primitive with a vjp rule therefore has a jvp, and jvp composes with the other transforms.
 *
 * @param fn A function of arrays returning an array or a list of arrays.
 * @param primals The points to differentiate at.
 * @param tangents One per primal, each of its primal's shape.
 * @returns `[outputs, jvps]`: the outputs (a list) and one tangent per output.
 * @throws {MxError} When the counts or shapes of tangents and primals differ.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [[y], [dy]] = mx.jvp((x) => mx.sin(x), [mx.array([0, 1])], [mx.array([1, 2])]);
 * console.log(y!.shape, (dy!.tolist() as number[]).map((v) => v.toFixed(4))); // [ 2 ] [ "1.0000", "1.0806" ]
 * ```
 */
export function jvp(
  fn: (...args: MxArray[]) => MxArray | MxArray[],
  primals: readonly MxArray[],
  tangents: readonly MxArray[],
): [MxArray[], MxArray[]] {
  checkFunction("jvp", fn);
  checkArrays("jvp", primals, "primals");
  checkArrays("jvp", tangents, "tangents");
  if (tangents.length !== primals.length) {
    throw new MxError(
      "invalid_argument",
      `[jvp] ${tangents.length} tangents given for ${primals.length} primals`,
    );
  }
  tangents.forEach((t, i) => {
    const p = primals[i]!;
    if (t.ndim !== p.ndim || t.shape.some((d, k) => d !== p.shape[k])) {
      throw new MxError(
        "shape_mismatch",
        `[jvp] tangent ${i} has shape [${t.shape}]; its primal has shape [${p.shape}]`,
      );
    }
  });
  return tidy(() =>
    traced(() => {
      const tracers = makeTracers("jvp", primals);
      const result = fn(...tracers);
      const outputs = Array.isArray(result) ? [...result] : [result];
      checkArrays("jvp", outputs, "the outputs of the function");
      // Traced zero cotangents u: the vjp J^T u is linear in u, and its vjp at u with the
      // tangents as cotangents is J t.
      const zeros = outputs.map((o) => mx0(o));
      const cotangents = makeTracers("jvp", zeros);
      const transposed = nativeVjp("jvp", outputs, cotangents, tracers);
      const jvps = nativeVjp("jvp", transposed, tangents.map((t, i) => castLike(t, primals[i]!)), cotangents);
      return [outputs, jvps] as [MxArray[], MxArray[]];
    })
  );
}

/** Zeros shaped and typed like `a` (a broadcast scalar). */
function mx0(a: MxArray): MxArray {
  using zero = fromBytes(new Float64Array([0]), float64, []);
  using cast = astype(zero, a.dtype);
  return broadcastTo(cast, a.shape);
}

function castLike(t: MxArray, like: MxArray): MxArray {
  return t.dtype === like.dtype ? t : astype(t, like.dtype);
}

/** Where `vmap` maps each positional argument: an axis (negative counts from the end) for
 * every array of that argument's tree, or null to pass it unmapped. */
export type InAxes = number | null | readonly (number | null)[];

/** Options of `vmap`. */
export interface VmapOptions {
  /** The mapped axis of each argument (default 0 for all); a single value applies to all. */
  inAxes?: InAxes;
  /** Where the mapped axis goes in each output (default 0); a list gives one per output. */
  outAxes?: number | readonly number[];
}

/**
 * Vectorizes `fn` over an axis of its arguments: the result's output `k` stacks, along
 * `outAxes`, the outputs of `fn` applied to each slice of the mapped arguments.
 *
 * This build maps by running `fn` once per slice and stacking the results (correct for every
 * op and composable with grad; per-primitive batching rules, which run `fn` once, are to come).
 *
 * @param fn A function of trees of arrays returning an array, a list of arrays, or a tree.
 * @param options `inAxes`, `outAxes`.
 * @returns The vectorized function.
 * @throws {MxError} (when called) on an axis out of range or mapped arguments whose sizes on
 *   their mapped axes differ.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const dot = (a: mx.MxArray, b: mx.MxArray) => mx.sum(mx.multiply(a, b));
 * const rows = mx.vmap(dot, { inAxes: [0, null] });
 * console.log(rows(mx.array([[1, 2], [3, 4]]), mx.array([1, 1])).tolist()); // [3, 7]
 * ```
 */
export function vmap<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: VmapOptions = {},
): (...args: A) => R {
  checkFunction("vmap", fn);
  return (...args: A) => {
    const inAxes = options.inAxes === undefined ? 0 : options.inAxes;
    const axes = Array.isArray(inAxes) ? [...inAxes] : args.map(() => inAxes as number | null);
    if (axes.length !== args.length) {
      throw new MxError(
        "invalid_argument",
        `[vmap] inAxes has ${axes.length} entries for ${args.length} arguments`,
      );
    }
    let size: number | undefined;
    const resolved = args.map((arg, i) => {
      const axis = axes[i];
      if (axis === null || axis === undefined) return null;
      return leaves(arg).map((a) => {
        if (!Number.isInteger(axis) || axis < -a.ndim || axis >= a.ndim) {
          throw new MxError(
            "invalid_argument",
            `[vmap] inAxes ${axis} is out of range for argument ${i} of shape [${a.shape}]`,
          );
        }
        const at = axis < 0 ? axis + a.ndim : axis;
        const n = a.shape[at]!;
        if (size !== undefined && n !== size) {
          throw new MxError(
            "shape_mismatch",
            `[vmap] mapped axes have different sizes: ${size} and ${n} (argument ${i}, shape [${a.shape}])`,
          );
        }
        size = n;
        return at;
      });
    });
    if (size === undefined) {
      throw new MxError("invalid_argument", "[vmap] no argument is mapped (inAxes are all null)");
    }
    const count = size;
    const rule = customVmaps.get(fn);
    if (rule !== undefined) {
      return customVmap(rule, args as unknown as MxArray[], resolved, count, options.outAxes) as R;
    }
    return tidy(() => {
      const results: R[] = [];
      for (let k = 0; k < count; k++) {
        const sliced = args.map((arg, i) => {
          const at = resolved[i];
          if (at === null || at === undefined) return arg;
          let next = 0;
          return replaceLeaves(arg, () => {
            const a = leaves(arg)[next]!;
            const axis = at[next++]!;
            using moved = moveaxis(a, axis, 0);
            return index(moved, k);
          });
        }) as A;
        results.push(fn(...sliced));
      }
      const first = results[0] as R;
      const outputs = leaves(first);
      const outAxes = options.outAxes ?? 0;
      const perOutput = typeof outAxes === "number" ? outputs.map(() => outAxes) : [...outAxes];
      if (perOutput.length !== outputs.length) {
        throw new MxError(
          "invalid_argument",
          `[vmap] outAxes has ${perOutput.length} entries for ${outputs.length} outputs`,
        );
      }
      const stacked = outputs.map((out, j) => {
        const axis = perOutput[j]!;
        if (!Number.isInteger(axis) || axis < -(out.ndim + 1) || axis > out.ndim) {
          throw new MxError(
            "invalid_argument",
            `[vmap] outAxes ${axis} is out of range for an output of shape [${out.shape}]`,
          );
        }
        return stack(results.map((r) => leaves(r)[j]!), { axis });
      });
      let next = 0;
      return replaceLeaves(first, () => stacked[next++]!);
    });
  };
}

/** The vjp of a custom function: gradients for its primals (one per argument) given the
 * cotangents of its outputs. */
export type CustomVjp = (
  primals: MxArray[],
  cotangents: MxArray[],
  outputs: MxArray[],
) => MxArray | MxArray[];

/** The jvp of a custom function: the tangents of its outputs given one tangent per primal. */
export type CustomJvp = (primals: MxArray[], tangents: MxArray[]) => MxArray | MxArray[];

/** The batched form of a custom function: its outputs over inputs mapped on `axes` (null:
 * unmapped), and the mapped axis of each output (null: not mapped). */
export type CustomVmap = (
  inputs: MxArray[],
  axes: (number | null)[],
) => [MxArray | MxArray[], number | null | (number | null)[]];

/** Options of `customFunction`. */
export interface CustomFunctionOptions {
  /** The function's vjp (default: from `jvp` when given, by transposition; otherwise the
   * ordinary vjp of the function, recomputed: `checkpoint`). */
  vjp?: CustomVjp;
  /** The function's jvp (jvp is computed from the vjp: when only `jvp` is given, the vjp is
   * its transpose, so both transforms use it). */
  jvp?: CustomJvp;
  /** How `vmap` maps the function (default: once per slice). */
  vmap?: CustomVmap;
}

/** The custom vmap rules of custom functions, for `vmap`. */
const customVmaps = new WeakMap<object, CustomVmap>();

/**
 * A function whose derivative is the given `vjp` instead of the derivative of its ops (for
 * numerically better or cheaper gradients). Its arguments and results are arrays. Outside a
 * transform it is just `fn`. Under `grad`/`vjp`/`jvp`, `fn` runs on untraced views of the
 * arguments (its ops are not differentiated, and their intermediates are freed as usual),
 * and `vjp` runs once on placeholder cotangents; the gradient graph it records is replayed
 * with the real cotangents (so `vjp` must be built from array ops and be linear in the
 * cotangents, as every vjp is). jvp follows from the vjp.
 *
 * @param fn The function of arrays.
 * @param options `vjp(primals, cotangents, outputs)` returning one gradient per argument;
 *   `jvp(primals, tangents)` returning the outputs' tangents (used for jvp, and transposed for
 *   the vjp when no `vjp` is given); `vmap(inputs, axes)` returning `[outputs, outputAxes]`
 *   (used by `vmap` instead of mapping per slice).
 * @returns The custom function.
 *
 * @example A gradient clipped to [-1, 1]
 * ```ts
 * import * as mx from "mlx-ts";
 * const clippedSquare = mx.customFunction((x: mx.MxArray) => mx.square(x), {
 *   vjp: ([x], [c]) => mx.multiply(c!, mx.clip(mx.multiply(x!, 2), -1, 1)),
 * });
 * console.log(mx.grad((x: mx.MxArray) => mx.sum(clippedSquare(x)))(mx.array([0.25, 3])).tolist()); // [0.5, 1]
 * ```
 */
export function customFunction<F extends (...args: MxArray[]) => MxArray | MxArray[]>(
  fn: F,
  options: CustomFunctionOptions = {},
): F {
  checkFunction("custom_function", fn);
  const userJvp = options.jvp;
  const userVjp: CustomVjp = options.vjp ??
    (userJvp !== undefined
      ? (primals, cotangents) => {
        // The jvp is linear in the tangents: its vjp in them (at zero tangents) is the vjp.
        const zeros = primals.map((p) => mx0(p));
        const linear = (...tangents: MxArray[]) => userJvp(primals, tangents);
        return vjp(linear, zeros, cotangents)[1];
      }
      : (primals, cotangents) => vjp(fn, primals, cotangents)[1]);
  const wrapped = (...args: MxArray[]) => {
    checkArrays("custom_function", args, "arguments");
    if (openTraces === 0) return fn(...args);
    return tidy(() => {
      const views = args.map((a) => new MxArray(checkHandle(native.untraced(a.handle("custom_function")))));
      const result = fn(...views);
      const outputs = Array.isArray(result) ? [...result] : [result];
      checkArrays("custom_function", outputs, "the outputs of the function");
      const placeholders = makeTracers("custom_function", outputs.map((o) => mx0(o)));
      const given = userVjp([...args], placeholders, outputs);
      const grads = Array.isArray(given) ? [...given] : [given];
      checkArrays("custom_function", grads, "the gradients of the vjp");
      if (grads.length !== args.length) {
        throw new MxError(
          "invalid_argument",
          `[custom_function] the vjp returned ${grads.length} gradients for ${args.length} arguments`,
        );
      }
      grads.forEach((g, i) => {
        const a = args[i]!;
        if (g.ndim !== a.ndim || g.shape.some((d, k) => d !== a.shape[k])) {
          throw new MxError(
            "shape_mismatch",
            `[custom_function] the vjp gave a gradient of shape [${g.shape}] for argument ${i} of shape [${a.shape}]`,
          );
        }
      });
      const program = native.compile_build(
        new Uint32Array(grads.map((g) => g.handle("custom_function"))),
        grads.length,
        new Uint32Array(placeholders.map((p) => p.handle("custom_function"))),
        placeholders.length,
        0,
      );
      if (program === 0) throw lastNativeError();
      try {
        const primalHandles = new Uint32Array(args.map((a) => a.handle("custom_function")));
        const customs = outputs.map((o, k) =>
          new MxArray(
            checkHandle(
              native.custom_output(program, k, primalHandles, args.length, o.handle("custom_function")),
            ),
          )
        );
        return (Array.isArray(result) ? customs : customs[0]!) as ReturnType<F>;
      } finally {
        checkStatus(native.compile_free(program)); // the outputs hold the program now
      }
    });
  };
  if (options.vmap !== undefined) customVmaps.set(wrapped, options.vmap);
  return wrapped as F;
}

/**
 * `fn` with gradient checkpointing: under a transform its intermediates are not kept for the
 * backward pass; the vjp recomputes them from the arguments (less memory, more compute).
 *
 * @param fn A function of arrays.
 * @returns The checkpointed function (same values, same gradients).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const block = mx.checkpoint((x: mx.MxArray) => mx.tanh(mx.exp(x)));
 * const g = mx.grad((x: mx.MxArray) => mx.sum(block(x)))(mx.array([0]));
 * console.log(Number(g.item()).toFixed(6)); // 0.419974
 * ```
 */
export function checkpoint<F extends (...args: MxArray[]) => MxArray | MxArray[]>(fn: F): F {
  return customFunction(fn);
}

/** `vmap` of a custom function with its own rule: the rule's outputs, their mapped axes moved
 * to `outAxes` (unmapped outputs are broadcast along it). */
function customVmap(
  rule: CustomVmap,
  args: MxArray[],
  resolved: (number[] | null)[],
  size: number,
  outAxes: number | readonly number[] | undefined,
): MxArray | MxArray[] {
  return tidy(() => {
    const [result, given] = rule(args, resolved.map((r) => (r === null ? null : r[0]!)));
    const outputs = Array.isArray(result) ? [...result] : [result];
    const axes = Array.isArray(given) ? [...given] : outputs.map(() => given as number | null);
    const wanted = outAxes === undefined
      ? outputs.map(() => 0)
      : typeof outAxes === "number"
      ? outputs.map(() => outAxes)
      : [...outAxes];
    if (axes.length !== outputs.length || wanted.length !== outputs.length) {
      throw new MxError(
        "invalid_argument",
        `[vmap] the custom rule gave ${axes.length} axes for ${outputs.length} outputs`,
      );
    }
    const moved = outputs.map((out, k) => {
      const from = axes[k];
      const to = wanted[k]!;
      if (from === null || from === undefined) {
        using expanded = expandDims(out, to);
        const shape = [...expanded.shape];
        shape[to < 0 ? to + shape.length : to] = size;
        return broadcastTo(expanded, shape);
      }
      return moveaxis(out, from, to);
    });
    return Array.isArray(result) ? moved : moved[0]!;
  });
}
