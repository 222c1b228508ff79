/**
 * Array creation: zeros, ones, full, arange, linspace, eye, identity, tri, tril, triu,
 * meshgrid, and the `*Like` forms.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, type ArrayLike, MxArray } from "./array.ts";
import { type Dtype, dtypeCode, float32, int32 } from "./dtype.ts";
import { add, divide, equal, greaterEqual, multiply, subtract } from "./elementwise.ts";
import { checkHandle, MxError } from "./errors.ts";
import { astype, where } from "./ops.ts";
import { broadcastTo, copy, reshape, type ShapeLike } from "./shapes.ts";
import { checkStream, type OpOptions, type StreamOrDevice } from "./device.ts";

/**
 * An array of `shape` filled with `value` (an array broadcasts), in `dtype` (default: a
 * number gives float32, a boolean bool, an array its own dtype).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.full([2, 2], 7, mx.int32)));
 * // array([[7, 7],
 * //        [7, 7]], dtype=int32)
 * ```
 */
export function full(shape: ShapeLike, value: ArrayLike, dtype?: Dtype, options: OpOptions = {}): MxArray {
  checkStream("full", options.stream);
  if (dtype !== undefined) dtypeCode("full", dtype);
  using source = value instanceof MxArray ? astype(value, dtype ?? value.dtype) : array(value, dtype);
  using broadcast = broadcastTo(source, shape);
  return copy(broadcast);
}

/**
 * An array of `shape` filled with zeros (default dtype float32).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.zeros([2, 3]).tolist()); // [[0, 0, 0], [0, 0, 0]]
 * ```
 */
export function zeros(shape: ShapeLike, dtype: Dtype = float32, options: OpOptions = {}): MxArray {
  checkStream("zeros", options.stream);
  dtypeCode("zeros", dtype);
  return full(shape, 0, dtype);
}

/**
 * An array of `shape` filled with ones (default dtype float32).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.ones(3, mx.int8).tolist()); // [1, 1, 1]
 * ```
 */
export function ones(shape: ShapeLike, dtype: Dtype = float32, options: OpOptions = {}): MxArray {
  checkStream("ones", options.stream);
  dtypeCode("ones", dtype);
  return full(shape, 1, dtype);
}

/**
 * Zeros with the shape and dtype of `a`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.zerosLike(mx.array([1, 2], mx.int32)).tolist()); // [0, 0]
 * ```
 */
export function zerosLike(a: MxArray, options: OpOptions = {}): MxArray {
  checkStream("zeros_like", options.stream);
  return full(a.shape, 0, a.dtype);
}

/**
 * Ones with the shape and dtype of `a`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.onesLike(mx.array([1, 2])).tolist()); // [1, 1]
 * ```
 */
export function onesLike(a: MxArray, options: OpOptions = {}): MxArray {
  checkStream("ones_like", options.stream);
  return full(a.shape, 1, a.dtype);
}

/**
 * `value` with the shape and dtype of `a`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fullLike(mx.array([1, 2]), 5).tolist()); // [5, 5]
 * ```
 */
export function fullLike(a: MxArray, value: ArrayLike, options: OpOptions = {}): MxArray {
  checkStream("full_like", options.stream);
  return full(a.shape, value, a.dtype);
}

/** Options of `arange`. */
export interface ArangeOptions extends OpOptions {
  /** The difference between consecutive values (default 1). */
  step?: number;
  /** Default: int32 when start, stop and step are integers, else float32. */
  dtype?: Dtype;
}

/**
 * Evenly spaced values in [start, stop): `arange(stop)` (or `arange(stop, options)`) counts
 * from 0.
 *
 * @param start The first value, or the stop when `stop` is omitted.
 * @param stop The end (excluded).
 * @param options `step` and `dtype`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.arange(5).tolist(), mx.arange(1, 2, { step: 0.25 }).tolist());
 * // [0, 1, 2, 3, 4] [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(start: number, options?: ArangeOptions): MxArray;
export function arange(start: number, stop?: number, options?: ArangeOptions): MxArray;
export function arange(start: number, stopOrOptions?: number | ArangeOptions, options: ArangeOptions = {}): MxArray {
  const stop = typeof stopOrOptions === "number" ? stopOrOptions : undefined;
  if (typeof stopOrOptions === "object" && stopOrOptions !== null) options = stopOrOptions;
  checkStream("arange", options.stream);
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  const step = options.step ?? 1;
  for (const [name, value] of [["start", from], ["stop", to], ["step", step]] as const) {
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new MxError("invalid_argument", `[arange] ${name} must be a number; got ${String(value)}`);
    }
  }
  const integral = Number.isInteger(from) && Number.isInteger(to) && Number.isInteger(step);
  const dtype = options.dtype ?? (integral ? int32 : float32);
  return new MxArray(checkHandle(native.arange(from, to, step, dtypeCode("arange", dtype))));
}

/**
 * `num` evenly spaced values from `start` to `stop` (included unless `endpoint` is false),
 * computed as MLX does: `(1 - t) * start + t * stop` in float32, then converted to `dtype`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.linspace(0, 1, { num: 5 }).tolist()); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(
  start: number,
  stop: number,
  options: { num?: number; endpoint?: boolean; dtype?: Dtype; stream?: StreamOrDevice } = {},
): MxArray {
  checkStream("linspace", options.stream);
  const num = options.num ?? 50;
  const dtype = options.dtype ?? float32;
  if (!Number.isInteger(num) || num < 0) {
    throw new MxError("invalid_argument", `[linspace] num must be an integer >= 0; got ${num}`);
  }
  const divisions = options.endpoint === false ? num : Math.max(num - 1, 1);
  using index = arange(0, num, { dtype: float32 });
  using t = divide(index, divisions);
  using oneMinusT = subtract(1, t);
  using low = multiply(oneMinusT, start);
  using high = multiply(t, stop);
  using values = add(low, high);
  return astype(values, dtype);
}

function triMask(op: string, n: number, m: number, k: number, compare: typeof equal): MxArray {
  for (const [name, value] of [["n", n], ["m", m], ["k", k]] as const) {
    if (!Number.isInteger(value) || (name !== "k" && value < 0)) {
      throw new MxError("invalid_argument", `[${op}] ${name} must be an integer${name === "k" ? "" : " >= 0"}; got ${value}`);
    }
  }
  using rows = arange(0, n, { dtype: int32 });
  using column = reshape(rows, [n, 1]);
  using shifted = add(column, k);
  using columns = arange(0, m, { dtype: int32 });
  return compare(shifted, columns);
}

/**
 * An `n` x `m` array with ones on the `k`-th diagonal and zeros elsewhere.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.eye(2, { k: 1 }).tolist()); // [[0, 1], [0, 0]]
 * ```
 */
export function eye(n: number, options: { m?: number; k?: number; dtype?: Dtype; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("eye", options.stream);
  using mask = triMask("eye", n, options.m ?? n, options.k ?? 0, equal);
  return astype(mask, options.dtype ?? float32);
}

/**
 * The `n` x `n` identity matrix.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.identity(2, mx.int32).tolist()); // [[1, 0], [0, 1]]
 * ```
 */
export function identity(n: number, dtype: Dtype = float32, options: OpOptions = {}): MxArray {
  checkStream("identity", options.stream);
  return eye(n, { dtype });
}

/**
 * An `n` x `m` array with ones at and below the `k`-th diagonal.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.tri(3, { k: -1 }).tolist()); // [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
 * ```
 */
export function tri(n: number, options: { m?: number; k?: number; dtype?: Dtype; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("tri", options.stream);
  using mask = triMask("tri", n, options.m ?? n, options.k ?? 0, greaterEqual);
  return astype(mask, options.dtype ?? float32);
}

function triangle(op: string, a: MxArray, k: number, lower: boolean): MxArray {
  const shape = a.shape;
  if (shape.length < 2) {
    throw new MxError("invalid_argument", `[${op}] needs an array of at least 2 dimensions; got shape [${shape}]`);
  }
  const n = shape[shape.length - 2]!;
  const m = shape[shape.length - 1]!;
  using mask = lower ? triMask(op, n, m, k, greaterEqual) : triMask(op, n, m, k - 1, greaterEqual);
  using zero = array(0, a.dtype);
  return lower ? where(mask, a, zero) : where(mask, zero, a);
}

/**
 * `a` with the elements above the `k`-th diagonal of its last two axes set to zero.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.tril(mx.ones([2, 2])).tolist()); // [[1, 0], [1, 1]]
 * ```
 */
export function tril(a: MxArray, options: { k?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("tril", options.stream);
  return triangle("tril", a, options.k ?? 0, true);
}

/**
 * `a` with the elements below the `k`-th diagonal of its last two axes set to zero.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.triu(mx.ones([2, 2])).tolist()); // [[1, 1], [0, 1]]
 * ```
 */
export function triu(a: MxArray, options: { k?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("triu", options.stream);
  return triangle("triu", a, options.k ?? 0, false);
}

/**
 * Coordinate grids from 1-d coordinate arrays: `"xy"` (default) swaps the first two output
 * axes (Cartesian), `"ij"` keeps them (matrix indexing).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [x, y] = mx.meshgrid([mx.array([1, 2, 3]), mx.array([4, 5])]);
 * console.log(x!.shape, y!.tolist()); // [2, 3] [[4, 4, 4], [5, 5, 5]]
 * ```
 */
export function meshgrid(
  arrays: readonly MxArray[],
  options: { indexing?: "xy" | "ij"; sparse?: boolean; stream?: StreamOrDevice } = {},
): MxArray[] {
  checkStream("meshgrid", options.stream);
  const indexing = options.indexing ?? "xy";
  const n = arrays.length;
  const sizes = arrays.map((a) => a.size);
  const outShape = [...sizes];
  if (indexing === "xy" && n > 1) [outShape[0], outShape[1]] = [outShape[1]!, outShape[0]!];
  return arrays.map((a, i) => {
    const target = indexing === "xy" && n > 1 && i < 2 ? 1 - i : i;
    const shape = new Array(n).fill(1);
    shape[target] = sizes[i]!;
    const view = reshape(a, shape);
    if (options.sparse) return view;
    using owned = view;
    using broadcast = broadcastTo(owned, outShape);
    return copy(broadcast);
  });
}


