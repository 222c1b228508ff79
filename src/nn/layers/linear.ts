/**
 * Identity, Linear, Bilinear and Sequential (MLX's `nn.layers.linear` and `containers`).
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { MxError } from "../../errors.ts";
import { add } from "../../elementwise.ts";
import { addmm, matmul } from "../../linalg_basic.ts";
import { uniform } from "../../random.ts";
import { reshape, squeeze, swapaxes, transpose } from "../../shapes.ts";
import { Module } from "../module.ts";

/** A module (or function) mapping one array to one array: what `Sequential` chains. */
export type UnaryLayer = { forward(x: MxArray): MxArray } | ((x: MxArray) => MxArray);

/** Calls a `UnaryLayer`. */
export function callLayer(layer: UnaryLayer, x: MxArray): MxArray {
  return typeof layer === "function" ? layer(x) : layer.forward(x);
}

/** @internal Raises a MxError naming `op` unless every value is a positive integer. */
export function checkDims(op: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new MxError("invalid_argument", `[${op}] ${name} must be a positive integer; got ${value}`);
    }
  }
}

/**
 * Returns its input unchanged (a placeholder layer).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Identity().forward(mx.array([1, 2])).tolist()); // [1, 2]
 * ```
 */
export class Identity extends Module {
  /** Returns `x`. */
  forward(x: MxArray): MxArray {
    return x;
  }
}

/**
 * `y = x W^T + b`: `weight` is `[outputDims, inputDims]`, `bias` `[outputDims]`, both
 * initialised from U(-k, k) with k = 1/sqrt(inputDims) (MLX's recipe and random draws).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const layer = new mx.nn.Linear(3, 2);
 * console.log(layer.forward(mx.ones([4, 3])).shape); // [ 4, 2 ]
 * ```
 */
export class Linear extends Module {
  weight: MxArray;
  bias?: MxArray;

  constructor(inputDims: number, outputDims: number, options: { bias?: boolean } = {}) {
    super();
    checkDims("Linear", { inputDims, outputDims });
    const scale = Math.sqrt(1 / inputDims);
    this.weight = uniform({ low: -scale, high: scale, shape: [outputDims, inputDims] });
    if (options.bias ?? true) this.bias = uniform({ low: -scale, high: scale, shape: [outputDims] });
  }

  protected override extraRepr(): string {
    return `input_dims=${this.weight.shape[1]}, output_dims=${this.weight.shape[0]}, bias=${this.bias !== undefined}`;
  }

  /** `x @ weight.T + bias` over the last axis of `x`. */
  forward(x: MxArray): MxArray {
    if (this.bias !== undefined) return addmm(this.bias, x, transpose(this.weight));
    return matmul(x, transpose(this.weight));
  }
}

/**
 * `y_i = x2^T W_i x1 + b_i`: `weight` is `[outputDims, input2Dims, input1Dims]`, initialised
 * from U(-k, k) with k = 1/sqrt(input1Dims).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const layer = new mx.nn.Bilinear(3, 4, 2);
 * console.log(layer.forward(mx.ones([5, 3]), mx.ones([5, 4])).shape); // [ 5, 2 ]
 * ```
 */
export class Bilinear extends Module {
  weight: MxArray;
  bias?: MxArray;

  constructor(input1Dims: number, input2Dims: number, outputDims: number, options: { bias?: boolean } = {}) {
    super();
    checkDims("Bilinear", { input1Dims, input2Dims, outputDims });
    const scale = Math.sqrt(1 / input1Dims);
    this.weight = uniform({ low: -scale, high: scale, shape: [outputDims, input2Dims, input1Dims] });
    if (options.bias ?? true) this.bias = uniform({ low: -scale, high: scale, shape: [outputDims] });
  }

  protected override extraRepr(): string {
    const [out, in2, in1] = this.weight.shape;
    return `input1_dims=${in1}, input2_dims=${in2}, output_dims=${out}, bias=${this.bias !== undefined}`;
  }

  /** The bilinear form of `x1` (`[..., input1Dims]`) and `x2` (`[..., input2Dims]`). */
  forward(x1: MxArray, x2: MxArray): MxArray {
    const [out, in2, in1] = this.weight.shape as [number, number, number];
    const leading = x1.shape.slice(0, -1);
    using a = reshape(x1, [-1, in1]);
    using b = reshape(x2, [-1, 1, in2]);
    using w = reshape(this.weight, [out * in2, in1]);
    using wt = transpose(w);
    using y1 = matmul(a, wt);
    using y2 = reshape(y1, [-1, out, in2]);
    using y3 = swapaxes(y2, -2, -1);
    using y4 = matmul(b, y3);
    using y5 = squeeze(y4, { axis: 1 });
    const y = reshape(y5, [...leading, out]);
    if (this.bias === undefined) return y;
    using unbiased = y;
    return add(unbiased, this.bias);
  }
}

/**
 * Calls its layers (modules with `forward`, or functions) in order.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const model = new mx.nn.Sequential(new mx.nn.Linear(2, 4), mx.nn.relu, new mx.nn.Linear(4, 1));
 * console.log(model.forward(mx.ones([3, 2])).shape); // [ 3, 1 ]
 * ```
 */
export class Sequential extends Module {
  layers: UnaryLayer[];

  constructor(...layers: UnaryLayer[]) {
    super();
    this.layers = layers;
  }

  /** Applies each layer to the previous one's output. */
  forward(x: MxArray): MxArray {
    let y = x;
    for (const layer of this.layers) y = callLayer(layer, y);
    return y;
  }
}
