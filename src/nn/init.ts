/**
 * `mx.nn.init`: MLX's initializers (`mlx/nn/init.py`). Each builder returns a function that
 * takes an array and returns a new array of its shape, drawn with MLX's recipes from the
 * global random sequence, so after `mx.random.seed(k)` the values equal MLX's (up to the
 * last-ulp differences of `mx.random.normal`).
 *
 * @module
 */

import type { MxArray } from "../array.ts";
import { type Dtype, float32 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { astype } from "../ops.ts";
import { multiply, sign } from "../elementwise.ts";
import { eye, full } from "../creation.ts";
import { diag, index, putAlongAxis, slice } from "../indexing.ts";
import { argsort } from "../sorting.ts";
import { normal as randomNormal, uniform as randomUniform } from "../random.ts";
import { qr } from "../linalg_spectral.ts";
import { tidy } from "../scope.ts";
import { checkArray } from "./scalars.ts";

/** An initializer: a new array of `a`'s shape. */
export type Initializer = (a: MxArray) => MxArray;

/** The `dtype` option of every initializer builder. */
export interface InitDtypeOptions {
  /** The dtype of the arrays made (default float32). */
  dtype?: Dtype;
}

/** The fan of a Glorot or He initializer: the number of input or output units. */
export type FanMode = "fan_in" | "fan_out";

/**
 * An initializer filling arrays with `value`.
 *
 * @param value The fill value.
 * @param options `dtype` (default float32).
 * @returns The initializer.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const init = mx.nn.init.constant(0.5);
 * console.log(init(mx.zeros([2, 2])).tolist()); // [[0.5, 0.5], [0.5, 0.5]]
 * ```
 */
export function constant(value: number, options: InitDtypeOptions = {}): Initializer {
  const dtype = options.dtype ?? float32;
  return (a) => {
    checkArray("init.constant", a, "a");
    return full(a.shape, value, dtype);
  };
}

/**
 * An initializer drawing from a normal distribution (`mx.random.normal` with `loc` and
 * `scale`).
 *
 * @param options `mean` (default 0), `std` (default 1), `dtype` (default float32).
 * @returns The initializer.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * mx.random.seed(42);
 * const w = mx.nn.init.normal({ std: 0.5 })(mx.zeros([2, 3]));
 * console.log(w.shape, w.dtype.name); // [2, 3] float32
 * ```
 */
export function normal(options: { mean?: number; std?: number } & InitDtypeOptions = {}): Initializer {
  const { mean = 0, std = 1, dtype = float32 } = options;
  return (a) => {
    checkArray("init.normal", a, "a");
    return randomNormal({ shape: a.shape, scale: std, loc: mean, dtype });
  };
}

/**
 * An initializer drawing from a uniform distribution on [low, high).
 *
 * @param options `low` (default 0), `high` (default 1), `dtype` (default float32).
 * @returns The initializer.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.nn.init.uniform({ low: -1, high: 1 })(mx.zeros([4]));
 * console.log(mx.all(mx.less(mx.abs(w), 1)).item()); // true
 * ```
 */
export function uniform(options: { low?: number; high?: number } & InitDtypeOptions = {}): Initializer {
  const { low = 0, high = 1, dtype = float32 } = options;
  return (a) => {
    checkArray("init.uniform", a, "a");
    return randomUniform({ low, high, shape: a.shape, dtype });
  };
}

/**
 * An initializer returning the identity matrix of a square array's size.
 *
 * @param options `dtype` (default float32).
 * @returns The initializer; it throws for arrays that are not square matrices.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.init.identity()(mx.zeros([2, 2])).tolist()); // [[1, 0], [0, 1]]
 * ```
 */
export function identity(options: InitDtypeOptions = {}): Initializer {
  const dtype = options.dtype ?? float32;
  return (a) => {
    checkArray("init.identity", a, "a");
    if (a.ndim !== 2 || a.shape[0] !== a.shape[1]) {
      throw new MxError(
        "invalid_argument",
        `[init.identity] The input array must be a square matrix but got shape [${a.shape}].`,
      );
    }
    return eye(a.shape[0]!, { dtype });
  };
}

/** MLX's fans: the last axis times the receptive field (in), the first times it (out). */
function fans(op: string, a: MxArray): { fanIn: number; fanOut: number } {
  if (a.ndim < 2) {
    throw new MxError(
      "invalid_argument",
      `[${op}] Glorot / He initialization requires at least 2 dimensional input but input with ${a.ndim} dimensions.`,
    );
  }
  const receptive = a.shape.slice(1, -1).reduce((p, d) => p * d, 1);
  return { fanIn: a.shape[a.ndim - 1]! * receptive, fanOut: a.shape[0]! * receptive };
}

function fanOf(op: string, a: MxArray, mode: string): number {
  const { fanIn, fanOut } = fans(op, a);
  if (mode === "fan_in") return fanIn;
  if (mode === "fan_out") return fanOut;
  throw new MxError("invalid_argument", `[${op}] Invalid mode: ${mode}. Valid modes are: fan_in, fan_out`);
}

/**
 * A Glorot (Xavier) normal initializer: std `gain * sqrt(2 / (fanIn + fanOut))`.
 *
 * @param options `dtype` (default float32).
 * @returns The initializer, taking `gain` (default 1); it throws for arrays under 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.nn.init.glorotNormal()(mx.zeros([4, 3]), { gain: 2 });
 * console.log(w.shape); // [4, 3]
 * ```
 */
export function glorotNormal(
  options: InitDtypeOptions = {},
): (a: MxArray, options?: { gain?: number }) => MxArray {
  const dtype = options.dtype ?? float32;
  return (a, { gain = 1 } = {}) => {
    checkArray("init.glorotNormal", a, "a");
    const { fanIn, fanOut } = fans("init.glorotNormal", a);
    const std = gain * Math.sqrt(2 / (fanIn + fanOut));
    return randomNormal({ shape: a.shape, scale: std, dtype });
  };
}

/**
 * A Glorot (Xavier) uniform initializer on [-limit, limit),
 * `limit = gain * sqrt(6 / (fanIn + fanOut))`.
 *
 * @param options `dtype` (default float32).
 * @returns The initializer, taking `gain` (default 1); it throws for arrays under 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.nn.init.glorotUniform()(mx.zeros([3, 3]));
 * console.log(mx.all(mx.less(mx.abs(w), 1)).item()); // true
 * ```
 */
export function glorotUniform(
  options: InitDtypeOptions = {},
): (a: MxArray, options?: { gain?: number }) => MxArray {
  const dtype = options.dtype ?? float32;
  return (a, { gain = 1 } = {}) => {
    checkArray("init.glorotUniform", a, "a");
    const { fanIn, fanOut } = fans("init.glorotUniform", a);
    const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
    return randomUniform({ low: -limit, high: limit, shape: a.shape, dtype });
  };
}

/** Options of the He initializers' functions. */
export interface HeOptions {
  /** Whether the fan is the input (default) or output units. */
  mode?: FanMode;
  /** The scale factor (default 1). */
  gain?: number;
}

/**
 * A He (Kaiming) normal initializer: std `gain / sqrt(fan)`.
 *
 * @param options `dtype` (default float32).
 * @returns The initializer, taking `mode` (`"fan_in"` default, or `"fan_out"`) and `gain`
 *   (default 1); it throws for arrays under 2-D or an unknown mode.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.nn.init.heNormal()(mx.zeros([8, 4]), { mode: "fan_out" });
 * console.log(w.shape); // [8, 4]
 * ```
 */
export function heNormal(options: InitDtypeOptions = {}): (a: MxArray, options?: HeOptions) => MxArray {
  const dtype = options.dtype ?? float32;
  return (a, { mode = "fan_in", gain = 1 } = {}) => {
    checkArray("init.heNormal", a, "a");
    const std = gain / Math.sqrt(fanOf("init.heNormal", a, mode));
    return randomNormal({ shape: a.shape, scale: std, dtype });
  };
}

/**
 * A He (Kaiming) uniform initializer on [-limit, limit), `limit = gain * sqrt(3 / fan)`.
 *
 * @param options `dtype` (default float32).
 * @returns The initializer, taking `mode` (`"fan_in"` default, or `"fan_out"`) and `gain`
 *   (default 1); it throws for arrays under 2-D or an unknown mode.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.nn.init.heUniform()(mx.zeros([3, 12]));
 * console.log(mx.all(mx.less(mx.abs(w), 0.5)).item()); // true
 * ```
 */
export function heUniform(options: InitDtypeOptions = {}): (a: MxArray, options?: HeOptions) => MxArray {
  const dtype = options.dtype ?? float32;
  return (a, { mode = "fan_in", gain = 1 } = {}) => {
    checkArray("init.heUniform", a, "a");
    const limit = gain * Math.sqrt(3 / fanOf("init.heUniform", a, mode));
    return randomUniform({ low: -limit, high: limit, shape: a.shape, dtype });
  };
}

/**
 * A sparse initializer for 2-D arrays: normal samples with `ceil(sparsity * columns)` random
 * entries of every row set to zero (MLX's recipe: the zeroed columns are the first ones of
 * an argsort of uniform keys, drawn before the normal samples).
 *
 * @param sparsity The fraction of each row set to zero.
 * @param options `mean` (default 0), `std` (default 1), `dtype` (default float32).
 * @returns The initializer; it throws for arrays that are not 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.nn.init.sparse(0.5)(mx.zeros([3, 4]));
 * console.log(mx.sum(mx.equal(w, 0), { axis: 1 }).tolist()); // [2, 2, 2]
 * ```
 */
export function sparse(
  sparsity: number,
  options: { mean?: number; std?: number } & InitDtypeOptions = {},
): Initializer {
  const { mean = 0, std = 1, dtype = float32 } = options;
  return (a) => {
    checkArray("init.sparse", a, "a");
    if (a.ndim !== 2) {
      throw new MxError(
        "invalid_argument",
        `[init.sparse] Only arrays with 2 dimensions are supported; got shape [${a.shape}].`,
      );
    }
    const zerosPerRow = Math.ceil(sparsity * a.shape[1]!);
    return tidy(() => {
      const order = argsort(randomUniform({ shape: a.shape }), { axis: 1 });
      const samples = randomNormal({ shape: a.shape, scale: std, loc: mean, dtype });
      return putAlongAxis(samples, index(order, slice(), slice(0, zerosPerRow)), 0, { axis: 1 });
    });
  };
}

/**
 * An orthogonal initializer for 2-D arrays: the Q of a QR decomposition of an n x n normal
 * matrix (n the larger side), signs fixed by R's diagonal, cut to the array's shape and
 * scaled by `gain`.
 *
 * @param options `gain` (default 1), `dtype` (default float32).
 * @returns The initializer; it throws for arrays that are not 2-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const q = mx.nn.init.orthogonal()(mx.zeros([3, 3]));
 * const qtq = mx.matmul(mx.transpose(q), q);
 * console.log((mx.max(mx.abs(mx.subtract(qtq, mx.eye(3)))).item() as number) < 1e-5); // true
 * ```
 */
export function orthogonal(options: { gain?: number } & InitDtypeOptions = {}): Initializer {
  const { gain = 1, dtype = float32 } = options;
  return (a) => {
    checkArray("init.orthogonal", a, "a");
    if (a.ndim !== 2) {
      throw new MxError(
        "invalid_argument",
        `[init.orthogonal] Orthogonal initialization requires a 2D array but got a ${a.ndim}D array.`,
      );
    }
    const [rows, cols] = a.shape as [number, number];
    const n = Math.max(rows, cols);
    return tidy(() => {
      const [q, r] = qr(randomNormal({ shape: [n, n] }));
      const signed = multiply(q, sign(diag(r)));
      return astype(multiply(index(signed, slice(0, rows), slice(0, cols)), gain), dtype);
    });
  };
}
