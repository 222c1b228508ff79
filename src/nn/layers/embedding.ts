/**
 * Embedding (MLX's `nn.layers.embedding`): a `[numEmbeddings, dims]` table drawn from
 * N(0, 1/dims), looked up by integer indices; `asLinear` uses it as a tied output layer.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { MxError } from "../../errors.ts";
import { take } from "../../indexing.ts";
import { matmul } from "../../linalg_basic.ts";
import { normal } from "../../random.ts";
import { transpose } from "../../shapes.ts";
import { Module } from "../module.ts";

/**
 * A lookup table: `forward(x)` gives `weight[x]` (shape `[...x.shape, dims]`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const emb = new mx.nn.Embedding(10, 4);
 * console.log(emb.forward(mx.array([[1, 2, 3]], mx.int32)).shape); // [ 1, 3, 4 ]
 * console.log(emb.asLinear(mx.ones([2, 4])).shape); // [ 2, 10 ]
 * ```
 */
export class Embedding extends Module {
  weight: MxArray;

  constructor(numEmbeddings: number, dims: number) {
    super();
    for (const [name, value] of [["numEmbeddings", numEmbeddings], ["dims", dims]] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new MxError("invalid_argument", `[Embedding] ${name} must be a positive integer; got ${value}`);
      }
    }
    this.weight = normal({ shape: [numEmbeddings, dims], scale: Math.sqrt(1 / dims) });
  }

  protected override extraRepr(): string {
    return `${this.weight.shape[0]}, ${this.weight.shape[1]}`;
  }

  /** The rows of `weight` at the integer indices `x`. */
  forward(x: MxArray): MxArray {
    const category = x.dtype.category;
    if (category !== "signedinteger" && category !== "unsignedinteger") {
      throw new MxError("invalid_argument", `[Embedding] indices must be integers; got ${x.dtype}`);
    }
    return take(this.weight, x, { axis: 0 });
  }

  /** `x @ weight.T`: scores over the table's rows (a linear layer tied to the embedding). */
  asLinear(x: MxArray): MxArray {
    const dims = this.weight.shape[1]!;
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== dims) {
      throw new MxError(
        "shape_mismatch",
        `[Embedding] asLinear expects ${dims} features on the last axis; got shape [${x.shape}]`,
      );
    }
    using weightT = transpose(this.weight);
    return matmul(x, weightT);
  }
}
