/**
 * Joining, splitting and rearranging: concatenate, stack, split, repeat, tile, pad, roll.
 * One native primitive copies (concatenate); everything else is composed from it and the
 * views (slices, reshape, broadcastTo), so split is free and repeat/tile copy once.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, type ArrayLike, MxArray } from "./array.ts";
import { checkHandle, MxError } from "./errors.ts";
import { handlesArg } from "./native_args.ts";
import { astype } from "./ops.ts";
import { broadcastTo, expandDims, normalizeAxis, reshape, sliceView } from "./shapes.ts";
import { checkStream, type OpOptions, type StreamOrDevice } from "./device.ts";

/** Disposes every array of a list (the intermediates of a composed op). */
function disposeAll(arrays: readonly MxArray[]): void {
  for (const a of arrays) a.dispose();
}

/** The native concatenate of `arrays` along `axis`; `op` names the caller in errors. */
function join(op: string, arrays: readonly MxArray[], axis: number): MxArray {
  if (!Number.isInteger(axis) || Math.abs(axis) > 0x7fffffff) {
    throw new MxError("invalid_argument", `[${op}] axis must be an integer; got ${axis}`);
  }
  const handles = arrays.map((a) => a.handle(op));
  return new MxArray(checkHandle(native.concatenate(handlesArg(handles), handles.length, axis)));
}

/** `a` viewed as `size` elements of axis `axis` from `start` (other axes whole). */
function sliceAxis(a: MxArray, axis: number, start: number, size: number): MxArray {
  const shape = a.shape;
  const starts = shape.map((_, i) => (i === axis ? start : 0));
  const sizes = shape.map((d, i) => (i === axis ? size : d));
  return sliceView(a, starts, sizes, shape.map(() => 1));
}

/** A new reference to `a`'s node: what an op returns when it changes nothing. */
function sameArray(a: MxArray): MxArray {
  return reshape(a, a.shape);
}

function checkInteger(op: string, what: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum || value > 0x7fffffff) {
    throw new MxError("invalid_argument", `[${op}] ${what} must be an integer >= ${minimum}; got ${value}`);
  }
}

/** Options of `concatenate`. */
export interface ConcatenateOptions extends OpOptions {
  /** The axis to join along (default 0; negative counts from the end); `null` flattens the
   * arrays first. */
  axis?: number | null;
}

/**
 * Joins arrays along an existing axis. Their dimensions must match except on that axis; the
 * result has the dtype they promote to (MLX's rules). Copies once into a new array.
 *
 * @param arrays The arrays, in order (at least one).
 * @param options `axis` (default 0); `null` joins the flattened arrays.
 * @returns The joined array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]], mx.int32);
 * const b = mx.array([[5.5], [6.5]]);
 * console.log(mx.concatenate([a, b], { axis: 1 }).tolist()); // [[1, 2, 5.5], [3, 4, 6.5]]
 * console.log(mx.concatenate([a, a]).shape); // [4, 2]
 * console.log(mx.concatenate([a, b], { axis: null }).tolist()); // [1, 2, 3, 4, 5.5, 6.5]
 * ```
 */
export function concatenate(arrays: readonly MxArray[], options: ConcatenateOptions = {}): MxArray {
  checkStream("concatenate", options.stream);
  if (arrays.length === 0) throw new MxError("invalid_argument", "[concatenate] no arrays given");
  const axis = options.axis === undefined ? 0 : options.axis;
  if (axis !== null) return join("concatenate", arrays, axis);
  const flat = arrays.map((a) => reshape(a, [a.size]));
  try {
    return join("concatenate", flat, 0);
  } finally {
    disposeAll(flat);
  }
}

/**
 * Joins arrays of the same shape along a new axis.
 *
 * @param arrays The arrays, in order (at least one; all the same shape).
 * @param options `axis`: where the new axis goes in the output (default 0).
 * @returns The stacked array (lazy), with one more dimension.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([1, 2, 3]);
 * const b = mx.array([4, 5, 6]);
 * console.log(mx.stack([a, b]).tolist()); // [[1, 2, 3], [4, 5, 6]]
 * console.log(mx.stack([a, b], { axis: 1 }).tolist()); // [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export function stack(arrays: readonly MxArray[], options: { axis?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("stack", options.stream);
  if (arrays.length === 0) throw new MxError("invalid_argument", "[stack] no arrays given");
  const shapes = arrays.map((a) => a.shape);
  const first = shapes[0]!;
  if (!shapes.every((s) => s.length === first.length && s.every((d, i) => d === first[i]))) {
    const list = shapes.map((s) => `[${s}]`).join(", ");
    throw new MxError("shape_mismatch", `[stack] all arrays must have the same shape; got ${list}`);
  }
  const axis = normalizeAxis("stack", options.axis ?? 0, first.length + 1);
  const expanded = arrays.map((a) => expandDims(a, axis));
  try {
    return join("stack", expanded, axis);
  } finally {
    disposeAll(expanded);
  }
}

/** Python's slice bound: negative counts from the end, then clamped to [0, size]. */
function clampIndex(index: number, size: number): number {
  const resolved = index < 0 ? index + size : index;
  return Math.min(Math.max(resolved, 0), size);
}

/**
 * Splits an array along an axis into views (no copy). A number `n` gives `n` equal pieces
 * (an error if the axis does not divide evenly); a list of indices gives the pieces between
 * them, as NumPy does: `[2, 5]` gives `a[:2]`, `a[2:5]`, `a[5:]`. Indices may be negative,
 * unsorted or past the end; such pieces are empty or clamped.
 *
 * @param a The array.
 * @param indicesOrSections The number of equal pieces, or the indices to split at.
 * @param options `axis` (default 0).
 * @returns The pieces, in order (views of `a`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.arange(6);
 * console.log(mx.split(a, 3).map((p) => p.tolist())); // [[0, 1], [2, 3], [4, 5]]
 * console.log(mx.split(a, [1, 4]).map((p) => p.tolist())); // [[0], [1, 2, 3], [4, 5]]
 * ```
 */
export function split(
  a: MxArray,
  indicesOrSections: number | readonly number[],
  options: { axis?: number; stream?: StreamOrDevice } = {},
): MxArray[] {
  checkStream("split", options.stream);
  const shape = a.shape;
  const axis = normalizeAxis("split", options.axis ?? 0, shape.length);
  const size = shape[axis]!;
  let indices: number[];
  if (typeof indicesOrSections === "number") {
    const sections = indicesOrSections;
    checkInteger("split", "the number of sections", sections, 1);
    if (size % sections !== 0) {
      throw new MxError(
        "invalid_argument",
        `[split] axis ${axis} of shape [${shape}] cannot be split into ${sections} equal sections`,
      );
    }
    indices = Array.from({ length: sections - 1 }, (_, i) => ((i + 1) * size) / sections);
  } else {
    indices = [...indicesOrSections];
    for (const index of indices) {
      if (!Number.isInteger(index)) {
        throw new MxError("invalid_argument", `[split] indices must be integers; got [${indices}]`);
      }
    }
  }
  const pieces: MxArray[] = [];
  let start = 0;
  try {
    for (const stop of [...indices, size]) {
      const from = clampIndex(start, size);
      const to = Math.max(clampIndex(stop, size), from);
      pieces.push(sliceAxis(a, axis, from, to - from));
      start = stop;
    }
  } catch (error) {
    disposeAll(pieces);
    throw error;
  }
  return pieces;
}

/** Options of `repeat`. */
export interface RepeatOptions extends OpOptions {
  /** The axis whose elements are repeated; omitted: the flattened array. */
  axis?: number;
}

/**
 * Repeats each element `repeats` times along an axis (default: of the flattened array).
 *
 * @param a The array.
 * @param repeats How many times each element appears (an integer >= 0).
 * @param options `axis` (default: flatten first).
 * @returns The repeated array (lazy; one copy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]]);
 * console.log(mx.repeat(a, 2).tolist()); // [1, 1, 2, 2, 3, 3, 4, 4]
 * console.log(mx.repeat(a, 2, { axis: 0 }).tolist()); // [[1, 2], [1, 2], [3, 4], [3, 4]]
 * ```
 */
export function repeat(a: MxArray, repeats: number, options: RepeatOptions = {}): MxArray {
  checkStream("repeat", options.stream);
  checkInteger("repeat", "repeats", repeats, 0);
  if (options.axis === undefined) {
    using flat = reshape(a, [a.size]);
    return repeatAlong(flat, repeats, 0);
  }
  return repeatAlong(a, repeats, normalizeAxis("repeat", options.axis, a.ndim));
}

/** Each element of axis `axis` `repeats` times: a size-`repeats` broadcast axis after it,
 * merged into it by a (copying) reshape. */
function repeatAlong(a: MxArray, repeats: number, axis: number): MxArray {
  const shape = a.shape;
  using expanded = expandDims(a, axis + 1);
  using broadcast = broadcastTo(expanded, [...shape.slice(0, axis + 1), repeats, ...shape.slice(axis + 1)]);
  const out = [...shape];
  out[axis] = shape[axis]! * repeats;
  return reshape(broadcast, out);
}

/**
 * Repeats the whole array `reps` times along each axis. With more reps than dimensions, the
 * array gains leading axes; with fewer, the reps apply to the last axes.
 *
 * @param a The array.
 * @param reps The repetitions per axis (integers >= 0), or one number for the last axis.
 * @returns The tiled array (lazy; one copy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]]);
 * console.log(mx.tile(a, 2).tolist()); // [[1, 2, 1, 2], [3, 4, 3, 4]]
 * console.log(mx.tile(a, [2, 1]).tolist()); // [[1, 2], [3, 4], [1, 2], [3, 4]]
 * ```
 */
export function tile(a: MxArray, reps: number | readonly number[], options: OpOptions = {}): MxArray {
  checkStream("tile", options.stream);
  const given = typeof reps === "number" ? [reps] : [...reps];
  for (const rep of given) checkInteger("tile", "reps", rep, 0);
  const dims = a.shape;
  const ndim = Math.max(dims.length, given.length);
  const shape = [...new Array<number>(ndim - dims.length).fill(1), ...dims];
  const counts = [...new Array<number>(ndim - given.length).fill(1), ...given];
  // Each repeated axis gets a broadcast axis of size reps in front of it.
  const expandShape: number[] = [];
  const broadcastShape: number[] = [];
  shape.forEach((dim, i) => {
    const count = counts[i]!;
    if (count !== 1) {
      expandShape.push(1);
      broadcastShape.push(count);
    }
    expandShape.push(dim);
    broadcastShape.push(dim);
  });
  using expanded = reshape(a, expandShape);
  using broadcast = broadcastTo(expanded, broadcastShape);
  return reshape(broadcast, shape.map((dim, i) => dim * counts[i]!));
}

/**
 * Padding widths: one number for both sides of every axis, one `[before, after]` pair for
 * every axis (also written `[[before, after]]`), or one pair per axis.
 */
export type PadWidth = number | readonly number[] | readonly (readonly number[])[];

/** Options of `pad`. */
export interface PadOptions extends OpOptions {
  /** `"constant"` (default) fills with `constantValues`; `"edge"` repeats the border values. */
  mode?: "constant" | "edge";
  /** The fill value of constant mode (default 0), converted to the array's dtype. */
  constantValues?: ArrayLike;
}

/** [before, after] per axis, validated. */
function padPairs(padWidth: PadWidth, ndim: number): [number, number][] {
  const invalid = (detail: string) =>
    new MxError("invalid_argument", `[pad] ${detail}; got ${JSON.stringify(padWidth)} for ${ndim} axes`);
  let pairs: (readonly number[])[];
  if (typeof padWidth === "number") pairs = new Array(ndim).fill([padWidth, padWidth]);
  else if (padWidth.every((w) => typeof w === "number")) pairs = new Array(ndim).fill(padWidth);
  else if (padWidth.every((w) => Array.isArray(w))) {
    const list = padWidth as readonly (readonly number[])[];
    if (list.length !== 1 && list.length !== ndim) throw invalid("give one pair, or one per axis");
    pairs = list.length === 1 ? new Array(ndim).fill(list[0]) : [...list];
  } else throw invalid("widths are a number, a pair, or a list of pairs");
  return pairs.map((pair, axis) => {
    if (pair.length !== 1 && pair.length !== 2) throw invalid("each pair is [before, after]");
    const before = pair[0]!;
    const after = pair[pair.length - 1]!;
    for (const [side, width] of [["before", before], ["after", after]] as const) {
      if (!Number.isInteger(width) || width < 0) {
        throw new MxError(
          "invalid_argument",
          `[pad] padding widths must be integers >= 0; got ${width} ${side} axis ${axis}`,
        );
      }
    }
    return [before, after];
  });
}

/**
 * Pads an array: `padWidth` elements before and after each axis, filled with a constant or
 * with copies of the edge values.
 *
 * @param a The array.
 * @param padWidth The widths (see `PadWidth`); each >= 0.
 * @param options `mode` (`"constant"` or `"edge"`) and `constantValues` (default 0).
 * @returns The padded array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]], mx.int32);
 * console.log(mx.pad(a, 1).tolist()); // [[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]]
 * console.log(mx.pad(a, [[0, 0], [1, 2]], { mode: "edge" }).tolist()); // [[1, 1, 2, 2, 2], [3, 3, 4, 4, 4]]
 * console.log(mx.pad(mx.array([1, 2]), [1, 0], { constantValues: 9 }).tolist()); // [9, 1, 2]
 * ```
 */
export function pad(a: MxArray, padWidth: PadWidth, options: PadOptions = {}): MxArray {
  checkStream("pad", options.stream);
  const mode = options.mode ?? "constant";
  if (mode !== "constant" && mode !== "edge") {
    throw new MxError("invalid_argument", `[pad] mode must be "constant" or "edge"; got ${String(mode)}`);
  }
  const pairs = padPairs(padWidth, a.ndim);
  if (mode === "edge") return padAxes(a, pairs, edgeBlocks);
  using fill = padValue(options.constantValues ?? 0, a);
  return padAxes(a, pairs, (current, axis, before, after) => {
    const shape = current.shape;
    const block = (width: number) => broadcastTo(fill, shape.map((d, i) => (i === axis ? width : d)));
    return [before > 0 ? block(before) : undefined, after > 0 ? block(after) : undefined];
  });
}

/** The constant of constant padding as a 0-d array of `a`'s dtype. */
function padValue(value: ArrayLike, a: MxArray): MxArray {
  if (!(value instanceof MxArray)) return array(value, a.dtype);
  if (value.size !== 1) {
    throw new MxError(
      "invalid_argument",
      `[pad] constantValues must be a scalar; got shape [${value.shape}]`,
    );
  }
  using scalar = reshape(value, []);
  return astype(scalar, a.dtype);
}

/** The blocks to put before and after `current` on `axis` (undefined: none). */
type Blocks = (
  current: MxArray,
  axis: number,
  before: number,
  after: number,
) => [MxArray | undefined, MxArray | undefined];

/** Pads one axis at a time: joins [before block, array, after block] along it. */
function padAxes(a: MxArray, pairs: [number, number][], blocks: Blocks): MxArray {
  let current = sameArray(a);
  for (const [axis, [before, after]] of pairs.entries()) {
    if (before === 0 && after === 0) continue;
    using previous = current;
    const [head, tail] = blocks(previous, axis, before, after);
    const parts = [head, previous, tail].filter((p): p is MxArray => p !== undefined);
    try {
      current = join("pad", parts, axis);
    } finally {
      head?.dispose();
      tail?.dispose();
    }
  }
  return current;
}

/** Edge mode: the first and last slice of the axis, broadcast to the widths. */
const edgeBlocks: Blocks = (current, axis, before, after) => {
  const shape = current.shape;
  const size = shape[axis]!;
  if (size === 0) {
    throw new MxError("invalid_argument", `[pad] cannot edge-pad axis ${axis} of size 0 (shape [${shape}])`);
  }
  const block = (start: number, width: number) => {
    using edge = sliceAxis(current, axis, start, 1);
    return broadcastTo(edge, shape.map((d, i) => (i === axis ? width : d)));
  };
  return [before > 0 ? block(0, before) : undefined, after > 0 ? block(size - 1, after) : undefined];
};

/** Options of `roll`. */
export interface RollOptions extends OpOptions {
  /** The axis or axes to roll; omitted: the flattened array (then reshaped back). */
  axis?: number | readonly number[];
}

/**
 * Shifts elements along axes, wrapping around: element `i` moves to `i + shift` (mod the
 * size). One shift with several axes rolls each by it; several shifts with one axis (or none)
 * roll by their sum; lists of shifts and axes pair up.
 *
 * @param a The array.
 * @param shift The shift or shifts (negative: towards the start).
 * @param options `axis` (default: the flattened array).
 * @returns The rolled array (lazy; one copy per axis).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[0, 1, 2], [3, 4, 5]]);
 * console.log(mx.roll(a, 1).tolist()); // [[5, 0, 1], [2, 3, 4]]
 * console.log(mx.roll(a, -1, { axis: 1 }).tolist()); // [[1, 2, 0], [4, 5, 3]]
 * console.log(mx.roll(a, [1, 1], { axis: [0, 1] }).tolist()); // [[5, 3, 4], [2, 0, 1]]
 * ```
 */
export function roll(a: MxArray, shift: number | readonly number[], options: RollOptions = {}): MxArray {
  checkStream("roll", options.stream);
  const shifts = typeof shift === "number" ? [shift] : [...shift];
  for (const s of shifts) {
    if (!Number.isSafeInteger(s)) {
      throw new MxError("invalid_argument", `[roll] shifts must be integers; got [${shifts}]`);
    }
  }
  const total = shifts.reduce((x, y) => x + y, 0);
  if (options.axis === undefined) {
    using flat = reshape(a, [a.size]);
    using rolled = rollAxis(flat, total, 0);
    return reshape(rolled, a.shape);
  }
  const ndim = a.ndim;
  if (typeof options.axis === "number") return rollAxis(a, total, normalizeAxis("roll", options.axis, ndim));
  const axes = options.axis.map((axis) => normalizeAxis("roll", axis, ndim));
  if (typeof shift !== "number" && shifts.length !== axes.length) {
    throw new MxError("invalid_argument", `[roll] ${shifts.length} shifts given for ${axes.length} axes`);
  }
  let current = sameArray(a);
  axes.forEach((axis, i) => {
    using previous = current;
    current = rollAxis(previous, typeof shift === "number" ? shift : shifts[i]!, axis);
  });
  return current;
}

/** `a` rolled by `shift` along `axis`: the last `shift` elements, then the rest. */
function rollAxis(a: MxArray, shift: number, axis: number): MxArray {
  const size = a.shape[axis]!;
  const amount = size === 0 ? 0 : ((shift % size) + size) % size;
  if (amount === 0) return sameArray(a);
  using head = sliceAxis(a, axis, size - amount, amount);
  using tail = sliceAxis(a, axis, 0, size - amount);
  return join("roll", [head, tail], axis);
}
