/**
 * Shape operations. Views (transpose) share the input's buffer: no data is copied.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { checkHandle } from "./errors.ts";
import { int32Arg } from "./native_args.ts";

/** Options of `transpose`. */
export interface TransposeOptions {
  /** The new order of the axes (negative counts from the end); reversed when omitted. */
  axes?: readonly number[];
}

/**
 * Permutes the axes of an array (reverses them by default). A view: shares `a`'s memory.
 *
 * @param a The array.
 * @param options `axes`: output axis i is input axis `axes[i]`.
 * @returns A view with permuted axes (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2, 3], [4, 5, 6]]);
 * console.log(mx.transpose(a).tolist()); // [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export function transpose(a: MxArray, options: TransposeOptions = {}): MxArray {
  const axes = options.axes ?? [];
  const axisArg = int32Arg("transpose", axes, "axes");
  return new MxArray(checkHandle(native.transpose(a.handle("transpose"), axisArg, axes.length)));
}
