/**
 * Matrix products: matmul (the native primitive), and addmm, inner and outer composed from it
 * and the elementwise ops and views.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { checkArray, fromBytes, MxArray } from "./array.ts";
import { checkStream, type OpOptions } from "./device.ts";
import { complex64 } from "./dtype.ts";
import { add, imag, multiply, real, subtract } from "./elementwise.ts";
import { astype } from "./ops.ts";
import { checkHandle, MxError } from "./errors.ts";
import { normalizeAxis, reshape, transpose } from "./shapes.ts";

/** The native matmul; `op` names the caller in errors about disposed arrays. A complex64
 * product is four float32 products of the real and imaginary parts. */
function nativeMatmul(op: string, a: MxArray, b: MxArray): MxArray {
  const handleA = a.handle(op);
  const handleB = b.handle(op);
  if (a.dtype === complex64 || b.dtype === complex64) return complexMatmul(a, b);
  return new MxArray(checkHandle(native.matmul(handleA, handleB)));
}

/** (ar + i ai) @ (br + i bi) = (ar@br - ai@bi) + i (ar@bi + ai@br). */
function complexMatmul(a: MxArray, b: MxArray): MxArray {
  using ac = astype(a, complex64);
  using bc = astype(b, complex64);
  using ar = real(ac);
  using ai = imag(ac);
  using br = real(bc);
  using bi = imag(bc);
  using rr = matmul(ar, br);
  using ii = matmul(ai, bi);
  using ri = matmul(ar, bi);
  using ir = matmul(ai, br);
  using re = subtract(rr, ii);
  using im = add(ri, ir);
  using unit = fromBytes(new Float32Array([0, 1]), complex64, []);
  using imaginary = multiply(im, unit);
  return add(re, imaginary);
}

/**
 * The matrix product `a @ b` with MLX's rules: the last two axes are the matrices, the rest
 * are batch axes that broadcast; a 1-D `a` is a row vector and a 1-D `b` a column vector (that
 * unit axis is dropped from the result). Dtypes promote; the result must be floating point
 * or complex (float32, float64, float16, bfloat16, complex64): integer inputs are rejected,
 * as in MLX.
 *
 * @param a The left operand (at least 1-D).
 * @param b The right operand (at least 1-D); its second-to-last axis (or only axis) must equal
 *   the last axis of `a`.
 * @param options `stream`: the CPU.
 * @returns The product (lazy).
 * @throws {MxError} `shape_mismatch` naming both shapes when the inner dimensions differ.
 *
 * @example Matrices, vectors and batches
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]]);
 * console.log(mx.matmul(a, a).tolist()); // [[7, 10], [15, 22]]
 * console.log(mx.matmul(a, mx.array([1, 1])).tolist()); // [3, 7]
 * console.log(mx.matmul(mx.zeros([5, 1, 3, 2]), mx.zeros([4, 2, 6])).shape); // [5, 4, 3, 6]
 * ```
 */
export function matmul(a: MxArray, b: MxArray, options: OpOptions = {}): MxArray {
  checkStream("matmul", options.stream);
  checkArray("matmul", a, "a");
  checkArray("matmul", b, "b");
  return nativeMatmul("matmul", a, b);
}

/** Options of `addmm`. */
export interface AddmmOptions extends OpOptions {
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Scale of `c` (default 1). */
  beta?: number;
}

/**
 * `alpha * (a @ b) + beta * c`, with `c` broadcast to the product's shape. Like MLX, the
 * promoted dtype of the three must be floating point.
 *
 * @param c The array added (broadcasts against the product).
 * @param a The left operand of the product.
 * @param b The right operand of the product.
 * @param options `alpha` and `beta` (default 1); `stream`.
 * @returns The result (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]]);
 * const c = mx.array([10, 20]);
 * console.log(mx.addmm(c, a, a, { alpha: 2, beta: 0.5 }).tolist()); // [[19, 30], [35, 54]]
 * ```
 */
export function addmm(c: MxArray, a: MxArray, b: MxArray, options: AddmmOptions = {}): MxArray {
  checkStream("addmm", options.stream);
  checkArray("addmm", c, "c");
  checkArray("addmm", a, "a");
  checkArray("addmm", b, "b");
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? 1;
  for (const [name, value] of [["alpha", alpha], ["beta", beta]] as const) {
    if (typeof value !== "number") {
      throw new MxError("invalid_argument", `[addmm] ${name} must be a number; got ${typeof value}`);
    }
  }
  const intermediates: MxArray[] = [];
  try {
    if (c.dtype.category !== "floating" && c.dtype.category !== "complexfloating") {
      const any = [a, b].find((x) => x.dtype.category === "floating");
      if (any === undefined) {
        throw new MxError(
          "dtype_mismatch",
          `[addmm] only floating-point dtypes are supported; got ${c.dtype.name}, ${a.dtype.name} and ` +
            `${b.dtype.name}`,
        );
      }
    }
    const product = nativeMatmul("addmm", a, b);
    intermediates.push(product);
    let scaled = product;
    if (alpha !== 1) {
      scaled = multiply(product, alpha);
      intermediates.push(scaled);
    }
    let addend = c;
    if (beta !== 1) {
      addend = multiply(c, beta);
      intermediates.push(addend);
    }
    return add(scaled, addend);
  } finally {
    for (const x of intermediates) x.dispose();
  }
}

/**
 * The inner product over the last axes: the result has shape
 * `[...a.shape.slice(0, -1), ...b.shape.slice(0, -1)]`; scalars multiply. Floating point only
 * (it is a matmul), as in MLX.
 *
 * @param a The left operand.
 * @param b The right operand; its last axis must equal that of `a`.
 * @param options `stream`: the CPU.
 * @returns The inner product (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.inner(mx.array([1, 2, 3]), mx.array([4, 5, 6])).item()); // 32
 * console.log(mx.inner(mx.ones([2, 3]), mx.ones([4, 3])).shape); // [2, 4]
 * ```
 */
export function inner(a: MxArray, b: MxArray, options: OpOptions = {}): MxArray {
  checkStream("inner", options.stream);
  checkArray("inner", a, "a");
  checkArray("inner", b, "b");
  if (a.ndim === 0 || b.ndim === 0) return multiply(a, b);
  const k = a.shape[a.ndim - 1]!;
  if (b.shape[b.ndim - 1] !== k) {
    throw new MxError(
      "shape_mismatch",
      `[inner] last dimensions differ: [${a.shape.join(",")}] and [${b.shape.join(",")}]`,
    );
  }
  const outShape = [...a.shape.slice(0, -1), ...b.shape.slice(0, -1)];
  const rows = (shape: readonly number[]) => shape.slice(0, -1).reduce((x, y) => x * y, 1);
  using left = reshape(a, [rows(a.shape), k]);
  using right = reshape(b, [rows(b.shape), k]);
  using rightT = transpose(right);
  using product = nativeMatmul("inner", left, rightT);
  return reshape(product, outShape);
}

/**
 * The outer product of the flattened arrays: `result[i, j] = a.flat[i] * b.flat[j]`, any
 * dtype (it is a broadcast multiply).
 *
 * @param a The left operand (flattened).
 * @param b The right operand (flattened).
 * @param options `stream`: the CPU.
 * @returns An `[a.size, b.size]` array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const o = mx.outer(mx.array([1, 2, 3], mx.int32), mx.array([1, 10], mx.int32));
 * console.log(o.tolist()); // [[1, 10], [2, 20], [3, 30]]
 * ```
 */
export function outer(a: MxArray, b: MxArray, options: OpOptions = {}): MxArray {
  checkStream("outer", options.stream);
  checkArray("outer", a, "a");
  checkArray("outer", b, "b");
  using column = reshape(a, [a.size, 1]);
  using row = reshape(b, [b.size]);
  return multiply(column, row);
}

/**
 * Sums products over the given axes of `a` and `b` (NumPy/MLX tensordot): `axes` is a count
 * (the last `axes` of `a` with the first of `b`) or a pair of axis lists.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.reshape(mx.arange(6, undefined, { dtype: mx.float32 }), [2, 3]);
 * console.log(mx.tensordot(a, a, { axes: [[1], [1]] }).tolist()); // [[5, 14], [14, 50]]
 * ```
 */
export function tensordot(
  a: MxArray,
  b: MxArray,
  options: { axes?: number | readonly [readonly number[], readonly number[]] } & OpOptions = {},
): MxArray {
  checkStream("tensordot", options.stream);
  const spec = options.axes ?? 2;
  let axesA: number[];
  let axesB: number[];
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0 || spec > a.ndim || spec > b.ndim) {
      throw new MxError(
        "invalid_argument",
        `[tensordot] axes ${spec} does not fit shapes [${a.shape}] and [${b.shape}]`,
      );
    }
    axesA = Array.from({ length: spec }, (_, i) => a.ndim - spec + i);
    axesB = Array.from({ length: spec }, (_, i) => i);
  } else {
    axesA = spec[0].map((x) => normalizeAxis("tensordot", x, a.ndim));
    axesB = spec[1].map((x) => normalizeAxis("tensordot", x, b.ndim));
  }
  if (axesA.length !== axesB.length) {
    throw new MxError(
      "invalid_argument",
      `[tensordot] ${axesA.length} axes of a against ${axesB.length} of b`,
    );
  }
  const shapeA = a.shape;
  const shapeB = b.shape;
  for (let i = 0; i < axesA.length; i++) {
    if (shapeA[axesA[i]!] !== shapeB[axesB[i]!]) {
      throw new MxError(
        "shape_mismatch",
        `[tensordot] axis ${axesA[i]} of [${shapeA}] and axis ${axesB[i]} of [${shapeB}] differ`,
      );
    }
  }
  const freeA = shapeA.map((_, i) => i).filter((i) => !axesA.includes(i));
  const freeB = shapeB.map((_, i) => i).filter((i) => !axesB.includes(i));
  const contracted = axesA.reduce((n, axis) => n * shapeA[axis]!, 1);
  const rows = freeA.reduce((n, axis) => n * shapeA[axis]!, 1);
  const cols = freeB.reduce((n, axis) => n * shapeB[axis]!, 1);
  using left = transpose(a, { axes: [...freeA, ...axesA] });
  using right = transpose(b, { axes: [...axesB, ...freeB] });
  using left2 = reshape(left, [rows, contracted]);
  using right2 = reshape(right, [contracted, cols]);
  using product = matmul(left2, right2);
  return reshape(product, [...freeA.map((i) => shapeA[i]!), ...freeB.map((i) => shapeB[i]!)]);
}

/**
 * The Kronecker product: every element of `a` times the whole of `b`, tiled.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.kron(mx.array([1, 2]), mx.array([1, 10])).tolist()); // [1, 10, 2, 20]
 * ```
 */
export function kron(a: MxArray, b: MxArray, options: OpOptions = {}): MxArray {
  checkStream("kron", options.stream);
  const ndim = Math.max(a.ndim, b.ndim);
  const shapeA = [...new Array(ndim - a.ndim).fill(1), ...a.shape];
  const shapeB = [...new Array(ndim - b.ndim).fill(1), ...b.shape];
  // a[i0, 1, i1, 1, ...] * b[1, j0, 1, j1, ...] -> reshape to (i0*j0, i1*j1, ...)
  using spreadA = reshape(a, shapeA.flatMap((d) => [d, 1]));
  using spreadB = reshape(b, shapeB.flatMap((d) => [1, d]));
  using product = multiply(spreadA, spreadB);
  return reshape(product, shapeA.map((d, i) => d * shapeB[i]!));
}
