/**
 * Elementwise math: MLX's unary and binary op sets, plus `clip`. Each op follows MLX's dtype
 * rules (integers become float32 for transcendental functions; comparisons give bool) and
 * broadcasts like NumPy. The functions are thin: the native library validates and computes.
 *
 * @module
 */

import { type ArrayLike, MxArray } from "./array.ts";
import { binaryOp, unaryOp, where } from "./ops.ts";
import { MxError } from "./errors.ts";
import type { OpOptions } from "./device.ts";

/**
 * Absolute value (complex: magnitude, as float32), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.abs(mx.array([-1, 2]))));
 * // array([1, 2], dtype=float32)
 * ```
 */
export function abs(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("abs", a, options);
}

/**
 * Negation (not defined for bool), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.negative(mx.array([1, -2]))));
 * // array([-1, 2], dtype=float32)
 * ```
 */
export function negative(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("negative", a, options);
}

/**
 * Sign: -1, 0 or 1 (0 for NaN; complex: z/|z|), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.sign(mx.array([-3, 0, 2]))));
 * // array([-1, 0, 1], dtype=float32)
 * ```
 */
export function sign(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("sign", a, options);
}

/**
 * Square, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.square(mx.array([2, 3]))));
 * // array([4, 9], dtype=float32)
 * ```
 */
export function square(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("square", a, options);
}

/**
 * Square root, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.sqrt(mx.array([4, 9]))));
 * // array([2, 3], dtype=float32)
 * ```
 */
export function sqrt(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("sqrt", a, options);
}

/**
 * Reciprocal square root, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.rsqrt(mx.array([4, 16]))));
 * // array([0.5, 0.25], dtype=float32)
 * ```
 */
export function rsqrt(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("rsqrt", a, options);
}

/**
 * Reciprocal 1/x, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.reciprocal(mx.array([2, 4]))));
 * // array([0.5, 0.25], dtype=float32)
 * ```
 */
export function reciprocal(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("reciprocal", a, options);
}

/**
 * Exponential, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.exp(mx.array([0, 1]))));
 * // array([1, 2.71828], dtype=float32)
 * ```
 */
export function exp(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("exp", a, options);
}

/**
 * exp(x) - 1, accurate near 0, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.expm1(mx.array([0, 1e-5]))));
 * // array([0, 1e-05], dtype=float32)
 * ```
 */
export function expm1(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("expm1", a, options);
}

/**
 * Natural logarithm, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.log(mx.array([1, 10]))));
 * // array([0, 2.30259], dtype=float32)
 * ```
 */
export function log(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("log", a, options);
}

/**
 * Base-2 logarithm, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.log2(mx.array([1, 8]))));
 * // array([0, 3], dtype=float32)
 * ```
 */
export function log2(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("log2", a, options);
}

/**
 * Base-10 logarithm, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.log10(mx.array([1, 1000]))));
 * // array([0, 3], dtype=float32)
 * ```
 */
export function log10(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("log10", a, options);
}

/**
 * log(1 + x), accurate near 0, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.log1p(mx.array([0, 1e-5]))));
 * // array([0, 9.99995e-06], dtype=float32)
 * ```
 */
export function log1p(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("log1p", a, options);
}

/**
 * Sine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.sin(mx.array([0, 1]))));
 * // array([0, 0.841471], dtype=float32)
 * ```
 */
export function sin(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("sin", a, options);
}

/**
 * Cosine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.cos(mx.array([0, 1]))));
 * // array([1, 0.540302], dtype=float32)
 * ```
 */
export function cos(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("cos", a, options);
}

/**
 * Tangent, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.tan(mx.array([0, 1]))));
 * // array([0, 1.55741], dtype=float32)
 * ```
 */
export function tan(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("tan", a, options);
}

/**
 * Inverse sine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arcsin(mx.array([0, 0.5]))));
 * // array([0, 0.523599], dtype=float32)
 * ```
 */
export function arcsin(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("arcsin", a, options);
}

/**
 * Inverse cosine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arccos(mx.array([1, 0.5]))));
 * // array([0, 1.0472], dtype=float32)
 * ```
 */
export function arccos(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("arccos", a, options);
}

/**
 * Inverse tangent, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arctan(mx.array([0, 1]))));
 * // array([0, 0.785398], dtype=float32)
 * ```
 */
export function arctan(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("arctan", a, options);
}

/**
 * Hyperbolic sine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.sinh(mx.array([0, 1]))));
 * // array([0, 1.1752], dtype=float32)
 * ```
 */
export function sinh(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("sinh", a, options);
}

/**
 * Hyperbolic cosine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.cosh(mx.array([0, 1]))));
 * // array([1, 1.54308], dtype=float32)
 * ```
 */
export function cosh(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("cosh", a, options);
}

/**
 * Hyperbolic tangent, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.tanh(mx.array([0, 1]))));
 * // array([0, 0.761594], dtype=float32)
 * ```
 */
export function tanh(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("tanh", a, options);
}

/**
 * Inverse hyperbolic sine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arcsinh(mx.array([0, 1]))));
 * // array([0, 0.881374], dtype=float32)
 * ```
 */
export function arcsinh(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("arcsinh", a, options);
}

/**
 * Inverse hyperbolic cosine, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arccosh(mx.array([1, 2]))));
 * // array([0, 1.31696], dtype=float32)
 * ```
 */
export function arccosh(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("arccosh", a, options);
}

/**
 * Inverse hyperbolic tangent, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arctanh(mx.array([0, 0.5]))));
 * // array([0, 0.549306], dtype=float32)
 * ```
 */
export function arctanh(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("arctanh", a, options);
}

/**
 * Logistic sigmoid 1 / (1 + exp(-x)), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.sigmoid(mx.array([0, 2]))));
 * // array([0.5, 0.880797], dtype=float32)
 * ```
 */
export function sigmoid(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("sigmoid", a, options);
}

/**
 * Error function, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.erf(mx.array([0.5, 1]))));
 * // array([0.5205, 0.842701], dtype=float32)
 * ```
 */
export function erf(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("erf", a, options);
}

/**
 * Inverse error function, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.erfinv(mx.array([0, 0.5]))));
 * // array([0, 0.476936], dtype=float32)
 * ```
 */
export function erfinv(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("erfinv", a, options);
}

/**
 * Ceiling, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.ceil(mx.array([1.2, -1.5]))));
 * // array([2, -1], dtype=float32)
 * ```
 */
export function ceil(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("ceil", a, options);
}

/**
 * Floor, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.floor(mx.array([1.7, -1.5]))));
 * // array([1, -2], dtype=float32)
 * ```
 */
export function floor(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("floor", a, options);
}

/**
 * Round to `decimals` places, halves to even, element-wise.
 *
 * @param a The array.
 * @param options `decimals`: places after the point (default 0; negative rounds to tens...).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.round(mx.array([0.5, 1.5, 2.6]))));
 * // array([0, 2, 3], dtype=float32)
 * ```
 */
export function round(a: MxArray, options: { decimals?: number } = {}): MxArray {
  return roundTo(a, options.decimals ?? 0);
}

/**
 * Logical not (true where the element is zero), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.logicalNot(mx.array([0, 2]))));
 * // array([True, False], dtype=bool)
 * ```
 */
export function logicalNot(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("logical_not", a, options);
}

/**
 * True where NaN, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.isnan(mx.array([NaN, 1]))));
 * // array([True, False], dtype=bool)
 * ```
 */
export function isnan(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("isnan", a, options);
}

/**
 * True where infinite, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.isinf(mx.array([Infinity, 1]))));
 * // array([True, False], dtype=bool)
 * ```
 */
export function isinf(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("isinf", a, options);
}

/**
 * True where finite, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.isfinite(mx.array([Infinity, 1]))));
 * // array([False, True], dtype=bool)
 * ```
 */
export function isfinite(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("isfinite", a, options);
}

/**
 * True where +infinity, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.isposinf(mx.array([Infinity, -Infinity]))));
 * // array([True, False], dtype=bool)
 * ```
 */
export function isposinf(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("isposinf", a, options);
}

/**
 * True where -infinity, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.isneginf(mx.array([Infinity, -Infinity]))));
 * // array([False, True], dtype=bool)
 * ```
 */
export function isneginf(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("isneginf", a, options);
}

/**
 * Bitwise not (integers and bool), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.bitwiseInvert(mx.array([0, 5], mx.int32))));
 * // array([-1, -6], dtype=int32)
 * ```
 */
export function bitwiseInvert(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("bitwise_invert", a, options);
}

/**
 * Radians to degrees, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.degrees(mx.array([3.14159265]))));
 * // array([180], dtype=float32)
 * ```
 */
export function degrees(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("degrees", a, options);
}

/**
 * Degrees to radians, element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.radians(mx.array([180]))));
 * // array([3.14159], dtype=float32)
 * ```
 */
export function radians(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("radians", a, options);
}

/**
 * Complex conjugate (identity for real dtypes), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.conjugate(mx.array([1, 2]))));
 * // array([1, 2], dtype=float32)
 * ```
 */
export function conjugate(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("conjugate", a, options);
}

/**
 * Real part (identity for real dtypes), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.real(mx.array([1, 2]))));
 * // array([1, 2], dtype=float32)
 * ```
 */
export function real(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("real", a, options);
}

/**
 * Imaginary part (zeros for real dtypes), element-wise.
 *
 * @param a The array.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.imag(mx.array([1, 2]))));
 * // array([0, 0], dtype=float32)
 * ```
 */
export function imag(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("imag", a, options);
}

/**
 * Element-wise a + b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.add(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([3, 4, 5], dtype=float32)
 * ```
 */
export function add(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("add", a, b, options);
}

/**
 * Element-wise a - b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.subtract(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([-1, 0, 1], dtype=float32)
 * ```
 */
export function subtract(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("subtract", a, b, options);
}

/**
 * Element-wise a * b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.multiply(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([2, 4, 6], dtype=float32)
 * ```
 */
export function multiply(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("multiply", a, b, options);
}

/**
 * Element-wise true division a / b (integers give float32), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.divide(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([0.5, 1, 1.5], dtype=float32)
 * ```
 */
export function divide(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("divide", a, b, options);
}

/**
 * Element-wise floor division (integer division by zero gives 0), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.floorDivide(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([0, 1, 3], dtype=int32)
 * ```
 */
export function floorDivide(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("floor_divide", a, b, options);
}

/**
 * Element-wise remainder with the sign of b, as Python's %, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.remainder(mx.array([-7, 7], mx.int32), mx.array([3, 3], mx.int32))));
 * // array([2, 1], dtype=int32)
 * ```
 */
export function remainder(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("remainder", a, b, options);
}

/**
 * Element-wise a ** b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.power(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([1, 4, 49], dtype=int32)
 * ```
 */
export function power(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("power", a, b, options);
}

/**
 * Element-wise maximum (NaN propagates), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.maximum(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([2, 2, 3], dtype=float32)
 * ```
 */
export function maximum(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("maximum", a, b, options);
}

/**
 * Element-wise minimum (NaN propagates), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.minimum(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([1, 2, 2], dtype=float32)
 * ```
 */
export function minimum(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("minimum", a, b, options);
}

/**
 * Element-wise log(exp(a) + exp(b)), computed stably, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.logaddexp(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([2.31326, 2.69315, 3.31326], dtype=float32)
 * ```
 */
export function logaddexp(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("logaddexp", a, b, options);
}

/**
 * Element-wise arctangent of a / b using the signs of both, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.arctan2(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([0.463648, 0.785398, 0.982794], dtype=float32)
 * ```
 */
export function arctan2(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("arctan2", a, b, options);
}

/**
 * Element-wise a == b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.equal(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([False, True, False], dtype=bool)
 * ```
 */
export function equal(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("equal", a, b, options);
}

/**
 * Element-wise a != b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.notEqual(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([True, False, True], dtype=bool)
 * ```
 */
export function notEqual(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("not_equal", a, b, options);
}

/**
 * Element-wise a < b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.less(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([True, False, False], dtype=bool)
 * ```
 */
export function less(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("less", a, b, options);
}

/**
 * Element-wise a <= b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.lessEqual(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([True, True, False], dtype=bool)
 * ```
 */
export function lessEqual(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("less_equal", a, b, options);
}

/**
 * Element-wise a > b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.greater(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([False, False, True], dtype=bool)
 * ```
 */
export function greater(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("greater", a, b, options);
}

/**
 * Element-wise a >= b, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.greaterEqual(mx.array([1, 2, 3]), mx.array([2, 2, 2]))));
 * // array([False, True, True], dtype=bool)
 * ```
 */
export function greaterEqual(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("greater_equal", a, b, options);
}

/**
 * Element-wise logical and, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.logicalAnd(mx.array([true, false]), mx.array([true, true]))));
 * // array([True, False], dtype=bool)
 * ```
 */
export function logicalAnd(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("logical_and", a, b, options);
}

/**
 * Element-wise logical or, with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.logicalOr(mx.array([true, false]), mx.array([false, false]))));
 * // array([True, False], dtype=bool)
 * ```
 */
export function logicalOr(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("logical_or", a, b, options);
}

/**
 * Element-wise bitwise and (integers and bool), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.bitwiseAnd(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([1, 2, 2], dtype=int32)
 * ```
 */
export function bitwiseAnd(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("bitwise_and", a, b, options);
}

/**
 * Element-wise bitwise or (integers and bool), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.bitwiseOr(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([3, 2, 7], dtype=int32)
 * ```
 */
export function bitwiseOr(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("bitwise_or", a, b, options);
}

/**
 * Element-wise bitwise xor (integers and bool), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.bitwiseXor(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([2, 0, 5], dtype=int32)
 * ```
 */
export function bitwiseXor(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("bitwise_xor", a, b, options);
}

/**
 * Element-wise a << b (integers and bool), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.leftShift(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([8, 8, 28], dtype=int32)
 * ```
 */
export function leftShift(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("left_shift", a, b, options);
}

/**
 * Element-wise a >> b (integers and bool), with broadcasting and MLX's type promotion.
 *
 * @param a An array or scalar.
 * @param b An array or scalar.
 * @param options `stream`: where to run (see `mx.newStream`).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.rightShift(mx.array([1, 2, 7], mx.int32), mx.array([3, 2, 2], mx.int32))));
 * // array([0, 0, 1], dtype=int32)
 * ```
 */
export function rightShift(a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  return binaryOp("right_shift", a, b, options);
}

/**
 * The same values, as a node that gradients do not flow through (see the transforms).
 *
 * @param a The array.
 * @returns A new array with `a`'s values (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.stopGradient(mx.array([1, 2])).tolist()); // [1, 2]
 * ```
 */
export function stopGradient(a: MxArray, options?: OpOptions): MxArray {
  return unaryOp("stop_gradient", a, options);
}

/** The largest finite value of each floating dtype. */
const finiteMax: Record<string, number> = {
  float16: 65504,
  bfloat16: 3.3895313892515355e38,
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

/**
 * Replaces NaN with `nan` (default 0) and infinities with `posinf` / `neginf` (default: the
 * largest / lowest finite value of the dtype). Non-floating arrays come back unchanged.
 *
 * @param a The array.
 * @param options `nan`, `posinf`, `neginf` and `stream`.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nanToNum(mx.array([NaN, Infinity, 1.5]), { posinf: 9 }).tolist()); // [0, 9, 1.5]
 * ```
 */
export function nanToNum(
  a: MxArray,
  options: { nan?: number; posinf?: number; neginf?: number } & OpOptions = {},
): MxArray {
  const category = a.dtype.category;
  if (category !== "floating" && category !== "complexfloating") return multiply(a, 1, options);
  const largest = finiteMax[a.dtype.name] ?? finiteMax.float32!;
  using nanMask = isnan(a, options);
  using noNan = where(nanMask, options.nan ?? 0, a);
  using posMask = isposinf(noNan, options);
  using noPos = where(posMask, options.posinf ?? largest, noNan);
  using negMask = isneginf(noPos, options);
  return where(negMask, options.neginf ?? -largest, noPos);
}

function roundTo(a: MxArray, decimals: number): MxArray {
  if (!Number.isInteger(decimals)) {
    throw new MxError("invalid_argument", `[round] decimals must be an integer; got ${decimals}`);
  }
  if (decimals === 0) return unaryOp("round", a);
  const scale = 10 ** decimals;
  using scaled = multiply(a, scale);
  using rounded = unaryOp("round", scaled);
  return divide(rounded, scale);
}

/**
 * Limits values to `[min, max]`; either bound may be `null` (no limit). Bounds broadcast.
 *
 * @param a The array.
 * @param min The lower bound, or null.
 * @param max The upper bound, or null.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.clip(mx.array([-2, 0.5, 3]), 0, 1).tolist()); // [0, 0.5, 1]
 * ```
 */
export function clip(a: MxArray, min: ArrayLike | null, max: ArrayLike | null): MxArray {
  if (min === null && max === null) {
    throw new MxError("invalid_argument", "[clip] at least one of min and max must be given");
  }
  if (min === null) return minimum(a, max!);
  if (max === null) return maximum(a, min);
  using low = maximum(a, min);
  return minimum(low, max);
}

export { where };
