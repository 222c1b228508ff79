/**
 * Sorting along an axis: sort, argsort (stable), partition, argpartition and topk, in every
 * dtype, in MLX's order: ascending, NaN last (after +inf), false before true, complex64 by
 * real part then imaginary part.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { checkHandle, MxError } from "./errors.ts";
import { sortOpNames } from "./op_codes.ts";
import { reshape } from "./shapes.ts";
import { checkStream, type OpOptions, type StreamOrDevice } from "./device.ts";

/** Options of the sorting ops. */
export interface SortOptions extends OpOptions {
  /** The axis to sort along (negative counts from the end; default -1). `null` flattens the
   * array first (MLX's `axis=None`): the result is 1-D. */
  axis?: number | null;
}

type SortOp = "sort" | "argsort" | "partition" | "argpartition" | "topk";

const sortCodes = new Map(sortOpNames.split(",").map((name, code) => [name, code]));

function int32Param(op: SortOp, name: string, value: number): number {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new MxError("invalid_argument", `[${op}] ${name} must be a 32-bit integer; got ${value}`);
  }
  return value;
}

/** Runs `op` along the axis the options name; `kth` is the partition position or topk's k. */
function run(op: SortOp, a: MxArray, kth: number, options: SortOptions): MxArray {
  const code = sortCodes.get(op)!;
  int32Param(op, op === "topk" ? "k" : "kth", kth);
  const axis = options.axis === undefined ? -1 : options.axis;
  if (axis === null) {
    using flat = reshape(a, [a.size]);
    return new MxArray(checkHandle(native.sort(code, flat.handle(op), 0, kth)));
  }
  int32Param(op, "axis", axis);
  return new MxArray(checkHandle(native.sort(code, a.handle(op), axis, kth)));
}

/**
 * The array sorted along an axis (the last by default; `axis: null` sorts the flattened
 * array). NaN sorts last; ties keep their order. A 0-d array needs `axis: null`.
 *
 * @param a The array to sort.
 * @param options `axis`: the axis, or null to flatten first.
 * @returns An array of the same shape and dtype (1-D for `axis: null`).
 *
 * @example Sorting rows, columns and the flattened array
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[3, 1, 2], [0, NaN, -1]]);
 * console.log(mx.sort(a).tolist()); // [[1, 2, 3], [-1, 0, NaN]]
 * console.log(mx.sort(a, { axis: 0 }).tolist()); // [[0, 1, -1], [3, NaN, 2]]
 * console.log(mx.sort(a, { axis: null }).tolist()); // [-1, 0, 1, 2, 3, NaN]
 * ```
 */
export function sort(a: MxArray, options: SortOptions = {}): MxArray {
  checkStream("sort", options.stream);
  return run("sort", a, 0, options);
}

/**
 * The positions (uint32) that sort the array along an axis (the last by default;
 * `axis: null` for the flattened array). Stable: equal elements keep their input order.
 *
 * @param a The array to sort.
 * @param options `axis`: the axis, or null to flatten first.
 * @returns uint32 positions along the axis, the shape of `a` (1-D for `axis: null`).
 *
 * @example Stable order of ties
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.argsort(mx.array([2, 1, 2, 0, 1])).tolist()); // [3, 1, 4, 0, 2]
 * ```
 */
export function argsort(a: MxArray, options: SortOptions = {}): MxArray {
  checkStream("argsort", options.stream);
  return run("argsort", a, 0, options);
}

/**
 * The array partially sorted along an axis: the element at position `kth` is the one a sort
 * would put there, none before it is greater and none after it is smaller (the order within
 * each side is unspecified).
 *
 * @param a The array to partition.
 * @param kth The position to put in place (negative counts from the end of the axis).
 * @param options `axis`: the axis (default -1), or null to flatten first.
 * @returns An array of the same shape and dtype (1-D for `axis: null`).
 *
 * @example The median in place
 * ```ts
 * import * as mx from "mlx-ts";
 * const values = mx.partition(mx.array([7, 1, 5, 3, 9]), 2).tolist() as number[];
 * console.log(values[2], values.slice(0, 2).every((x) => x <= 5)); // 5 true
 * ```
 */
export function partition(a: MxArray, kth: number, options: SortOptions = {}): MxArray {
  checkStream("partition", options.stream);
  return run("partition", a, kth, options);
}

/**
 * The positions (uint32) that partition the array along an axis: the position at `kth`
 * holds the element a sort would put there, positions before it hold elements no greater,
 * positions after it elements no smaller.
 *
 * @param a The array to partition.
 * @param kth The position to put in place (negative counts from the end of the axis).
 * @param options `axis`: the axis (default -1), or null to flatten first.
 * @returns uint32 positions along the axis, the shape of `a` (1-D for `axis: null`).
 *
 * @example Where the smallest element is
 * ```ts
 * import * as mx from "mlx-ts";
 * const order = mx.argpartition(mx.array([7, 1, 5, 3, 9]), 0).tolist() as number[];
 * console.log(order[0]); // 1
 * ```
 */
export function argpartition(a: MxArray, kth: number, options: SortOptions = {}): MxArray {
  checkStream("argpartition", options.stream);
  return run("argpartition", a, kth, options);
}

/**
 * The `k` largest elements along an axis (the last by default; `axis: null` for the
 * flattened array), in no particular order. NaN counts as the largest.
 *
 * @param a The array to take from.
 * @param k How many elements to keep, 0 to the axis's size.
 * @param options `axis`: the axis (default -1), or null to flatten first.
 * @returns The shape of `a` with the axis of size `k` (1-D of `k` for `axis: null`).
 *
 * @example The two largest of each row
 * ```ts
 * import * as mx from "mlx-ts";
 * const top = mx.topk(mx.array([[5, 1, 4, 2], [0, 9, 7, 8]]), 2);
 * console.log(top.shape, mx.sort(top).tolist()); // [2, 2] [[4, 5], [8, 9]]
 * ```
 */
export function topk(a: MxArray, k: number, options: SortOptions = {}): MxArray {
  checkStream("topk", options.stream);
  return run("topk", a, k, options);
}
