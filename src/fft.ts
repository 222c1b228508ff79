/**
 * `mx.fft`: discrete Fourier transforms with MLX's rules. One native primitive transforms
 * along a list of axes (complex to complex, real to complex, complex to real), after slicing
 * or zero-padding the input to the requested sizes; the norms other than `"backward"` are a
 * multiply, and the shifts and frequencies are composed from roll, arange and concatenate.
 *
 * Inputs of any dtype are converted: complex transforms compute in complex64 (float64 and
 * integers included, as in MLX), `rfft*` in float32 (a complex input loses its imaginary
 * part), `irfft*` read complex64 and return float32.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, MxArray } from "./array.ts";
import { arange } from "./creation.ts";
import { checkStream, type OpOptions } from "./device.ts";
import { float32 } from "./dtype.ts";
import { multiply } from "./elementwise.ts";
import { checkHandle, MxError } from "./errors.ts";
import { concatenate, roll } from "./joining.ts";
import { ndimMax } from "./native_args.ts";
import { reshape } from "./shapes.ts";

/**
 * Normalization: `"backward"` (default) scales the inverse by 1/n, `"ortho"` both
 * directions by 1/sqrt(n), `"forward"` the forward transform by 1/n.
 */
export type FFTNorm = "backward" | "ortho" | "forward";

/** Options of the 1-D transforms (`fft`, `ifft`, `rfft`, `irfft`). */
export interface FFTOptions extends OpOptions {
  /** Transform length: the axis is cut or zero-padded to it (for `irfft`, the output
   * length; the input is cut or padded to `n / 2 + 1`). Default: the axis's length (for
   * `irfft`, `2 * (length - 1)`). */
  n?: number;
  /** The axis to transform (default -1). */
  axis?: number;
  /** Normalization (default `"backward"`). */
  norm?: FFTNorm;
}

/** Options of the N-D transforms (`fft2`, `fftn`, their inverses and real forms). */
export interface FFTNOptions extends OpOptions {
  /** Transform lengths per axis (cut or zero-padded to them); needs `axes` for the `*n`
   * forms. Default: the lengths of the axes (for the `irfft*` forms, the last is
   * `2 * (length - 1)`). */
  s?: readonly number[];
  /** The axes to transform, the last being the real axis of the `rfft*` forms. Default:
   * `[-2, -1]` for the `*2` forms, every axis for the `*n` forms (also for `null`). */
  axes?: readonly number[] | null;
  /** Normalization (default `"backward"`). */
  norm?: FFTNorm;
}

const params = new Int32Array(2 * ndimMax);

/** Axes then sizes in the reused parameter buffer, checked to be 32-bit integers. */
function fillParams(op: string, axes: readonly number[], sizes: readonly number[] | undefined): Int32Array {
  const count = axes.length + (sizes?.length ?? 0);
  if (axes.length > ndimMax || (sizes?.length ?? 0) > ndimMax) {
    throw new MxError("limit_exceeded", `[${op}] at most ${ndimMax} axes; got ${axes.length}`);
  }
  const values = sizes === undefined ? axes : [...axes, ...sizes];
  for (let i = 0; i < count; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      const what = i < axes.length ? "axes" : "sizes";
      throw new MxError("invalid_argument", `[${op}] ${what} must be 32-bit integers; got ${value}`);
    }
    params[i] = value;
  }
  return params;
}

function checkNorm(op: string, norm: FFTNorm | undefined): FFTNorm {
  const value = norm ?? "backward";
  if (value !== "backward" && value !== "ortho" && value !== "forward") {
    throw new MxError(
      "invalid_argument",
      `[${op}] Invalid norm. Expected one of {'backward', 'ortho', 'forward'}.`,
    );
  }
  return value;
}

/** The transform lengths MLX scales by: `sizes`, or the axes' lengths (irfft: 2 (m - 1)). */
function transformSizes(
  a: MxArray,
  axes: readonly number[],
  sizes: readonly number[] | undefined,
  realInverse: boolean,
): number[] {
  if (sizes !== undefined) return [...sizes];
  const shape = a.shape;
  const n = axes.map((axis) => shape[axis < 0 ? axis + shape.length : axis]!);
  if (realInverse && n.length > 0) n[n.length - 1] = (n[n.length - 1]! - 1) * 2;
  return n;
}

/** The scale of `norm` (MLX's fft_scale_factor). */
function scaleOf(norm: FFTNorm, sizes: readonly number[], inverse: boolean): number {
  if (sizes.length === 0 || norm === "backward") return 1;
  const count = sizes.reduce((x, y) => x * y, 1);
  if (norm === "ortho") return inverse ? Math.sqrt(count) : 1 / Math.sqrt(count);
  return inverse ? count : 1 / count;
}

/** The native transform along `axes` (undefined: every axis), then the norm's scale. */
function transform(
  op: string,
  a: MxArray,
  axes: readonly number[] | undefined,
  sizes: readonly number[] | undefined,
  kind: { real: boolean; inverse: boolean; norm: FFTNorm | undefined; stream: OpOptions["stream"] },
): MxArray {
  checkStream(op, kind.stream);
  const norm = checkNorm(op, kind.norm);
  if (!(a instanceof MxArray)) {
    throw new MxError("invalid_argument", `[${op}] a must be an MxArray; got ${typeof a}`);
  }
  const handle = a.handle(op);
  const allAxes = axes ?? Array.from({ length: a.ndim }, (_, i) => i);
  const filled = fillParams(op, allAxes, sizes);
  const flags = (kind.inverse ? 1 : 0) | (kind.real ? 2 : 0);
  const out = new MxArray(
    checkHandle(native.fft(handle, filled, allAxes.length, sizes?.length ?? -1, flags)),
  );
  const scale = scaleOf(norm, transformSizes(a, allAxes, sizes, kind.real && kind.inverse), kind.inverse);
  if (scale === 1) return out;
  using result = out;
  using factor = array(scale, result.dtype);
  return multiply(result, factor);
}

/** `n` of the 1-D forms as a size list. */
function oneSize(op: string, n: number | undefined): number[] | undefined {
  if (n === undefined) return undefined;
  if (!Number.isInteger(n)) throw new MxError("invalid_argument", `[${op}] n must be an integer; got ${n}`);
  return [n];
}

function oneD(op: string, a: MxArray, options: FFTOptions, real: boolean, inverse: boolean): MxArray {
  const axis = options.axis ?? -1;
  return transform(op, a, [axis], oneSize(op, options.n), {
    real,
    inverse,
    norm: options.norm,
    stream: options.stream,
  });
}

/** The N-D forms: `twoD` defaults the axes to [-2, -1]; the `*n` forms need axes with `s`. */
function nD(
  op: string,
  a: MxArray,
  options: FFTNOptions,
  twoD: boolean,
  real: boolean,
  inverse: boolean,
): MxArray {
  let axes = options.axes === null ? undefined : options.axes;
  if (axes === undefined && twoD && options.axes !== null) axes = [-2, -1];
  if (options.s !== undefined && axes === undefined) {
    throw new MxError(
      "invalid_argument",
      `[${op}] \`axes\` should not be \`None\` if \`s\` is not \`None\`.`,
    );
  }
  return transform(op, a, axes, options.s, { real, inverse, norm: options.norm, stream: options.stream });
}

/**
 * One-dimensional discrete Fourier transform: X[k] = sum_j x[j] exp(-2 pi i jk / n).
 *
 * @param a The input (any dtype; computed in complex64).
 * @param options `n` (the axis is cut or zero-padded to it), `axis` (default -1), `norm`.
 * @returns The complex64 transform (lazy).
 * @throws {MxError} `invalid_argument` for a 0-d input, a bad axis or `n <= 0`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.fft(mx.array([1, 2, 3, 4]));
 * console.log(x.tolist()); // [{ re: 10, im: 0 }, { re: -2, im: 2 }, { re: -2, im: 0 }, { re: -2, im: -2 }]
 * ```
 */
export function fft(a: MxArray, options: FFTOptions = {}): MxArray {
  return oneD("fft", a, options, false, false);
}

/**
 * One-dimensional inverse discrete Fourier transform (scaled by 1/n with the default norm).
 *
 * @param a The input (any dtype; computed in complex64).
 * @param options `n`, `axis` (default -1), `norm`.
 * @returns The complex64 inverse transform (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.ifft(mx.fft.fft(mx.array([1, 2, 3])));
 * console.log(mx.round(mx.real(x)).tolist()); // [1, 2, 3]
 * ```
 */
export function ifft(a: MxArray, options: FFTOptions = {}): MxArray {
  return oneD("ifft", a, options, false, true);
}

/**
 * One-dimensional transform of a real input: the `n / 2 + 1` non-negative frequencies.
 *
 * @param a The input (converted to float32; a complex input loses its imaginary part).
 * @param options `n`, `axis` (default -1), `norm`.
 * @returns The complex64 transform with `n / 2 + 1` elements along the axis (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.rfft(mx.array([1, 0, 0, 0, 0])).shape); // [3]
 * console.log(mx.real(mx.fft.rfft(mx.array([1, 1, 1, 1]))).tolist()); // [4, 0, 0]
 * ```
 */
export function rfft(a: MxArray, options: FFTOptions = {}): MxArray {
  return oneD("rfft", a, options, true, false);
}

/**
 * The inverse of `rfft`: `n` real values from `n / 2 + 1` frequencies (the axis is cut or
 * zero-padded to that; the imaginary parts of the zero and Nyquist terms are ignored).
 *
 * @param a The input (converted to complex64).
 * @param options `n` (the output length; default `2 * (length - 1)`), `axis`, `norm`.
 * @returns The float32 signal (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.irfft(mx.fft.rfft(mx.array([1, 2, 3, 4, 5])), { n: 5 });
 * console.log(mx.round(x).tolist()); // [1, 2, 3, 4, 5]
 * ```
 */
export function irfft(a: MxArray, options: FFTOptions = {}): MxArray {
  return oneD("irfft", a, options, true, true);
}

/**
 * Two-dimensional discrete Fourier transform (over axes `[-2, -1]` by default).
 *
 * @param a The input (at least 2-D for the default axes).
 * @param options `s` (sizes per axis), `axes` (`null`: every axis), `norm`.
 * @returns The complex64 transform (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.fft2(mx.ones([2, 3]));
 * console.log(mx.real(x).tolist()); // [[6, 0, 0], [0, 0, 0]]
 * ```
 */
export function fft2(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("fft2", a, options, true, false, false);
}

/**
 * Two-dimensional inverse discrete Fourier transform.
 *
 * @param a The input.
 * @param options `s`, `axes` (default `[-2, -1]`), `norm`.
 * @returns The complex64 inverse transform (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.ifft2(mx.fft.fft2(mx.array([[1, 2], [3, 4]])));
 * console.log(mx.real(x).tolist()); // [[1, 2], [3, 4]]
 * ```
 */
export function ifft2(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("ifft2", a, options, true, false, true);
}

/**
 * N-dimensional discrete Fourier transform (over every axis by default).
 *
 * @param a The input.
 * @param options `s` (needs `axes`), `axes`, `norm`.
 * @returns The complex64 transform (lazy); empty `axes` return the input unchanged.
 * @throws {MxError} `invalid_argument` for duplicated or out-of-range axes, sizes <= 0, or
 *   `s` and `axes` of different lengths.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.fftn(mx.ones([2, 2, 2]), { axes: [0, 2], s: [3, 2] });
 * console.log(x.shape, (mx.real(x).tolist() as number[][][])[0]); // [3, 2, 2] [[4, 0], [4, 0]]
 * ```
 */
export function fftn(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("fftn", a, options, false, false, false);
}

/**
 * N-dimensional inverse discrete Fourier transform.
 *
 * @param a The input.
 * @param options `s` (needs `axes`), `axes` (default: every axis), `norm`.
 * @returns The complex64 inverse transform (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.real(mx.fft.ifftn(mx.full([2, 2], 4))).tolist()); // [[4, 0], [0, 0]]
 * ```
 */
export function ifftn(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("ifftn", a, options, false, false, true);
}

/**
 * Two-dimensional transform of a real input; the last axis keeps `s[-1] / 2 + 1` frequencies.
 *
 * @param a The input (converted to float32).
 * @param options `s`, `axes` (default `[-2, -1]`), `norm`.
 * @returns The complex64 transform (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.rfft2(mx.ones([4, 6])).shape); // [4, 4]
 * ```
 */
export function rfft2(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("rfft2", a, options, true, true, false);
}

/**
 * The inverse of `rfft2`.
 *
 * @param a The input (converted to complex64).
 * @param options `s` (output sizes), `axes` (default `[-2, -1]`), `norm`.
 * @returns The float32 result (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.fft.irfft2(mx.fft.rfft2(mx.ones([2, 3])), { s: [2, 3] });
 * console.log(mx.round(x).tolist()); // [[1, 1, 1], [1, 1, 1]]
 * ```
 */
export function irfft2(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("irfft2", a, options, true, true, true);
}

/**
 * N-dimensional transform of a real input (over every axis by default).
 *
 * @param a The input (converted to float32).
 * @param options `s` (needs `axes`), `axes`, `norm`.
 * @returns The complex64 transform (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.rfftn(mx.ones([2, 3, 4])).shape); // [2, 3, 3]
 * ```
 */
export function rfftn(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("rfftn", a, options, false, true, false);
}

/**
 * The inverse of `rfftn`.
 *
 * @param a The input (converted to complex64).
 * @param options `s` (output sizes; needs `axes`), `axes`, `norm`.
 * @returns The float32 result (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.irfftn(mx.fft.rfftn(mx.ones([2, 4]))).tolist()); // [[1, 1, 1, 1], [1, 1, 1, 1]]
 * ```
 */
export function irfftn(a: MxArray, options: FFTNOptions = {}): MxArray {
  return nD("irfftn", a, options, false, true, true);
}

/** Options of `fftshift` and `ifftshift`. */
export interface FFTShiftOptions extends OpOptions {
  /** The axis or axes to shift (default: every axis). */
  axes?: number | readonly number[];
}

function shift(op: string, a: MxArray, options: FFTShiftOptions, inverse: boolean): MxArray {
  checkStream(op, options.stream);
  const ndim = a.ndim;
  const axes = options.axes === undefined
    ? Array.from({ length: ndim }, (_, i) => i)
    : typeof options.axes === "number"
    ? [options.axes]
    : [...options.axes];
  if (axes.length === 0) return reshape(a, a.shape);
  const shape = a.shape;
  const shifts = axes.map((axis) => {
    const resolved = Number.isInteger(axis) && axis < 0 ? axis + ndim : axis;
    if (!Number.isInteger(resolved) || resolved < 0 || resolved >= ndim) {
      throw new MxError(
        "invalid_argument",
        `[${op}] Invalid axis ${axis} for array with ${ndim} dimensions.`,
      );
    }
    const half = Math.floor(shape[resolved]! / 2);
    return inverse ? -half : half;
  });
  return roll(a, shifts, { axis: axes });
}

/**
 * Moves the zero-frequency term to the center: rolls each axis by `floor(length / 2)`.
 *
 * @param a The array.
 * @param options `axes` (default: every axis).
 * @returns The shifted array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.fftshift(mx.array([0, 1, 2, -2, -1])).tolist()); // [-2, -1, 0, 1, 2]
 * ```
 */
export function fftshift(a: MxArray, options: FFTShiftOptions = {}): MxArray {
  return shift("fftshift", a, options, false);
}

/**
 * The inverse of `fftshift` (differs from it on odd lengths).
 *
 * @param a The array.
 * @param options `axes` (default: every axis).
 * @returns The shifted array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.ifftshift(mx.array([-2, -1, 0, 1, 2])).tolist()); // [0, 1, 2, -2, -1]
 * ```
 */
export function ifftshift(a: MxArray, options: FFTShiftOptions = {}): MxArray {
  return shift("ifftshift", a, options, true);
}

/** Options of `fftfreq` and `rfftfreq`. */
export interface FFTFreqOptions extends OpOptions {
  /** Sample spacing (default 1; non-zero). */
  d?: number;
}

function frequencyScale(op: string, n: number, options: FFTFreqOptions): MxArray {
  checkStream(op, options.stream);
  if (!Number.isInteger(n)) {
    throw new MxError("invalid_argument", `[${op}] \`n\` must be an integer; got ${n}`);
  }
  if (n <= 0) throw new MxError("invalid_argument", `[${op}] \`n\` must be greater than 0.`);
  const d = options.d ?? 1;
  if (d === 0) throw new MxError("invalid_argument", `[${op}] \`d\` must be non-zero.`);
  return array(Math.fround(1 / (n * d)), float32);
}

/**
 * The sample frequencies of an `n`-point transform: `[0, 1, ..., ceil(n/2) - 1, -floor(n/2),
 * ..., -1] / (n d)`, in float32.
 *
 * @param n The window length (> 0).
 * @param options `d`: the sample spacing (default 1).
 * @returns The frequencies (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.fftfreq(4).tolist()); // [0, 0.25, -0.5, -0.25]
 * ```
 */
export function fftfreq(n: number, options: FFTFreqOptions = {}): MxArray {
  using scale = frequencyScale("fftfreq", n, options);
  using positive = arange(0, Math.floor((n + 1) / 2), { dtype: float32 });
  using negative = arange(-Math.floor(n / 2), 0, { dtype: float32 });
  using joined = concatenate([positive, negative]);
  return multiply(joined, scale);
}

/**
 * The sample frequencies of `rfft`: `[0, 1, ..., floor(n/2)] / (n d)`, in float32.
 *
 * @param n The window length (> 0).
 * @param options `d`: the sample spacing (default 1).
 * @returns The frequencies (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fft.rfftfreq(5, { d: 0.5 }).tolist()); // [0, 0.4000000059604645, 0.800000011920929]
 * ```
 */
export function rfftfreq(n: number, options: FFTFreqOptions = {}): MxArray {
  using scale = frequencyScale("rfftfreq", n, options);
  using steps = arange(0, Math.floor(n / 2) + 1, { dtype: float32 });
  return multiply(steps, scale);
}
