/**
 * Convolutions, channels last as in MLX: the input is `[N, ...spatial, C_in]`, the weight
 * `[C_out, ...kernel, C_in / groups]`, the result `[N, ...out, C_out]`. `convGeneral` is the
 * native primitive (MLX's Convolution); conv1d/2d/3d and the transposed convolutions are
 * composed from it the way MLX composes them. Floating-point inputs only, as in MLX.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { checkArray, MxArray } from "./array.ts";
import { checkStream, type OpOptions } from "./device.ts";
import { checkHandle, MxError } from "./errors.ts";

/** One value for every spatial axis, or one per axis. */
export type SpatialParam = number | readonly number[];

/** Options of `conv1d`, `conv2d` and `conv3d`. */
export interface ConvOptions extends OpOptions {
  /** Step between kernel applications (default 1). */
  stride?: SpatialParam;
  /** Zeros added on both sides of each spatial axis (default 0). */
  padding?: SpatialParam;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialParam;
  /** Input channel groups; the channels (in and out) must divide by it (default 1). */
  groups?: number;
}

/** Options of the transposed convolutions. */
export interface ConvTransposeOptions extends ConvOptions {
  /** Extra size added to the high side of each output axis (default 0). */
  outputPadding?: SpatialParam;
}

/** Options of `convGeneral`. */
export interface ConvGeneralOptions extends OpOptions {
  /** Step between kernel applications (default 1). */
  stride?: SpatialParam;
  /** Symmetric padding (a number or one per axis), or `[low, high]` lists (default 0). */
  padding?: SpatialParam | readonly [readonly number[], readonly number[]];
  /** Spacing between kernel taps (default 1). */
  kernelDilation?: SpatialParam;
  /** Spacing inserted between input elements (default 1). */
  inputDilation?: SpatialParam;
  /** Input channel groups (default 1). */
  groups?: number;
  /** Flip the kernel: convolution instead of cross-correlation (default false). */
  flip?: boolean;
}

const paramBuffer = new Int32Array(5 * 3);

function checkInt(op: string, what: string, value: number): number {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new MxError("invalid_argument", `[${op}] ${what} must be 32-bit integers; got ${value}`);
  }
  return value;
}

/** `value` as a list of `count` integers: a number repeats, a list must have `count` entries. */
function spatialList(op: string, what: string, value: SpatialParam, count: number): number[] {
  if (typeof value === "number") return new Array<number>(count).fill(checkInt(op, what, value));
  if (!Array.isArray(value) || value.length !== count) {
    throw new MxError(
      "invalid_argument",
      `[${op}] ${what} must be a number or ${count} numbers; got ${JSON.stringify(value)}`,
    );
  }
  return value.map((x) => checkInt(op, what, x));
}

function checkGroups(op: string, groups: number): number {
  return checkInt(op, "groups", groups);
}

interface Resolved {
  stride: number[];
  paddingLo: number[];
  paddingHi: number[];
  kernelDilation: number[];
  inputDilation: number[];
  groups: number;
  flip: boolean;
}

/** The native convolution; every list has one entry per spatial axis (1 to 3 of them). */
function nativeConvolution(op: string, input: MxArray, weight: MxArray, p: Resolved): MxArray {
  const count = p.stride.length;
  const lists = [p.stride, p.paddingLo, p.paddingHi, p.kernelDilation, p.inputDilation];
  lists.forEach((list, part) => paramBuffer.set(list, part * count));
  const handle = native.convolution(
    input.handle(op),
    weight.handle(op),
    paramBuffer,
    count,
    p.groups,
    p.flip ? 1 : 0,
  );
  return new MxArray(checkHandle(handle));
}

function convN(op: string, spatial: number, input: MxArray, weight: MxArray, options: ConvOptions): MxArray {
  checkStream(op, options.stream);
  checkArray(op, input, "input");
  checkArray(op, weight, "weight");
  return nativeConvolution(op, input, weight, {
    stride: spatialList(op, "stride", options.stride ?? 1, spatial),
    paddingLo: spatialList(op, "padding", options.padding ?? 0, spatial),
    paddingHi: spatialList(op, "padding", options.padding ?? 0, spatial),
    kernelDilation: spatialList(op, "dilation", options.dilation ?? 1, spatial),
    inputDilation: new Array<number>(spatial).fill(1),
    groups: checkGroups(op, options.groups ?? 1),
    flip: false,
  });
}

/**
 * 1-D convolution (cross-correlation) over `[N, L, C_in]` with a `[C_out, K, C_in / groups]`
 * weight.
 *
 * @param input The input, `[N, L, C_in]`, floating point.
 * @param weight The kernel, `[C_out, K, C_in / groups]`.
 * @param options `stride`, `padding`, `dilation` (numbers), `groups`; `stream`.
 * @returns `[N, L_out, C_out]` (lazy).
 * @throws {MxError} On channel or dimension mismatches, integer inputs, or a kernel larger
 *   than the padded input.
 *
 * @example A moving sum
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([1, 2, 3, 4, 5]), [1, 5, 1]);
 * const w = mx.ones([1, 2, 1]);
 * console.log(mx.conv1d(x, w).tolist()); // [[[3], [5], [7], [9]]]
 * console.log(mx.conv1d(x, w, { stride: 2, padding: 1 }).shape); // [1, 3, 1]
 * ```
 */
export function conv1d(input: MxArray, weight: MxArray, options: ConvOptions = {}): MxArray {
  return convN("conv1d", 1, input, weight, options);
}

/**
 * 2-D convolution (cross-correlation) over `[N, H, W, C_in]` with a
 * `[C_out, KH, KW, C_in / groups]` weight.
 *
 * @param input The input, `[N, H, W, C_in]`, floating point.
 * @param weight The kernel, `[C_out, KH, KW, C_in / groups]`.
 * @param options `stride`, `padding`, `dilation` (a number or a pair), `groups`; `stream`.
 * @returns `[N, H_out, W_out, C_out]` (lazy).
 * @throws {MxError} On channel or dimension mismatches, integer inputs, or a kernel larger
 *   than the padded input.
 *
 * @example A 3x3 box filter with padding
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.ones([1, 3, 3, 1]);
 * const w = mx.ones([1, 3, 3, 1]);
 * console.log(mx.conv2d(x, w, { padding: 1 }).tolist());
 * // [[[[4], [6], [4]], [[6], [9], [6]], [[4], [6], [4]]]]
 * const wide = mx.ones([1, 4, 4, 2]);
 * const w3 = mx.ones([3, 3, 3, 2]);
 * console.log(mx.conv2d(wide, w3, { stride: [1, 2], padding: [0, 1] }).shape); // [1, 2, 2, 3]
 * ```
 */
export function conv2d(input: MxArray, weight: MxArray, options: ConvOptions = {}): MxArray {
  return convN("conv2d", 2, input, weight, options);
}

/**
 * 3-D convolution (cross-correlation) over `[N, D, H, W, C_in]` with a
 * `[C_out, KD, KH, KW, C_in]` weight (groups must be 1, as in MLX).
 *
 * @param input The input, `[N, D, H, W, C_in]`, floating point.
 * @param weight The kernel, `[C_out, KD, KH, KW, C_in]`.
 * @param options `stride`, `padding`, `dilation` (a number or a triple); `stream`.
 * @returns `[N, D_out, H_out, W_out, C_out]` (lazy).
 * @throws {MxError} As `conv2d`, and for `groups` other than 1.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = mx.conv3d(mx.ones([1, 3, 3, 3, 1]), mx.ones([1, 2, 2, 2, 1]));
 * console.log(y.shape); // [1, 2, 2, 2, 1]
 * console.log(mx.sum(y).item()); // 64
 * ```
 */
export function conv3d(input: MxArray, weight: MxArray, options: ConvOptions = {}): MxArray {
  return convN("conv3d", 3, input, weight, options);
}

/**
 * The general convolution (MLX's `conv_general`): any of 1 to 3 spatial axes, per-axis stride,
 * symmetric or `[low, high]` padding (negative padding crops the input, as in MLX), kernel and
 * input dilation, groups (1-D and 2-D only) and `flip` (true: convolution, false:
 * cross-correlation).
 *
 * @param input The input, `[N, ...spatial, C_in]`, floating point.
 * @param weight The kernel, `[C_out, ...kernel, C_in / groups]`.
 * @param options `stride`, `padding`, `kernelDilation`, `inputDilation`, `groups`, `flip`;
 *   `stream`. A list must have one entry per spatial axis (a one-entry list repeats).
 * @returns `[N, ...out, C_out]` (lazy).
 * @throws {MxError} As `conv2d`, and for lists of the wrong length or non-positive strides
 *   or dilations.
 *
 * @example Asymmetric padding and a flipped kernel
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([1, 2, 3]), [1, 3, 1]);
 * const w = mx.reshape(mx.array([1, 10]), [1, 2, 1]);
 * const y = mx.convGeneral(x, w, { padding: [[1], [0]], flip: true });
 * console.log(y.tolist()); // [[[1], [12], [23]]]
 * ```
 */
export function convGeneral(input: MxArray, weight: MxArray, options: ConvGeneralOptions = {}): MxArray {
  const op = "convGeneral";
  checkStream(op, options.stream);
  checkArray(op, input, "input");
  checkArray(op, weight, "weight");
  const groups = checkGroups(op, options.groups ?? 1);
  if (input.ndim < 3 || input.ndim > 5) {
    // Not a convolution input: the native checks name the problem (as MLX's do).
    const one = [1];
    const zero = [0];
    const p = { stride: one, paddingLo: zero, paddingHi: zero, kernelDilation: one, inputDilation: one };
    return nativeConvolution(op, input, weight, { ...p, groups, flip: false });
  }
  const spatial = input.ndim - 2;
  const list = (what: string, value: SpatialParam): number[] => {
    if (typeof value !== "number" && Array.isArray(value) && value.length === 1) {
      return spatialList(op, what, value[0]!, spatial);
    }
    return spatialList(op, what, value, spatial);
  };
  const padding = options.padding ?? 0;
  let paddingLo: number[];
  let paddingHi: number[];
  if (isLowHigh(padding)) {
    const [lo, hi] = padding;
    paddingLo = list("padding low", lo);
    paddingHi = list("padding high", hi);
  } else {
    paddingLo = list("padding", padding as SpatialParam);
    paddingHi = paddingLo;
  }
  const flip = options.flip ?? false;
  if (typeof flip !== "boolean") {
    throw new MxError("invalid_argument", `[${op}] flip must be a boolean; got ${typeof flip}`);
  }
  return nativeConvolution(op, input, weight, {
    stride: list("stride", options.stride ?? 1),
    paddingLo,
    paddingHi,
    kernelDilation: list("kernelDilation", options.kernelDilation ?? 1),
    inputDilation: list("inputDilation", options.inputDilation ?? 1),
    groups,
    flip,
  });
}

function isLowHigh(value: unknown): value is readonly [readonly number[], readonly number[]] {
  return Array.isArray(value) && value.length === 2 && Array.isArray(value[0]) && Array.isArray(value[1]);
}

/** MLX's conv_transpose_general: a flipped convolution of the stride-dilated input. */
function convTransposeN(
  op: string,
  spatial: number,
  input: MxArray,
  weight: MxArray,
  options: ConvTransposeOptions,
): MxArray {
  checkStream(op, options.stream);
  checkArray(op, input, "input");
  checkArray(op, weight, "weight");
  const stride = spatialList(op, "stride", options.stride ?? 1, spatial);
  const padding = spatialList(op, "padding", options.padding ?? 0, spatial);
  const dilation = spatialList(op, "dilation", options.dilation ?? 1, spatial);
  const outputPadding = spatialList(op, "outputPadding", options.outputPadding ?? 0, spatial);
  // The flipped kernel must reach `dilation * (k - 1) - padding` before the first input
  // element; the high side gets the same plus the output padding.
  const paddingLo = padding.map((p, i) => dilation[i]! * ((weight.shape[1 + i] ?? 1) - 1) - p);
  return nativeConvolution(op, input, weight, {
    stride: new Array<number>(spatial).fill(1),
    paddingLo,
    paddingHi: paddingLo.map((p, i) => p + outputPadding[i]!),
    kernelDilation: dilation,
    inputDilation: stride,
    groups: checkGroups(op, options.groups ?? 1),
    flip: true,
  });
}

/**
 * 1-D transposed convolution (the gradient of `conv1d` with respect to its input): the output
 * length is `(L - 1) * stride - 2 * padding + dilation * (K - 1) + outputPadding + 1`.
 *
 * @param input The input, `[N, L, C_in]`, floating point.
 * @param weight The kernel, `[C_out, K, C_in / groups]`.
 * @param options `stride`, `padding`, `dilation`, `outputPadding`, `groups`; `stream`.
 * @returns `[N, L_out, C_out]` (lazy).
 * @throws {MxError} As `conv1d`.
 *
 * @example Upsampling by 2
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([1, 2, 3]), [1, 3, 1]);
 * const w = mx.ones([1, 2, 1]);
 * console.log(mx.convTranspose1d(x, w, { stride: 2 }).tolist()); // [[[1], [1], [2], [2], [3], [3]]]
 * ```
 */
export function convTranspose1d(
  input: MxArray,
  weight: MxArray,
  options: ConvTransposeOptions = {},
): MxArray {
  return convTransposeN("convTranspose1d", 1, input, weight, options);
}

/**
 * 2-D transposed convolution (the gradient of `conv2d` with respect to its input).
 *
 * @param input The input, `[N, H, W, C_in]`, floating point.
 * @param weight The kernel, `[C_out, KH, KW, C_in / groups]`.
 * @param options `stride`, `padding`, `dilation`, `outputPadding` (a number or a pair),
 *   `groups`; `stream`.
 * @returns `[N, H_out, W_out, C_out]` (lazy).
 * @throws {MxError} As `conv2d`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = mx.convTranspose2d(mx.ones([1, 4, 4, 8]), mx.ones([3, 3, 3, 8]), {
 *   stride: 2,
 *   padding: 1,
 *   outputPadding: 1,
 * });
 * console.log(y.shape); // [1, 8, 8, 3]
 * ```
 */
export function convTranspose2d(
  input: MxArray,
  weight: MxArray,
  options: ConvTransposeOptions = {},
): MxArray {
  return convTransposeN("convTranspose2d", 2, input, weight, options);
}

/**
 * 3-D transposed convolution (the gradient of `conv3d` with respect to its input; groups
 * must be 1, as in MLX).
 *
 * @param input The input, `[N, D, H, W, C_in]`, floating point.
 * @param weight The kernel, `[C_out, KD, KH, KW, C_in]`.
 * @param options `stride`, `padding`, `dilation`, `outputPadding` (a number or a triple);
 *   `stream`.
 * @returns `[N, D_out, H_out, W_out, C_out]` (lazy).
 * @throws {MxError} As `conv3d`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = mx.convTranspose3d(mx.ones([1, 2, 2, 2, 1]), mx.ones([1, 2, 2, 2, 1]), { stride: 2 });
 * console.log(y.shape); // [1, 4, 4, 4, 1]
 * ```
 */
export function convTranspose3d(
  input: MxArray,
  weight: MxArray,
  options: ConvTransposeOptions = {},
): MxArray {
  return convTransposeN("convTranspose3d", 3, input, weight, options);
}
