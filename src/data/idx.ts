/**
 * The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte, the number of
 * dimensions, each dimension as a big-endian uint32, then the elements (big-endian).
 *
 * @module
 */

import { fromBytes, type MxArray } from "../array.ts";
import { type Dtype, float32, float64, int16, int32, int8, uint8 } from "../dtype.ts";
import { ndimMax } from "../native_args.ts";
import { fileError, readFileBytes } from "./files.ts";

const idxTypes: ReadonlyMap<number, Dtype> = new Map([
  [0x08, uint8],
  [0x09, int8],
  [0x0b, int16],
  [0x0c, int32],
  [0x0d, float32],
  [0x0e, float64],
]);

const dimMax = 2 ** 31 - 1;

/** The dtype and shape an IDX header declares, and where the elements start. */
interface IdxHeader {
  dtype: Dtype;
  shape: number[];
  dataOffset: number;
}

function parseHeader(op: string, path: string, bytes: Uint8Array): IdxHeader {
  if (bytes.length < 4) throw fileError(op, path, `truncated IDX header (${bytes.length} bytes)`);
  const dtype = idxTypes.get(bytes[2]!);
  if (bytes[0] !== 0 || bytes[1] !== 0 || dtype === undefined) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    throw fileError(op, path, `not an IDX file (magic 0x${magic}; expected 0x000008nn..0x00000enn)`);
  }
  const ndim = bytes[3]!;
  if (ndim < 1 || ndim > ndimMax) {
    throw fileError(op, path, `IDX header declares ${ndim} dimensions; expected 1 to ${ndimMax}`);
  }
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) throw fileError(op, path, `truncated IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  if (shape.some((dim) => dim > dimMax)) {
    throw fileError(op, path, `IDX dimensions [${shape}] exceed ${dimMax}`);
  }
  // The product stays exact: it is compared before it can pass the file size (< 2^31 * 2^31).
  let count = shape.includes(0) ? 0 : 1;
  let tooBig = false;
  for (const dim of count === 0 ? [] : shape) {
    count *= dim;
    tooBig = count * dtype.size > bytes.length;
    if (tooBig) break;
  }
  const expectedBytes = dataOffset + count * dtype.size;
  if (tooBig || bytes.length !== expectedBytes) {
    const what = tooBig || bytes.length < expectedBytes ? "truncated" : "has trailing bytes";
    const needs = tooBig ? `more than ${bytes.length}` : `${expectedBytes}`;
    throw fileError(
      op,
      path,
      `${what}: shape [${shape}] of ${dtype.name} needs ${needs} bytes, the file has ${bytes.length}`,
    );
  }
  return { dtype, shape, dataOffset };
}

/** Big-endian elements to the host's little-endian order (a copy; one-byte types are not copied). */
function toLittleEndian(data: Uint8Array, elementBytes: number): Uint8Array {
  if (elementBytes === 1) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += elementBytes) {
    for (let b = 0; b < elementBytes; b++) out[i + b] = data[i + elementBytes - 1 - b]!;
  }
  return out;
}

/** Options of `readIdx`. */
export interface ReadIdxOptions {
  /** The largest file (after inflating) to accept, in bytes (default 2 GiB). */
  bytesMax?: number;
}

/**
 * Reads an IDX file (plain or gzipped, recognised by content) into an evaluated array of the
 * type and shape its header declares: uint8, int8, int16, int32, float32 or float64. One-byte
 * types are copied once into native memory; wider ones are byte-swapped first.
 *
 * @param path The file.
 * @param options `bytesMax`: the size bound.
 * @returns The array.
 * @throws {MxError} Naming the file: unreadable, not IDX (bad magic or type), truncated,
 *   trailing bytes, corrupt gzip, or larger than `bytesMax`.
 *
 * @example Reading a tiny IDX file
 * ```ts
 * import * as mx from "mlx-ts";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * const path = `${mkdtempSync(`${tmpdir()}/idx-`)}/tiny-idx1-ubyte`;
 * writeFileSync(path, new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9]));
 * console.log(mx.data.readIdx(path).tolist()); // [7, 2, 9]
 * ```
 */
export function readIdx(path: string, options: ReadIdxOptions = {}): MxArray {
  const bytes = readFileBytes("readIdx", path, options.bytesMax);
  return idxFromBytes("readIdx", path, bytes);
}

/** @internal The array of an IDX file's bytes; `op` and `path` name it in errors. */
export function idxFromBytes(op: string, path: string, bytes: Uint8Array): MxArray {
  const { dtype, shape, dataOffset } = parseHeader(op, path, bytes);
  return fromBytes(toLittleEndian(bytes.subarray(dataOffset), dtype.size), dtype, shape);
}
