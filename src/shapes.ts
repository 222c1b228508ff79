/**
 * Shape operations. Views (transpose, reshape of contiguous arrays, broadcastTo, slices, flip)
 * share the input's buffer: no data is copied.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, type ArrayLike, MxArray } from "./array.ts";
import { checkHandle, MxError } from "./errors.ts";
import { int32Arg, sliceArg } from "./native_args.ts";
import { checkStream, type OpOptions, type StreamOrDevice } from "./device.ts";

/** Options of `transpose`. */
export interface TransposeOptions extends OpOptions {
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
  checkStream("transpose", options.stream);
  const axes = options.axes ?? [];
  const axisArg = int32Arg("transpose", axes, "axes");
  return new MxArray(checkHandle(native.transpose(a.handle("transpose"), axisArg, axes.length)));
}

/** A shape: a list of dimensions, or one dimension. */
export type ShapeLike = number | readonly number[];

function toShape(op: string, shape: ShapeLike): number[] {
  const dims = typeof shape === "number" ? [shape] : [...shape];
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new MxError("invalid_argument", `[${op}] dimensions must be integers >= 0; got [${dims}]`);
    }
  }
  return dims;
}

/**
 * The same elements in a new shape; one dimension may be -1 (inferred). A view when `a`'s
 * layout allows (always for row-contiguous arrays), else a copy.
 *
 * @param a The array.
 * @param shape The new shape, with the same number of elements.
 * @returns The reshaped array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.reshape(mx.array([1, 2, 3, 4, 5, 6]), [2, -1]).tolist()); // [[1, 2, 3], [4, 5, 6]]
 * ```
 */
export function reshape(a: MxArray, shape: ShapeLike, options: OpOptions = {}): MxArray {
  checkStream("reshape", options.stream);
  const dims = typeof shape === "number" ? [shape] : [...shape];
  const inferred = dims.indexOf(-1);
  if (inferred !== -1) {
    if (dims.lastIndexOf(-1) !== inferred) {
      throw new MxError("invalid_argument", `[reshape] only one dimension can be -1; got [${dims}]`);
    }
    const known = dims.reduce((p, d, i) => (i === inferred ? p : p * d), 1);
    const size = a.size;
    if (known === 0 || size % known !== 0) {
      throw new MxError(
        "shape_mismatch",
        `[reshape] cannot reshape an array of shape [${a.shape}] (${size} elements) to [${dims}]`,
      );
    }
    dims[inferred] = size / known;
  }
  const checked = toShape("reshape", dims);
  const handle = native.reshape(a.handle("reshape"), int32Arg("reshape", checked, "dimensions"), checked.length);
  return new MxArray(checkHandle(handle));
}

/**
 * Flattens the axes `startAxis` through `endAxis` (default: all) into one.
 *
 * @param a The array.
 * @param options `startAxis` (default 0) and `endAxis` (default -1).
 * @returns The flattened array (lazy; a view when possible).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.flatten(mx.array([[1, 2], [3, 4]])).tolist()); // [1, 2, 3, 4]
 * ```
 */
export function flatten(a: MxArray, options: { startAxis?: number; endAxis?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("flatten", options.stream);
  const shape = a.shape;
  if (shape.length === 0) return reshape(a, [1]);
  const start = normalizeAxis("flatten", options.startAxis ?? 0, shape.length);
  const end = normalizeAxis("flatten", options.endAxis ?? -1, shape.length);
  if (start > end) {
    throw new MxError("invalid_argument", `[flatten] startAxis ${start} is after endAxis ${end}`);
  }
  const middle = shape.slice(start, end + 1).reduce((p, d) => p * d, 1);
  return reshape(a, [...shape.slice(0, start), middle, ...shape.slice(end + 1)]);
}

/**
 * Splits axis `axis` into the dimensions `shape` (one may be -1).
 *
 * @param a The array.
 * @param axis The axis to split.
 * @param shape Its new dimensions.
 * @returns The reshaped array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.unflatten(mx.array([1, 2, 3, 4, 5, 6]), 0, [2, 3]).shape); // [2, 3]
 * ```
 */
export function unflatten(a: MxArray, axis: number, shape: readonly number[], options: OpOptions = {}): MxArray {
  checkStream("unflatten", options.stream);
  const dims = a.shape;
  const at = normalizeAxis("unflatten", axis, dims.length);
  if (shape.length === 0) throw new MxError("invalid_argument", "[unflatten] the new shape is empty");
  const parts = [...shape];
  const inferred = parts.indexOf(-1);
  if (inferred !== -1) {
    const known = parts.reduce((p, d, i) => (i === inferred ? p : p * d), 1);
    parts[inferred] = known === 0 ? 0 : dims[at]! / known;
  }
  if (parts.reduce((p, d) => p * d, 1) !== dims[at] || !parts.every(Number.isInteger)) {
    throw new MxError(
      "shape_mismatch",
      `[unflatten] axis ${axis} of size ${dims[at]} cannot be split into [${shape}]`,
    );
  }
  return reshape(a, [...dims.slice(0, at), ...parts, ...dims.slice(at + 1)]);
}

/** @internal Resolves a possibly negative axis, or throws naming the op. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new MxError("invalid_argument", `[${op}] axis ${axis} is out of bounds for ${ndim} dimensions`);
  }
  return axis < 0 ? axis + ndim : axis;
}

function axisList(op: string, axis: number | readonly number[], ndim: number): number[] {
  const axes = (typeof axis === "number" ? [axis] : [...axis]).map((x) => normalizeAxis(op, x, ndim));
  if (new Set(axes).size !== axes.length) {
    throw new MxError("invalid_argument", `[${op}] repeated axes in [${axes}]`);
  }
  return axes;
}

/**
 * Removes size-1 axes: the given ones (an error if one is not size 1), or all.
 *
 * @param a The array.
 * @param options `axis`: the axis or axes to remove.
 * @returns A view without those axes (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.squeeze(mx.array([[[1], [2]]])).shape); // [2]
 * ```
 */
export function squeeze(a: MxArray, options: { axis?: number | readonly number[]; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("squeeze", options.stream);
  const shape = a.shape;
  const axes = options.axis === undefined
    ? shape.flatMap((d, i) => (d === 1 ? [i] : []))
    : axisList("squeeze", options.axis, shape.length);
  for (const axis of axes) {
    if (shape[axis] !== 1) {
      throw new MxError("invalid_argument", `[squeeze] axis ${axis} has size ${shape[axis]}, not 1, in shape [${shape}]`);
    }
  }
  return reshape(a, shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Inserts size-1 axes at the given positions (of the output).
 *
 * @param a The array.
 * @param axis Where the new axes go (negative counts from the end of the output).
 * @returns A view with the new axes (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.expandDims(mx.array([1, 2]), 0).shape); // [1, 2]
 * ```
 */
export function expandDims(a: MxArray, axis: number | readonly number[], options: OpOptions = {}): MxArray {
  checkStream("expand_dims", options.stream);
  const shape = a.shape;
  const count = typeof axis === "number" ? 1 : axis.length;
  const axes = axisList("expandDims", axis, shape.length + count).sort((x, y) => x - y);
  const out: number[] = [];
  let source = 0;
  for (let i = 0; i < shape.length + count; i++) out.push(axes.includes(i) ? 1 : shape[source++]!);
  return reshape(a, out);
}

/**
 * Swaps two axes (a view).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.swapaxes(mx.zeros([2, 3, 4]), 0, 2).shape); // [4, 3, 2]
 * ```
 */
export function swapaxes(a: MxArray, axis1: number, axis2: number, options: OpOptions = {}): MxArray {
  checkStream("swapaxes", options.stream);
  const ndim = a.ndim;
  const first = normalizeAxis("swapaxes", axis1, ndim);
  const second = normalizeAxis("swapaxes", axis2, ndim);
  const axes = [...Array(ndim).keys()];
  axes[first] = second;
  axes[second] = first;
  return transpose(a, { axes });
}

/**
 * Moves axes to new positions, keeping the order of the others (a view).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.moveaxis(mx.zeros([2, 3, 4]), 0, -1).shape); // [3, 4, 2]
 * ```
 */
export function moveaxis(
  a: MxArray,
  source: number | readonly number[],
  destination: number | readonly number[],
  options: OpOptions = {},
): MxArray {
  checkStream("moveaxis", options.stream);
  const ndim = a.ndim;
  const from = axisList("moveaxis", source, ndim);
  const to = axisList("moveaxis", destination, ndim);
  if (from.length !== to.length) {
    throw new MxError("invalid_argument", `[moveaxis] ${from.length} sources but ${to.length} destinations`);
  }
  const rest = [...Array(ndim).keys()].filter((i) => !from.includes(i));
  const order: number[] = new Array(ndim);
  to.forEach((d, i) => (order[d] = from[i]!));
  for (let i = 0; i < ndim; i++) if (order[i] === undefined) order[i] = rest.shift()!;
  return transpose(a, { axes: order });
}

/**
 * `a` broadcast to `shape` (NumPy rules): a view that repeats along broadcast axes.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.broadcastTo(mx.array([1, 2]), [2, 2]).tolist()); // [[1, 2], [1, 2]]
 * ```
 */
export function broadcastTo(a: ArrayLike, shape: ShapeLike, options: OpOptions = {}): MxArray {
  checkStream("broadcast_to", options.stream);
  const dims = toShape("broadcast_to", shape);
  using input = a instanceof MxArray ? null : array(a as number | boolean);
  const source = input ?? (a as MxArray);
  const handle = native.broadcast_to(source.handle("broadcast_to"), int32Arg("broadcast_to", dims, "dimensions"), dims.length);
  return new MxArray(checkHandle(handle));
}

/** The NumPy broadcast of several shapes. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = new Array(ndim).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const at = ndim - shape.length + i;
      const dim = shape[i]!;
      if (dim !== 1 && out[at] !== 1 && out[at] !== dim) {
        throw new MxError(
          "shape_mismatch",
          `[broadcast_shapes] shapes ${shapes.map((s) => `[${s}]`).join(" and ")} cannot be broadcast together`,
        );
      }
      if (dim !== 1) out[at] = dim;
    }
  }
  return out;
}

/**
 * The arrays broadcast to their common shape (views).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [x, y] = mx.broadcastArrays(mx.array([[1], [2]]), mx.array([3, 4]));
 * console.log(x!.shape, y!.shape); // [2, 2] [2, 2]
 * ```
 */
export function broadcastArrays(...arrays: MxArray[]): MxArray[] {
  const shape = broadcastShapes(...arrays.map((a) => a.shape));
  return arrays.map((a) => broadcastTo(a, shape));
}

/** `a` with at least 1, 2 or 3 dimensions (leading size-1 axes for 0-d/1-d; a trailing one for 3-d). */
function atLeast(a: MxArray, ndim: 1 | 2 | 3): MxArray {
  const shape = a.shape;
  if (shape.length >= ndim) return reshape(a, shape);
  if (ndim === 1) return reshape(a, [1]);
  if (ndim === 2) return reshape(a, shape.length === 0 ? [1, 1] : [1, shape[0]!]);
  if (shape.length === 0) return reshape(a, [1, 1, 1]);
  if (shape.length === 1) return reshape(a, [1, shape[0]!, 1]);
  return reshape(a, [...shape, 1]);
}

/**
 * `a` with at least one dimension.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.atleast1d(mx.array(5)).shape); // [1]
 * ```
 */
export function atleast1d(a: MxArray): MxArray;
export function atleast1d(...arrays: MxArray[]): MxArray[];
export function atleast1d(...arrays: MxArray[]): MxArray | MxArray[] {
  const out = arrays.map((a) => atLeast(a, 1));
  return out.length === 1 ? out[0]! : out;
}

/**
 * `a` with at least two dimensions.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.atleast2d(mx.array([1, 2])).shape); // [1, 2]
 * ```
 */
export function atleast2d(a: MxArray): MxArray;
export function atleast2d(...arrays: MxArray[]): MxArray[];
export function atleast2d(...arrays: MxArray[]): MxArray | MxArray[] {
  const out = arrays.map((a) => atLeast(a, 2));
  return out.length === 1 ? out[0]! : out;
}

/**
 * `a` with at least three dimensions.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.atleast3d(mx.array([1, 2])).shape); // [1, 2, 1]
 * ```
 */
export function atleast3d(a: MxArray): MxArray;
export function atleast3d(...arrays: MxArray[]): MxArray[];
export function atleast3d(...arrays: MxArray[]): MxArray | MxArray[] {
  const out = arrays.map((a) => atLeast(a, 3));
  return out.length === 1 ? out[0]! : out;
}

/**
 * A row-major copy of `a` that owns its memory.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const t = mx.copy(mx.transpose(mx.array([[1, 2], [3, 4]])));
 * console.log(t.dataView()); // Float32Array(4) [1, 3, 2, 4]
 * ```
 */
export function copy(a: MxArray, options: OpOptions = {}): MxArray {
  checkStream("copy", options.stream);
  return new MxArray(checkHandle(native.copy(a.handle("copy"))));
}

/**
 * @internal A strided view: on axis i, `sizes[i]` elements from `starts[i]` every `steps[i]`
 * (negative: backwards). Every element taken must lie inside `a`; no clamping.
 */
export function sliceView(
  a: MxArray,
  starts: readonly number[],
  sizes: readonly number[],
  steps: readonly number[],
): MxArray {
  const params = sliceArg("slice", starts, sizes, steps);
  return new MxArray(checkHandle(native.slice(a.handle("slice"), params, starts.length)));
}

/**
 * Reverses the order of the elements along the given axes (default: all). A view (a slice
 * with step -1): no data is copied.
 *
 * @param a The array.
 * @param options `axis`: the axis or axes to reverse (negative counts from the end).
 * @returns A view with those axes reversed (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2, 3], [4, 5, 6]]);
 * console.log(mx.flip(a, { axis: 1 }).tolist()); // [[3, 2, 1], [6, 5, 4]]
 * console.log(mx.flip(a).tolist()); // [[6, 5, 4], [3, 2, 1]]
 * ```
 */
export function flip(a: MxArray, options: { axis?: number | readonly number[]; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("flip", options.stream);
  const shape = a.shape;
  const axes = options.axis === undefined
    ? shape.map((_, i) => i)
    : axisList("flip", options.axis, shape.length);
  const starts = shape.map(() => 0);
  const steps = shape.map(() => 1);
  for (const axis of axes) {
    starts[axis] = Math.max(shape[axis]! - 1, 0);
    steps[axis] = -1;
  }
  return sliceView(a, starts, shape, steps);
}
