/**
 * Reductions (sum, prod, min, max, all, any, mean, var, std, logsumexp), arg-reductions
 * (argmin, argmax), softmax, and scans (cumsum, cumprod, cummax, cummin, logcumsumexp).
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { bool, complex64, type Dtype, float32 } from "./dtype.ts";
import {
  abs,
  add,
  divide,
  equal,
  exp,
  isinf,
  isnan,
  lessEqual,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  multiply,
  sqrt,
  square,
  stopGradient,
  subtract,
} from "./elementwise.ts";
import { full } from "./creation.ts";
import { checkHandle, MxError } from "./errors.ts";
import { int32Arg } from "./native_args.ts";
import { astype, where } from "./ops.ts";
import { normalizeAxis, reshape } from "./shapes.ts";
import { diagonal } from "./indexing.ts";
import { checkStream, type OpOptions, type StreamOrDevice } from "./device.ts";

/** Options of reductions over axes. */
export interface ReduceOptions extends OpOptions {
  /** The axis or axes to reduce (negative counts from the end); all when omitted. */
  axis?: number | readonly number[];
  /** Keep reduced axes as size 1 (default false). */
  keepdims?: boolean;
}

const reduceCodes = { sum: 0, prod: 1, min: 2, max: 3, all: 4, any: 5 } as const;

function axesOf(options: ReduceOptions): readonly number[] {
  return options.axis === undefined ? [] : typeof options.axis === "number" ? [options.axis] : options.axis;
}

function reduce(op: keyof typeof reduceCodes, a: MxArray, options: ReduceOptions): MxArray {
  checkStream(op, options.stream);
  const axes = axesOf(options);
  if (options.axis !== undefined && axes.length === 0) {
    // An empty axis list reduces nothing (NumPy's and MLX's meaning), unlike an omitted axis.
    return reduceNothing(op, a);
  }
  const axisArg = int32Arg(op, axes, "axes");
  const handle = native.reduce(reduceCodes[op], a.handle(op), axisArg, axes.length, options.keepdims ? 1 : 0);
  return new MxArray(checkHandle(handle));
}

/** Reduces over no axes: each element alone, with the op's dtype rule (e.g. int8 sums give
 * int32), through a trailing size-1 axis. */
function reduceNothing(op: keyof typeof reduceCodes, a: MxArray): MxArray {
  using expanded = reshape(a, [...a.shape, 1]);
  const handle = native.reduce(reduceCodes[op], expanded.handle(op), int32Arg(op, [-1], "axes"), 1, 0);
  return new MxArray(checkHandle(handle));
}

/**
 * Sum over the given axes (all by default). bool and integers narrower than 32 bits sum as
 * int32 (uint32 for unsigned), as in MLX.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2, 3], [4, 5, 6]]);
 * console.log(mx.sum(a).item(), mx.sum(a, { axis: -1 }).tolist()); // 21 [6, 15]
 * ```
 */
export function sum(a: MxArray, options: ReduceOptions = {}): MxArray {
  return reduce("sum", a, options);
}

/**
 * Product over the given axes (all by default); dtypes as for `sum`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.prod(mx.array([[1, 2], [3, 4]]), { axis: 0 }).tolist()); // [3, 8]
 * ```
 */
export function prod(a: MxArray, options: ReduceOptions = {}): MxArray {
  return reduce("prod", a, options);
}

/**
 * Minimum over the given axes (all by default); NaN propagates. An empty axis is an error.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.min(mx.array([[1, 5], [3, 0]]), { axis: 1 }).tolist()); // [1, 0]
 * ```
 */
export function min(a: MxArray, options: ReduceOptions = {}): MxArray {
  return reduce("min", a, options);
}

/**
 * Maximum over the given axes (all by default); NaN propagates. An empty axis is an error.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.max(mx.array([[1, 5], [3, 0]])).item()); // 5
 * ```
 */
export function max(a: MxArray, options: ReduceOptions = {}): MxArray {
  return reduce("max", a, options);
}

/**
 * Whether all elements over the given axes are non-zero (true for an empty axis).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.all(mx.array([1, 0, 2])).item()); // false
 * ```
 */
export function all(a: MxArray, options: ReduceOptions = {}): MxArray {
  return reduce("all", a, options);
}

/**
 * Whether any element over the given axes is non-zero (false for an empty axis).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.any(mx.array([0, 0, 2])).item()); // true
 * ```
 */
export function any(a: MxArray, options: ReduceOptions = {}): MxArray {
  return reduce("any", a, options);
}

/** The number of elements a reduction combines into each output element. */
function reducedCount(a: MxArray, options: ReduceOptions): number {
  const shape = a.shape;
  const axes = options.axis === undefined ? shape.map((_, i) => i) : axesOf(options);
  return axes.reduce((n, axis) => n * shape[normalizeAxis("reduce", axis, shape.length)]!, 1);
}

/** The floating dtype MLX computes means in: float32 for bool and integers. */
function floating(dtype: Dtype): Dtype {
  return dtype.category === "floating" || dtype.category === "complexfloating" ? dtype : float32;
}

/**
 * Mean over the given axes (all by default); bool and integers give float32. An empty axis
 * gives NaN.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.mean(mx.array([[1, 2], [3, 4]], mx.int32), { axis: 0 }).tolist()); // [2, 3]
 * ```
 */
export function mean(a: MxArray, options: ReduceOptions = {}): MxArray {
  const n = reducedCount(a, options);
  using values = astype(a, floating(a.dtype));
  using total = sum(values, options);
  return multiply(total, 1 / n);
}

/** Options of `var` and `std`. */
export interface VarianceOptions extends ReduceOptions {
  /** Delta degrees of freedom: the divisor is `n - ddof` (default 0). */
  ddof?: number;
}

/**
 * Variance over the given axes (all by default): mean squared deviation, divided by
 * `n - ddof` (infinite when that is not positive, as in MLX). Complex input gives float32.
 * Exported as `mx.var`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.var(mx.array([1, 2, 3, 4])).item(), mx.var(mx.array([1, 2, 3, 4]), { ddof: 1 }).item());
 * // 1.25 1.6666666269302368
 * ```
 */
export function variance(a: MxArray, options: VarianceOptions = {}): MxArray {
  const ddof = options.ddof ?? 0;
  if (!Number.isInteger(ddof) || ddof < 0) {
    throw new MxError("invalid_argument", `[var] ddof must be an integer >= 0; got ${ddof}`);
  }
  const n = reducedCount(a, options);
  using values = astype(a, floating(a.dtype));
  using center = mean(values, { axis: options.axis, keepdims: true });
  using deviation = subtract(values, center);
  using magnitude = values.dtype === complex64 ? abs(deviation) : null;
  using squared = square(magnitude ?? deviation);
  using total = sum(squared, { axis: options.axis, keepdims: options.keepdims });
  // ddof >= n > 0 gives inf, as MLX does; n = 0 gives 0 * inf = NaN.
  if (n > 0 && n - ddof <= 0) return full(total.shape, Infinity, total.dtype);
  return multiply(total, 1 / (n - ddof));
}

/**
 * Standard deviation over the given axes: the square root of `var`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.std(mx.array([1, 3])).item()); // 1
 * ```
 */
export function std(a: MxArray, options: VarianceOptions = {}): MxArray {
  using v = variance(a, options);
  return sqrt(v);
}

/**
 * log(sum(exp(a))) over the given axes, computed without overflow. An empty input is an
 * error.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.logsumexp(mx.array([1000, 1000])).item()); // 1000.6931762695312
 * ```
 */
export function logsumexp(a: MxArray, options: ReduceOptions = {}): MxArray {
  if (a.size === 0) throw new MxError("invalid_argument", `[logsumexp] received an empty array (shape [${a.shape}])`);
  using values = astype(a, floating(a.dtype));
  // The shift cancels out: no gradient flows through it (MLX stops it too).
  using peakValue = max(values, { axis: options.axis, keepdims: true });
  using peak = stopGradient(peakValue);
  using infinite = isinf(peak);
  using shift = where(infinite, 0, peak);
  using shifted = subtract(values, shift);
  using exps = exp(shifted);
  using total = sum(exps, { axis: options.axis, keepdims: true });
  using logs = log(total);
  using result = subtractFrom(logs, shift);
  return options.keepdims ? reshape(result, result.shape) : squeezeAxes(result, a.ndim, options.axis);
}

function subtractFrom(logs: MxArray, shift: MxArray): MxArray {
  using negated = multiply(shift, -1);
  return subtract(logs, negated);
}

function squeezeAxes(a: MxArray, ndim: number, axis: number | readonly number[] | undefined): MxArray {
  const axes = axis === undefined ? [...Array(ndim).keys()] : (typeof axis === "number" ? [axis] : axis)
    .map((x) => normalizeAxis("reduce", x, ndim));
  return reshape(a, a.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Softmax over the given axes (all of them by default, as in MLX):
 * exp(a - max) / sum(exp(a - max)), safe for large inputs. bool and integers give float32.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.softmax(mx.array([1, 1, 2], mx.float64), { axis: -1 }).tolist());
 * // [0.21194155761708547, 0.21194155761708547, 0.5761168847658291]
 * ```
 */
export function softmax(a: MxArray, options: { axis?: number | readonly number[]; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("softmax", options.stream);
  const axis = options.axis;
  using values = astype(a, floating(a.dtype));
  using peakValue = max(values, { axis, keepdims: true });
  using peak = stopGradient(peakValue);
  using shifted = subtract(values, peak);
  using exps = exp(shifted);
  using total = sum(exps, { axis, keepdims: true });
  return divide(exps, total);
}

/** Options of argmin and argmax. */
export interface ArgReduceOptions extends OpOptions {
  /** The axis; when omitted the array is flattened first. */
  axis?: number;
  /** Keep the reduced axis as size 1 (default false). */
  keepdims?: boolean;
}

function argReduce(code: 0 | 1, name: string, a: MxArray, options: ArgReduceOptions): MxArray {
  checkStream(name, options.stream);
  if (options.axis === undefined) {
    using flat = reshape(a, [a.size]);
    const handle = native.arg_reduce(code, flat.handle(name), 0, 0);
    using result = new MxArray(checkHandle(handle));
    return reshape(result, options.keepdims ? a.shape.map(() => 1) : []);
  }
  if (!Number.isInteger(options.axis)) {
    throw new MxError("invalid_argument", `[${name}] axis must be an integer; got ${options.axis}`);
  }
  return new MxArray(checkHandle(native.arg_reduce(code, a.handle(name), options.axis, options.keepdims ? 1 : 0)));
}

/**
 * Index of the minimum along an axis (of the flattened array by default), as uint32. The
 * first NaN wins; ties give the first index.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.argmin(mx.array([[3, 1], [0, 2]]), { axis: 1 }).tolist()); // [1, 0]
 * ```
 */
export function argmin(a: MxArray, options: ArgReduceOptions = {}): MxArray {
  return argReduce(0, "argmin", a, options);
}

/**
 * Index of the maximum along an axis (of the flattened array by default), as uint32. The
 * first NaN wins; ties give the first index.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.argmax(mx.array([[3, 1], [0, 2]])).item()); // 0
 * ```
 */
export function argmax(a: MxArray, options: ArgReduceOptions = {}): MxArray {
  return argReduce(1, "argmax", a, options);
}

/** Options of scans. */
export interface ScanOptions extends OpOptions {
  /** The axis; when omitted the array is flattened first. */
  axis?: number;
  /** Scan from the end (default false). */
  reverse?: boolean;
  /** Include each element in its own result (default true). */
  inclusive?: boolean;
}

const scanCodes = { cumsum: 0, cumprod: 1, cummax: 2, cummin: 3, logcumsumexp: 4 } as const;

function scan(op: keyof typeof scanCodes, a: MxArray, options: ScanOptions): MxArray {
  checkStream(op, options.stream);
  const reverse = options.reverse ? 1 : 0;
  const inclusive = options.inclusive === false ? 0 : 1;
  if (options.axis === undefined) {
    using flat = reshape(a, [a.size]);
    return new MxArray(checkHandle(native.scan(scanCodes[op], flat.handle(op), 0, reverse, inclusive)));
  }
  if (!Number.isInteger(options.axis)) {
    throw new MxError("invalid_argument", `[${op}] axis must be an integer; got ${options.axis}`);
  }
  return new MxArray(checkHandle(native.scan(scanCodes[op], a.handle(op), options.axis, reverse, inclusive)));
}

/**
 * Cumulative sum along an axis (of the flattened array by default); bool gives int32.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.cumsum(mx.array([1, 2, 3])).tolist(), mx.cumsum(mx.array([1, 2, 3]), { reverse: true, inclusive: false }).tolist());
 * // [1, 3, 6] [5, 3, 0]
 * ```
 */
export function cumsum(a: MxArray, options: ScanOptions = {}): MxArray {
  return scan("cumsum", a, options);
}

/**
 * Cumulative product along an axis (of the flattened array by default).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.cumprod(mx.array([1, 2, 3])).tolist()); // [1, 2, 6]
 * ```
 */
export function cumprod(a: MxArray, options: ScanOptions = {}): MxArray {
  return scan("cumprod", a, options);
}

/**
 * Cumulative maximum along an axis (of the flattened array by default); NaN propagates.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.cummax(mx.array([1, 3, 2])).tolist()); // [1, 3, 3]
 * ```
 */
export function cummax(a: MxArray, options: ScanOptions = {}): MxArray {
  return scan("cummax", a, options);
}

/**
 * Cumulative minimum along an axis (of the flattened array by default); NaN propagates.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.cummin(mx.array([3, 1, 2])).tolist()); // [3, 1, 1]
 * ```
 */
export function cummin(a: MxArray, options: ScanOptions = {}): MxArray {
  return scan("cummin", a, options);
}

/**
 * Cumulative log(sum(exp(a))) along an axis (of the flattened array by default); bool and
 * integers give float32.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.logcumsumexp(mx.array([0, 0], mx.float64)).tolist()); // [0, 0.6931471805599453]
 * ```
 */
export function logcumsumexp(a: MxArray, options: ScanOptions = {}): MxArray {
  return scan("logcumsumexp", a, options);
}


/**
 * The sum of the `offset`-th diagonal over `axis1` and `axis2` (in `dtype` when given).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.trace(mx.reshape(mx.arange(9), [3, 3])).item()); // 12
 * ```
 */
export function trace(
  a: MxArray,
  options: { offset?: number; axis1?: number; axis2?: number; dtype?: Dtype; stream?: StreamOrDevice } = {},
): MxArray {
  checkStream("trace", options.stream);
  using values = options.dtype ? astype(a, options.dtype) : null;
  using diagonalValues = diagonal(values ?? a, options);
  return sum(diagonalValues, { axis: -1 });
}

/** Options of `isclose` and `allclose`. */
export interface CloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** NaN equals NaN (default false). */
  equalNan?: boolean;
  stream?: StreamOrDevice;
}

/**
 * Elementwise `|a - b| <= atol + rtol * |b|` (broadcasting), MLX's `isclose`: infinities
 * are close only to themselves, NaN only with `equalNan`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.isclose(mx.array([1, 2, Infinity]), mx.array([1.000001, 2.1, Infinity])).tolist()); // [true, false, true]
 * ```
 */
export function isclose(a: MxArray, b: MxArray, options: CloseOptions = {}): MxArray {
  checkStream("isclose", options.stream);
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  using difference = subtract(a, b);
  using lhs = abs(difference);
  using magnitude = abs(b);
  using scaled = multiply(magnitude, rtol);
  using rhs = add(scaled, atol);
  using within = lessEqual(lhs, rhs);
  using aInf = isinf(a);
  using bInf = isinf(b);
  using anyInf = logicalOr(aInf, bInf);
  using finite = logicalNot(anyInf);
  using finiteClose = logicalAnd(within, finite);
  using bothInf = logicalAnd(aInf, bInf);
  using same = equal(a, b);
  using infClose = logicalAnd(bothInf, same);
  const close = logicalOr(finiteClose, infClose);
  if (!(options.equalNan ?? false)) return close;
  using closeNumbers = close;
  using aNan = isnan(a);
  using bNan = isnan(b);
  using bothNan = logicalAnd(aNan, bNan);
  return logicalOr(closeNumbers, bothNan);
}

/**
 * Whether every element of `a` is close to `b`'s (`isclose`), as a bool scalar array.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.allclose(mx.array([1, 2]), mx.array([1, 2.000001])).item()); // true
 * ```
 */
export function allclose(a: MxArray, b: MxArray, options: CloseOptions = {}): MxArray {
  using close = isclose(a, b, options);
  return all(close);
}

/**
 * Whether `a` and `b` have the same shape and equal elements (any dtypes), as a bool scalar
 * array; NaNs are equal with `equalNan`. Shapes that differ give false, not an error.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.arrayEqual(mx.array([1, 2]), mx.array([1, 2], mx.int32)).item()); // true
 * console.log(mx.arrayEqual(mx.array([1, 2]), mx.array([1, 2, 3])).item()); // false
 * ```
 */
export function arrayEqual(a: MxArray, b: MxArray, options: { equalNan?: boolean; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("arrayEqual", options.stream);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    return full([], false, bool);
  }
  using same = equal(a, b);
  if (!(options.equalNan ?? false)) return all(same);
  using aNan = isnan(a);
  using bNan = isnan(b);
  using bothNan = logicalAnd(aNan, bNan);
  using matches = logicalOr(same, bothNan);
  return all(matches);
}
