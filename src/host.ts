/**
 * Moving data between JavaScript values and native buffers: typed arrays per dtype, nested
 * lists, and the half-precision formats JavaScript lacks.
 *
 * @module
 */

import {
  bfloat16,
  bool,
  complex64,
  type Dtype,
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
import { MxError } from "./errors.ts";

/** Any JavaScript typed array. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float16Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** One element as JavaScript sees it: a number, a boolean, or a complex number. */
export type Scalar = number | boolean | Complex;

/** A complex number, as `tolist()` and `item()` return complex64 elements. */
export interface Complex {
  re: number;
  im: number;
}

/** A nested list of elements, as `tolist()` returns and `mx.array()` accepts. */
export type NestedList = Scalar | NestedList[];

/** The dtype a typed array keeps when passed to `mx.array`. */
export function dtypeOfTypedArray(data: TypedArray): Dtype {
  if (data instanceof Float32Array) return float32;
  if (data instanceof Float64Array) return float64;
  if (data instanceof Int32Array) return int32;
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return uint8;
  if (data instanceof Int8Array) return int8;
  if (data instanceof Int16Array) return int16;
  if (data instanceof Uint16Array) return uint16;
  if (data instanceof Uint32Array) return uint32;
  if (data instanceof BigInt64Array) return int64;
  if (data instanceof BigUint64Array) return uint64;
  return float16; // Float16Array, the only typed array left.
}

/**
 * The typed array `toTypedArray()` returns for a dtype, over `bytes` (no copy). bool gives
 * 0/1 bytes; bfloat16 gives its raw bits (see `bfloat16ToFloat32`); complex64 interleaves
 * real and imaginary parts.
 */
export function typedView(dtype: Dtype, bytes: ArrayBuffer, byteOffset = 0, length?: number): TypedArray {
  const n = length ?? (bytes.byteLength - byteOffset) / dtype.size;
  switch (dtype) {
    case bool:
    case uint8:
      return new Uint8Array(bytes, byteOffset, n);
    case int8:
      return new Int8Array(bytes, byteOffset, n);
    case uint16:
    case bfloat16:
      return new Uint16Array(bytes, byteOffset, n);
    case int16:
      return new Int16Array(bytes, byteOffset, n);
    case uint32:
      return new Uint32Array(bytes, byteOffset, n);
    case int32:
      return new Int32Array(bytes, byteOffset, n);
    case uint64:
      return new BigUint64Array(bytes, byteOffset, n);
    case int64:
      return new BigInt64Array(bytes, byteOffset, n);
    case float16:
      return new Float16Array(bytes, byteOffset, n);
    case float32:
      return new Float32Array(bytes, byteOffset, n);
    case float64:
      return new Float64Array(bytes, byteOffset, n);
    case complex64:
      return new Float32Array(bytes, byteOffset, n * 2);
    default:
      throw new RangeError(`no typed array for dtype ${dtype}`);
  }
}

const bfloat16Scratch = new Uint32Array(1);
const bfloat16ScratchFloat = new Float32Array(bfloat16Scratch.buffer);

/** The float value of bfloat16 bits. */
export function bfloat16ToFloat32(bits: number): number {
  bfloat16Scratch[0] = bits << 16;
  return bfloat16ScratchFloat[0]!;
}

/** Decodes `size` elements of `dtype` from `bytes` into JavaScript scalars. */
export function decodeElements(dtype: Dtype, bytes: ArrayBuffer): Scalar[] {
  const view = typedView(dtype, bytes);
  const out: Scalar[] = new Array(view.length / (dtype === complex64 ? 2 : 1));
  if (dtype === bool) {
    for (let i = 0; i < out.length; i++) out[i] = view[i] !== 0;
  } else if (dtype === bfloat16) {
    for (let i = 0; i < out.length; i++) out[i] = bfloat16ToFloat32(view[i] as number);
  } else if (dtype === complex64) {
    for (let i = 0; i < out.length; i++) out[i] = { re: view[2 * i] as number, im: view[2 * i + 1] as number };
  } else {
    for (let i = 0; i < out.length; i++) out[i] = Number(view[i]);
  }
  return out;
}

/** Nests a flat list of elements into `shape`. */
export function nest(flat: Scalar[], shape: readonly number[]): NestedList {
  if (shape.length === 0) return flat[0]!;
  let level: NestedList[] = flat;
  for (let axis = shape.length - 1; axis > 0; axis--) {
    const dim = shape[axis]!;
    const next: NestedList[] = [];
    for (let i = 0; i < level.length; i += dim) next.push(level.slice(i, i + dim));
    if (dim === 0) {
      const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      for (let i = 0; i < outer; i++) next.push([]);
    }
    level = next;
  }
  return level;
}

/** A nested list's shape and its elements in row-major order; throws on ragged input. */
export function flatten(value: unknown, op: string): { shape: number[]; flat: unknown[] } {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw raggedError(op, shape);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) throw raggedError(op, shape);
    for (const child of node) walk(child, depth + 1);
  };
  walk(value, 0);
  return { shape, flat };
}

function raggedError(op: string, shape: number[]): MxError {
  return new MxError(
    "invalid_argument",
    `[${op}] nested lists must be rectangular; the first elements suggest shape [${shape.join(",")}]`,
  );
}
