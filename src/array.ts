/**
 * `MxArray`: a lazy n-dimensional array held by the native library, and `mx.array` to make
 * one from JavaScript data.
 *
 * @module
 */

import { native, runtime } from "../ffi/loader.ts";
import {
  bool,
  type Dtype,
  dtypeCode,
  dtypeFromCode,
  float16,
  float32,
  float64,
  int16,
  int32,
  int64,
  int8,
  uint16,
  uint32,
  uint64,
  uint8,
} from "./dtype.ts";
import { checkHandle, checkStatus, MxError } from "./errors.ts";
import {
  decodeElements,
  dtypeOfTypedArray,
  flatten,
  nest,
  type NestedList,
  type Scalar,
  type TypedArray,
  typedView,
} from "./host.ts";
import { int32Arg, ndimMax } from "./native_args.ts";
import { formatArray } from "./print.ts";
import * as ops from "./ops.ts";
import * as elementwise from "./elementwise.ts";
import * as shapes from "./shapes.ts";
import * as reductions from "./reductions.ts";
import * as indexing from "./indexing.ts";
import * as linalg from "./linalg_basic.ts";
import { setArrayTest, trackArray } from "./scope.ts";

/** Receives shapes from the library (reused: see native_args.ts). */
const shapeOut = new Int32Array(ndimMax);

/** Frees the native side of arrays that were garbage-collected without `dispose()`. */
const backstop = new FinalizationRegistry<number>((handle) => {
  native.array_free(handle);
});

/**
 * An n-dimensional array. Operations on arrays are lazy: they record a graph that is
 * computed when a value is needed (`item`, `tolist`, `toTypedArray`, printing) or when
 * `mx.eval` is called.
 *
 * An array holds native memory until `dispose()` is called (or `using` ends its scope);
 * garbage collection frees it too, but later.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * using a = mx.array([[1, 2], [3, 4]], mx.int32);
 * console.log(a.shape, a.dtype.name, a.size); // [2, 2] "int32" 4
 * console.log(a.tolist()); // [[1, 2], [3, 4]]
 * ```
 */
export class MxArray {
  #handle: number;
  #shape: readonly number[] | undefined;
  #dtype: Dtype | undefined;

  /** @internal Wraps a native handle; use `mx.array` or an op to make arrays. */
  constructor(handle: number) {
    this.#handle = handle;
    backstop.register(this, handle, this);
    trackArray(this);
  }

  /** @internal The native handle; throws if the array was disposed. */
  handle(op: string): number {
    if (this.#handle === 0) {
      throw new MxError("disposed", `[${op}] the array was used after dispose()`);
    }
    return this.#handle;
  }

  /** The size of each dimension. */
  get shape(): number[] {
    return [...this.#knownShape()];
  }

  #knownShape(): readonly number[] {
    if (this.#shape === undefined) {
      const handle = this.handle("shape");
      const ndim = native.array_ndim(handle);
      if (ndim < 0) checkStatus(-1);
      checkStatus(native.array_shape(handle, shapeOut, shapeOut.length));
      this.#shape = Object.freeze(Array.from(shapeOut.subarray(0, ndim)));
    }
    return this.#shape;
  }

  /** The element type. */
  get dtype(): Dtype {
    if (this.#dtype === undefined) {
      const code = native.array_dtype(this.handle("dtype"));
      if (code < 0) checkStatus(-1);
      this.#dtype = dtypeFromCode(code);
    }
    return this.#dtype;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.#knownShape().length;
  }

  /** Number of elements. */
  get size(): number {
    return this.#knownShape().reduce((a, b) => a * b, 1);
  }

  /** Bytes the elements occupy. */
  get nbytes(): number {
    return this.size * this.dtype.size;
  }

  /** Whether the array is disposed. */
  get disposed(): boolean {
    return this.#handle === 0;
  }

  /**
   * The single element of a size-1 array, evaluating it.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.sum(mx.array([1, 2, 3])).item()); // 6
   * ```
   */
  item(): Scalar {
    this.handle("item");
    if (this.size !== 1) {
      throw new MxError(
        "invalid_argument",
        `[item] only an array of size 1 has an item; this one has shape [${this.shape}]`,
      );
    }
    return decodeElements(this.dtype, this.#readBytes("item"))[0]!;
  }

  /**
   * The elements as nested JavaScript arrays, evaluating the array. Integers (including
   * 64-bit ones, exact up to 2^53) and floats become numbers, bool becomes boolean,
   * complex64 becomes `{ re, im }`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.array([[true], [false]]).tolist()); // [[true], [false]]
   * ```
   */
  tolist(): NestedList {
    this.handle("tolist");
    return nest(decodeElements(this.dtype, this.#readBytes("tolist")), this.#knownShape());
  }

  /**
   * A copy of the elements, row-major, in the typed array of the dtype (evaluating the
   * array): `Float32Array` for float32, `BigInt64Array` for int64, `Uint8Array` of 0/1 for
   * bool, `Float16Array` for float16, `Uint16Array` of raw bits for bfloat16, interleaved
   * `Float32Array` for complex64.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.array(new Int16Array([1, 2])).toTypedArray()); // Int16Array(2) [1, 2]
   * ```
   */
  toTypedArray(): TypedArray {
    this.handle("toTypedArray");
    return typedView(this.dtype, this.#readBytes("toTypedArray"));
  }

  /**
   * A view of the evaluated elements without copying: valid until this array is disposed,
   * and read-only by contract (writing to it changes every array sharing the buffer).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * using a = mx.add(mx.array([1, 2]), 1);
   * const view = a.dataView(); // Float32Array [2, 3], no copy
   * ```
   */
  dataView(): TypedArray {
    const handle = this.handle("dataView");
    const bytes = this.nbytes;
    const pointer = native.array_data(handle);
    if (bytes > 0 && !pointer) checkStatus(-1);
    return typedView(this.dtype, runtime.view(pointer, bytes));
  }

  #readBytes(op: string): ArrayBuffer {
    const handle = this.handle(op);
    const out = new Uint8Array(this.nbytes);
    checkStatus(native.array_read(handle, out, BigInt(out.byteLength)));
    return out.buffer;
  }

  /**
   * Frees the native memory now. Using the array afterwards throws; disposing twice is a
   * no-op.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const a = mx.array([1, 2, 3]);
   * a.dispose();
   * ```
   */
  dispose(): void {
    const handle = this.#handle;
    if (handle === 0) return;
    this.#handle = 0;
    backstop.unregister(this);
    checkStatus(native.array_free(handle));
  }

  /** Disposes the array at the end of a `using` scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `a + b` with broadcasting; see `mx.add`. */
  add(other: ArrayLike): MxArray {
    return elementwise.add(this, other);
  }

  /** `a * b` with broadcasting; see `mx.multiply`. */
  multiply(other: ArrayLike): MxArray {
    return elementwise.multiply(this, other);
  }

  /** The matrix product `this @ other`; see `mx.matmul`. */
  matmul(other: MxArray): MxArray {
    return linalg.matmul(this, other);
  }

  /** Sum over axes; see `mx.sum`. */
  sum(options?: reductions.ReduceOptions): MxArray {
    return reductions.sum(this, options);
  }

  /** The array with its axes reversed (a view); see `mx.transpose`. */
  get T(): MxArray {
    return shapes.transpose(this);
  }

  /** The array with permuted axes (a view); see `mx.transpose`. */
  transpose(options?: shapes.TransposeOptions): MxArray {
    return shapes.transpose(this, options);
  }

  /**
   * NumPy-style indexing; see `mx.index`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.arange(10).get("2:8:3").tolist()); // [2, 5]
   * ```
   */
  get(...items: indexing.Index[]): MxArray {
    return indexing.index(this, ...items);
  }

  /**
   * Indexed updates returning new arrays; see `mx.at`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.zeros([3]).at(1).set(4).tolist()); // [0, 4, 0]
   * ```
   */
  at(...items: indexing.Index[]): indexing.IndexedUpdate {
    return indexing.at(this, ...items);
  }

  /** The array converted to `dtype`; see `mx.astype`. */
  astype(dtype: Dtype): MxArray {
    return ops.astype(this, dtype);
  }

  /** MLX's printed form, e.g. `array([[1, 2], [3, 4]], dtype=int32)`; evaluates. */
  toString(): string {
    if (this.#handle === 0) return "array(<disposed>)";
    return formatArray(this.tolist(), this.#knownShape(), this.dtype);
  }

  /** Deno's `console.log` form. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Bun's (and Node's) `console.log` form. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

setArrayTest((x): x is MxArray => x instanceof MxArray);

/** What an op accepts as an array: an `MxArray`, or a JavaScript scalar. */
export type ArrayLike = MxArray | number | boolean;

/** What `mx.array` accepts. */
export type ArrayData = NestedList | bigint | TypedArray | MxArray | readonly ArrayData[];

/**
 * Makes an array from JavaScript data: a number or boolean (0-d), nested arrays (their
 * shape; they must be rectangular), or a typed array (1-d, keeping its dtype:
 * `Int32Array` gives int32). Numbers default to float32 and booleans to bool; `dtype`
 * converts (numbers to an integer dtype truncate and wrap, as MLX converts Python numbers).
 *
 * @param data The elements.
 * @param dtype The dtype to convert to (default: from the data).
 * @returns A new evaluated array.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.array([[1, 2], [3, 4]], mx.int32)));
 * // array([[1, 2],
 * //        [3, 4]], dtype=int32)
 * ```
 */
export function array(data: ArrayData, dtype?: Dtype): MxArray {
  if (dtype !== undefined) dtypeCode("array", dtype);
  if (data instanceof MxArray) return ops.astype(data, dtype ?? data.dtype);
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArray;
    return convertTo(fromBytes(typed, dtypeOfTypedArray(typed), [typed.length]), dtype);
  }
  const { shape, flat } = flatten(data, "array");
  let kind: "bool" | "number" | "bigint" = flat.length === 0 ? "number" : "bool";
  for (const element of flat) {
    if (typeof element === "number") kind = kind === "bigint" ? "bigint" : "number";
    else if (typeof element === "bigint") kind = "bigint";
    else if (typeof element !== "boolean") {
      throw new MxError(
        "invalid_argument",
        `[array] elements must be numbers, booleans or bigints; got ${describe(element)}`,
      );
    }
  }
  if (kind === "bool") {
    const bytes = Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0));
    return convertTo(fromBytes(bytes, bool, shape), dtype);
  }
  if (kind === "bigint") {
    const values = BigInt64Array.from(flat as (bigint | number | boolean)[], (v) => BigInt(v));
    return convertTo(fromBytes(values, int64, shape), dtype);
  }
  const numbers = flat as (number | boolean)[];
  const target = dtype ?? float32;
  const direct = typedArrayOf(target, numbers);
  if (direct) return fromBytes(direct, target, shape);
  return convertTo(fromBytes(Float64Array.from(numbers, Number), float64, shape), target);
}

/**
 * JavaScript numbers in the typed array of `dtype`, converted as MLX converts Python numbers:
 * integer dtypes truncate toward zero and wrap (300 as int8 is 44; NaN is 0), bool tests for
 * non-zero. Undefined for the dtypes JavaScript has no typed array for.
 */
function typedArrayOf(dtype: Dtype, values: (number | boolean)[]): TypedArray | undefined {
  const wide = (v: number | boolean) => (Number.isFinite(Number(v)) ? BigInt(Math.trunc(Number(v))) : 0n);
  switch (dtype) {
    case float32:
      return Float32Array.from(values, Number);
    case float64:
      return Float64Array.from(values, Number);
    case float16:
      return Float16Array.from(values, Number);
    case bool:
      return Uint8Array.from(values, (v) => (Number(v) !== 0 ? 1 : 0));
    case int8:
      return Int8Array.from(values, Number);
    case uint8:
      return Uint8Array.from(values, Number);
    case int16:
      return Int16Array.from(values, Number);
    case uint16:
      return Uint16Array.from(values, Number);
    case int32:
      return Int32Array.from(values, Number);
    case uint32:
      return Uint32Array.from(values, Number);
    case int64:
      return BigInt64Array.from(values, (v) => BigInt.asIntN(64, wide(v)));
    case uint64:
      return BigUint64Array.from(values, (v) => BigInt.asUintN(64, wide(v)));
    default:
      return undefined;
  }
}

function convertTo(a: MxArray, dtype: Dtype | undefined): MxArray {
  if (dtype === undefined || dtype === a.dtype) return a;
  try {
    return ops.astype(a, dtype);
  } finally {
    a.dispose();
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return `${typeof value} ${String(value)}`;
}

/** @internal Throws unless `value` is an MxArray: `[op] what must be an MxArray; got ...`. */
export function checkArray(op: string, value: unknown, what: string): asserts value is MxArray {
  if (!(value instanceof MxArray)) {
    throw new MxError("invalid_argument", `[${op}] ${what} must be an MxArray; got ${typeof value}`);
  }
}

/** @internal An evaluated array with a copy of a typed array's bytes. */
export function fromBytes(data: ArrayBufferView, dtype: Dtype, shape: readonly number[]): MxArray {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new MxError("invalid_argument", `[array] invalid shape [${shape}]`);
    }
  }
  const dims = int32Arg("array", shape, "dimensions");
  const handle = native.array_from_bytes(data, BigInt(data.byteLength), dtypeCode("array", dtype), dims, shape.length);
  return new MxArray(checkHandle(handle));
}
