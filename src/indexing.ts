/**
 * Indexing: `take`, `takeAlongAxis`, `putAlongAxis`, NumPy-style indexing (`mx.index` /
 * `a.get(...)`: integers, slices with negative steps, `mx.newaxis`, `"..."`, integer arrays)
 * and indexed updates (`a.at(...).set/add/multiply/maximum/minimum`), which return new
 * arrays. Basic indexing (integers, slices, new axes) gives views; integer-array indexing
 * gathers. Out-of-range indices are errors, never out-of-bounds reads.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, type ArrayLike, MxArray } from "./array.ts";
import { int64 } from "./dtype.ts";
import { arange, zeros } from "./creation.ts";
import { add } from "./elementwise.ts";
import { astype } from "./ops.ts";
import { checkHandle, MxError } from "./errors.ts";
import { handlesArg, ndimMax } from "./native_args.ts";
import { broadcastShapes, normalizeAxis, reshape, transpose } from "./shapes.ts";
import { checkStream, type OpOptions, type StreamOrDevice } from "./device.ts";

/** A slice `start:stop:step`; omitted parts take Python's defaults. */
export interface Slice {
  readonly start?: number | null;
  readonly stop?: number | null;
  readonly step?: number | null;
}

/** Inserts a size-1 axis when used as an index (NumPy's `None`). */
export const newaxis: null = null;

/**
 * One index: an integer, a slice (an object or a string such as `"1:3"`, `"::-1"`, `":"`),
 * `"..."` (all remaining axes), `null`/`mx.newaxis` (a new size-1 axis), or an integer array
 * (an `MxArray` or a JavaScript array of integers).
 */
export type Index = number | Slice | string | null | MxArray | readonly number[];

/**
 * Two uses, by the first argument:
 * - `mx.slice(start, stop, step)`: a slice object for indexing (`a.get(mx.slice(1, 3))`);
 * - `mx.slice(a, startIndices, axes, sliceSize)`: MLX's dynamic slice: a block of shape
 *   `sliceSize` (one size per axis of `a`) starting, on each of `axes`, at the matching entry
 *   of `startIndices` (an array, so the start may be computed), at 0 on the other axes. A block
 *   reaching outside `a` is an error at evaluation (MLX reads out of bounds).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.index(mx.arange(6), mx.slice(null, null, -2)).tolist()); // [5, 3, 1]
 * const a = mx.reshape(mx.arange(12), [3, 4]);
 * console.log(mx.slice(a, mx.array([1, 1], mx.int32), [0, 1], [2, 2]).tolist()); // [[5, 6], [9, 10]]
 * ```
 */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice;
export function slice(
  a: MxArray,
  startIndices: MxArray | readonly number[],
  axes: readonly number[],
  sliceSize: readonly number[],
  options?: OpOptions,
): MxArray;
export function slice(
  first?: number | null | MxArray,
  second?: number | null | MxArray | readonly number[],
  third?: number | null | readonly number[],
  sliceSize?: readonly number[],
  options: OpOptions = {},
): Slice | MxArray {
  if (first instanceof MxArray) {
    checkStream("slice", options.stream);
    const arrays = blockIndexArrays("slice", first, second as MxArray | readonly number[], third as readonly number[], sliceSize!);
    try {
      return gatherAll("slice", first, arrays);
    } finally {
      for (const x of arrays) x.dispose();
    }
  }
  return { start: first, stop: second as number | null | undefined, step: third as number | null | undefined };
}

/**
 * A copy of `a` with `update` written at the block starting, on each of `axes`, at the
 * matching entry of `startIndices` (MLX's `slice_update`). The block must lie inside `a`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.zeros([3, 4], mx.int32);
 * console.log(mx.sliceUpdate(a, mx.array([[7, 8]], mx.int32), [1, 2], [0, 1]).tolist());
 * // [[0, 0, 0, 0], [0, 0, 7, 8], [0, 0, 0, 0]]
 * ```
 */
export function sliceUpdate(
  a: MxArray,
  update: MxArray,
  startIndices: MxArray | readonly number[],
  axes: readonly number[],
  options: OpOptions = {},
): MxArray {
  checkStream("slice_update", options.stream);
  if (update.ndim !== a.ndim) {
    throw new MxError(
      "shape_mismatch",
      `[slice_update] the update (shape [${update.shape}]) needs the array's ${a.ndim} dimensions`,
    );
  }
  const arrays = blockIndexArrays("slice_update", a, startIndices, axes, update.shape);
  try {
    return scatterAll("set", a, arrays, update);
  } finally {
    for (const x of arrays) x.dispose();
  }
}

/** One int64 index array per axis of `a` addressing the block `sizes` at the dynamic starts. */
function blockIndexArrays(
  op: string,
  a: MxArray,
  startIndices: MxArray | readonly number[],
  axes: readonly number[],
  sizes: readonly number[],
): MxArray[] {
  const ndim = a.ndim;
  if (sizes.length !== ndim) {
    throw new MxError("invalid_argument", `[${op}] ${sizes.length} slice sizes given for an array of shape [${a.shape}]`);
  }
  const resolved = axes.map((axis) => normalizeAxis(op, axis, ndim));
  using starts = startIndices instanceof MxArray ? reshape(startIndices, [startIndices.size]) : array([...startIndices], int64);
  if (starts.size !== resolved.length) {
    throw new MxError("invalid_argument", `[${op}] ${starts.size} start indices given for ${resolved.length} axes`);
  }
  const arrays: MxArray[] = [];
  try {
    for (let d = 0; d < ndim; d++) {
      const target = new Array(ndim).fill(1);
      target[d] = sizes[d]!;
      using range = arange(0, sizes[d]!, { dtype: int64 });
      using placed = reshape(range, target);
      const k = resolved.indexOf(d);
      if (k === -1) {
        arrays.push(reshape(placed, target));
        continue;
      }
      using start = index(starts, k);
      using start64 = astype(start, int64);
      arrays.push(add(placed, start64));
    }
  } catch (error) {
    for (const x of arrays) x.dispose();
    throw error;
  }
  return arrays;
}

type Parsed =
  | { kind: "int"; value: number }
  | { kind: "slice"; start: number | null; stop: number | null; step: number | null }
  | { kind: "newaxis" }
  | { kind: "ellipsis" }
  | { kind: "array"; array: MxArray; owned: boolean };

function parseSliceString(text: string): Parsed {
  const parts = text.split(":");
  if (parts.length < 2 || parts.length > 3) {
    throw new MxError("invalid_argument", `[index] "${text}" is not a slice; write "start:stop:step" or "..."`);
  }
  const bound = (part: string | undefined): number | null => {
    if (part === undefined || part.trim() === "") return null;
    const value = Number(part);
    if (!Number.isInteger(value)) throw new MxError("invalid_argument", `[index] "${text}" has a non-integer bound`);
    return value;
  };
  return { kind: "slice", start: bound(parts[0]), stop: bound(parts[1]), step: bound(parts[2]) };
}

function parse(item: Index): Parsed {
  if (item === null) return { kind: "newaxis" };
  if (typeof item === "number") {
    if (!Number.isInteger(item)) throw new MxError("invalid_argument", `[index] index ${item} is not an integer`);
    return { kind: "int", value: item };
  }
  if (typeof item === "string") return item.trim() === "..." ? { kind: "ellipsis" } : parseSliceString(item);
  if (item instanceof MxArray) {
    if (item.dtype.category !== "signedinteger" && item.dtype.category !== "unsignedinteger") {
      throw new MxError("dtype_mismatch", `[index] index arrays must be integers, got ${item.dtype}`);
    }
    return { kind: "array", array: item, owned: false };
  }
  if (Array.isArray(item)) return { kind: "array", array: array(item as number[], int64), owned: true };
  const s = item as Slice;
  for (const part of [s.start, s.stop, s.step]) {
    if (part !== undefined && part !== null && !Number.isInteger(part)) {
      throw new MxError("invalid_argument", `[index] slice bounds must be integers; got ${part}`);
    }
  }
  return { kind: "slice", start: s.start ?? null, stop: s.stop ?? null, step: s.step ?? null };
}

/** Python's `slice.indices(dim)`: the clamped start, the step and the number taken. */
function resolveSlice(s: { start: number | null; stop: number | null; step: number | null }, dim: number) {
  const step = s.step ?? 1;
  if (step === 0) throw new MxError("invalid_argument", "[index] slice step cannot be zero");
  const clamp = (value: number | null, fallback: number, low: number, high: number) => {
    if (value === null) return fallback;
    const v = value < 0 ? value + dim : value;
    return Math.min(Math.max(v, low), high);
  };
  const start = step > 0 ? clamp(s.start, 0, 0, dim) : clamp(s.start, dim - 1, -1, dim - 1);
  const stop = step > 0 ? clamp(s.stop, dim, 0, dim) : clamp(s.stop, -1, -1, dim - 1);
  const size = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
  return { start: size === 0 ? 0 : start, step, size };
}

/** The index list with the ellipsis expanded and each source axis paired with its item. */
function expand(op: string, a: MxArray, items: readonly Index[]): Parsed[] {
  const parsed = items.map(parse);
  const ellipses = parsed.filter((p) => p.kind === "ellipsis").length;
  if (ellipses > 1) throw new MxError("invalid_argument", `[${op}] an index can have only one ellipsis ("...")`);
  const consuming = parsed.filter((p) => p.kind !== "newaxis" && p.kind !== "ellipsis").length;
  if (consuming > a.ndim) {
    throw new MxError("invalid_argument", `[${op}] too many indices (${consuming}) for an array of shape [${a.shape}]`);
  }
  const fill: Parsed[] = Array.from({ length: a.ndim - consuming }, () => ({ kind: "slice", start: null, stop: null, step: null }));
  const at = parsed.findIndex((p) => p.kind === "ellipsis");
  return at === -1 ? [...parsed, ...fill] : [...parsed.slice(0, at), ...fill, ...parsed.slice(at + 1)];
}

function release(parsed: Parsed[]): void {
  for (const p of parsed) if (p.kind === "array" && p.owned) p.array.dispose();
}

function checkInt(op: string, value: number, dim: number, axis: number): number {
  if (value < -dim || value >= dim) {
    throw new MxError("invalid_argument", `[${op}] index ${value} is out of bounds for axis ${axis} with size ${dim}`);
  }
  return value < 0 ? value + dim : value;
}

/** Basic indexing (no arrays): one strided view, then a reshape for ints and new axes. */
function basic(op: string, a: MxArray, parsed: Parsed[]): MxArray {
  const shape = a.shape;
  const starts: number[] = [];
  const sizes: number[] = [];
  const steps: number[] = [];
  const outShape: number[] = [];
  let axis = 0;
  for (const p of parsed) {
    if (p.kind === "newaxis") {
      outShape.push(1);
      continue;
    }
    const dim = shape[axis]!;
    if (p.kind === "int") {
      starts.push(checkInt(op, p.value, dim, axis));
      sizes.push(1);
      steps.push(1);
    } else if (p.kind === "slice") {
      const r = resolveSlice(p, dim);
      starts.push(r.start);
      sizes.push(r.size);
      steps.push(r.step);
      outShape.push(r.size);
    }
    axis++;
  }
  const params = sliceArg(starts, sizes, steps);
  using view = new MxArray(checkHandle(native.slice(a.handle(op), params, shape.length)));
  return reshape(view, outShape);
}

/** Reused buffer for the native slice's starts, sizes and steps (ndim each, ndim <= 16). */
const sliceParams = new Int32Array(3 * ndimMax);

function sliceArg(starts: number[], sizes: number[], steps: number[]): Int32Array {
  const n = starts.length;
  sliceParams.set(starts, 0);
  sliceParams.set(sizes, n);
  sliceParams.set(steps, 2 * n);
  return sliceParams;
}

/**
 * One int64 index array per source axis whose broadcast shape is NumPy's result shape for
 * this index (advanced indices together where they stand if adjacent, else first).
 */
function advancedIndexArrays(op: string, a: MxArray, parsed: Parsed[]): { arrays: MxArray[]; shape: number[] } {
  const shape = a.shape;
  const advancedPositions = parsed.flatMap((p, i) => (p.kind === "array" || p.kind === "int" ? [i] : []));
  const adjacent = advancedPositions.every((p, i) => i === 0 || p === advancedPositions[i - 1]! + 1);
  const advancedShapes = advancedPositions.map((i) => {
    const p = parsed[i]!;
    return p.kind === "array" ? p.array.shape : [];
  });
  const block = broadcastShapes(...advancedShapes);
  // The output dims, in order: "block" once, and one per slice or new axis.
  const layout: ({ kind: "block" } | { kind: "dim"; size: number })[] = [];
  const dimOf = new Map<number, number>(); // parsed position -> output dim
  let blockAt = adjacent ? -1 : 0;
  if (!adjacent) layout.push({ kind: "block" });
  let axis = 0;
  const resolved = new Map<number, { start: number; step: number; size: number }>();
  parsed.forEach((p, i) => {
    if (p.kind === "newaxis") {
      layout.push({ kind: "dim", size: 1 });
      return;
    }
    const dim = shape[axis]!;
    if (p.kind === "slice") {
      const r = resolveSlice(p, dim);
      resolved.set(i, r);
      dimOf.set(i, layout.length);
      layout.push({ kind: "dim", size: r.size });
    } else if (adjacent && blockAt === -1) {
      blockAt = layout.length;
      layout.push({ kind: "block" });
    }
    if (p.kind === "int") checkInt(op, p.value, dim, axis);
    axis++;
  });
  const outShape: number[] = [];
  const firstDim: number[] = [];
  for (const entry of layout) {
    firstDim.push(outShape.length);
    if (entry.kind === "block") outShape.push(...block);
    else outShape.push(entry.size);
  }
  const blockStart = firstDim[layout.findIndex((e) => e.kind === "block")]!;
  const arrays: MxArray[] = [];
  try {
    axis = 0;
    parsed.forEach((p, i) => {
      if (p.kind === "newaxis") return;
      const target = new Array(outShape.length).fill(1);
      let values: MxArray;
      if (p.kind === "slice") {
        const r = resolved.get(i)!;
        const dimAt = firstDim[dimOf.get(i)!]!;
        target[dimAt] = r.size;
        using range = arange(r.start, r.start + r.size * r.step, { step: r.step, dtype: int64 });
        values = reshape(range, target);
      } else {
        const source = p.kind === "array" ? p.array : null;
        const own: number[] = source ? source.shape : [];
        own.forEach((d, k) => (target[blockStart + block.length - own.length + k] = d));
        using scalar = source ? null : array([p.kind === "int" ? p.value : 0], int64);
        values = reshape(source ?? scalar!, target);
      }
      arrays.push(values);
      axis++;
    });
  } catch (error) {
    for (const x of arrays) x.dispose();
    throw error;
  }
  return { arrays, shape: outShape };
}

function handlesOf(op: string, arrays: MxArray[]): Uint32Array {
  return handlesArg(arrays.map((x) => x.handle(op)));
}

function gatherAll(op: string, a: MxArray, arrays: MxArray[]): MxArray {
  return new MxArray(checkHandle(native.gather(a.handle(op), handlesOf(op, arrays), arrays.length)));
}

const scatterCodes = { set: 0, add: 1, multiply: 2, maximum: 3, minimum: 4 } as const;

function scatterAll(op: keyof typeof scatterCodes, a: MxArray, arrays: MxArray[], updates: MxArray): MxArray {
  const list = handlesOf(op, arrays);
  const handle = native.scatter(scatterCodes[op], a.handle(op), list, arrays.length, updates.handle(op));
  return new MxArray(checkHandle(handle));
}

/**
 * NumPy/MLX indexing: `mx.index(a, 0, "1:3", mx.newaxis, "...", mx.array([2, 0]))` is
 * `a[0, 1:3, None, ..., [2, 0]]`. Integers, slices and new axes give views; integer arrays
 * gather (NumPy's advanced indexing, including where the indexed axes land).
 *
 * @param a The array.
 * @param items The index, one item per axis (fewer: the rest are taken whole).
 * @returns The indexed array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.reshape(mx.arange(12), [3, 4]);
 * console.log(mx.index(a, 1).tolist(), mx.index(a, ":", "::-2").tolist());
 * // [4, 5, 6, 7] [[3, 1], [7, 5], [11, 9]]
 * console.log(mx.index(a, [2, 0], 1).tolist()); // [9, 1]
 * ```
 */
export function index(a: MxArray, ...items: Index[]): MxArray {
  a.handle("index");
  const parsed = expand("index", a, items);
  try {
    if (!parsed.some((p) => p.kind === "array")) return basic("index", a, parsed);
    const { arrays } = advancedIndexArrays("index", a, parsed);
    try {
      return gatherAll("index", a, arrays);
    } finally {
      for (const x of arrays) x.dispose();
    }
  } finally {
    release(parsed);
  }
}

/**
 * Indexed updates that return a new array, as MLX's `a.at[...]`: `set` writes (with
 * repeated indices the last write wins), `add`, `multiply`, `maximum` and `minimum`
 * accumulate over repeated indices. Values convert to `a`'s dtype and broadcast to the
 * indexed shape.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.zeros([3]);
 * console.log(mx.at(a, [0, 0, 2]).add(1).tolist()); // [2, 0, 1]
 * console.log(mx.at(a, "1:").set(mx.array([5, 6])).tolist()); // [0, 5, 6]
 * ```
 */
export function at(a: MxArray, ...items: Index[]): IndexedUpdate {
  return new IndexedUpdate(a, items);
}

/** The pending update of `mx.at(a, ...index)`. */
export class IndexedUpdate {
  readonly #array: MxArray;
  readonly #items: Index[];

  /** @internal */
  constructor(array: MxArray, items: Index[]) {
    this.#array = array;
    this.#items = items;
  }

  #apply(op: keyof typeof scatterCodes, values: ArrayLike): MxArray {
    const a = this.#array;
    a.handle(op);
    const parsed = expand(op, a, this.#items);
    try {
      const { arrays, shape } = advancedIndexArrays(op, a, parsed.map((p) => p));
      try {
        using given = values instanceof MxArray ? null : array(values as number | boolean, a.dtype);
        const source = given ?? (values as MxArray);
        // Values may carry extra leading size-1 axes (MLX drops them).
        const extra = source.ndim - shape.length;
        const squeezed = extra > 0 && source.shape.slice(0, extra).every((d) => d === 1)
          ? reshape(source, source.shape.slice(extra))
          : null;
        try {
          return scatterAll(op, a, arrays, squeezed ?? source);
        } finally {
          squeezed?.dispose();
        }
      } finally {
        for (const x of arrays) x.dispose();
      }
    } finally {
      release(parsed);
    }
  }

  /** Writes `values` at the index. */
  set(values: ArrayLike): MxArray {
    return this.#apply("set", values);
  }

  /** Adds `values` at the index (repeated indices accumulate). */
  add(values: ArrayLike): MxArray {
    return this.#apply("add", values);
  }

  /** Multiplies by `values` at the index (repeated indices accumulate). */
  multiply(values: ArrayLike): MxArray {
    return this.#apply("multiply", values);
  }

  /** The element-wise maximum with `values` at the index. */
  maximum(values: ArrayLike): MxArray {
    return this.#apply("maximum", values);
  }

  /** The element-wise minimum with `values` at the index. */
  minimum(values: ArrayLike): MxArray {
    return this.#apply("minimum", values);
  }
}

function indexArray(indices: MxArray | number | readonly number[]): { array: MxArray; owned: boolean } {
  if (indices instanceof MxArray) return { array: indices, owned: false };
  return { array: array(typeof indices === "number" ? indices : [...indices], int64), owned: true };
}

/**
 * Elements at `indices` along `axis` (of the flattened array when omitted); the result has
 * `indices`' shape in place of that axis.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4], [5, 6]]);
 * console.log(mx.take(a, [2, 0], { axis: 0 }).tolist()); // [[5, 6], [1, 2]]
 * ```
 */
export function take(a: MxArray, indices: MxArray | number | readonly number[], options: { axis?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("take", options.stream);
  const idx = indexArray(indices);
  try {
    if (options.axis === undefined) {
      using flat = reshape(a, [a.size]);
      return index(flat, idx.array);
    }
    const axis = normalizeAxis("take", options.axis, a.ndim);
    const items: Index[] = Array.from({ length: a.ndim }, () => ":");
    items[axis] = idx.array;
    return index(a, ...items);
  } finally {
    if (idx.owned) idx.array.dispose();
  }
}

function alongAxisArrays(op: string, a: MxArray, indices: MxArray, axis: number): MxArray[] {
  if (indices.ndim !== a.ndim) {
    throw new MxError(
      "shape_mismatch",
      `[${op}] indices of shape [${indices.shape}] need as many dimensions as the array (shape [${a.shape}])`,
    );
  }
  const shape = a.shape;
  return shape.map((dim, d) => {
    if (d === axis) return reshape(indices, indices.shape);
    const target = shape.map(() => 1);
    target[d] = dim;
    using range = arange(0, dim, { dtype: int64 });
    return reshape(range, target);
  });
}

/**
 * Elements picked along `axis` by `indices`, which has the array's number of dimensions and
 * broadcasts against it on the other axes (flattened when `axis` is omitted).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[10, 30, 20], [60, 40, 50]]);
 * console.log(mx.takeAlongAxis(a, mx.argmax(a, { axis: 1, keepdims: true }), { axis: 1 }).tolist()); // [[30], [60]]
 * ```
 */
export function takeAlongAxis(a: MxArray, indices: MxArray, options: { axis?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("take_along_axis", options.stream);
  if (options.axis === undefined) {
    using flat = reshape(a, [a.size]);
    using flatIndices = reshape(indices, [indices.size]);
    return takeAlongAxis(flat, flatIndices, { axis: 0 });
  }
  const axis = normalizeAxis("take_along_axis", options.axis, a.ndim);
  const arrays = alongAxisArrays("take_along_axis", a, indices, axis);
  try {
    return gatherAll("take_along_axis", a, arrays);
  } finally {
    for (const x of arrays) x.dispose();
  }
}

/**
 * A copy of `a` with `values` written at `indices` along `axis` (the inverse of
 * `takeAlongAxis`; with repeated indices the last write wins).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.zeros([2, 3]);
 * console.log(mx.putAlongAxis(a, mx.array([[1], [2]], mx.int32), 7, { axis: 1 }).tolist()); // [[0, 7, 0], [0, 0, 7]]
 * ```
 */
export function putAlongAxis(
  a: MxArray,
  indices: MxArray,
  values: ArrayLike,
  options: { axis?: number; stream?: StreamOrDevice } = {},
): MxArray {
  checkStream("put_along_axis", options.stream);
  if (options.axis === undefined) {
    using flat = reshape(a, [a.size]);
    using flatIndices = reshape(indices, [indices.size]);
    using flatValues = values instanceof MxArray ? reshape(values, [values.size]) : null;
    using result = putAlongAxis(flat, flatIndices, flatValues ?? values, { axis: 0 });
    return reshape(result, a.shape);
  }
  const axis = normalizeAxis("put_along_axis", options.axis, a.ndim);
  const arrays = alongAxisArrays("put_along_axis", a, indices, axis);
  try {
    using given = values instanceof MxArray ? null : array(values as number | boolean, a.dtype);
    return scatterAll("set", a, arrays, given ?? (values as MxArray));
  } finally {
    for (const x of arrays) x.dispose();
  }
}

/**
 * The `offset`-th diagonal of the 2-d slices over `axis1` and `axis2`, as the last axis of
 * the result (a gathered copy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.reshape(mx.arange(9), [3, 3]);
 * console.log(mx.diagonal(a).tolist(), mx.diagonal(a, { offset: 1 }).tolist()); // [0, 4, 8] [1, 5]
 * ```
 */
export function diagonal(
  a: MxArray,
  options: { offset?: number; axis1?: number; axis2?: number; stream?: StreamOrDevice } = {},
): MxArray {
  checkStream("diagonal", options.stream);
  const ndim = a.ndim;
  if (ndim < 2) throw new MxError("invalid_argument", `[diagonal] needs at least 2 dimensions; got shape [${a.shape}]`);
  const offset = options.offset ?? 0;
  const axis1 = normalizeAxis("diagonal", options.axis1 ?? 0, ndim);
  const axis2 = normalizeAxis("diagonal", options.axis2 ?? 1, ndim);
  if (axis1 === axis2) throw new MxError("invalid_argument", "[diagonal] axis1 and axis2 cannot be the same axis");
  if (!Number.isInteger(offset)) throw new MxError("invalid_argument", `[diagonal] offset must be an integer; got ${offset}`);
  const shape = a.shape;
  const rows = shape[axis1]!;
  const cols = shape[axis2]!;
  const length = Math.max(0, Math.min(rows - Math.max(0, -offset), cols - Math.max(0, offset)));
  const rest = [...Array(ndim).keys()].filter((d) => d !== axis1 && d !== axis2);
  using moved = transpose(a, { axes: [...rest, axis1, axis2] });
  using rowIndex = arange(Math.max(0, -offset), Math.max(0, -offset) + length, { dtype: int64 });
  using colIndex = arange(Math.max(0, offset), Math.max(0, offset) + length, { dtype: int64 });
  return index(moved, "...", rowIndex, colIndex);
}

/**
 * From a 1-d array, the square matrix with it on the `k`-th diagonal; from a 2-d array, its
 * `k`-th diagonal.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.diag(mx.array([1, 2])).tolist()); // [[1, 0], [0, 2]]
 * ```
 */
export function diag(a: MxArray, options: { k?: number; stream?: StreamOrDevice } = {}): MxArray {
  checkStream("diag", options.stream);
  const k = options.k ?? 0;
  if (a.ndim === 2) return diagonal(a, { offset: k });
  if (a.ndim !== 1) throw new MxError("invalid_argument", `[diag] needs a 1-d or 2-d array; got shape [${a.shape}]`);
  const n = a.size + Math.abs(k);
  using square = zeros([n, n], a.dtype);
  using rowIndex = arange(Math.max(0, -k), Math.max(0, -k) + a.size, { dtype: int64 });
  using colIndex = arange(Math.max(0, k), Math.max(0, k) + a.size, { dtype: int64 });
  return at(square, rowIndex, colIndex).set(a);
}
