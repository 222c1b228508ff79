/**
 * Shared pieces of the file formats: byte reading with bounds checks, the bytes of an
 * array, and failures as `MxError`s naming the file.
 *
 * @module
 */

import { fromBytes, type MxArray } from "../array.ts";
import type { Dtype } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { copy } from "../shapes.ts";

/** The error for a malformed file: `[op] <label>: <what>`. */
export function badFile(op: string, label: string, what: string): MxError {
  return new MxError("invalid_argument", `[${op}] ${label}: ${what}`);
}

/** A bounds-checked little-endian reader over a file's bytes. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset = 0;
  readonly #op: string;
  readonly #label: string;

  constructor(bytes: Uint8Array, op: string, label: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#op = op;
    this.#label = label;
  }

  /** Throws unless `count` more bytes are there. */
  need(count: number | bigint, what: string): number {
    const n = typeof count === "bigint" ? count : BigInt(count);
    if (n < 0n || BigInt(this.offset) + n > BigInt(this.bytes.byteLength)) {
      throw this.fail(`truncated: ${what} needs ${n} bytes at offset ${this.offset}, ` +
        `the file has ${this.bytes.byteLength}`);
    }
    return Number(n);
  }

  fail(what: string): MxError {
    return badFile(this.#op, this.#label, what);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }
  /** `count` bytes as a view (no copy). */
  take(count: number | bigint, what: string): Uint8Array {
    const n = this.need(count, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** Elements in `shape` (a product that stays exact below 2^53, else Infinity). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** Checks a declared shape (non-negative 32-bit dims, at most 16) and its byte size. */
export function checkShape(
  shape: readonly number[],
  dtype: Dtype,
  available: number,
  fail: (what: string) => MxError,
): number {
  if (shape.length > 16) throw fail(`${shape.length} dimensions exceed the limit of 16`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0x7fffffff) throw fail(`invalid dimension ${d} in shape [${shape}]`);
  }
  const bytes = elementCount(shape) * dtype.size;
  if (!Number.isSafeInteger(bytes) || bytes > available) {
    throw fail(`shape [${shape}] of ${dtype} needs ${bytes} bytes, only ${available} are there`);
  }
  return bytes;
}

/** An array holding a copy of `bytes` (one native copy). */
export function arrayOf(bytes: Uint8Array, dtype: Dtype, shape: readonly number[]): MxArray {
  return fromBytes(bytes, dtype, shape);
}

/** The row-major bytes of `a` (evaluated; copied when `a` is a strided view). */
export function bytesOf(a: MxArray): Uint8Array {
  let view;
  try {
    view = a.dataView();
  } catch (e) {
    if (!(e instanceof MxError) || e.code !== "unsupported") throw e;
    using dense = copy(a);
    const v = dense.dataView();
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  }
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Joins byte chunks into one buffer. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
