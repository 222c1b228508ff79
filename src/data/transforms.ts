/**
 * Image transforms on NHWC batches, written as array ops (lazy, native, one graph per batch):
 * `toFloat`, `normalize`, `randomHorizontalFlip`, `resizedCrop`, `randomResizedCrop` and
 * `randomCrop`.
 * The random ones take a `key` (as `mx.random` does; default: the global key sequence), so a
 * key gives the same batch every time.
 *
 * @module
 */

import { array, type MxArray } from "../array.ts";
import { float32, int32, uint8 } from "../dtype.ts";
import { add, clip, divide, exp, floor, minimum, multiply, sqrt, subtract } from "../elementwise.ts";
import { MxError } from "../errors.ts";
import { index, take } from "../indexing.ts";
import { pad, stack } from "../joining.ts";
import { astype, where } from "../ops.ts";
import { arange, full } from "../creation.ts";
import { bernoulli, split, uniform } from "../random.ts";
import { tidy } from "../scope.ts";
import { flip, reshape } from "../shapes.ts";

function checkNhwc(op: string, images: MxArray): [number, number, number, number] {
  if (images.ndim !== 4) {
    throw new MxError("shape_mismatch", `[${op}] expects a batch of images [N, H, W, C]; got shape [${images.shape}]`);
  }
  return images.shape as [number, number, number, number];
}

/**
 * Pixels as float32 in [0, 1]: uint8 images divided by 255; floating images are converted to
 * float32 unchanged.
 *
 * @param images uint8 or floating images (any shape).
 * @returns float32 images (lazy).
 * @throws {MxError} For other dtypes.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.data.toFloat(mx.array([0, 51, 255], mx.uint8)).tolist()); // [0, 0.20000000298023224, 1]
 * ```
 */
export function toFloat(images: MxArray): MxArray {
  if (images.dtype === uint8) {
    return tidy(() => divide(astype(images, float32), 255));
  }
  if (images.dtype.category === "floating") return astype(images, float32);
  throw new MxError(
    "dtype_mismatch",
    `[toFloat] expects uint8 or floating images; got ${images.dtype.name} [${images.shape}]`,
  );
}

/** Per-channel statistics: one number for all channels, a list with one per channel, or an array. */
export type ChannelValues = number | readonly number[] | MxArray;

function channelArray(op: string, name: string, values: ChannelValues, channels: number): MxArray {
  const a = values instanceof Object && !Array.isArray(values) ? (values as MxArray) : array(values as number | number[], float32);
  const size = a.size;
  if (a.ndim > 1 || (size !== 1 && size !== channels)) {
    throw new MxError(
      "shape_mismatch",
      `[${op}] ${name} must have 1 or ${channels} values (one per channel); got shape [${a.shape}]`,
    );
  }
  return a;
}

/**
 * `(images - mean) / std` with one mean and standard deviation per channel (the last axis).
 *
 * @param images Floating images [..., C] (use `toFloat` first for uint8).
 * @param mean One value or C values.
 * @param std One value or C values.
 * @returns The normalized images (lazy).
 * @throws {MxError} For non-floating images or statistics that are not 1 or C long.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.array([[[[0.5, 0.2]]]]); // one 1x1 image, 2 channels
 * console.log(mx.data.normalize(x, [0.5, 0.25], [0.25, 0.5]).tolist()); // [[[[0, -0.09999999403953552]]]]
 * ```
 */
export function normalize(images: MxArray, mean: ChannelValues, std: ChannelValues): MxArray {
  if (images.dtype.category !== "floating") {
    throw new MxError(
      "dtype_mismatch",
      `[normalize] expects floating images (use toFloat for uint8); got ${images.dtype.name}`,
    );
  }
  const channels = images.shape[images.ndim - 1] ?? 1;
  return tidy(() => {
    const m = channelArray("normalize", "mean", mean, channels);
    const s = channelArray("normalize", "std", std, channels);
    return divide(subtract(images, m), s);
  });
}

/** Options of the random transforms. */
export interface RandomTransformOptions {
  /** A PRNG key (`mx.random.key`); default: the next keys of the global sequence. */
  key?: MxArray;
}

/** Options of `randomHorizontalFlip`. */
export interface RandomFlipOptions extends RandomTransformOptions {
  /** The probability that an image is flipped (default 0.5). */
  p?: number;
}

/**
 * Mirrors each image of an NHWC batch left to right with probability `p`: the images where
 * `mx.random.bernoulli({ p, shape: [N], key })` is true.
 *
 * @param images Images [N, H, W, C].
 * @param options `p`, `key`.
 * @returns The batch with some images flipped (lazy).
 * @throws {MxError} For a batch that is not 4-D.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.arange(6), [2, 1, 3, 1]);
 * const y = mx.data.randomHorizontalFlip(x, { p: 1 });
 * console.log(mx.reshape(y, [2, 3]).tolist()); // [[2, 1, 0], [5, 4, 3]]
 * ```
 */
export function randomHorizontalFlip(images: MxArray, options: RandomFlipOptions = {}): MxArray {
  const [n] = checkNhwc("randomHorizontalFlip", images);
  return tidy(() => {
    const flipped = bernoulli({ p: options.p ?? 0.5, shape: [n], key: options.key });
    return where(reshape(flipped, [n, 1, 1, 1]), flip(images, { axis: 2 }), images);
  });
}

/** An output size: [height, width], or one number for a square. */
export type ImageSize = number | readonly [number, number];

function sizeOf(op: string, size: ImageSize): [number, number] {
  const [h, w] = typeof size === "number" ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h! < 1 || w! < 1) {
    throw new MxError("invalid_argument", `[${op}] size must be positive integers [height, width]; got ${JSON.stringify(size)}`);
  }
  return [h!, w!];
}

/** Sampling positions along one axis: [N, out] source coordinates, clamped to the image. */
function coordinates(start: MxArray, length: MxArray, outSize: number, inSize: number): MxArray {
  // Pixel centres of the output mapped into the box (half-pixel offsets, as align_corners=False).
  const centres = add(arange(0, outSize, { dtype: float32 }), 0.5);
  const step = divide(reshape(length, [-1, 1]), outSize);
  const position = subtract(add(reshape(start, [-1, 1]), multiply(centres, step)), 0.5);
  return clip(position, 0, inSize - 1);
}

/**
 * Crops every image of an NHWC batch to its own box and resizes the crop to `size` with
 * bilinear interpolation (half-pixel centres; boxes may have fractional corners). Gathers run
 * natively on the whole batch.
 *
 * @param images Images [N, H, W, C] (integer images are interpolated in float32).
 * @param boxes [N, 4] float boxes `[top, left, height, width]` in pixels.
 * @param size The output [height, width] (or one number).
 * @returns float images [N, height, width, C] (lazy).
 * @throws {MxError} For a batch that is not 4-D, boxes that are not [N, 4], or a bad size.
 *
 * @example Upscaling a 1x2 image
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([0, 4]), [1, 1, 2, 1]);
 * const y = mx.data.resizedCrop(x, mx.array([[0, 0, 1, 2]]), [1, 4]);
 * console.log(mx.reshape(y, [4]).tolist()); // [0, 1, 3, 4]
 * ```
 */
export function resizedCrop(images: MxArray, boxes: MxArray, size: ImageSize): MxArray {
  const op = "resizedCrop";
  const [n, h, w, c] = checkNhwc(op, images);
  const [outH, outW] = sizeOf(op, size);
  if (boxes.ndim !== 2 || boxes.shape[0] !== n || boxes.shape[1] !== 4) {
    throw new MxError("shape_mismatch", `[${op}] boxes must be [${n}, 4] (top, left, height, width); got [${boxes.shape}]`);
  }
  if (n * h * w >= 2 ** 31) {
    throw new MxError("limit_exceeded", `[${op}] a batch of ${n * h * w} pixels is beyond 2^31`);
  }
  return tidy(() => {
    const computeType = images.dtype.category === "floating" ? images.dtype : float32;
    const b = astype(boxes, float32);
    const column = (i: number) => index(b, ":", i);
    const sy = coordinates(column(0), column(2), outH, h); // [N, outH]
    const sx = coordinates(column(1), column(3), outW, w); // [N, outW]
    const y0 = floor(sy);
    const x0 = floor(sx);
    const wy = reshape(astype(subtract(sy, y0), computeType), [n, outH, 1, 1]);
    const wx = reshape(astype(subtract(sx, x0), computeType), [n, 1, outW, 1]);
    const rowOf = (y: MxArray) => reshape(multiply(astype(y, int32), w), [n, outH, 1]);
    const colOf = (x: MxArray) => reshape(astype(x, int32), [n, 1, outW]);
    const base = reshape(multiply(arange(0, n, { dtype: int32 }), h * w), [n, 1, 1]);
    const rows0 = add(base, rowOf(y0));
    const rows1 = add(base, rowOf(minimum(add(y0, 1), h - 1)));
    const cols0 = colOf(x0);
    const cols1 = colOf(minimum(add(x0, 1), w - 1));
    const flat = astype(reshape(images, [n * h * w, c]), computeType);
    const gather = (rows: MxArray, cols: MxArray) => take(flat, add(rows, cols), { axis: 0 });
    const lerp = (a: MxArray, b: MxArray, t: MxArray) => add(a, multiply(subtract(b, a), t));
    const top = lerp(gather(rows0, cols0), gather(rows0, cols1), wx);
    const bottom = lerp(gather(rows1, cols0), gather(rows1, cols1), wx);
    return lerp(top, bottom, wy);
  });
}

/** Options of `randomResizedCrop`. */
export interface RandomResizedCropOptions extends RandomTransformOptions {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height, sampled log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
}

function rangeOf(op: string, name: string, range: readonly [number, number]): [number, number] {
  const [low, high] = range;
  if (!(low! > 0) || !(high! >= low!) || !Number.isFinite(high!)) {
    throw new MxError("invalid_argument", `[${op}] ${name} must be [low, high] with 0 < low <= high; got ${JSON.stringify(range)}`);
  }
  return [low!, high!];
}

/**
 * Random crops resized to `size` (the augmentation of Inception and torchvision's
 * `RandomResizedCrop`), one box per image: area `u1 * H * W` with `u1` uniform in `scale`,
 * aspect ratio `exp(u2)` with `u2` uniform in `log(ratio)`, height and width clamped to the
 * image, corner uniform over the positions where the box fits; then `resizedCrop`. With a
 * key `k`, `u1`, `u2` and the two corner fractions are `mx.random.uniform` draws with the
 * four keys of `mx.random.split(k, 4)`. Unlike torchvision, an oversized box is clamped
 * rather than resampled, and corners are not rounded to whole pixels.
 *
 * @param images Images [N, H, W, C].
 * @param size The output [height, width] (or one number).
 * @param options `scale`, `ratio`, `key`.
 * @returns float images [N, height, width, C] (lazy).
 * @throws {MxError} For a batch that is not 4-D, a bad size, or bad ranges.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.data.toFloat(mx.zeros([8, 32, 32, 3], mx.uint8));
 * const y = mx.data.randomResizedCrop(x, 24, { key: mx.random.key(0) });
 * console.log(y.shape); // [8, 24, 24, 3]
 * ```
 */
export function randomResizedCrop(images: MxArray, size: ImageSize, options: RandomResizedCropOptions = {}): MxArray {
  const op = "randomResizedCrop";
  const [n, h, w] = checkNhwc(op, images);
  sizeOf(op, size);
  const [scaleLow, scaleHigh] = rangeOf(op, "scale", options.scale ?? [0.08, 1]);
  const [ratioLow, ratioHigh] = rangeOf(op, "ratio", options.ratio ?? [3 / 4, 4 / 3]);
  return tidy(() => {
    const keys = options.key === undefined ? undefined : split(options.key, 4);
    const draw = (i: number, low: number, high: number) =>
      uniform({ low, high, shape: [n], key: keys === undefined ? undefined : index(keys, i) });
    const area = multiply(draw(0, scaleLow, scaleHigh), h * w);
    const ratio = exp(draw(1, Math.log(ratioLow), Math.log(ratioHigh)));
    const boxW = minimum(sqrt(multiply(area, ratio)), w);
    const boxH = minimum(sqrt(divide(area, ratio)), h);
    const top = multiply(draw(2, 0, 1), subtract(h, boxH));
    const left = multiply(draw(3, 0, 1), subtract(w, boxW));
    const boxes = stack([top, left, boxH, boxW], { axis: 1 });
    return resizedCrop(images, boxes, size);
  });
}

/** Options of `randomCrop`. */
export interface RandomCropOptions extends RandomTransformOptions {
  /** Zero pixels added on every side before cropping (default 0). */
  padding?: number;
}

/**
 * Random crops of `size` at whole-pixel offsets, one per image, after padding every side with
 * `padding` zeros (the usual CIFAR-10 augmentation: `padding: 4`, size 32). With a key `k`,
 * the top and left offsets are `floor(u * (H + 2 * padding - height + 1))` with `u` from
 * `mx.random.uniform` for the two keys of `mx.random.split(k, 2)`. Pixels are copied exactly
 * and keep their dtype.
 *
 * @param images Images [N, H, W, C].
 * @param size The output [height, width] (or one number), at most the padded size.
 * @param options `padding`, `key`.
 * @returns The crops [N, height, width, C] (lazy).
 * @throws {MxError} For a batch that is not 4-D, a bad size or padding.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.zeros([8, 32, 32, 3], mx.uint8);
 * const y = mx.data.randomCrop(x, 32, { padding: 4, key: mx.random.key(0) });
 * console.log(y.shape, y.dtype.name); // [8, 32, 32, 3] "uint8"
 * ```
 */
export function randomCrop(images: MxArray, size: ImageSize, options: RandomCropOptions = {}): MxArray {
  const op = "randomCrop";
  const [n, h, w] = checkNhwc(op, images);
  const [outH, outW] = sizeOf(op, size);
  const padding = options.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0) {
    throw new MxError("invalid_argument", `[${op}] padding must be a non-negative integer; got ${padding}`);
  }
  const [paddedH, paddedW] = [h + 2 * padding, w + 2 * padding];
  if (outH > paddedH || outW > paddedW) {
    throw new MxError(
      "invalid_argument",
      `[${op}] size [${outH},${outW}] is larger than the padded images [${paddedH},${paddedW}]`,
    );
  }
  return tidy(() => {
    const keys = options.key === undefined ? undefined : split(options.key, 2);
    const offset = (i: number, room: number) =>
      floor(multiply(uniform({ shape: [n], key: keys === undefined ? undefined : index(keys, i) }), room));
    const boxes = stack(
      [offset(0, paddedH - outH + 1), offset(1, paddedW - outW + 1), full([n], outH), full([n], outW)],
      { axis: 1 },
    );
    const padded = padding === 0 ? images : pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]]);
    // Whole-pixel boxes of the output's size: the interpolation weights are all 0.
    return astype(resizedCrop(padded, boxes, [outH, outW]), images.dtype);
  });
}
