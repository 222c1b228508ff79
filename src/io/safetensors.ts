/**
 * The `.safetensors` format: an 8-byte header length, a JSON header (dtype, shape,
 * data_offsets per tensor; string `__metadata__`), then the data. Every entry is validated
 * (dtype, shape, offsets inside the data, sizes equal to shape x dtype, no overlaps) before
 * any array is made.
 *
 * @module
 */

import type { MxArray } from "../array.ts";
import {
  bfloat16,
  bool,
  complex64,
  type Dtype,
  float16,
  float32,
  int16,
  int32,
  int64,
  int8,
  uint16,
  uint32,
  uint64,
  uint8,
} from "../dtype.ts";
import { MxError } from "../errors.ts";
import { arrayOf, badFile, bytesOf, checkShape, concatBytes } from "./common.ts";

const byName: Record<string, Dtype> = {
  F32: float32,
  F16: float16,
  BF16: bfloat16,
  I64: int64,
  I32: int32,
  I16: int16,
  I8: int8,
  U64: uint64,
  U32: uint32,
  U16: uint16,
  U8: uint8,
  BOOL: bool,
  C64: complex64,
  F8_E4M3: uint8, // MLX loads 8-bit floats as their raw bytes.
  F8_E8M0: uint8,
};
const headerBytesMax = 100_000_000;

/** Arrays and string metadata of a `.safetensors` file. */
export interface Safetensors {
  arrays: Record<string, MxArray>;
  metadata: Record<string, string>;
}

/** Parses a `.safetensors` file's bytes. */
export function parseSafetensors(bytes: Uint8Array, label: string): Safetensors {
  const fail = (what: string): MxError => badFile("load_safetensors", label, what);
  if (bytes.byteLength < 8) throw fail(`truncated: ${bytes.byteLength} bytes, no header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength === 0n || headerLength >= BigInt(headerBytesMax)) {
    throw fail(`invalid JSON header length ${headerLength}`);
  }
  if (headerLength + 8n > BigInt(bytes.byteLength)) {
    throw fail(`the JSON header is ${headerLength} bytes long but the file is only ${bytes.byteLength} bytes`);
  }
  const start = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, start)));
  } catch (e) {
    throw fail(`invalid JSON header: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw fail("the JSON header is not an object");
  const dataBytes = bytes.byteLength - start;
  const metadata: Record<string, string> = {};
  const plans: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (entry === null) continue; // MLX's save_weights writes `"__metadata__": null`
      if (typeof entry !== "object" || Array.isArray(entry)) throw fail("__metadata__ is not an object");
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") throw fail(`metadata '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    plans.push(planTensor(name, entry, dataBytes, fail));
  }
  const sorted = plans.slice().sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.begin < sorted[i - 1]!.end) {
      throw fail(`tensors '${sorted[i - 1]!.name}' and '${sorted[i]!.name}' overlap`);
    }
  }
  const arrays: Record<string, MxArray> = {};
  for (const p of plans) arrays[p.name] = arrayOf(bytes.subarray(start + p.begin, start + p.end), p.dtype, p.shape);
  return { arrays, metadata };
}

function planTensor(name: string, entry: unknown, dataBytes: number, fail: (what: string) => MxError) {
  if (entry === null || typeof entry !== "object") throw fail(`tensor '${name}' is not an object`);
  const { dtype: dtypeName, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  const dtype = typeof dtypeName === "string" ? byName[dtypeName] : undefined;
  if (dtype === undefined) throw fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtypeName)}`);
  if (!Array.isArray(shape)) throw fail(`tensor '${name}' has no shape list`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(Number.isSafeInteger)) {
    throw fail(`tensor '${name}' data_offsets must be two integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const size = checkShape(shape as number[], dtype, Infinity, (what) => fail(`tensor '${name}': ${what}`));
  if (begin < 0 || end < begin || end - begin !== size) {
    throw fail(`tensor '${name}' invalid data offsets (${begin}, ${end}); expecting ${size} bytes`);
  }
  if (end > dataBytes) {
    throw fail(`tensor '${name}' data offsets (${begin}, ${end}) exceed the ${dataBytes} data bytes of the file`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The `.safetensors` bytes of `arrays` with string `metadata`. */
export function encodeSafetensors(arrays: Record<string, MxArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const stName = Object.entries(byName).find(([, d]) => d === a.dtype)?.[0];
    if (stName === undefined) throw new MxError("dtype_mismatch", `[save_safetensors] dtype ${a.dtype} is not supported`);
    const data = bytesOf(a);
    header[name] = { dtype: stName, shape: a.shape, data_offsets: [offset, offset + data.byteLength] };
    chunks.push(data);
    offset += data.byteLength;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const jsonBytes = new Uint8Array(raw.byteLength + ((8 - (raw.byteLength % 8)) % 8)).fill(0x20);
  jsonBytes.set(raw);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  return concatBytes([length, jsonBytes, ...chunks]);
}
