/**
 * Dropout, Dropout2d and Dropout3d (MLX's `nn.layers.dropout`): in training mode, elements
 * (or whole channels) are zeroed with probability `p` and the rest scaled by 1/(1-p); the
 * masks are `random.bernoulli(1 - p, shape)` draws, so a seed gives MLX's masks. Identity in
 * evaluation mode.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { multiply } from "../../elementwise.ts";
import { MxError } from "../../errors.ts";
import { bernoulli } from "../../random.ts";
import { Module } from "../module.ts";

/** The shared body: `keep` = 1 - p, the mask shape from the input's. */
abstract class DropoutBase extends Module {
  readonly #keep: number;

  protected constructor(p: number) {
    super();
    if (!(p >= 0 && p < 1)) {
      throw new MxError(
        "invalid_argument",
        `[${new.target.name}] the dropout probability ${p} is not in [0, 1)`,
      );
    }
    this.#keep = 1 - p;
  }

  protected override extraRepr(): string {
    return `p=${1 - this.#keep}`;
  }

  /** The mask's shape for input shape `shape` (after the rank check). */
  protected abstract maskShape(shape: number[]): number[];

  /** `x` with dropped elements zeroed and the rest scaled (training mode), else `x`. */
  forward(x: MxArray): MxArray {
    const shape = this.maskShape(x.shape);
    if (this.#keep === 1 || !this.training) return x;
    using mask = bernoulli({ p: this.#keep, shape });
    using kept = multiply(mask, x);
    return multiply(kept, 1 / this.#keep);
  }
}

/**
 * Zeroes each element with probability `p` (default 0.5) in training mode and scales the
 * others by 1/(1-p).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const drop = new mx.nn.Dropout(0.5);
 * console.log(drop.eval().forward(mx.ones([3])).tolist()); // [1, 1, 1]
 * console.log(drop.train().forward(mx.ones([1000])).shape); // [ 1000 ]
 * ```
 */
export class Dropout extends DropoutBase {
  constructor(p = 0.5) {
    super(p);
  }

  protected maskShape(shape: number[]): number[] {
    return shape;
  }
}

/**
 * Zeroes whole channels of `[N, H, W, C]` (or `[H, W, C]`) inputs with probability `p`
 * (default 0.5) in training mode; the others are scaled by 1/(1-p).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Dropout2d().forward(mx.ones([2, 4, 4, 3])).shape); // [ 2, 4, 4, 3 ]
 * ```
 */
export class Dropout2d extends DropoutBase {
  constructor(p = 0.5) {
    super(p);
  }

  protected maskShape(shape: number[]): number[] {
    if (shape.length !== 3 && shape.length !== 4) {
      throw new MxError("invalid_argument", `[Dropout2d] expects a 3-D or 4-D input; got shape [${shape}]`);
    }
    const mask = [...shape];
    mask[mask.length - 2] = mask[mask.length - 3] = 1;
    return mask;
  }
}

/**
 * Zeroes whole channels of `[N, D, H, W, C]` (or `[D, H, W, C]`) inputs with probability
 * `p` (default 0.5) in training mode; the others are scaled by 1/(1-p).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Dropout3d(0.2).forward(mx.ones([1, 2, 2, 2, 3])).shape); // [ 1, 2, 2, 2, 3 ]
 * ```
 */
export class Dropout3d extends DropoutBase {
  constructor(p = 0.5) {
    super(p);
  }

  protected maskShape(shape: number[]): number[] {
    if (shape.length !== 4 && shape.length !== 5) {
      throw new MxError("invalid_argument", `[Dropout3d] expects a 4-D or 5-D input; got shape [${shape}]`);
    }
    const mask = [...shape];
    mask[mask.length - 2] = mask[mask.length - 3] = mask[mask.length - 4] = 1;
    return mask;
  }
}
