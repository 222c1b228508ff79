/**
 * mx.linalg, factorizations and solves: norm, cross, inv, triInv, cholesky, choleskyInv,
 * luFactor, lu, solve, solveTriangular, det, slogdet. The factorizations are native
 * primitives (Inverse, Cholesky, LUF, as in MLX); the rest is composed here as MLX composes
 * it. Like MLX, the factorizations take float32 or float64 only (no promotion) and work on
 * the last two axes, batched over the leading ones.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, checkArray, MxArray } from "./array.ts";
import { checkStream, type OpOptions } from "./device.ts";
import { type Dtype, float32, uint32 } from "./dtype.ts";
import { checkHandle, MxError } from "./errors.ts";
import {
  abs,
  add,
  equal,
  exp,
  less,
  log,
  multiply,
  negative,
  notEqual,
  power,
  remainder,
  sign,
  sqrt,
  square,
  subtract,
} from "./elementwise.ts";
import { any, max, min, sum } from "./reductions.ts";
import { astype, where } from "./ops.ts";
import {
  broadcastShapes,
  broadcastTo,
  expandDims,
  reshape,
  sliceView,
  squeeze,
  swapaxes,
  transpose,
} from "./shapes.ts";
import { eye, tril, triu, zerosLike } from "./creation.ts";
import { concatenate } from "./joining.ts";
import { argsort } from "./sorting.ts";
import { diagonal, takeAlongAxis } from "./indexing.ts";
import { matmul } from "./linalg_basic.ts";
import { svd } from "./linalg_spectral.ts";

/** MLX names the linalg ops `linalg::op` in its messages. */
function checkLinalgArray(op: string, value: unknown, what: string): asserts value is MxArray {
  checkArray(`linalg::${op}`, value, what);
}

const shapeText = (shape: readonly number[]) => `(${shape.join(",")})`;

/** MLX's check_float and the >= 2 dimensions check (what validate_lu does). */
function checkFloatMatrices(op: string, a: MxArray): void {
  if (a.dtype.name !== "float32" && a.dtype.name !== "float64") {
    throw new MxError(
      "dtype_mismatch",
      `[linalg::${op}] Arrays must have type float32 or float64. Received array with type ${a.dtype.name}.`,
    );
  }
  if (a.ndim < 2) {
    throw new MxError(
      "invalid_argument",
      `[linalg::${op}] Arrays must have >= 2 dimensions. Received array with ${a.ndim} dimensions.`,
    );
  }
}

/** MLX's at_least_float: floating and complex dtypes stay, others become float32. */
function atLeastFloat(dtype: Dtype): Dtype {
  return dtype.category === "floating" || dtype.category === "complexfloating" ? dtype : float32;
}

/** `a[..., i:i+rows, j:j+columns]` as a view. */
function block(a: MxArray, i: number, j: number, rows: number, columns: number): MxArray {
  const nd = a.ndim;
  const starts = a.shape.map((_, axis) => (axis === nd - 2 ? i : axis === nd - 1 ? j : 0));
  const sizes = a.shape.map((d, axis) => (axis === nd - 2 ? rows : axis === nd - 1 ? columns : d));
  return sliceView(a, starts, sizes, a.shape.map(() => 1));
}

// ---------------------------------------------------------------------------------------------
// norm

/** The order of a norm: a number (vector or matrix orders), or "fro"/"f"/"nuc" (matrices). */
export type NormOrder = number | "fro" | "f" | "nuc";

/** Options of `norm`. */
export interface NormOptions extends OpOptions {
  /** One axis (vector norms) or two (matrix norms); all axes when omitted. */
  axis?: number | readonly number[];
  /** Keep the normed axes as size 1 (default false). */
  keepdims?: boolean;
}

/** Validates the norm axes (in range, distinct) and returns them normalized. */
function normAxes(a: MxArray, axes: readonly number[]): number[] {
  const out = axes.map((axis) => {
    if (!Number.isInteger(axis) || axis < -a.ndim || axis >= a.ndim) {
      throw new MxError(
        "invalid_argument",
        `[linalg::norm] Invalid axis ${axis} for array with ${a.ndim} dimensions.`,
      );
    }
    return axis < 0 ? axis + a.ndim : axis;
  });
  if (new Set(out).size !== out.length) {
    throw new MxError("invalid_argument", `[linalg::norm] Duplicate axes [${axes}] given.`);
  }
  return out;
}

function l2Norm(a: MxArray, axes: number[], keepdims: boolean): MxArray {
  if (a.dtype.category === "complexfloating") {
    using magnitude = abs(a);
    using squared = multiply(magnitude, magnitude);
    using total = sum(squared, { axis: axes, keepdims });
    return sqrt(total);
  }
  using squared = square(a);
  using total = sum(squared, { axis: axes, keepdims });
  return sqrt(total);
}

function vectorNorm(a: MxArray, ord: number, axes: number[], keepdims: boolean): MxArray {
  const dtype = atLeastFloat(a.dtype);
  const options = { axis: axes, keepdims };
  if (ord === 2) return l2Norm(a, axes, keepdims);
  if (ord === 0) {
    using nonzero = notEqual(a, 0);
    using count = sum(nonzero, options);
    return astype(count, dtype);
  }
  using magnitude = abs(a);
  if (ord === 1 || ord === Infinity || ord === -Infinity) {
    using reduced = ord === 1
      ? sum(magnitude, options)
      : ord > 0
      ? max(magnitude, options)
      : min(magnitude, options);
    return astype(reduced, dtype);
  }
  using exponent = array(ord, dtype);
  using inverse = array(1 / ord, dtype);
  using powered = power(magnitude, exponent);
  using total = sum(powered, options);
  return power(total, inverse);
}

/** The 2-norm (largest singular value), -2 (smallest) or nuclear norm (their sum) of the
 * matrices over `axes`, as MLX: singular values of the matrices moved last. */
function singularValueNorm(a: MxArray, ord: 2 | -2 | "nuc", axes: number[], keepdims: boolean): MxArray {
  const [rowAxis, columnAxis] = axes as [number, number];
  const rest = a.shape.map((_, i) => i).filter((i) => i !== rowAxis && i !== columnAxis);
  using matrices = transpose(a, { axes: [...rest, rowAxis, columnAxis] });
  using values = svd(matrices, { computeUv: false });
  const reduce = ord === "nuc" ? sum : ord === 2 ? max : min;
  let out = reduce(values, { axis: -1 });
  if (keepdims) {
    using flat = out;
    out = expandDims(flat, [rowAxis, columnAxis].sort((x, y) => x - y));
  }
  if (ord === "nuc") return out;
  using _out = out;
  return astype(out, atLeastFloat(a.dtype));
}

function matrixNorm(a: MxArray, ord: NormOrder, axes: number[], keepdims: boolean): MxArray {
  if (ord === "f" || ord === "fro") return l2Norm(a, axes, keepdims);
  if (ord === 2 || ord === -2 || ord === "nuc") return singularValueNorm(a, ord, axes, keepdims);
  if (typeof ord === "string") {
    throw new MxError("invalid_argument", `[linalg::norm] Invalid ord value '${ord}' for matrix norm.`);
  }
  if (ord !== 1 && ord !== -1 && ord !== Infinity && ord !== -Infinity) {
    throw new MxError("invalid_argument", `[linalg::norm] Invalid ord ${ord} for matrix norm.`);
  }
  const dtype = atLeastFloat(a.dtype);
  let [rowAxis, columnAxis] = axes as [number, number];
  // 1 / -1: column sums (over rows), then the extreme over columns; inf / -inf: row sums.
  const sumAxis = Math.abs(ord) === 1 ? rowAxis : columnAxis;
  let extremeAxis = Math.abs(ord) === 1 ? columnAxis : rowAxis;
  if (!keepdims && extremeAxis > sumAxis) extremeAxis -= 1;
  [rowAxis, columnAxis] = [sumAxis, extremeAxis];
  using magnitude = abs(a);
  using sums = sum(magnitude, { axis: rowAxis, keepdims });
  const options = { axis: columnAxis, keepdims };
  using reduced = ord > 0 ? max(sums, options) : min(sums, options);
  return astype(reduced, dtype);
}

/**
 * Vector or matrix norms, as `mx.linalg.norm`. With no `ord`, the 2-norm over `axis` (all
 * axes flattened when omitted; the Frobenius norm for two axes). A numeric `ord` over one
 * axis is a vector norm: `Infinity` max |x|, `-Infinity` min |x|, `0` the count of nonzeros,
 * otherwise `sum(|x|^ord)^(1/ord)`; over two axes a matrix norm: `1`/`-1` the max/min column
 * sum of |x|, `Infinity`/`-Infinity` the max/min row sum. `"fro"` (or `"f"`) is the Frobenius
 * norm; `2` / `-2` the largest / smallest singular value and `"nuc"` their sum. Integer
 * and bool inputs give float32 (except for the singular-value orders, which need floats).
 *
 * @param a The input.
 * @param ord The order (see above); `undefined` or `null` for the default.
 * @param options `axis` (one or two axes; all when omitted: then `a` must be 1-D or 2-D
 *   unless `ord` is omitted), `keepdims`, `stream`.
 * @returns The norm(s) (lazy).
 * @throws {MxError} On an invalid order for the number of axes, more than two axes, or an
 *   axis out of range.
 *
 * @example Vector and matrix norms
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[-4, -3, -2], [-1, 0, 1], [2, 3, 4]]);
 * console.log(Number(mx.linalg.norm(a).item()).toFixed(4)); // 7.7460
 * console.log(mx.linalg.norm(a, Infinity).item()); // 9
 * console.log(mx.linalg.norm(a, 1, { axis: 1 }).tolist()); // [9, 2, 9]
 * ```
 */
export function norm(a: MxArray, ord?: NormOrder | null, options: NormOptions = {}): MxArray {
  checkStream("linalg::norm", options.stream);
  checkLinalgArray("norm", a, "a");
  const keepdims = options.keepdims ?? false;
  const given = options.axis === undefined
    ? undefined
    : typeof options.axis === "number"
    ? [options.axis]
    : [...options.axis];
  if (ord === undefined || ord === null) {
    if (given === undefined) {
      using flat = reshape(a, [a.size]);
      const out = l2Norm(flat, [0], false);
      if (!keepdims) return out;
      using owned = out;
      return reshape(owned, a.shape.map(() => 1));
    }
    if (given.length > 2) {
      throw new MxError("invalid_argument", "[linalg::norm] Received too many axes for norm.");
    }
    return l2Norm(a, normAxes(a, given), keepdims);
  }
  const axes = given ?? a.shape.map((_, i) => i);
  if (typeof ord === "string") {
    if (axes.length !== 2) {
      throw new MxError(
        "invalid_argument",
        `[linalg::norm] Norm '${ord}' only supported for matrices, but received ${axes.length} axis/axes.`,
      );
    }
    return matrixNorm(a, ord, normAxes(a, axes), keepdims);
  }
  if (typeof ord !== "number") {
    throw new MxError(
      "invalid_argument",
      `[linalg::norm] ord must be a number or a string; got ${typeof ord}`,
    );
  }
  if (axes.length === 1) return vectorNorm(a, ord, normAxes(a, axes), keepdims);
  if (axes.length === 2) return matrixNorm(a, ord, normAxes(a, axes), keepdims);
  throw new MxError("invalid_argument", "[linalg::norm] Received too many axes for norm.");
}

// ---------------------------------------------------------------------------------------------
// cross

/**
 * The cross product of vectors along `axis` (size 3, or 2 meaning a zero third component),
 * broadcasting the other axes, as `mx.linalg.cross`.
 *
 * @param a The first vectors.
 * @param b The second vectors.
 * @param options `axis` (default -1), `stream`.
 * @returns The cross products, size 3 along `axis` (lazy).
 * @throws {MxError} When `axis` is out of range or not of size 2 or 3 in either input.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const c = mx.linalg.cross(mx.array([1, 2, 3]), mx.array([4, 5, 6]));
 * console.log(c.tolist()); // [-3, 6, -3]
 * ```
 */
export function cross(a: MxArray, b: MxArray, options: { axis?: number } & OpOptions = {}): MxArray {
  checkStream("linalg::cross", options.stream);
  checkLinalgArray("cross", a, "a");
  checkLinalgArray("cross", b, "b");
  const axis = options.axis ?? -1;
  for (const x of [a, b]) {
    if (!Number.isInteger(axis) || axis < -x.ndim || axis >= x.ndim) {
      throw new MxError(
        "invalid_argument",
        `[linalg::cross] Axis ${axis} is out of bounds for array with ${x.ndim} dimensions.`,
      );
    }
    const size = x.shape[axis < 0 ? axis + x.ndim : axis]!;
    if (size < 2 || size > 3) {
      throw new MxError("invalid_argument", "[linalg::cross] The specified axis must have size 2 or 3.");
    }
  }
  const sizeA = a.shape[axis < 0 ? axis + a.ndim : axis]!;
  const sizeB = b.shape[axis < 0 ? axis + b.ndim : axis]!;
  const withThree = (x: MxArray) => x.shape.map((d, i) => (i === (axis < 0 ? axis + x.ndim : axis) ? 3 : d));
  const outShape = broadcastShapes(withThree(a), withThree(b));
  const outAxis = axis < 0 ? axis + outShape.length : axis;
  const owned: MxArray[] = [];
  try {
    const parts = (x: MxArray, size: number): MxArray[] => {
      const shape = outShape.map((d, i) => (i === outAxis ? size : d));
      const full = broadcastTo(x, shape);
      owned.push(full);
      return Array.from({ length: size }, (_, k) => {
        const part = sliceView(
          full,
          shape.map((_, i) => (i === outAxis ? k : 0)),
          shape.map((d, i) => (i === outAxis ? 1 : d)),
          shape.map(() => 1),
        );
        owned.push(part);
        return part;
      });
    };
    const x = parts(a, sizeA);
    const y = parts(b, sizeB);
    const keep = (value: MxArray) => {
      owned.push(value);
      return value;
    };
    const mul = (p: MxArray, q: MxArray) => keep(multiply(p, q));
    const diff = (p: MxArray, q: MxArray) => keep(subtract(p, q));
    const third = diff(mul(x[0]!, y[1]!), mul(x[1]!, y[0]!));
    let first: MxArray;
    let second: MxArray;
    if (sizeA === 2 && sizeB === 2) {
      first = second = keep(zerosLike(third));
    } else if (sizeB === 2) {
      first = keep(negative(mul(x[2]!, y[1]!)));
      second = mul(x[2]!, y[0]!);
    } else if (sizeA === 2) {
      first = mul(x[1]!, y[2]!);
      second = keep(negative(mul(x[0]!, y[2]!)));
    } else {
      first = diff(mul(x[1]!, y[2]!), mul(x[2]!, y[1]!));
      second = diff(mul(x[2]!, y[0]!), mul(x[0]!, y[2]!));
    }
    return concatenate([first, second, third], { axis: outAxis });
  } finally {
    for (const x of owned) x.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Inverses and Cholesky (native primitives)

/** Options of the ops that read one triangle. */
export interface TriangleOptions extends OpOptions {
  /** Use the upper triangle (default false: the lower one). */
  upper?: boolean;
}

/**
 * The inverse of each square matrix in the last two axes (float32 or float64), by LU with
 * partial pivoting, as `mx.linalg.inv`.
 *
 * @param a The matrices (at least 2-D, square).
 * @param options `stream`: the CPU.
 * @returns The inverses (lazy).
 * @throws {MxError} On another dtype, fewer than 2 dimensions or non-square matrices; at
 *   evaluation, when a matrix is singular (an exactly zero pivot), as MLX raises.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.linalg.inv(mx.array([[2, 0], [0, 4]])).tolist()); // [[0.5, 0], [0, 0.25]]
 * ```
 */
export function inv(a: MxArray, options: OpOptions = {}): MxArray {
  checkStream("linalg::inv", options.stream);
  checkLinalgArray("inv", a, "a");
  return new MxArray(checkHandle(native.linalg_inverse(a.handle("linalg::inv"), 0, 0)));
}

/**
 * The inverse of each triangular matrix in the last two axes, as `mx.linalg.tri_inv`: only
 * the triangle named by `upper` is read; the other triangle of the result is zero.
 *
 * @param a The matrices (float32 or float64, at least 2-D, square).
 * @param options `upper` (default false: lower triangular), `stream`.
 * @returns The inverses (lazy).
 * @throws {MxError} As `inv`; at evaluation, when a diagonal element is zero.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const l = mx.array([[2, 0], [1, 4]]);
 * console.log(mx.linalg.triInv(l).tolist()); // [[0.5, 0], [-0.125, 0.25]]
 * ```
 */
export function triInv(a: MxArray, options: TriangleOptions = {}): MxArray {
  checkStream("linalg::tri_inv", options.stream);
  checkLinalgArray("tri_inv", a, "a");
  return new MxArray(
    checkHandle(native.linalg_inverse(a.handle("linalg::tri_inv"), 1, options.upper ? 1 : 0)),
  );
}

/**
 * The Cholesky factor of each symmetric positive definite matrix in the last two axes, as
 * `mx.linalg.cholesky`: lower `L` with `L @ L.T = a` (reading the lower triangle), or with
 * `upper` the upper `U` with `U.T @ U = a` (reading the upper triangle).
 *
 * @param a The matrices (float32 or float64, at least 2-D, square).
 * @param options `upper` (default false), `stream`.
 * @returns The factors (lazy), zero in the other triangle.
 * @throws {MxError} As `inv`; at evaluation, when a matrix is not positive definite (MLX
 *   returns LAPACK's partial result there; we raise).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.linalg.cholesky(mx.array([[4, 2], [2, 10]])).tolist()); // [[2, 0], [1, 3]]
 * ```
 */
export function cholesky(a: MxArray, options: TriangleOptions = {}): MxArray {
  checkStream("linalg::cholesky", options.stream);
  checkLinalgArray("cholesky", a, "a");
  return new MxArray(
    checkHandle(native.linalg_cholesky(a.handle("linalg::cholesky"), options.upper ? 1 : 0)),
  );
}

/**
 * The inverse of `A` from its Cholesky factor, as `mx.linalg.cholesky_inv`: given lower `L`
 * (`A = L @ L.T`), or upper `U` with `upper` (`A = U.T @ U`), returns `A^-1`.
 *
 * @param l The factors (float32 or float64, at least 2-D, square; triangle per `upper`).
 * @param options `upper` (default false), `stream`.
 * @returns The inverses (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const l = mx.linalg.cholesky(mx.array([[4, 2], [2, 10]]));
 * const inverse = mx.linalg.choleskyInv(l);
 * console.log(mx.round(mx.multiply(inverse, 36)).tolist()); // [[10, -2], [-2, 4]]
 * ```
 */
export function choleskyInv(l: MxArray, options: TriangleOptions = {}): MxArray {
  checkStream("linalg::cholesky_inv", options.stream);
  checkLinalgArray("cholesky_inv", l, "a");
  checkFloatMatrices("cholesky_inv", l);
  if (l.shape[l.ndim - 1] !== l.shape[l.ndim - 2]) {
    throw new MxError(
      "shape_mismatch",
      `[linalg::cholesky_inv] Cholesky inverse is only defined for square matrices; got shape ${
        shapeText(l.shape)
      }`,
    );
  }
  using inverse = triInv(l, { upper: options.upper });
  using transposed = swapaxes(inverse, -1, -2);
  return options.upper ? matmul(inverse, transposed) : matmul(transposed, inverse);
}

// ---------------------------------------------------------------------------------------------
// LU

/** The native LUF, unpacked: [LU, pivots, row indices] (see primitives/linalg.zig). */
function luParts(a: MxArray): [MxArray, MxArray, MxArray] {
  using packed = new MxArray(checkHandle(native.linalg_lu_factor(a.handle("linalg::lu_factor"))));
  const batch = a.shape.slice(0, -2);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const part = (start: number, size: number) =>
    sliceView(packed, [...batch.map(() => 0), start], [...batch, size], [...batch.map(() => 1), 1]);
  using factors = part(0, m * n);
  using pivots = part(m * n, k);
  using rows = part(m * n + k, m);
  return [reshape(factors, a.shape), astype(pivots, uint32), astype(rows, uint32)];
}

/**
 * The LU factorization with partial pivoting of each matrix in the last two axes (LAPACK
 * getrf), as `mx.linalg.lu_factor`: the packed factors (unit lower L below the diagonal, U on
 * and above) and the uint32 pivots (row `pivots[k]` was swapped with row k at step k).
 *
 * @param a The M x N matrices (float32 or float64, at least 2-D).
 * @param options `stream`: the CPU.
 * @returns `[lu, pivots]`, shapes `a.shape` and `[...batch, min(M, N)]` (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [lu, pivots] = mx.linalg.luFactor(mx.array([[1, 2], [4, 6]]));
 * console.log(lu.tolist(), pivots.tolist()); // [[4, 6], [0.25, 0.5]] [1, 1]
 * ```
 */
export function luFactor(a: MxArray, options: OpOptions = {}): [MxArray, MxArray] {
  checkStream("linalg::lu_factor", options.stream);
  checkLinalgArray("lu_factor", a, "a");
  const [factors, pivots, rows] = luParts(a);
  rows.dispose();
  return [factors, pivots];
}

/**
 * The LU factorization of each matrix in the last two axes, as `mx.linalg.lu`: `[p, l, u]`
 * with `l` (M x K, unit lower) and `u` (K x N, upper), K = min(M, N), such that row i of `a`
 * is row `p[i]` of `l @ u` (`p` is uint32).
 *
 * @param a The M x N matrices (float32 or float64, at least 2-D).
 * @param options `stream`: the CPU.
 * @returns `[p, l, u]` (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [p, l, u] = mx.linalg.lu(mx.array([[1, 2], [4, 6]]));
 * console.log(p.tolist(), l.tolist(), u.tolist()); // [1, 0] [[1, 0], [0.25, 1]] [[4, 6], [0, 0.5]]
 * ```
 */
export function lu(a: MxArray, options: OpOptions = {}): [MxArray, MxArray, MxArray] {
  checkStream("linalg::lu", options.stream);
  checkLinalgArray("lu", a, "a");
  checkFloatMatrices("lu", a);
  const [factors, pivots, rows] = luParts(a);
  pivots.dispose();
  using packed = factors;
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  using strictLower = tril(packed, { k: -1 });
  using upper = triu(packed);
  using lowerK = block(strictLower, 0, 0, m, k);
  using unit = eye(m, { m: k, dtype: a.dtype });
  return [rows, add(lowerK, unit), block(upper, 0, 0, k, n)];
}

// ---------------------------------------------------------------------------------------------
// Solves

/** MLX's validate_solve. */
function checkSolve(op: string, a: MxArray, b: MxArray): void {
  checkLinalgArray(op, a, "a");
  checkLinalgArray(op, b, "b");
  if (a.ndim < 2) {
    throw new MxError(
      "invalid_argument",
      `[linalg::${op}] First input must have >= 2 dimensions. Received array with ${a.ndim} dimensions.`,
    );
  }
  if (b.ndim < 1) {
    throw new MxError(
      "invalid_argument",
      `[linalg::${op}] Second input must have >= 1 dimensions. Received array with ${b.ndim} dimensions.`,
    );
  }
  const n = a.shape[a.ndim - 1]!;
  if (n !== a.shape[a.ndim - 2]) {
    throw new MxError(
      "shape_mismatch",
      `[linalg::${op}] First input must be a square matrix. Received array with shape ${shapeText(a.shape)}.`,
    );
  }
  if (n !== b.shape[b.ndim > 1 ? b.ndim - 2 : 0]) {
    throw new MxError(
      "shape_mismatch",
      `[linalg::${op}] Last dimension of first input with shape ${shapeText(a.shape)} must match second to ` +
        `last dimension of second input with shape ${shapeText(b.shape)}.`,
    );
  }
  // promote_types(a, b) must be float32 or float64.
  const names = new Set([a.dtype.name, b.dtype.name]);
  const ok = !names.has("complex64") &&
    (names.has("float64") || names.has("float32") || (names.has("float16") && names.has("bfloat16")));
  if (!ok) {
    throw new MxError(
      "dtype_mismatch",
      `[linalg::${op}] Input arrays must promote to float32 or float64. Received arrays with type ` +
        `${a.dtype.name} and ${b.dtype.name}.`,
    );
  }
}

/**
 * Solves `a @ x = b` for `x` with `a` triangular (only the triangle named by `upper` is
 * read), as `mx.linalg.solve_triangular`: `triInv(a) @ b`. A 1-D `b` is one right-hand side;
 * otherwise its last two axes are matrices, batch axes broadcast.
 *
 * @param a The triangular matrices (float32 or float64, square).
 * @param b The right-hand sides: `[n]` or `[..., n, k]`.
 * @param options `upper` (default false), `stream`.
 * @returns `x` (lazy).
 * @throws {MxError} On mismatched shapes, or dtypes that do not promote to float32/float64.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[2, 0], [1, 4]]);
 * console.log(mx.linalg.solveTriangular(a, mx.array([2, 9])).tolist()); // [1, 2]
 * ```
 */
export function solveTriangular(a: MxArray, b: MxArray, options: TriangleOptions = {}): MxArray {
  checkStream("linalg::solve_triangular", options.stream);
  checkSolve("solve_triangular", a, b);
  using inverse = triInv(a, { upper: options.upper });
  return matmul(inverse, b);
}

/**
 * Solves `a @ x = b` for square `a`, as `mx.linalg.solve`: LU with partial pivoting, then two
 * triangular solves. A 1-D `b` is one right-hand side; otherwise its last two axes are
 * matrices. Batch axes of `a` and `b` broadcast (MLX requires them to match).
 *
 * @param a The matrices (float32 or float64, square).
 * @param b The right-hand sides: `[n]` or `[..., n, k]`.
 * @param options `stream`: the CPU.
 * @returns `x` (lazy).
 * @throws {MxError} On mismatched shapes, non-float `a`; at evaluation, when `a` is singular.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[3, 1], [1, 2]]);
 * console.log(mx.linalg.solve(a, mx.array([9, 8])).tolist()); // [2, 3]
 * ```
 */
export function solve(a: MxArray, b: MxArray, options: OpOptions = {}): MxArray {
  checkStream("linalg::solve", options.stream);
  checkSolve("solve", a, b);
  const [rows, l, u] = lu(a);
  using _rows = rows;
  using _l = l;
  using _u = u;
  using order = argsort(rows, { axis: -1 });
  let permuted: MxArray;
  // A vector b with batched a is solved as one column per matrix, then squeezed.
  const column = b.ndim === 1 && a.ndim > 2;
  if (b.ndim === 1 && !column) {
    permuted = takeAlongAxis(b, order, { axis: -1 });
  } else {
    const n = a.shape[a.ndim - 1]!;
    const k = column ? 1 : b.shape[b.ndim - 1]!;
    const batch = broadcastShapes(a.shape.slice(0, -2), column ? [] : b.shape.slice(0, -2));
    const rhs = column ? reshape(b, [n, 1]) : b;
    using wide = broadcastTo(rhs, [...batch, n, k]);
    if (column) rhs.dispose();
    using orderColumn = expandDims(order, -1);
    using indices = broadcastTo(orderColumn, [...batch, n, 1]);
    permuted = takeAlongAxis(wide, indices, { axis: -2 });
  }
  using _permuted = permuted;
  using y = solveTriangular(l, permuted, { upper: false });
  if (!column) return solveTriangular(u, y, { upper: true });
  using x = solveTriangular(u, y, { upper: true });
  return squeeze(x, { axis: -1 });
}

// ---------------------------------------------------------------------------------------------
// Determinants

/** MLX's validate_det. */
function checkDet(op: string, a: MxArray): void {
  checkLinalgArray(op, a, "a");
  if (a.dtype.category === "complexfloating") {
    throw new MxError("dtype_mismatch", `[linalg::${op}] Complex inputs are not supported.`);
  }
  if (a.ndim < 2) {
    throw new MxError(
      "invalid_argument",
      `[linalg::${op}] Arrays must have >= 2 dimensions. Received array with ${a.ndim} dimensions.`,
    );
  }
  if (a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) {
    throw new MxError(
      "shape_mismatch",
      `[linalg::${op}] Only defined for square matrices; got shape ${shapeText(a.shape)}.`,
    );
  }
}

/** The determinant of n x n matrices with n <= 3 by the explicit formula (MLX's det_raw_small). */
function detSmall(a: MxArray): MxArray {
  const n = a.shape[a.ndim - 1]!;
  const batch = a.shape.slice(0, -2);
  if (n === 0) {
    using one = array(1, a.dtype);
    return broadcastTo(one, batch);
  }
  const owned: MxArray[] = [];
  const keep = (x: MxArray) => {
    owned.push(x);
    return x;
  };
  try {
    const e = (i: number, j: number) => keep(reshape(keep(block(a, i, j, 1, 1)), batch));
    const mul = (x: MxArray, y: MxArray) => keep(multiply(x, y));
    const sub = (x: MxArray, y: MxArray) => keep(subtract(x, y));
    if (n === 1) return reshape(e(0, 0), batch);
    if (n === 2) return subtract(mul(e(0, 0), e(1, 1)), mul(e(0, 1), e(1, 0)));
    const minor = (r0: number, r1: number, c0: number, c1: number) =>
      sub(mul(e(r0, c0), e(r1, c1)), mul(e(r0, c1), e(r1, c0)));
    const first = sub(mul(e(0, 0), minor(1, 2, 1, 2)), mul(e(0, 1), minor(1, 2, 0, 2)));
    return add(first, mul(e(0, 2), minor(1, 2, 0, 1)));
  } finally {
    for (const x of owned) x.dispose();
  }
}

/** Sign and log |det| through LU (MLX's slogdet_impl for n > 3). */
function slogdetLu(input: MxArray): [MxArray, MxArray] {
  const [factors, pivots] = luFactor(input);
  using _factors = factors;
  using _pivots = pivots;
  const dtype = input.dtype;
  const k = Math.min(...input.shape.slice(-2));
  using d = diagonal(factors, { axis1: -2, axis2: -1 });
  using iota = array(Array.from({ length: k }, (_, i) => i), uint32);
  using swapped = notEqual(pivots, iota);
  using parity = sum(swapped, { axis: -1 });
  using zero = array(0, dtype);
  using negatives = less(d, zero);
  using negativeCount = sum(negatives, { axis: -1 });
  using total = add(parity, negativeCount);
  using odd = remainder(total, 2);
  using twice = multiply(odd, -2);
  using signInt = add(twice, 1);
  using signRaw = astype(signInt, dtype);
  using magnitude = abs(d);
  using logs = log(magnitude);
  using logRaw = sum(logs, { axis: -1 });
  using zeros = equal(d, zero);
  using singular = any(zeros, { axis: -1 });
  using minusInfinity = array(-Infinity, dtype);
  return [where(singular, zero, signRaw), where(singular, minusInfinity, logRaw)];
}

/**
 * The sign and the natural log of the absolute value of the determinant of each square
 * matrix in the last two axes, as `mx.linalg.slogdet` (explicit formulas up to 3 x 3, LU
 * above). A singular matrix gives sign 0 and log -Infinity.
 *
 * @param a The matrices (real dtypes; integers and bool become float32).
 * @param options `stream`: the CPU.
 * @returns `[sign, logabsdet]` (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [s, logabs] = mx.linalg.slogdet(mx.multiply(mx.eye(4), -2));
 * console.log(s.item(), Number(logabs.item()).toFixed(4)); // 1 2.7726
 * ```
 */
export function slogdet(a: MxArray, options: OpOptions = {}): [MxArray, MxArray] {
  checkStream("linalg::slogdet", options.stream);
  checkDet("slogdet", a);
  using input = astype(a, atLeastFloat(a.dtype));
  if (a.shape[a.ndim - 1]! <= 3) {
    using raw = detSmall(input);
    using magnitude = abs(raw);
    return [sign(raw), log(magnitude)];
  }
  return slogdetLu(input);
}

/**
 * The determinant of each square matrix in the last two axes, as `mx.linalg.det` (explicit
 * formulas up to 3 x 3, `sign * exp(logabsdet)` from LU above).
 *
 * @param a The matrices (real dtypes; integers and bool become float32).
 * @param options `stream`: the CPU.
 * @returns The determinants (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.linalg.det(mx.array([[1, 2], [3, 4]])).item()); // -2
 * ```
 */
export function det(a: MxArray, options: OpOptions = {}): MxArray {
  checkStream("linalg::det", options.stream);
  checkDet("det", a);
  using input = astype(a, atLeastFloat(a.dtype));
  if (a.shape[a.ndim - 1]! <= 3) return detSmall(input);
  const [signValue, logabs] = slogdetLu(input);
  using _sign = signValue;
  using _logabs = logabs;
  using magnitude = exp(logabs);
  return multiply(signValue, magnitude);
}

export {
  eig,
  eigh,
  type EighOptions,
  eigvals,
  eigvalsh,
  pinv,
  qr,
  svd,
  type SvdOptions,
} from "./linalg_spectral.ts";
