/**
 * Conv1d/2d/3d and ConvTranspose1d/2d/3d (MLX's `nn.layers.convolution` and
 * `convolution_transpose`): channels last (`NLC`, `NHWC`, `NDHWC`), weights
 * `[out, ...kernel, in / groups]` drawn from U(-k, k) with k = 1/sqrt(in / groups *
 * prod(kernel)) (MLX 0.32.4's recipe), bias zeros.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d } from "../../conv.ts";
import { add } from "../../elementwise.ts";
import { MxError } from "../../errors.ts";
import { uniform } from "../../random.ts";
import { zeros } from "../../creation.ts";
import { Module } from "../module.ts";

/** One value for every spatial axis, or one per axis. */
export type SpatialSize = number | readonly number[];

/** Options of `Conv1d`, `Conv2d` and `Conv3d`. */
export interface ConvLayerOptions {
  /** Step between kernel applications (default 1). */
  stride?: SpatialSize;
  /** Zeros added on both sides of each spatial axis (default 0). */
  padding?: SpatialSize;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialSize;
  /** Channel groups; `inChannels` must divide by it (default 1). */
  groups?: number;
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

/** Options of `ConvTranspose1d`, `ConvTranspose2d` and `ConvTranspose3d`. */
export interface ConvTransposeLayerOptions {
  /** Step between kernel applications (default 1). */
  stride?: SpatialSize;
  /** Padding of the equivalent convolution (default 0). */
  padding?: SpatialSize;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialSize;
  /** Extra size added to the high side of each output axis (default 0). */
  outputPadding?: SpatialSize;
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

/** `value` as one entry per spatial axis, each an integer >= `min`. */
export function spatialTuple(
  layer: string,
  name: string,
  value: SpatialSize,
  spatial: number,
  min: number,
): number[] {
  const list = typeof value === "number" ? new Array<number>(spatial).fill(value) : [...value];
  if (list.length !== spatial || list.some((v) => !Number.isInteger(v) || v < min)) {
    throw new MxError(
      "invalid_argument",
      `[${layer}] ${name} must be ${
        spatial === 1 ? "an integer" : `an integer or ${spatial} integers`
      } >= ${min}; ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return list;
}

function positive(layer: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new MxError("invalid_argument", `[${layer}] ${name} must be a positive integer; got ${value}`);
    }
  }
}

/** Python's tuple / int printing for `extraRepr`. */
export function pyRepr(values: readonly number[], asInt: boolean): string {
  if (asInt) return String(values[0]);
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(", ")})`;
}

/** Checks `x` is `[N, ...spatial, C]` with `channels` channels. */
export function checkChannelsLast(layer: string, x: MxArray, spatial: number, channels: number): void {
  const layout = ["NLC", "NHWC", "NDHWC"][spatial - 1];
  if (x.ndim !== spatial + 2) {
    throw new MxError(
      "invalid_argument",
      `[${layer}] expects a ${spatial + 2}-D input (${layout}); got shape [${x.shape}]`,
    );
  }
  if (x.shape[spatial + 1] !== channels) {
    throw new MxError(
      "shape_mismatch",
      `[${layer}] expects ${channels} input channels (last axis); got shape [${x.shape}]`,
    );
  }
}

const convFns = [conv1d, conv2d, conv3d];
const convTransposeFns = [convTranspose1d, convTranspose2d, convTranspose3d];

/** The shared body of Conv1d/2d/3d. */
abstract class ConvNd extends Module {
  weight: MxArray;
  bias?: MxArray;
  readonly #spatial: number;
  readonly #stride: number[];
  readonly #padding: number[];
  readonly #dilation: number[];
  readonly #groups: number;

  protected constructor(
    spatial: number,
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialSize,
    options: ConvLayerOptions,
  ) {
    super();
    const layer = this.constructor.name;
    positive(layer, { inChannels, outChannels, groups: options.groups ?? 1 });
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0) {
      throw new MxError(
        "invalid_argument",
        `[${layer}] the number of input channels (${inChannels}) must be divisible by the number of groups (${groups})`,
      );
    }
    const kernel = spatialTuple(layer, "kernelSize", kernelSize, spatial, 1);
    this.#spatial = spatial;
    this.#stride = spatialTuple(layer, "stride", options.stride ?? 1, spatial, 1);
    this.#padding = spatialTuple(layer, "padding", options.padding ?? 0, spatial, 0);
    this.#dilation = spatialTuple(layer, "dilation", options.dilation ?? 1, spatial, 1);
    this.#groups = groups;
    const scale = Math.sqrt(1 / ((inChannels / groups) * kernel.reduce((p, k) => p * k, 1)));
    this.weight = uniform({ low: -scale, high: scale, shape: [outChannels, ...kernel, inChannels / groups] });
    if (options.bias ?? true) this.bias = zeros([outChannels]);
  }

  protected override extraRepr(): string {
    const s = this.#spatial;
    const asInt = s === 1;
    const shape = this.weight.shape;
    return `${shape[s + 1]! * this.#groups}, ${shape[0]}, kernel_size=${
      pyRepr(shape.slice(1, s + 1), asInt)
    }, ` +
      `stride=${pyRepr(this.#stride, asInt)}, padding=${pyRepr(this.#padding, asInt)}, ` +
      `dilation=${pyRepr(this.#dilation, asInt)}, groups=${this.#groups}, bias=${this.bias !== undefined}`;
  }

  /** The convolution of `x` (`[N, ...spatial, inChannels]`) plus the bias. */
  forward(x: MxArray): MxArray {
    const s = this.#spatial;
    const layer = this.constructor.name;
    checkChannelsLast(layer, x, s, this.weight.shape[s + 1]! * this.#groups);
    const kernel = this.weight.shape.slice(1, s + 1);
    for (let i = 0; i < s; i++) {
      const span = this.#dilation[i]! * (kernel[i]! - 1) + 1;
      if (x.shape[i + 1]! + 2 * this.#padding[i]! < span) {
        throw new MxError(
          "invalid_argument",
          `[${layer}] the kernel ${pyRepr(kernel, s === 1)} (dilation ${
            pyRepr(this.#dilation, s === 1)
          }) spans ` +
            `${span} positions on spatial axis ${i}, more than the padded input's ` +
            `${x.shape[i + 1]! + 2 * this.#padding[i]!} (input shape [${x.shape}])`,
        );
      }
    }
    const y = convFns[s - 1]!(x, this.weight, {
      stride: this.#stride,
      padding: this.#padding,
      dilation: this.#dilation,
      groups: this.#groups,
    });
    if (this.bias === undefined) return y;
    using unbiased = y;
    return add(unbiased, this.bias);
  }
}

/**
 * 1-D convolution over `[N, L, inChannels]` inputs; `weight` is
 * `[outChannels, kernelSize, inChannels / groups]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const conv = new mx.nn.Conv1d(2, 4, 3, { padding: 1 });
 * console.log(conv.forward(mx.ones([1, 5, 2])).shape); // [ 1, 5, 4 ]
 * ```
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 2-D convolution over `[N, H, W, inChannels]` inputs; `weight` is
 * `[outChannels, kH, kW, inChannels / groups]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const conv = new mx.nn.Conv2d(1, 8, 3);
 * console.log(conv.forward(mx.ones([2, 28, 28, 1])).shape); // [ 2, 26, 26, 8 ]
 * ```
 */
export class Conv2d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialSize,
    options: ConvLayerOptions = {},
  ) {
    super(2, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 3-D convolution over `[N, D, H, W, inChannels]` inputs; `weight` is
 * `[outChannels, kD, kH, kW, inChannels / groups]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const conv = new mx.nn.Conv3d(1, 2, 2);
 * console.log(conv.forward(mx.ones([1, 3, 3, 3, 1])).shape); // [ 1, 2, 2, 2, 2 ]
 * ```
 */
export class Conv3d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialSize,
    options: ConvLayerOptions = {},
  ) {
    super(3, inChannels, outChannels, kernelSize, options);
  }
}

/** The shared body of ConvTranspose1d/2d/3d. */
abstract class ConvTransposeNd extends Module {
  weight: MxArray;
  bias?: MxArray;
  readonly #spatial: number;
  readonly #stride: number[];
  readonly #padding: number[];
  readonly #dilation: number[];
  readonly #outputPadding: number[];

  protected constructor(
    spatial: number,
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialSize,
    options: ConvTransposeLayerOptions,
  ) {
    super();
    const layer = this.constructor.name;
    positive(layer, { inChannels, outChannels });
    const kernel = spatialTuple(layer, "kernelSize", kernelSize, spatial, 1);
    this.#spatial = spatial;
    this.#stride = spatialTuple(layer, "stride", options.stride ?? 1, spatial, 1);
    this.#padding = spatialTuple(layer, "padding", options.padding ?? 0, spatial, 0);
    this.#dilation = spatialTuple(layer, "dilation", options.dilation ?? 1, spatial, 1);
    this.#outputPadding = spatialTuple(layer, "outputPadding", options.outputPadding ?? 0, spatial, 0);
    const scale = Math.sqrt(1 / (inChannels * kernel.reduce((p, k) => p * k, 1)));
    this.weight = uniform({ low: -scale, high: scale, shape: [outChannels, ...kernel, inChannels] });
    if (options.bias ?? true) this.bias = zeros([outChannels]);
  }

  protected override extraRepr(): string {
    const s = this.#spatial;
    const asInt = s === 1;
    const shape = this.weight.shape;
    return `${shape[s + 1]}, ${shape[0]}, kernel_size=${pyRepr(shape.slice(1, s + 1), asInt)}, ` +
      `stride=${pyRepr(this.#stride, asInt)}, padding=${pyRepr(this.#padding, asInt)}, ` +
      `dilation=${pyRepr(this.#dilation, asInt)}, output_padding=${pyRepr(this.#outputPadding, asInt)}, ` +
      `bias=${this.bias !== undefined}`;
  }

  /** The transposed convolution of `x` (`[N, ...spatial, inChannels]`) plus the bias. */
  forward(x: MxArray): MxArray {
    const s = this.#spatial;
    checkChannelsLast(this.constructor.name, x, s, this.weight.shape[s + 1]!);
    const y = convTransposeFns[s - 1]!(x, this.weight, {
      stride: this.#stride,
      padding: this.#padding,
      dilation: this.#dilation,
      outputPadding: this.#outputPadding,
    });
    if (this.bias === undefined) return y;
    using unbiased = y;
    return add(unbiased, this.bias);
  }
}

/**
 * 1-D transposed convolution over `[N, L, inChannels]`; `weight` is
 * `[outChannels, kernelSize, inChannels]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const up = new mx.nn.ConvTranspose1d(2, 3, 2, { stride: 2 });
 * console.log(up.forward(mx.ones([1, 4, 2])).shape); // [ 1, 8, 3 ]
 * ```
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: ConvTransposeLayerOptions = {},
  ) {
    super(1, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 2-D transposed convolution over `[N, H, W, inChannels]`; `weight` is
 * `[outChannels, kH, kW, inChannels]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const up = new mx.nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * console.log(up.forward(mx.ones([1, 5, 5, 4])).shape); // [ 1, 10, 10, 2 ]
 * ```
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialSize,
    options: ConvTransposeLayerOptions = {},
  ) {
    super(2, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 3-D transposed convolution over `[N, D, H, W, inChannels]`; `weight` is
 * `[outChannels, kD, kH, kW, inChannels]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const up = new mx.nn.ConvTranspose3d(1, 1, 2, { stride: 2 });
 * console.log(up.forward(mx.ones([1, 2, 2, 2, 1])).shape); // [ 1, 4, 4, 4, 1 ]
 * ```
 */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialSize,
    options: ConvTransposeLayerOptions = {},
  ) {
    super(3, inChannels, outChannels, kernelSize, options);
  }
}
