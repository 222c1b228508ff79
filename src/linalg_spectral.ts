/**
 * Spectral decompositions of `mx.linalg`: qr, svd, eigh / eigvalsh, eig / eigvals (native
 * primitives, batched over the leading axes, computed in float64 whatever the dtype) and
 * pinv (composed from svd, as MLX does). Inputs are float32 or float64, and complex64 for
 * eigh, eigvalsh, eig and eigvals, as in MLX; complex64 input to svd (which MLX accepts) is
 * not supported yet.
 *
 * Decompositions are unique only up to signs (and, for eig, complex phases): results match
 * MLX's up to those, and always reconstruct the input.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { checkArray, MxArray } from "./array.ts";
import { checkStream, type OpOptions } from "./device.ts";
import { float32, float64 } from "./dtype.ts";
import { greater, multiply, reciprocal } from "./elementwise.ts";
import { checkStatus, MxError } from "./errors.ts";
import { matmul } from "./linalg_basic.ts";
import { where } from "./ops.ts";
import { max } from "./reductions.ts";
import { expandDims, sliceView, swapaxes } from "./shapes.ts";
import { zeros } from "./creation.ts";

/** The native decomposition codes (zig-native/src/primitives/decompositions.zig `Kind`). */
const kinds = { qr: 0, svd: 1, svdValues: 2, eigh: 3, eigvalsh: 4, eig: 5, eigvals: 6 } as const;

const outputHandles = new Uint32Array(3);

/** Runs decomposition `kind` of `a` natively; returns its outputs (new arrays). */
function decompose(op: string, kind: number, a: MxArray, upper = false): MxArray[] {
  checkArray(op, a, "a");
  checkStatus(native.linalg_decompose(kind, a.handle(op), upper ? 1 : 0, outputHandles, 3));
  const outputs: MxArray[] = [];
  for (const handle of outputHandles) {
    if (handle !== 0) outputs.push(new MxArray(handle));
  }
  return outputs;
}

/**
 * The QR factorization of the matrices in the last two axes of `a` (m x n): `Q` (m x k,
 * orthonormal columns) and `R` (k x n, upper triangular), k = min(m, n), with `Q @ R == a`
 * (MLX's reduced form). Householder reflections; `R`'s diagonal may be negative.
 *
 * @param a float32 or float64, at least 2-D; leading axes are a batch.
 * @param options `stream`: the CPU.
 * @returns `[Q, R]` (lazy).
 * @throws {MxError} `dtype_mismatch` for other dtypes; `invalid_argument` below 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [q, r] = mx.linalg.qr(mx.array([[3, 1], [4, 2]]));
 * console.log(q.shape, r.shape); // [2, 2] [2, 2]
 * console.log(mx.round(mx.matmul(q, r), { decimals: 5 }).tolist()); // [[3, 1], [4, 2]]
 * ```
 */
export function qr(a: MxArray, options: OpOptions = {}): [MxArray, MxArray] {
  checkStream("linalg.qr", options.stream);
  const [q, r] = decompose("linalg.qr", kinds.qr, a);
  return [q!, r!];
}

/** Options of `svd`. */
export interface SvdOptions extends OpOptions {
  /** Return `[U, S, Vt]` (default) or, when false, only the singular values `S`. */
  computeUv?: boolean;
}

/**
 * The singular value decomposition of the matrices in the last two axes of `a` (m x n):
 * `U` (m x m), `S` (min(m, n), descending, non-negative) and `Vt` (n x n), full as MLX
 * returns them, with `U[:, :k] @ diag(S) @ Vt[:k, :] == a`. One-sided Jacobi in float64.
 *
 * @param a float32 or float64, at least 2-D; leading axes are a batch.
 * @param options `computeUv` (default true); `stream`.
 * @returns `[U, S, Vt]`, or `S` alone with `computeUv: false` (lazy).
 * @throws {MxError} `dtype_mismatch` for integer and half dtypes; `unsupported` for
 *   complex64; `invalid_argument` below 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[3, 0], [0, -4], [0, 0]]);
 * const [u, s, vt] = mx.linalg.svd(a);
 * console.log(u.shape, s.tolist(), vt.shape); // [3, 3] [4, 3] [2, 2]
 * console.log(mx.linalg.svd(a, { computeUv: false }).tolist()); // [4, 3]
 * ```
 */
export function svd(a: MxArray, options?: SvdOptions & { computeUv?: true }): [MxArray, MxArray, MxArray];
export function svd(a: MxArray, options: SvdOptions & { computeUv: false }): MxArray;
export function svd(a: MxArray, options?: SvdOptions): MxArray | [MxArray, MxArray, MxArray];
export function svd(a: MxArray, options: SvdOptions = {}): MxArray | [MxArray, MxArray, MxArray] {
  checkStream("linalg.svd", options.stream);
  const computeUv = options.computeUv ?? true;
  if (typeof computeUv !== "boolean") {
    throw new MxError(
      "invalid_argument",
      `[linalg.svd] computeUv must be a boolean; got ${typeof computeUv}`,
    );
  }
  if (!computeUv) return decompose("linalg.svd", kinds.svdValues, a)[0]!;
  const [u, s, vt] = decompose("linalg.svd", kinds.svd, a);
  return [u!, s!, vt!];
}

/** Options of `eigh` and `eigvalsh`. */
export interface EighOptions extends OpOptions {
  /** Which triangle of `a` is read: `"L"` (lower, default) or `"U"` (upper). */
  UPLO?: "L" | "U";
}

function upperOf(op: string, options: EighOptions): boolean {
  const uplo = options.UPLO ?? "L";
  if (uplo !== "L" && uplo !== "U") {
    throw new MxError("invalid_argument", `[${op}] UPLO must be "L" or "U"; got ${JSON.stringify(uplo)}`);
  }
  return uplo === "U";
}

/**
 * The eigenvalues (ascending) and orthonormal eigenvectors (the columns of `V`, in the same
 * order) of the real symmetric (or complex Hermitian) matrices in the last two axes of `a`,
 * read from one triangle (`UPLO`); complex64 input gives float32 eigenvalues and complex64
 * eigenvectors, as in MLX. Real input: Householder tridiagonalisation and the implicit QR
 * algorithm in float64; complex input: the complex Schur form (see `eig`), diagonal for a
 * Hermitian matrix.
 *
 * @param a float32, float64 or complex64, square in the last two axes; leading axes are a
 *   batch.
 * @param options `UPLO`: `"L"` (default) or `"U"`; `stream`.
 * @returns `[w, V]` with `a @ V == V * w` (lazy).
 * @throws {MxError} `shape_mismatch` for non-square input; `dtype_mismatch` for integer and
 *   half dtypes; `invalid_argument` below 2-D or for a bad UPLO.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [w, v] = mx.linalg.eigh(mx.array([[2, 1], [1, 2]]));
 * console.log(mx.round(w, { decimals: 5 }).tolist()); // [1, 3]
 * console.log(v.shape); // [2, 2]
 * ```
 */
export function eigh(a: MxArray, options: EighOptions = {}): [MxArray, MxArray] {
  checkStream("linalg.eigh", options.stream);
  const upper = upperOf("linalg.eigh", options);
  const [w, v] = decompose("linalg.eigh", kinds.eigh, a, upper);
  return [w!, v!];
}

/**
 * The eigenvalues (ascending; float32 for complex64 input) of the real symmetric or complex
 * Hermitian matrices in the last two axes of `a`, read from one triangle (`UPLO`). See `eigh`.
 *
 * @param a float32, float64 or complex64, square in the last two axes; leading axes are a
 *   batch.
 * @param options `UPLO`: `"L"` (default) or `"U"`; `stream`.
 * @returns The eigenvalues, shape `a.shape` without its last axis (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[5, 100], [2, 1]]);
 * console.log(String(mx.linalg.eigvalsh(a))); // array([0.171573, 5.82843], dtype=float32)
 * console.log(String(mx.linalg.eigvalsh(a, { UPLO: "U" }))); // array([-97.02, 103.02], dtype=float32)
 * ```
 */
export function eigvalsh(a: MxArray, options: EighOptions = {}): MxArray {
  checkStream("linalg.eigvalsh", options.stream);
  const upper = upperOf("linalg.eigvalsh", options);
  return decompose("linalg.eigvalsh", kinds.eigvalsh, a, upper)[0]!;
}

/**
 * The eigenvalues and right eigenvectors of the general square matrices in the last two axes
 * of `a`, as complex64 (MLX's dtype for both, whatever the input): `a @ V == V * w`, each
 * column of `V` of unit norm with its largest component real. The order of the eigenvalues
 * is the algorithm's (not sorted), as in MLX. Hessenberg reduction and the shifted QR
 * algorithm in complex float64. For complex64 input MLX 0.32 returns the conjugates of the
 * eigenvectors (which do not satisfy `a @ V == V * w`); these are the eigenvectors.
 *
 * @param a float32, float64 or complex64, square in the last two axes; leading axes are a
 *   batch.
 * @param options `stream`: the CPU.
 * @returns `[w, V]` (complex64, lazy).
 * @throws {MxError} `shape_mismatch` for non-square input; `dtype_mismatch` for integer and
 *   half dtypes; `invalid_argument` below 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [w, v] = mx.linalg.eig(mx.array([[0, -1], [1, 0]]));
 * console.log(w.dtype.name, v.shape); // complex64 [2, 2]
 * console.log(mx.round(mx.abs(mx.imag(w)), { decimals: 5 }).tolist()); // [1, 1]
 * ```
 */
export function eig(a: MxArray, options: OpOptions = {}): [MxArray, MxArray] {
  checkStream("linalg.eig", options.stream);
  const [w, v] = decompose("linalg.eig", kinds.eig, a);
  return [w!, v!];
}

/**
 * The eigenvalues (complex64) of the general square matrices in the last two axes of `a`.
 * See `eig`.
 *
 * @param a float32, float64 or complex64, square in the last two axes; leading axes are a
 *   batch.
 * @param options `stream`: the CPU.
 * @returns The eigenvalues, shape `a.shape` without its last axis (complex64, lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.linalg.eigvals(mx.array([[2, 0], [0, 3]]));
 * console.log(mx.real(w).tolist()); // [2, 3]
 * ```
 */
export function eigvals(a: MxArray, options: OpOptions = {}): MxArray {
  checkStream("linalg.eigvals", options.stream);
  return decompose("linalg.eigvals", kinds.eigvals, a)[0]!;
}

/**
 * The Moore-Penrose pseudo-inverse of the matrices in the last two axes of `a` (m x n gives
 * n x m), composed from `svd` as MLX does: singular values at most
 * `10 * max(m, n) * eps * max(S)` count as zero.
 *
 * @param a float32 or float64, at least 2-D; leading axes are a batch.
 * @param options `stream`: the CPU.
 * @returns The pseudo-inverse (lazy).
 * @throws {MxError} `dtype_mismatch` for other dtypes; `invalid_argument` below 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const p = mx.linalg.pinv(mx.array([[1, 2], [2, 4]]));
 * console.log(mx.round(mx.multiply(p, 100)).tolist()); // [[4, 8], [8, 16]]
 * ```
 */
export function pinv(a: MxArray, options: OpOptions = {}): MxArray {
  const op = "linalg.pinv";
  checkStream(op, options.stream);
  checkArray(op, a, "a");
  if (a.dtype !== float32 && a.dtype !== float64) {
    throw new MxError(
      "dtype_mismatch",
      `[${op}] arrays must have type float32 or float64; got ${a.dtype.name}`,
    );
  }
  if (a.ndim < 2) {
    throw new MxError(
      "invalid_argument",
      `[${op}] arrays must have at least 2 dimensions; got shape [${a.shape}]`,
    );
  }
  const shape = a.shape;
  const ndim = shape.length;
  const m = shape[ndim - 2]!;
  const n = shape[ndim - 1]!;
  if (a.size === 0) {
    return zeros([...shape.slice(0, -2), n, m], a.dtype);
  }
  const k = Math.min(m, n);
  const temporaries: MxArray[] = [];
  const keep = <T extends MxArray>(x: T): T => {
    temporaries.push(x);
    return x;
  };
  try {
    const [uFull, s, vtFull] = svd(a).map(keep) as [MxArray, MxArray, MxArray];
    const starts = shape.map(() => 0);
    const steps = shape.map(() => 1);
    const batch = shape.slice(0, -2);
    const u = keep(swapaxes(keep(sliceView(uFull, starts, [...batch, m, k], steps)), -1, -2));
    const v = keep(swapaxes(keep(sliceView(vtFull, starts, [...batch, k, n], steps)), -1, -2));
    const sRow = keep(expandDims(s, -2));
    const eps = a.dtype === float64 ? 2 ** -52 : 2 ** -23;
    const rcond = 10 * Math.max(m, n) * eps;
    const cutoff = keep(multiply(keep(max(sRow, { axis: -1, keepdims: true })), rcond));
    const inverse = keep(where(keep(greater(sRow, cutoff)), keep(reciprocal(sRow)), 0));
    return matmul(keep(multiply(v, inverse)), u);
  } finally {
    for (const x of temporaries) x.dispose();
  }
}
