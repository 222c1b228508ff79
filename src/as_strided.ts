/**
 * `asStrided`: MLX's `as_strided`, a view with any shape, strides and offset into the
 * row-major flattened array.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { checkHandle, MxError } from "./errors.ts";
import { int32Arg, ndimMax } from "./native_args.ts";
import { checkStream, type OpOptions } from "./device.ts";

/** Options of `asStrided`. */
export interface AsStridedOptions extends OpOptions {
  /** Element strides per axis of the view (default: row-major strides of `shape`). */
  strides?: readonly number[];
  /** Element offset of the view's first element (default 0). */
  offset?: number;
}

const strideArg = new Float64Array(ndimMax);

/**
 * A view of `a` (flattened row-major; copied first only when its layout is strided) with
 * shape `shape`, element `strides` and `offset`. Strides may be 0, negative or overlap
 * (sliding windows). Every element the view reaches must lie inside `a` (MLX reads outside
 * the buffer; here it is an error). Differentiable: the gradient adds up the cotangent of
 * every view position reading an element.
 *
 * @param a The array.
 * @param shape The view's shape (default: `a`'s shape).
 * @param options `strides` (default row-major for `shape`) and `offset` (default 0).
 * @returns The view (lazy; no copy for contiguous input).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const windows = mx.asStrided(mx.arange(5), [3, 3], { strides: [1, 1] });
 * console.log(windows.tolist()); // [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
 * ```
 */
export function asStrided(
  a: MxArray,
  shape: readonly number[] = a.shape,
  options: AsStridedOptions = {},
): MxArray {
  checkStream("asStrided", options.stream);
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new MxError("invalid_argument", `[asStrided] dimensions must be integers >= 0; got [${shape}]`);
    }
  }
  let strides = options.strides;
  if (strides === undefined) {
    const rowMajor: number[] = new Array(shape.length);
    let step = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      rowMajor[i] = step;
      step *= shape[i]!;
    }
    strides = rowMajor;
  }
  if (strides.length !== shape.length) {
    throw new MxError(
      "invalid_argument",
      `[asStrided] ${strides.length} strides given for the shape [${shape}]; expected one per axis`,
    );
  }
  const dims = int32Arg("asStrided", shape, "dimensions");
  for (let i = 0; i < strides.length; i++) strideArg[i] = strides[i]!;
  const handle = native.as_strided(a.handle("asStrided"), dims, shape.length, strideArg, options.offset ?? 0);
  return new MxArray(checkHandle(handle));
}
