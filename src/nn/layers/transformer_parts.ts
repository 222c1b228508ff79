/**
 * Interim building blocks of the transformer layers, kept private until the normalization,
 * dropout and activation layers of `mx.nn` are merged: `LayerNorm` (MLX's parameters
 * `weight`/`bias`, eps 1e-5), `Dropout` (MLX's recipe and random draws) and `relu`.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { float32 } from "../../dtype.ts";
import { MxError } from "../../errors.ts";
import { add, maximum, multiply, rsqrt, square, subtract } from "../../elementwise.ts";
import { ones, zeros } from "../../creation.ts";
import { astype } from "../../ops.ts";
import { bernoulli } from "../../random.ts";
import { mean } from "../../reductions.ts";
import { tidy } from "../../scope.ts";
import { Module } from "../module.ts";

/** `max(x, 0)`. */
export function relu(x: MxArray): MxArray {
  return maximum(x, 0);
}

/** Layer normalization over the last axis with an affine `weight` and `bias`. */
export class LayerNorm extends Module {
  weight: MxArray;
  bias: MxArray;
  readonly eps: number;

  constructor(dims: number, eps = 1e-5) {
    super();
    this.weight = ones([dims]);
    this.bias = zeros([dims]);
    this.eps = eps;
  }

  protected override extraRepr(): string {
    return `${this.weight.shape[0]}, eps=${this.eps}, affine=true`;
  }

  /** `(x - mean) / sqrt(var + eps) * weight + bias`, statistics in float32. */
  forward(x: MxArray): MxArray {
    return tidy(() => {
      const xf = astype(x, float32);
      const centered = subtract(xf, mean(xf, { axis: -1, keepdims: true }));
      const variance = mean(square(centered), { axis: -1, keepdims: true });
      const normed = astype(multiply(centered, rsqrt(add(variance, this.eps))), x.dtype);
      return add(multiply(normed, this.weight), this.bias);
    });
  }
}

/** Zeroes elements with probability `p` in training mode and scales the rest by 1/(1-p). */
export class Dropout extends Module {
  readonly #keep: number;

  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) {
      throw new MxError("invalid_argument", `[Dropout] the probability should be in [0, 1); got ${p}`);
    }
    this.#keep = 1 - p;
  }

  protected override extraRepr(): string {
    return `p=${1 - this.#keep}`;
  }

  /** `x` in evaluation mode or with p = 0, else `mask * x / (1 - p)`. */
  forward(x: MxArray): MxArray {
    if (this.#keep === 1 || !this.training) return x;
    return tidy(() => {
      const mask = bernoulli({ p: this.#keep, shape: x.shape });
      return multiply(multiply(mask, x), 1 / this.#keep);
    });
  }
}
