/**
 * `clipGradNorm` (MLX's `clip_grad_norm`).
 *
 * @module
 */

import { array, MxArray } from "../array.ts";
import { float16, float32 } from "../dtype.ts";
import { add, divide, minimum, multiply, sqrt, square } from "../elementwise.ts";
import { astype } from "../ops.ts";
import { sum } from "../reductions.ts";
import { treeFlatten, treeMap } from "../utils.ts";
import { checkNumber } from "./optimizer.ts";

/**
 * Scales a tree of gradients so that their global L2 norm is at most `maxNorm`.
 * float16 squares are summed in float32; floating gradients keep their dtype.
 *
 * @param gradients A tree of gradient arrays.
 * @param maxNorm The largest allowed global norm (>= 0).
 * @returns `[clipped, totalNorm]`: the rescaled tree and the norm before clipping.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [clipped, total] = mx.optimizers.clipGradNorm({ w: mx.array([3, 4]) }, 1);
 * console.log(total.item(), (clipped as { w: mx.MxArray }).w.tolist()); // 5 [0.5999999046325684, 0.7999998331069946]
 * ```
 */
export function clipGradNorm<T>(gradients: T, maxNorm: number): [T, MxArray] {
  checkNumber("clipGradNorm", "maxNorm", maxNorm, (v) => v >= 0, ">= 0");
  let squared: MxArray | undefined;
  for (const [, g] of treeFlatten(gradients)) {
    if (!(g instanceof MxArray)) continue;
    using wide = g.dtype === float16 ? astype(g, float32) : undefined;
    using sq = square(wide ?? g);
    const term = sum(sq);
    if (squared === undefined) squared = term;
    else {
      const next = add(squared, term);
      squared.dispose();
      term.dispose();
      squared = next;
    }
  }
  squared ??= array(0, float32);
  const totalNorm = sqrt(squared);
  squared.dispose();
  using shifted = add(totalNorm, 1e-6);
  using ratio = divide(maxNorm, shifted);
  using normalizer = minimum(ratio, 1.0);
  const clipped = treeMap((g) => {
    if (!(g instanceof MxArray)) return g;
    const scaled = multiply(g, normalizer);
    if (g.dtype.category !== "floating") return scaled;
    const cast = astype(scaled, g.dtype);
    scaled.dispose();
    return cast;
  }, gradients) as T;
  return [clipped, totalNorm];
}
