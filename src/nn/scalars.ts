/**
 * Helpers the nn functions share: MLX's Python-float scalars and argument checks.
 *
 * @module
 */

import { array, checkArray as checkMxArray, type MxArray } from "../array.ts";
import { float32 } from "../dtype.ts";

/**
 * A Python float literal next to `like`, as MLX types it: `like`'s dtype when that is
 * floating, float32 otherwise (so `maximum(int32, 0.0)` is float32, as in MLX, where a
 * JavaScript `0` would keep int32).
 * @internal
 */
export function pyFloat(value: number, like: MxArray): MxArray {
  const category = like.dtype.category;
  const floating = category === "floating" || category === "complexfloating";
  return array(value, floating ? like.dtype : float32);
}

/** Throws unless `value` is an MxArray, naming the op and the argument. @internal */
export function checkArray(op: string, value: unknown, name: string): asserts value is MxArray {
  checkMxArray(op, value, name);
  value.handle(op);
}

/** Whether two shapes are equal. @internal */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
