/**
 * `mx.random`: MLX's counter-based random numbers. A key (a uint32 array of shape [2]) and a
 * shape determine the numbers: `bits` is the native Threefry-2x32 primitive (`random_bits`,
 * MLX's counter layout), and every distribution is composed from it with MLX's recipes
 * (`mlx/random.cpp`), so a given key gives MLX's numbers. Calls without a `key` split the
 * global key, as MLX's key sequence does (`seed` resets it).
 *
 * @example Same key, same numbers
 * ```ts
 * import * as mx from "mlx-ts";
 * const key = mx.random.key(0);
 * console.log(mx.random.split(key).tolist()); // [[4146024105, 967050713], [2718843009, 1272950319]]
 * console.log(mx.random.randint(0, 10, { shape: [5], key }).tolist()); // [5, 0, 3, 8, 5]
 * ```
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, type ArrayLike, fromBytes, MxArray } from "./array.ts";
import { bool, complex64, type Dtype, float32, float64, int32, int64, uint32 } from "./dtype.ts";
import {
  abs,
  add,
  divide,
  equal,
  erf,
  erfinv,
  exp,
  floor,
  isinf,
  isnan,
  less,
  lessEqual,
  log,
  log1p,
  logicalOr,
  maximum,
  minimum,
  multiply,
  negative,
  sign,
  sqrt,
  subtract,
} from "./elementwise.ts";
import { checkHandle, MxError } from "./errors.ts";
import { index, take } from "./indexing.ts";
import { int32Arg } from "./native_args.ts";
import { astype, where } from "./ops.ts";
import { argmax, cumsum, max, sum } from "./reductions.ts";
import { broadcastShapes, expandDims, normalizeAxis, reshape, type ShapeLike, squeeze } from "./shapes.ts";
import { matmul } from "./linalg_basic.ts";
import { svd } from "./linalg_spectral.ts";
import { argsort } from "./sorting.ts";
import { checkStream, type OpOptions } from "./device.ts";

/** The `key` option every sampler takes: a PRNG key from `key` or `split` (default: the next
 * key of the global sequence). */
export interface KeyOptions extends OpOptions {
  /** A uint32 key of shape [2]. */
  key?: MxArray;
}

// ---------------------------------------------------------------------------------------------
// Keys and the global key sequence

const seedMax = (1n << 64n) - 1n;

/** The two uint32 words of a 64-bit seed: high word first, as MLX's `key`. */
function seedWords(op: string, seed: number | bigint): Uint32Array {
  let value: bigint;
  if (typeof seed === "bigint") value = seed;
  else if (typeof seed === "number" && Number.isSafeInteger(seed)) value = BigInt(seed);
  else {
    throw new MxError(
      "invalid_argument",
      `[${op}] seed must be an integer in [0, 2^64); got ${String(seed)}`,
    );
  }
  if (value < 0n || value > seedMax) {
    throw new MxError("invalid_argument", `[${op}] seed must be an integer in [0, 2^64); got ${value}`);
  }
  return Uint32Array.of(Number(value >> 32n), Number(value & 0xffffffffn));
}

/** The global key; made from the clock on first use, as MLX does. */
let globalKey: Uint32Array | undefined;

/**
 * The next key of the global sequence: the global key splits in two, the first half becomes
 * the new global key and the second is returned (MLX's `KeySequence::next`). The state is
 * kept as two host words, so it does not belong to any `tidy` scope.
 */
function nextKey(): MxArray {
  globalKey ??= seedWords("seed", BigInt(Date.now()));
  using state = fromBytes(globalKey, uint32, [2]);
  using pair = randomBits(state, [2, 2], 4);
  const words = pair.toTypedArray() as Uint32Array;
  globalKey = words.slice(0, 2);
  return fromBytes(words.slice(2, 4), uint32, [2]);
}

/** The given key, or a new one from the global sequence (which the caller disposes). */
function keyOrNext(op: string, options: KeyOptions): { key: MxArray; drawn: MxArray | undefined } {
  if (typeof options !== "object" || options === null || Array.isArray(options) || options instanceof MxArray) {
    const shown = Array.isArray(options) ? `the array [${options}]` : String(options);
    throw new MxError("invalid_argument", `[${op}] takes an options object, e.g. { shape: [2, 3] }; got ${shown}`);
  }
  if (options.key !== undefined) return { key: options.key, drawn: undefined };
  const drawn = nextKey();
  return { key: drawn, drawn };
}

/**
 * A PRNG key from a seed: the uint32 array `[seed >> 32, seed & 0xffffffff]`.
 *
 * @param seed An integer in [0, 2^64) (a number up to 2^53, or a bigint).
 * @returns A uint32 array of shape [2].
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.random.key(2n ** 40n + 5n).tolist()); // [256, 5]
 * ```
 */
export function key(seed: number | bigint): MxArray {
  return fromBytes(seedWords("key", seed), uint32, [2]);
}

/**
 * Seeds the global key (used by every sampler called without a `key`): after `seed(s)` the
 * calls draw the same numbers as MLX's after `mx.random.seed(s)`.
 *
 * @param s An integer in [0, 2^64) (a number up to 2^53, or a bigint).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * mx.random.seed(3);
 * const a = mx.random.randint(0, 100, { shape: [3] });
 * console.log(a.tolist()); // [74, 4, 95], as MLX after mx.random.seed(3)
 * mx.random.seed(3);
 * console.log(mx.random.randint(0, 100, { shape: [3] }).tolist()); // [74, 4, 95] again
 * ```
 */
export function seed(s: number | bigint): void {
  globalKey = seedWords("seed", s);
}

/**
 * Splits a key into `num` new keys.
 *
 * @param key A uint32 key of shape [2].
 * @param num How many keys (default 2).
 * @param options `stream`: the CPU.
 * @returns A uint32 array of shape [num, 2]: one key per row.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.random.split(mx.random.key(0)).tolist());
 * // [[4146024105, 967050713], [2718843009, 1272950319]]
 * ```
 */
export function split(key: MxArray, num = 2, options: OpOptions = {}): MxArray {
  checkStream("split", options.stream);
  return bitsImpl([num, 2], 4, key);
}

// ---------------------------------------------------------------------------------------------
// bits

/** Options of `bits`. */
export interface BitsOptions extends KeyOptions {
  /** Bytes per element: 1 (uint8), 2 (uint16) or 4 (uint32, the default). */
  width?: number;
}

function shapeArg(op: string, shape: ShapeLike): number[] {
  const dims = typeof shape === "number" ? [shape] : [...shape];
  for (const dim of dims) {
    if (!Number.isInteger(dim)) {
      throw new MxError("invalid_argument", `[${op}] shape must be a list of integers; got [${dims}]`);
    }
  }
  return dims;
}

/** MLX's form of a shape in messages: `(2,3)`. */
function shown(shape: readonly number[]): string {
  return `(${shape.join(",")})`;
}

/** The native primitive (key shape (..., 2), no public checks). */
function randomBits(key: MxArray, shape: readonly number[], width: number): MxArray {
  const dims = int32Arg("bits", shape, "dimensions");
  return new MxArray(checkHandle(native.random_bits(key.handle("bits"), dims, shape.length, width)));
}

/** MLX's `bits`: checks the shape, key and width as MLX does, then records the primitive. */
function bitsImpl(shape: readonly number[], width: number, key: MxArray): MxArray {
  if (shape.some((dim) => dim < 0)) {
    throw new MxError("invalid_argument", "[bits] Negative dimensions not allowed.");
  }
  if (!(key instanceof MxArray)) {
    throw new MxError("invalid_argument", `[bits] key must be an MxArray; got ${typeof key}`);
  }
  if (key.dtype !== uint32) {
    throw new MxError("dtype_mismatch", `[bits] Expected key type uint32 but received ${key.dtype.name}.`);
  }
  if (key.ndim !== 1 || key.shape[0] !== 2) {
    throw new MxError("shape_mismatch", `[bits] Expected key shape (2) but received ${shown(key.shape)}.`);
  }
  if (width !== 1 && width !== 2 && width !== 4) {
    throw new MxError("invalid_argument", `[bits] Bit width must be in {1, 2, 4} but got ${width}.`);
  }
  return randomBits(key, shape, width);
}

/**
 * Random bits: `shape`-shaped uint32 (width 4), uint16 (2) or uint8 (1) values from the
 * Threefry-2x32 hash of counters under `key`, laid out as MLX's `RandomBits`.
 *
 * @param shape The output shape.
 * @param options `width` (bytes per element, default 4), `key`, `stream`.
 * @returns A uint8, uint16 or uint32 array (lazy).
 * @throws {MxError} For negative dimensions, a key that is not uint32 of shape [2], or a
 *   width other than 1, 2 or 4 (MLX's messages).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const key = mx.random.key(0);
 * console.log(mx.random.bits([3], { key }).tolist()); // [4146024105, 1351547692, 2718843009]
 * console.log(mx.random.bits([3], { width: 1, key }).tolist()); // [89, 1, 32]
 * ```
 */
export function bits(shape: ShapeLike, options: BitsOptions = {}): MxArray {
  checkStream("bits", options.stream);
  const dims = shapeArg("bits", shape);
  if (dims.some((dim) => dim < 0)) {
    throw new MxError("invalid_argument", "[bits] Negative dimensions not allowed.");
  }
  const { key, drawn } = keyOrNext("bits", options);
  using _drawn = drawn;
  return bitsImpl(dims, options.width ?? 4, key);
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the samplers

/** A sampler argument as MLX's Python layer makes it: integers become int32 (int64 when out of
 * range), other numbers float32, booleans bool; arrays stay as they are. */
function scalarArray(value: ArrayLike): MxArray {
  if (value instanceof MxArray) return array(value);
  if (typeof value === "boolean") return array(value, bool);
  if (typeof value !== "number") {
    throw new MxError("invalid_argument", `expected an MxArray, number or boolean; got ${typeof value}`);
  }
  if (Number.isInteger(value)) return array(value, Math.abs(value) < 2 ** 31 ? int32 : int64);
  return array(value, float32);
}

function checkFloating(dtype: Dtype, message: string): void {
  if (dtype.category !== "floating") throw new MxError("dtype_mismatch", message);
}

/** float32 values just inside (-1, 1]: MLX samples normals from uniform(nextafter(-1, 0), 1). */
const belowMinusOne = -(1 - 2 ** -24);

/** The largest value below 1 in `dtype`, as a float32 scalar (MLX's `uniform` upper clamp). */
function belowOne(dtype: Dtype): number {
  switch (dtype.name) {
    case "float32":
      return 1 - 2 ** -24;
    case "float16":
      return 1 - 2 ** -11;
    case "bfloat16":
      return 1 - 2 ** -8;
    default:
      throw new MxError("dtype_mismatch", "[uniform] Unsupported type.");
  }
}

/** MLX's `uniform(low, high, shape, dtype, key)` on arrays. */
function uniformImpl(
  low: MxArray,
  high: MxArray,
  shape: readonly number[],
  dtype: Dtype,
  key: MxArray,
): MxArray {
  checkFloating(dtype, "[uniform] Can only generate uniform numbers with real floating point type.");
  using lo = astype(low, dtype);
  using hi = astype(high, dtype);
  using range = subtract(hi, lo);
  const outShape = broadcastShapes(shape, range.shape);
  if (outShape.length !== shape.length || outShape.some((dim, i) => dim !== shape[i])) {
    throw new MxError(
      "shape_mismatch",
      `[uniform] Cannot generate random values of shape ${shown(shape)} from broadcasted shape ${
        shown(outShape)
      }.`,
    );
  }
  using upper = array(belowOne(dtype), float32);
  using maxValue = array(0xffffffff, float32);
  using raw = bitsImpl(shape, 4, key);
  using scaled = divide(raw, maxValue);
  using clamped = minimum(scaled, upper);
  using unit = astype(clamped, dtype);
  using spread = multiply(range, unit);
  return add(spread, lo);
}

/** float32 uniform samples in (-1, 1), the source of MLX's normal and laplace samples. */
function symmetricUniform(shape: readonly number[], key: MxArray): MxArray {
  using low = array(belowMinusOne, float32);
  using high = array(1, float32);
  return uniformImpl(low, high, shape, float32, key);
}

function standardUniform(shape: readonly number[], dtype: Dtype, key: MxArray): MxArray {
  using low = array(0, dtype);
  using high = array(1, dtype);
  return uniformImpl(low, high, shape, dtype, key);
}

// ---------------------------------------------------------------------------------------------
// Distributions

/** Options of `uniform`. */
export interface UniformOptions extends KeyOptions {
  /** Lower bound, included (default 0); broadcasts to `shape`. */
  low?: ArrayLike;
  /** Upper bound, excluded (default 1); broadcasts to `shape`. */
  high?: ArrayLike;
  /** Output shape (default []). */
  shape?: ShapeLike;
  /** float32 (default), float16 or bfloat16 (MLX has no float64 uniform). */
  dtype?: Dtype;
}

/**
 * Uniform samples in [low, high): `low + (high - low) * u` with u from 32 random bits,
 * clamped below 1 in `dtype` (MLX's recipe, so a key gives MLX's numbers). Like MLX, `low >=
 * high` is not an error (the samples then lie in (high, low]).
 *
 * @param options `low`, `high`, `shape`, `dtype`, `key`, `stream`.
 * @returns The samples (lazy), of shape `shape`.
 * @throws {MxError} For a non-floating `dtype` or float64, and bounds that do not broadcast to
 *   `shape` (MLX's messages).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const u = mx.random.uniform({ low: -1, high: 1, shape: [2, 3], key: mx.random.key(1) });
 * console.log(u.shape, u.dtype.name); // [2, 3] "float32"
 * console.log(String(mx.random.uniform({ shape: [3], key: mx.random.key(0) })));
 * // array([0.965321, 0.314682, 0.63303], dtype=float32)
 * ```
 */
export function uniform(options: UniformOptions = {}): MxArray {
  checkStream("uniform", options.stream);
  const { key, drawn } = keyOrNext("uniform", options);
  using _drawn = drawn;
  const dtype = options.dtype ?? float32;
  const shape = shapeArg("uniform", options.shape ?? []);
  using low = scalarArray(options.low ?? 0);
  using high = scalarArray(options.high ?? 1);
  return uniformImpl(low, high, shape, dtype, key);
}

/** Options of `normal`. */
export interface NormalOptions extends KeyOptions {
  /** Output shape (default []). */
  shape?: ShapeLike;
  /** A floating dtype or complex64 (default float32). */
  dtype?: Dtype;
  /** Mean (default 0); broadcasts with the samples. */
  loc?: ArrayLike;
  /** Standard deviation (default 1); broadcasts with the samples. */
  scale?: ArrayLike;
}

/** A normal's loc/scale argument as MLX's Python layer converts it for `dtype`. */
function parameterArray(value: ArrayLike, dtype: Dtype): MxArray {
  if (value instanceof MxArray) return array(value);
  if (typeof value === "number") return array(value, dtype.category === "floating" ? dtype : float32);
  return scalarArray(value);
}

/**
 * Normal samples: `loc + scale * sqrt(2) * erfinv(u)` with u uniform in (-1, 1) (MLX's
 * recipe). complex64 gives independent real and imaginary parts of variance 1/2 each.
 *
 * Our float32 `erfinv` is within 1 ulp of the correctly rounded value where MLX's is a float32
 * polynomial, so values may differ from MLX's in the last one or two ulp.
 *
 * @param options `shape`, `dtype`, `loc`, `scale`, `key`, `stream`.
 * @returns The samples (lazy).
 * @throws {MxError} For dtypes other than floating ones and complex64.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.random.normal({ shape: [1000], loc: 3, scale: 0.5, key: mx.random.key(7) });
 * console.log(Math.abs(mx.mean(x).item() as number - 3) < 0.1); // true
 * console.log(String(mx.random.normal({ shape: [3], key: mx.random.key(0) })));
 * // array([1.81609, -0.482623, 0.339889], dtype=float32)
 * ```
 */
export function normal(options: NormalOptions = {}): MxArray {
  checkStream("normal", options.stream);
  const { key, drawn } = keyOrNext("normal", options);
  using _drawn = drawn;
  const dtype = options.dtype ?? float32;
  const shape = shapeArg("normal", options.shape ?? []);
  using loc = options.loc === undefined ? undefined : parameterArray(options.loc, dtype);
  using scale = options.scale === undefined ? undefined : parameterArray(options.scale, dtype);
  if (dtype.name === "complex64") return complexNormal(shape, loc, scale, key);
  checkFloating(dtype, "[normal] Only floating point and complex64 types are supported.");
  using samples = symmetricUniform(shape, key);
  using sqrt2 = array(Math.SQRT2, dtype);
  using scaleCast = scale === undefined ? undefined : astype(scale, dtype);
  using appliedScale = scaleCast === undefined ? undefined : multiply(sqrt2, scaleCast);
  using inverse = erfinv(samples);
  using inverseCast = astype(inverse, dtype);
  const scaled = multiply(appliedScale ?? sqrt2, inverseCast);
  if (loc === undefined) return scaled;
  using _scaled = scaled;
  using locCast = astype(loc, dtype);
  return add(locCast, scaled);
}

/** MLX's complex normal: float32 pairs of erfinv(uniform(-1, 1)) viewed as complex64. */
function complexNormal(
  shape: readonly number[],
  loc: MxArray | undefined,
  scale: MxArray | undefined,
  key: MxArray,
): MxArray {
  using samples = symmetricUniform([...shape, 2], key);
  using inverse = erfinv(samples);
  using re = index(inverse, "...", 0);
  using im = index(inverse, "...", 1);
  using unit = fromBytes(Float32Array.of(0, 1), complex64, []);
  using imaginary = multiply(im, unit);
  const complex = add(re, imaginary);
  let out = complex;
  try {
    if (scale !== undefined) {
      const scaled = multiply(scale, out);
      out.dispose();
      out = scaled;
    }
    if (loc !== undefined) {
      const shifted = add(loc, out);
      out.dispose();
      out = shifted;
    }
    return out;
  } catch (error) {
    out.dispose();
    throw error;
  }
}

/** Options of `randint`, `truncatedNormal` and the other shaped samplers. */
export interface ShapedOptions extends KeyOptions {
  /** Output shape. */
  shape?: ShapeLike;
  /** Output dtype. */
  dtype?: Dtype;
}

/**
 * Random integers in [low, high): the floor of a float32 uniform sample in [low, high),
 * clamped to [low, high - 1] (MLX's recipe; beyond 2^24 not every integer is reachable).
 * Like MLX, `low >= high` is not an error: every sample is then `low`.
 *
 * @param low Lower bound, included (broadcasts to `shape`).
 * @param high Upper bound, excluded (broadcasts to `shape`).
 * @param options `shape` (default []), `dtype` (an integer dtype or bool; default int32), `key`,
 *   `stream`.
 * @returns The samples (lazy).
 * @throws {MxError} For a floating or complex `dtype`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.random.randint(0, 10, { shape: [5], key: mx.random.key(0) }).tolist()); // [5, 0, 3, 8, 5]
 * ```
 */
export function randint(low: ArrayLike, high: ArrayLike, options: ShapedOptions = {}): MxArray {
  checkStream("randint", options.stream);
  const { key, drawn } = keyOrNext("randint", options);
  using _drawn = drawn;
  const dtype = options.dtype ?? int32;
  const shape = shapeArg("randint", options.shape ?? []);
  if (dtype.category === "floating" || dtype.category === "complexfloating") {
    throw new MxError("dtype_mismatch", "[randint] randint only accepts integer dtypes and bool.");
  }
  using lowArray = scalarArray(low);
  using highArray = scalarArray(high);
  using u = uniformImpl(lowArray, highArray, shape, float32, key);
  using floored = floor(u);
  using out = astype(floored, dtype);
  using one = array(1, highArray.dtype);
  using highMinusOne = subtract(highArray, one);
  using hi = astype(highMinusOne, dtype);
  using lo = astype(lowArray, dtype);
  using below = minimum(out, hi);
  return maximum(below, lo);
}

/** Options of `bernoulli`. */
export interface BernoulliOptions extends KeyOptions {
  /** The probability of true (default 0.5): a number or a floating array. */
  p?: ArrayLike;
  /** Output shape (default: the shape of `p`); `p` must broadcast to it. */
  shape?: ShapeLike;
}

/**
 * Bernoulli samples: true with probability `p` (32 random bits compared with `p` scaled to
 * just above 2^32, MLX's recipe, so `p >= 1` is always true and `p <= 0` never).
 *
 * A number `p` is float32 (MLX rejects a Python int; a JavaScript number has no int form).
 *
 * @param options `p`, `shape`, `key`, `stream`.
 * @returns A bool array (lazy).
 * @throws {MxError} For a non-floating array `p`, or a `p` whose shape does not broadcast to
 *   `shape`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.random.bernoulli({ p: 0.5, shape: [4], key: mx.random.key(0) }).tolist());
 * // [false, true, false, true]
 * ```
 */
export function bernoulli(options: BernoulliOptions = {}): MxArray {
  checkStream("bernoulli", options.stream);
  const { key, drawn } = keyOrNext("bernoulli", options);
  using _drawn = drawn;
  const given = options.p ?? 0.5;
  using p = typeof given === "number" ? array(given, float32) : scalarArray(given);
  if (p.dtype.category !== "floating") {
    throw new MxError("dtype_mismatch", "[bernoulli] bernoulli probability `p` must be a float type.");
  }
  const shape = options.shape === undefined ? p.shape : shapeArg("bernoulli", options.shape);
  // The float32 just above 2^32 (float32(2^32 - 1) is 2^32; its ulp there is 2^9).
  using upper = array(2 ** 32 + 2 ** 9, float32);
  using raw = bitsImpl(shape, 4, key);
  using threshold = multiply(p, upper);
  const result = less(raw, threshold);
  if (result.ndim !== shape.length || result.shape.some((dim, i) => dim !== shape[i])) {
    result.dispose();
    throw new MxError("shape_mismatch", "[bernoulli] shape of `p` is incompatible with argument `shape`.");
  }
  return result;
}

/**
 * Samples of the standard normal truncated to (lower, upper): `sqrt(2) * erfinv(u)` with u
 * uniform between `erf(lower / sqrt 2)` and `erf(upper / sqrt 2)`, clipped to the bounds
 * (MLX's recipe, from JAX).
 *
 * @param lower Lower bound (broadcasts).
 * @param upper Upper bound (broadcasts).
 * @param options `shape` (default: the bounds' broadcast shape), `dtype` (float32, float16 or
 *   bfloat16; default float32), `key`, `stream`.
 * @returns The samples (lazy).
 * @throws {MxError} For a non-floating `dtype` or float64.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.random.truncatedNormal(-1, 1, { shape: [100], key: mx.random.key(0) });
 * console.log(mx.all(mx.logicalAnd(mx.greaterEqual(x, -1), mx.lessEqual(x, 1))).item()); // true
 * ```
 */
export function truncatedNormal(lower: ArrayLike, upper: ArrayLike, options: ShapedOptions = {}): MxArray {
  checkStream("truncated_normal", options.stream);
  const { key, drawn } = keyOrNext("truncated_normal", options);
  using _drawn = drawn;
  const dtype = options.dtype ?? float32;
  using lowerArray = scalarArray(lower);
  using upperArray = scalarArray(upper);
  const shape = options.shape === undefined
    ? broadcastShapes(lowerArray.shape, upperArray.shape)
    : shapeArg("truncated_normal", options.shape);
  checkFloating(dtype, "[trunc_normal] trunc_normal only accepts floating point dtypes.");
  using sqrt2 = array(Math.SQRT2, dtype);
  using lowerCast = astype(lowerArray, dtype);
  using upperCast = astype(upperArray, dtype);
  using lowerScaled = divide(lowerCast, sqrt2);
  using upperScaled = divide(upperCast, sqrt2);
  using a = erf(lowerScaled);
  using b = erf(upperScaled);
  using u = uniformImpl(a, b, shape, dtype, key);
  using inverse = erfinv(u);
  using out = multiply(sqrt2, inverse);
  using below = minimum(upperCast, out);
  return maximum(below, lowerCast);
}

/** Options of `gumbel` and `laplace`. */
export interface GumbelOptions extends KeyOptions {
  /** Output shape (default []). */
  shape?: ShapeLike;
  /** float32 (default), float16 or bfloat16. */
  dtype?: Dtype;
}

/**
 * Samples of the standard Gumbel distribution: `-log(-log(u))` with u uniform in [0, 1).
 *
 * @param options `shape`, `dtype`, `key`, `stream`.
 * @returns The samples (lazy).
 * @throws {MxError} For a non-floating `dtype` or float64 (from `uniform`, as in MLX).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.random.gumbel({ shape: [3], key: mx.random.key(0) })));
 * // array([3.34404, -0.145133, 0.782552], dtype=float32)
 * ```
 */
export function gumbel(options: GumbelOptions = {}): MxArray {
  checkStream("gumbel", options.stream);
  const { key, drawn } = keyOrNext("gumbel", options);
  using _drawn = drawn;
  const shape = shapeArg("gumbel", options.shape ?? []);
  return gumbelImpl(shape, options.dtype ?? float32, key);
}

function gumbelImpl(shape: readonly number[], dtype: Dtype, key: MxArray): MxArray {
  using u = standardUniform(shape, dtype, key);
  using logU = log(u);
  using negated = negative(logU);
  using logNegated = log(negated);
  return negative(logNegated);
}

/** Options of `categorical`. */
export interface CategoricalOptions extends KeyOptions {
  /** The axis of the categories (default -1). */
  axis?: number;
  /** Output shape: broadcast-compatible with the logits' shape without `axis`. At most one of
   * `shape` and `numSamples`. */
  shape?: ShapeLike;
  /** Samples per distribution (a last axis of this size). */
  numSamples?: number;
}

/**
 * Samples from categorical distributions given by unnormalized log-probabilities along
 * `axis`. With one distribution and an explicit output shape MLX samples by inverse CDF (a
 * uniform sample against the cumulative weights); otherwise by the Gumbel-max trick. Both
 * are followed exactly, so a key gives MLX's indices.
 *
 * @param logits The unnormalized log-probabilities.
 * @param options `axis`, `shape` or `numSamples`, `key`, `stream`.
 * @returns uint32 category indices (lazy): of shape `shape`, or the logits' shape without
 *   `axis` (plus a last axis of `numSamples`).
 * @throws {MxError} When both `shape` and `numSamples` are given, for an invalid axis, or a
 *   shape that does not broadcast with the logits (MLX's messages).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const logits = mx.log(mx.array([0.1, 0.2, 0.7]));
 * console.log(mx.random.categorical(logits, { numSamples: 6, key: mx.random.key(0) }).tolist());
 * // [2, 0, 2, 2, 2, 2]
 * ```
 */
export function categorical(logits: MxArray, options: CategoricalOptions = {}): MxArray {
  checkStream("categorical", options.stream);
  const { key, drawn } = keyOrNext("categorical", options);
  using _drawn = drawn;
  if (options.shape !== undefined && options.numSamples !== undefined) {
    throw new MxError(
      "invalid_argument",
      "[categorical] At most one of shape or num_samples can be specified.",
    );
  }
  if (!(logits instanceof MxArray)) {
    throw new MxError("invalid_argument", `[categorical] logits must be an MxArray; got ${typeof logits}`);
  }
  const ndim = logits.ndim;
  const given = options.axis ?? -1;
  const axis = Number.isInteger(given) && given < 0 ? given + ndim : given;
  if (!Number.isInteger(axis) || axis < 0 || axis >= ndim) {
    throw new MxError(
      "invalid_argument",
      `[categorical] Invalid axis ${given} for logits with ${ndim} dimensions.`,
    );
  }
  const reduced = logits.shape.filter((_, i) => i !== axis);
  if (options.shape !== undefined) {
    const shape = shapeArg("categorical", options.shape);
    const joint = broadcastShapes(shape, reduced);
    if (joint.length !== shape.length || joint.some((dim, i) => dim !== shape[i])) {
      throw new MxError(
        "shape_mismatch",
        `[categorical] Requested shape ${shown(shape)} is not broadcast compatible with reduced logits ` +
          `shape${shown(reduced)}.`,
      );
    }
    return categoricalImpl(logits, axis, shape, key);
  }
  if (options.numSamples !== undefined) {
    const count = options.numSamples;
    if (!Number.isInteger(count)) {
      throw new MxError("invalid_argument", `[categorical] numSamples must be an integer; got ${count}`);
    }
    using expanded = expandDims(logits, -1);
    const shape = expanded.shape.filter((_, i) => i !== axis);
    shape[shape.length - 1] = count;
    return categoricalImpl(expanded, axis, shape, key);
  }
  return categoricalImpl(logits, axis, reduced, key);
}

function categoricalImpl(logits: MxArray, axis: number, shape: readonly number[], key: MxArray): MxArray {
  const n = logits.shape[axis]!;
  if (n > 0 && logits.size === n && shape.length > 0) {
    using flat = reshape(logits, [n]);
    return categoricalInverseCdf(flat, shape, key);
  }
  const offset = axis + shape.length - logits.ndim + 1;
  const gumbelShape = [...shape.slice(0, offset), n, ...shape.slice(offset)];
  using g = gumbelImpl(gumbelShape, float32, key);
  using scores = add(g, logits);
  return argmax(scores, { axis: offset });
}

/**
 * MLX's inverse-CDF sampling of one distribution: the index of the last exclusive cumulative
 * weight not above u * total (searchsorted "right", minus one). The search is composed as a
 * count of the weights not above each sample (NaN samples count all, as MLX's NaN-last
 * order), which holds one bool per (sample, category).
 */
function categoricalInverseCdf(logits: MxArray, shape: readonly number[], key: MxArray): MxArray {
  const dtype = logits.dtype === float64 ? float64 : float32;
  using x = astype(logits, dtype);
  using m = max(x);
  using infinite = isinf(m);
  using isMax = equal(x, m);
  using isMaxCast = astype(isMax, dtype);
  using shifted = subtract(x, m);
  using expShifted = exp(shifted);
  using w = where(infinite, isMaxCast, expShifted);
  using cdf = cumsum(w, { axis: 0, inclusive: false });
  using total = sum(w);
  using u0 = standardUniform(shape, float32, key);
  using u = multiply(u0, total);
  using column = expandDims(u, -1);
  using notAbove = lessEqual(cdf, column);
  using nanSample = isnan(column);
  using counted = logicalOr(notAbove, nanSample);
  using count = sum(counted, { axis: -1 });
  using count32 = astype(count, uint32);
  using one = array(1, uint32);
  return subtract(count32, one);
}

/** Options of `laplace`. */
export interface LaplaceOptions extends GumbelOptions {
  /** The mean (default 0). */
  loc?: number;
  /** The scale b (default 1). */
  scale?: number;
}

/**
 * Laplace samples: `loc - scale * sign(u) * log1p(-|u|)` with u uniform in (-1, 1) (MLX's
 * inverse-CDF recipe; `loc` and `scale` are float32 numbers, as in MLX).
 *
 * @param options `shape`, `dtype` (floating, float64 included), `loc`, `scale`, `key`,
 *   `stream`.
 * @returns The samples (lazy).
 * @throws {MxError} For a non-floating `dtype`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.random.laplace({ shape: [3], key: mx.random.key(0) })));
 * // array([-2.66849, 0.463046, -0.309328], dtype=float32)
 * ```
 */
export function laplace(options: LaplaceOptions = {}): MxArray {
  checkStream("laplace", options.stream);
  const { key, drawn } = keyOrNext("laplace", options);
  using _drawn = drawn;
  const dtype = options.dtype ?? float32;
  const shape = shapeArg("laplace", options.shape ?? []);
  const loc = options.loc ?? 0;
  const scale = options.scale ?? 1;
  for (const [name, value] of [["loc", loc], ["scale", scale]] as const) {
    if (typeof value !== "number") {
      throw new MxError("invalid_argument", `[laplace] ${name} must be a number; got ${typeof value}`);
    }
  }
  checkFloating(dtype, "[laplace] Only real floating point types are supported.");
  using samples = symmetricUniform(shape, key);
  using signs = sign(samples);
  using magnitude = abs(samples);
  using minusOne = array(-1, dtype);
  using negated = multiply(minusOne, magnitude);
  using logs = log1p(negated);
  using product = multiply(signs, logs);
  let out = astype(product, dtype);
  try {
    if (Math.fround(scale) !== 1) {
      using scaleArray = array(Math.fround(scale), dtype);
      const scaled = multiply(scaleArray, out);
      out.dispose();
      out = scaled;
    }
    if (Math.fround(loc) !== 0) {
      using locArray = array(Math.fround(loc), dtype);
      const shifted = add(locArray, out);
      out.dispose();
      out = shifted;
    }
    return out;
  } catch (error) {
    out.dispose();
    throw error;
  }
}

/** Options of `permutation`. */
export interface PermutationOptions extends KeyOptions {
  /** The axis to permute along when `x` is an array (default 0). */
  axis?: number;
}

/**
 * A random permutation of `0..x-1` (uint32: the argsort of random bits), or the entries of
 * the array `x` permuted along `axis`.
 *
 * @param x A length, or an array to permute.
 * @param options `axis`, `key`, `stream`.
 * @returns The permutation or the permuted array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.random.permutation(5, { key: mx.random.key(0) }).tolist()); // [1, 2, 0, 4, 3]
 * ```
 */
export function permutation(x: number | MxArray, options: PermutationOptions = {}): MxArray {
  checkStream("permutation", options.stream);
  const { key, drawn } = keyOrNext("permutation", options);
  using _drawn = drawn;
  if (typeof x === "number") {
    if (!Number.isInteger(x)) {
      throw new MxError("invalid_argument", `[permutation] x must be an integer or an MxArray; got ${x}`);
    }
    return permutationOf(x, key);
  }
  if (!(x instanceof MxArray)) {
    throw new MxError(
      "invalid_argument",
      `[permutation] x must be an integer or an MxArray; got ${typeof x}`,
    );
  }
  const axis = normalizeAxis("permutation", options.axis ?? 0, x.ndim);
  using order = permutationOf(x.shape[axis]!, key);
  return take(x, order, { axis });
}

function permutationOf(n: number, key: MxArray): MxArray {
  using raw = bitsImpl([n], 4, key);
  return argsort(raw);
}

// ---------------------------------------------------------------------------------------------
// Multivariate normal

/** Options of `multivariateNormal`. */
export interface MultivariateNormalOptions extends KeyOptions {
  /** Leading sample shape; broadcast with the batch shapes of `mean` and `cov` (default []). */
  shape?: ShapeLike;
  /** Output dtype: float32 only, as in MLX. */
  dtype?: Dtype;
}

/**
 * Samples from multivariate normal distributions with MLX's recipe: standard normal samples
 * (`normal` under the same key) times the square root of the covariance from its SVD
 * (`U diag(sqrt(S)) Vt`), plus the mean. The result has shape
 * `broadcast(shape, mean.shape[:-1], cov.shape[:-2]) + [n]`.
 *
 * @param mean Means, shape `[..., n]`.
 * @param cov Covariance matrices, shape `[..., n, n]` (symmetric positive semi-definite).
 * @param options `shape`, `dtype` (float32), `key`, `stream`.
 * @returns The samples (lazy).
 * @throws {MxError} for a non-float32 dtype, a 0-d mean, a cov with fewer than 2 dimensions
 *   or not square, or an `n` that differs between `mean` and `cov`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const mean = mx.array([0, 10]);
 * const cov = mx.array([[1, 0], [0, 0]]);
 * const x = mx.random.multivariateNormal(mean, cov, { shape: [3], key: mx.random.key(0) });
 * console.log(x.shape, mx.index(x, ":", 1).tolist()); // [ 3, 2 ] [ 10, 10, 10 ]
 * ```
 */
export function multivariateNormal(
  mean: MxArray,
  cov: MxArray,
  options: MultivariateNormalOptions = {},
): MxArray {
  const op = "multivariate_normal";
  checkStream(op, options.stream);
  const dtype = options.dtype ?? float32;
  if (dtype !== float32) throw new MxError("dtype_mismatch", `[${op}] dtype must be float32.`);
  for (const [name, value] of [["mean", mean], ["cov", cov]] as const) {
    if (!(value instanceof MxArray)) {
      throw new MxError("invalid_argument", `[${op}] ${name} must be an MxArray; got ${typeof value}`);
    }
    value.handle(op);
  }
  if (mean.ndim < 1) throw new MxError("invalid_argument", `[${op}] mean must have at least one dimension.`);
  if (cov.ndim < 2) throw new MxError("invalid_argument", `[${op}] cov must have at least two dimensions.`);
  const n = mean.shape[mean.ndim - 1]!;
  if (cov.shape[cov.ndim - 1] !== cov.shape[cov.ndim - 2]) {
    throw new MxError("shape_mismatch", `[${op}] last two dimensions of cov must be equal.`);
  }
  if (cov.shape[cov.ndim - 1] !== n) {
    throw new MxError("shape_mismatch", `[${op}] mean and cov must have compatible shapes.`);
  }
  const sampleShape = [
    ...broadcastShapes(cov.shape.slice(0, -2), mean.shape.slice(0, -1), shapeArg(op, options.shape ?? [])),
    n,
  ];
  using covariance = astype(cov, float32);
  const [u, s, vt] = svd(covariance);
  using _u = u;
  using _s = s;
  using _vt = vt;
  using root = sqrt(s);
  using rootRow = expandDims(root, -2);
  using scaled = multiply(u, rootRow);
  using std = matmul(scaled, vt);
  using standard = normal({ shape: sampleShape, dtype, key: options.key });
  using rows = expandDims(standard, -2);
  using product = matmul(rows, std);
  using samples = squeeze(product, { axis: -2 });
  return add(mean, samples);
}
