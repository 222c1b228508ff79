/**
 * NumPy's `.npy` format (versions 1-3): one array with a Python-literal header.
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
  float64,
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
import { transpose } from "../shapes.ts";
import { arrayOf, ByteReader, bytesOf, checkShape, concatBytes } from "./common.ts";

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const headerBytesMax = 1 << 20;

const byDescr: Record<string, Dtype> = {
  b1: bool,
  i1: int8,
  i2: int16,
  i4: int32,
  i8: int64,
  u1: uint8,
  u2: uint16,
  u4: uint32,
  u8: uint64,
  f2: float16,
  f4: float32,
  f8: float64,
  c8: complex64,
  V2: bfloat16, // MLX writes bfloat16 as two raw bytes.
};

function descrOf(dtype: Dtype): string {
  if (dtype === bfloat16) return "<V2";
  const code = Object.entries(byDescr).find(([, d]) => d === dtype)![0];
  return (dtype.size === 1 ? "|" : "<") + code;
}

/** Reads a `.npy` file's bytes; big-endian data is byte-swapped (as MLX does). */
export function parseNpy(bytes: Uint8Array, label: string): MxArray {
  const r = new ByteReader(bytes, "load", label);
  const head = r.take(6, "the magic string");
  if (!magic.every((b, i) => head[i] === b)) throw r.fail("not a .npy file (bad magic string)");
  const major = r.u8("the version");
  r.u8("the version");
  if (major < 1 || major > 3) throw r.fail(`unsupported .npy version ${major}`);
  const headerLength = major === 1 ? r.u16("the header length") : r.u32("the header length");
  if (headerLength > headerBytesMax) throw r.fail(`header length ${headerLength} exceeds ${headerBytesMax}`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(r.take(headerLength, "the header"));
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-zA-Z]\d+)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shapeText) throw r.fail(`malformed header ${JSON.stringify(header.trim())}`);
  const dtype = byDescr[descr[2]!];
  if (dtype === undefined) throw r.fail(`unsupported dtype '${descr[1]}${descr[2]}'`);
  const shape: number[] = [];
  for (const part of shapeText[1]!.split(",")) {
    const t = part.trim();
    if (t === "") continue;
    if (!/^\d+$/.test(t)) throw r.fail(`invalid dimension '${t}' in the header's shape`);
    shape.push(Number(t));
  }
  const fail = (what: string) => r.fail(what);
  const size = checkShape(shape, dtype, bytes.byteLength - r.offset, fail);
  let data = r.take(size, "the data");
  if (descr[1] === ">" && dtype.size > 1) data = swapBytes(data, dtype === complex64 ? 4 : dtype.size);
  const fortran = order[1] === "True";
  if (!fortran) return arrayOf(data, dtype, shape);
  using reversed = arrayOf(data, dtype, shape.slice().reverse());
  return transpose(reversed);
}

function swapBytes(data: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  for (let i = 0; i < data.byteLength; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = data[i + width - 1 - j]!;
  }
  return out;
}

/** The `.npy` bytes of `a` (version 1, C order, little-endian). */
export function encodeNpy(a: MxArray): Uint8Array {
  const data = bytesOf(a);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let header = `{'descr': '${descrOf(a.dtype)}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  if (header.length > 0xffff) throw new MxError("invalid_argument", "[save] header too long");
  const prefix = new Uint8Array(10);
  prefix.set(magic);
  prefix[6] = 1;
  new DataView(prefix.buffer).setUint16(8, header.length, true);
  return concatBytes([prefix, new TextEncoder().encode(header), data]);
}
