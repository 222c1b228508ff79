/**
 * GGUF (versions 2 and 3): metadata key/values and tensors. Float and integer tensors load
 * as arrays; Q4_0, Q4_1 and Q8_0 become MLX's affine quantized triple (`<name>` packed
 * uint32, `<prefix>.scales`, `<prefix>.biases`); Q4_K, Q5_K, Q6_K, Q8_K and BF16 are
 * dequantized to float16, as MLX's loader does. Repacking runs natively, once per tensor.
 *
 * @module
 */

import { native } from "../../ffi/loader.ts";
import { MxArray } from "../array.ts";
import { bool, type Dtype, float16, float32, int16, int32, int64, int8, uint16, uint32, uint64, uint8 } from "../dtype.ts";
import { checkHandle, MxError } from "../errors.ts";
import { int32Arg } from "../native_args.ts";
import { arrayOf, ByteReader, bytesOf, checkShape, concatBytes, elementCount } from "./common.ts";

/** A GGUF metadata value as MLX gives it: an array (numbers, bools), a string, or strings. */
export type GgufValue = MxArray | string | string[];

/** Arrays and metadata of a GGUF file. */
export interface Gguf {
  arrays: Record<string, MxArray>;
  metadata: Record<string, GgufValue>;
}

const ggufMagic = 0x46554747; // "GGUF"
const alignmentDefault = 32;

/** Metadata value types: dtype and byte size of the fixed-size ones. */
const valueDtypes: Record<number, Dtype> = {
  0: uint8,
  1: int8,
  2: uint16,
  3: int16,
  4: uint32,
  5: int32,
  6: float32,
  7: bool,
  10: uint64,
  11: int64,
  12: float32, // float64 values load as float32 (MLX).
};
const valueBytes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const stringType = 8;
const arrayType = 9;

/** Tensor types stored as plain arrays. */
const plainTensorTypes: Record<number, Dtype> = { 0: float32, 1: float16, 24: int8, 25: int16, 26: int32 };
/** Quantized tensor types: elements and bytes per block; affine ones map to three arrays. */
const blockTypes: Record<number, { name: string; elements: number; bytes: number; affine: boolean }> = {
  2: { name: "Q4_0", elements: 32, bytes: 18, affine: true },
  3: { name: "Q4_1", elements: 32, bytes: 20, affine: true },
  8: { name: "Q8_0", elements: 32, bytes: 34, affine: true },
  12: { name: "Q4_K", elements: 256, bytes: 144, affine: false },
  13: { name: "Q5_K", elements: 256, bytes: 176, affine: false },
  14: { name: "Q6_K", elements: 256, bytes: 210, affine: false },
  15: { name: "Q8_K", elements: 256, bytes: 292, affine: false },
  30: { name: "BF16", elements: 1, bytes: 2, affine: false },
};

/** Parses a GGUF file's bytes. */
export function parseGguf(bytes: Uint8Array, label: string): Gguf {
  const r = new ByteReader(bytes, "load_gguf", label);
  if (bytes.byteLength < 4 || r.u32("the magic") !== ggufMagic) throw r.fail("not a GGUF file (bad magic)");
  const version = r.u32("the version");
  if (version !== 2 && version !== 3) throw r.fail(`unsupported GGUF version ${version} (2 and 3 are)`);
  const tensorCount = r.u64("the tensor count");
  const keyCount = r.u64("the metadata count");
  const metadata: Record<string, GgufValue> = {};
  const arrays: Record<string, MxArray> = {};
  try {
    for (let i = 0n; i < keyCount; i++) {
      const key = readString(r);
      metadata[key] = readValue(r, r.u32("a value type"), key);
    }
    const alignment = alignmentOf(metadata, r);
    const infos = [];
    for (let i = 0n; i < tensorCount; i++) infos.push(readTensorInfo(r));
    const dataStart = Math.ceil(r.offset / alignment) * alignment;
    for (const info of infos) loadTensor(r, info, dataStart, arrays);
  } catch (e) {
    for (const v of [...Object.values(arrays), ...Object.values(metadata)]) if (v instanceof MxArray) v.dispose();
    throw e;
  }
  return { arrays, metadata };
}

function readString(r: ByteReader): string {
  const length = r.u64("a string length");
  return new TextDecoder().decode(r.take(length, "a string"));
}

function readValue(r: ByteReader, type: number, key: string): GgufValue {
  if (type === stringType) return readString(r);
  if (type === arrayType) {
    const itemType = r.u32("an array type");
    const length = r.u64("an array length");
    if (itemType === stringType) {
      const out: string[] = [];
      for (let i = 0n; i < length; i++) out.push(readString(r));
      return out;
    }
    const dtype = valueDtypes[itemType];
    if (dtype === undefined) throw r.fail(`metadata '${key}' is an array of unsupported type ${itemType}`);
    const size = BigInt(valueBytes[itemType]!) * length;
    r.need(size, `metadata '${key}'`);
    return numericArray(r.take(size, `metadata '${key}'`), itemType, [Number(length)]);
  }
  const dtype = valueDtypes[type];
  if (dtype === undefined) throw r.fail(`metadata '${key}' has unsupported type ${type}`);
  return numericArray(r.take(valueBytes[type]!, `metadata '${key}'`), type, []);
}

function numericArray(data: Uint8Array, type: number, shape: number[]): MxArray {
  if (type !== 12) return arrayOf(data, valueDtypes[type]!, shape);
  const doubles = new Float64Array(data.slice().buffer);
  return arrayOf(new Uint8Array(Float32Array.from(doubles).buffer), float32, shape);
}

function alignmentOf(metadata: Record<string, GgufValue>, r: ByteReader): number {
  const value = metadata["general.alignment"];
  if (value === undefined) return alignmentDefault;
  const n = value instanceof MxArray && value.ndim === 0 ? Number(value.item()) : NaN;
  if (!Number.isInteger(n) || n <= 0 || n > 1 << 20 || (n & (n - 1)) !== 0) {
    throw r.fail(`general.alignment must be a power of two, got ${String(value)}`);
  }
  return n;
}

interface TensorInfo {
  name: string;
  shape: number[];
  type: number;
  offset: bigint;
}

function readTensorInfo(r: ByteReader): TensorInfo {
  const name = readString(r);
  const ndim = r.u32("a tensor's dimension count");
  if (ndim > 16) throw r.fail(`tensor '${name}' has ${ndim} dimensions (at most 16)`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) {
    const d = r.u64("a tensor dimension");
    if (d > 0x7fffffffn) throw r.fail(`tensor '${name}' has dimension ${d}, over 2^31 - 1`);
    shape.unshift(Number(d)); // GGML lists dimensions innermost first.
  }
  return { name, shape, type: r.u32("a tensor type"), offset: r.u64("a tensor offset") };
}

function loadTensor(r: ByteReader, info: TensorInfo, dataStart: number, arrays: Record<string, MxArray>): void {
  const { name, shape, type } = info;
  const fail = (what: string) => r.fail(`tensor '${name}' ${what}`);
  const plain = plainTensorTypes[type];
  const block = blockTypes[type];
  if (plain === undefined && block === undefined) throw fail(`has unsupported type ${type}`);
  let size: number;
  if (plain !== undefined) {
    size = checkShape(shape, plain, Infinity, fail);
  } else {
    checkShape(shape, uint8, Infinity, fail);
    const last = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    if (last % block!.elements !== 0) {
      throw fail(`of type ${block!.name} has last dimension ${last}, not a multiple of ${block!.elements}`);
    }
    size = (elementCount(shape) / block!.elements) * block!.bytes;
    if (!Number.isSafeInteger(size)) throw fail(`has shape [${shape}], too large`);
  }
  const start = BigInt(dataStart) + info.offset;
  if (start + BigInt(size) > BigInt(r.bytes.byteLength)) {
    throw fail(`extends past the end of the file (offset ${info.offset}, ${size} bytes)`);
  }
  const data = r.bytes.subarray(Number(start), Number(start) + size);
  const put = (key: string, a: MxArray): void => {
    if (key in arrays) {
      a.dispose();
      throw r.fail(`duplicate tensor name '${key}'`);
    }
    arrays[key] = a;
  };
  if (plain !== undefined) return put(name, arrayOf(data, plain, shape));
  if (!block!.affine) return put(name, unpack(data, type, shape, 3));
  const prefix = name.slice(0, Math.max(0, name.length - ".weight".length));
  put(name, unpack(data, type, shape, 0));
  put(`${prefix}.scales`, unpack(data, type, shape, 1));
  put(`${prefix}.biases`, unpack(data, type, shape, 2));
}

function unpack(data: Uint8Array, type: number, shape: number[], part: number): MxArray {
  const dims = int32Arg("load_gguf", shape, "dimensions");
  return new MxArray(checkHandle(native.gguf_unpack(data, BigInt(data.byteLength), type, dims, shape.length, part)));
}

// ---------------------------------------------------------------------------------------------
// Writing

const tensorTypeOf = new Map<Dtype, number>([[float32, 0], [float16, 1], [int8, 24], [int16, 25], [int32, 26]]);
const valueTypeOf = new Map<Dtype, number>([
  [uint8, 0],
  [int8, 1],
  [uint16, 2],
  [int16, 3],
  [uint32, 4],
  [int32, 5],
  [float32, 6],
  [bool, 7],
  [uint64, 10],
  [int64, 11],
]);

class ByteWriter {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.push(b);
  }
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.byteLength);
    this.push(b);
  }
  pad(alignment: number): void {
    const extra = (alignment - (this.length % alignment)) % alignment;
    if (extra > 0) this.push(new Uint8Array(extra));
  }
}

/** The GGUF (version 3) bytes of float/int `arrays` with `metadata`. */
export function encodeGguf(arrays: Record<string, MxArray>, metadata: Record<string, GgufValue> = {}): Uint8Array {
  const entries = Object.entries(arrays);
  const w = new ByteWriter();
  w.u32(ggufMagic);
  w.u32(3);
  w.u64(entries.length);
  w.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) writeValue(w, key, value);
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of entries) {
    const type = tensorTypeOf.get(a.dtype);
    if (type === undefined) throw new MxError("dtype_mismatch", `[save_gguf] dtype ${a.dtype} is not supported`);
    offset = Math.ceil(offset / alignmentDefault) * alignmentDefault;
    w.string(name);
    w.u32(a.ndim);
    for (let i = a.ndim - 1; i >= 0; i--) w.u64(a.shape[i]!);
    w.u32(type);
    w.u64(offset);
    const data = bytesOf(a);
    datas.push(data);
    offset += data.byteLength;
  }
  for (const data of datas) {
    w.pad(alignmentDefault);
    w.push(data);
  }
  return concatBytes(w.chunks);
}

function writeValue(w: ByteWriter, key: string, value: GgufValue): void {
  w.string(key);
  if (typeof value === "string") {
    w.u32(stringType);
    w.string(value);
  } else if (Array.isArray(value)) {
    w.u32(arrayType);
    w.u32(stringType);
    w.u64(value.length);
    for (const s of value) w.string(s);
  } else if (value instanceof MxArray) {
    const type = valueTypeOf.get(value.dtype);
    if (type === undefined) throw new MxError("dtype_mismatch", `[save_gguf] array type ${value.dtype} not supported for metadata`);
    if (value.ndim > 1) throw new MxError("invalid_argument", "[save_gguf] Cannot save arrays with more than one dimension.");
    if (value.size === 0) throw new MxError("invalid_argument", "[save_gguf] Cannot save empty arrays.");
    if (value.ndim === 1) {
      w.u32(arrayType);
      w.u32(type);
      w.u64(value.size);
    } else {
      w.u32(type);
    }
    w.push(bytesOf(value).slice());
  } else {
    throw new MxError("invalid_argument", `[save_gguf] metadata '${key}' has an unsupported value`);
  }
}
