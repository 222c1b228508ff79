/**
 * MaxPool1d/2d/3d and AvgPool1d/2d/3d (MLX's `nn.layers.pooling`): channels last, windows
 * cut with `asStrided` and reduced with `max` / `mean`. Windows that tile the input exactly
 * (stride equal to the kernel, sizes divisible) are a reshape instead: no strided view, and
 * the reduction runs over two axes of a contiguous array (the MNIST demo's 2x2 pooling).
 * Padding adds -inf (max) or 0 (average, counted in the mean as in MLX).
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { asStrided } from "../../as_strided.ts";
import { MxError } from "../../errors.ts";
import { pad } from "../../joining.ts";
import { max, mean } from "../../reductions.ts";
import { reshape } from "../../shapes.ts";
import { Module } from "../module.ts";
import { pyRepr, type SpatialSize, spatialTuple } from "./convolution.ts";

/** Options of the pooling layers. */
export interface PoolOptions {
  /** Step between windows (default: the kernel size). */
  stride?: SpatialSize;
  /** Padding added on both sides of each spatial axis (default 0). */
  padding?: SpatialSize;
}

type Reducer = (x: MxArray, options: { axis: number[] }) => MxArray;

/** The shared body of the pooling layers. */
abstract class Pool extends Module {
  readonly #spatial: number;
  readonly #kernel: number[];
  readonly #stride: number[];
  readonly #padding: number[];
  readonly #reduce: Reducer;
  readonly #paddingValue: number;

  protected constructor(
    spatial: number,
    reduce: Reducer,
    paddingValue: number,
    kernelSize: SpatialSize,
    options: PoolOptions,
  ) {
    super();
    const layer = this.constructor.name;
    this.#spatial = spatial;
    this.#kernel = spatialTuple(layer, "kernelSize", kernelSize, spatial, 1);
    this.#stride = spatialTuple(layer, "stride", options.stride ?? this.#kernel, spatial, 1);
    this.#padding = spatialTuple(layer, "padding", options.padding ?? 0, spatial, 0);
    this.#reduce = reduce;
    this.#paddingValue = paddingValue;
  }

  protected override extraRepr(): string {
    return `kernel_size=${pyRepr(this.#kernel, false)}, stride=${pyRepr(this.#stride, false)}, ` +
      `padding=${pyRepr(this.#padding, false)}`;
  }

  /** Pools `x` (`[N, ...spatial, C]`) over its spatial axes. */
  forward(x: MxArray): MxArray {
    const layer = this.constructor.name;
    const s = this.#spatial;
    if (x.ndim !== s + 2) {
      const layout = ["NLC", "NHWC", "NDHWC"][s - 1];
      throw new MxError(
        "invalid_argument",
        `[${layer}] expects a ${s + 2}-D input (${layout}); got shape [${x.shape}]`,
      );
    }
    const padded = this.#padding.some((p) => p > 0)
      ? pad(x, [[0, 0], ...this.#padding.map((p) => [p, p] as [number, number]), [0, 0]], {
        constantValues: this.#paddingValue,
      })
      : x;
    try {
      const sizes = padded.shape.slice(1, s + 1);
      sizes.forEach((size, i) => {
        if (size < this.#kernel[i]!) {
          throw new MxError(
            "invalid_argument",
            `[${layer}] kernel size ${pyRepr(this.#kernel, false)} is larger than the padded input's ` +
              `spatial size ${pyRepr(sizes, false)} (input shape [${x.shape}])`,
          );
        }
      });
      return this.#pool(padded, sizes);
    } finally {
      if (padded !== x) padded[Symbol.dispose]();
    }
  }

  #pool(x: MxArray, sizes: number[]): MxArray {
    const s = this.#spatial;
    const [batch, channels] = [x.shape[0]!, x.shape[s + 1]!];
    const kernel = this.#kernel;
    const stride = this.#stride;
    if (sizes.every((size, i) => stride[i] === kernel[i] && size % kernel[i]! === 0)) {
      // [N, s0/k0, k0, s1/k1, k1, ..., C]: reduce the k axes in place.
      const split = sizes.flatMap((size, i) => [size / kernel[i]!, kernel[i]!]);
      using windows = reshape(x, [batch, ...split, channels]);
      return this.#reduce(windows, { axis: kernel.map((_, i) => 2 + 2 * i) });
    }
    // Row-major element strides of x, then [N, out..., k..., C] windows (MLX's recipe).
    const strides = new Array<number>(s + 2);
    let step = 1;
    for (let i = s + 1; i >= 0; i--) {
      strides[i] = step;
      step *= x.shape[i]!;
    }
    const outSizes = sizes.map((size, i) => Math.floor((size - kernel[i]!) / stride[i]!) + 1);
    const spatialStrides = strides.slice(1, s + 1);
    using windows = asStrided(x, [batch, ...outSizes, ...kernel, channels], {
      strides: [strides[0]!, ...spatialStrides.map((st, i) => st * stride[i]!), ...spatialStrides, 1],
    });
    return this.#reduce(windows, { axis: kernel.map((_, i) => 1 + s + i) });
  }
}

const maxReduce: Reducer = (x, options) => max(x, options);
const meanReduce: Reducer = (x, options) => mean(x, options);

/**
 * 1-D max pooling over `[N, L, C]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([1, 5, 2, 3, 9, 0]), [1, 6, 1]);
 * console.log(new mx.nn.MaxPool1d(2).forward(x).tolist()); // [[[5], [3], [9]]]
 * ```
 */
export class MaxPool1d extends Pool {
  constructor(kernelSize: number, options: PoolOptions = {}) {
    super(1, maxReduce, -Infinity, kernelSize, options);
  }
}

/**
 * 2-D max pooling over `[N, H, W, C]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.arange(16), [1, 4, 4, 1]);
 * console.log(mx.squeeze(new mx.nn.MaxPool2d(2).forward(x)).tolist()); // [[5, 7], [13, 15]]
 * ```
 */
export class MaxPool2d extends Pool {
  constructor(kernelSize: SpatialSize, options: PoolOptions = {}) {
    super(2, maxReduce, -Infinity, kernelSize, options);
  }
}

/**
 * 3-D max pooling over `[N, D, H, W, C]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.arange(8), [1, 2, 2, 2, 1]);
 * console.log(new mx.nn.MaxPool3d(2).forward(x).tolist()); // [[[[[7]]]]]
 * ```
 */
export class MaxPool3d extends Pool {
  constructor(kernelSize: SpatialSize, options: PoolOptions = {}) {
    super(3, maxReduce, -Infinity, kernelSize, options);
  }
}

/**
 * 1-D average pooling over `[N, L, C]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([1, 3, 2, 4]), [1, 4, 1]);
 * console.log(new mx.nn.AvgPool1d(2, { stride: 1 }).forward(x).tolist()); // [[[2], [2.5], [3]]]
 * ```
 */
export class AvgPool1d extends Pool {
  constructor(kernelSize: number, options: PoolOptions = {}) {
    super(1, meanReduce, 0, kernelSize, options);
  }
}

/**
 * 2-D average pooling over `[N, H, W, C]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.arange(16), [1, 4, 4, 1]);
 * console.log(mx.squeeze(new mx.nn.AvgPool2d(2).forward(x)).tolist()); // [[2.5, 4.5], [10.5, 12.5]]
 * ```
 */
export class AvgPool2d extends Pool {
  constructor(kernelSize: SpatialSize, options: PoolOptions = {}) {
    super(2, meanReduce, 0, kernelSize, options);
  }
}

/**
 * 3-D average pooling over `[N, D, H, W, C]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.arange(8), [1, 2, 2, 2, 1]);
 * console.log(new mx.nn.AvgPool3d(2).forward(x).tolist()); // [[[[[3.5]]]]]
 * ```
 */
export class AvgPool3d extends Pool {
  constructor(kernelSize: SpatialSize, options: PoolOptions = {}) {
    super(3, meanReduce, 0, kernelSize, options);
  }
}
