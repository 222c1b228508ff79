/**
 * The zip container of `.npz` files: reading stored and deflated members (no zip64),
 * writing stored or deflated ones. Inflation is bounded by each member's declared size.
 *
 * @module
 */

import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ByteReader, concatBytes } from "./common.ts";

const endRecordSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;
const zip64Marker = 0xffffffff;

/** The members of a zip archive by name (each a copy or a view of `bytes`). */
export function readZip(bytes: Uint8Array, label: string): Map<string, Uint8Array> {
  const r = new ByteReader(bytes, "load", label);
  const end = findEndRecord(r);
  r.offset = end + 10;
  const count = r.u16("the entry count");
  const directorySize = r.u32("the directory size");
  const directoryOffset = r.u32("the directory offset");
  if (count === 0xffff || directorySize === zip64Marker || directoryOffset === zip64Marker) {
    throw r.fail("zip64 archives are not supported");
  }
  r.offset = directoryOffset;
  const members = new Map<string, Uint8Array>();
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (r.u32("a central directory entry") !== centralSignature) throw r.fail("corrupt zip central directory");
    r.offset += 6;
    const method = r.u16("the compression method");
    r.offset += 8;
    const compressedSize = r.u32("the compressed size");
    const size = r.u32("the size");
    const nameLength = r.u16("the name length");
    const extraLength = r.u16("the extra length");
    const commentLength = r.u16("the comment length");
    r.offset += 8;
    const localOffset = r.u32("the member offset");
    const name = decoder.decode(r.take(nameLength, "the member name"));
    r.take(extraLength + commentLength, "the member's extra fields");
    if (compressedSize === zip64Marker || size === zip64Marker || localOffset === zip64Marker) {
      throw r.fail(`member '${name}' needs zip64, which is not supported`);
    }
    members.set(name, readMember(bytes, label, { name, method, compressedSize, size, localOffset }));
  }
  return members;
}

function findEndRecord(r: ByteReader): number {
  const bytes = r.bytes;
  const lowest = Math.max(0, bytes.byteLength - 22 - 0xffff);
  for (let at = bytes.byteLength - 22; at >= lowest; at--) {
    if (r.view.getUint32(at, true) === endRecordSignature) return at;
  }
  throw r.fail("not a zip archive (no end of central directory record)");
}

interface Member {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readMember(bytes: Uint8Array, label: string, m: Member): Uint8Array {
  const r = new ByteReader(bytes, "load", label);
  r.offset = m.localOffset;
  r.need(30, `member '${m.name}'`);
  if (r.u32("a local header") !== localSignature) throw r.fail(`member '${m.name}' has a corrupt local header`);
  r.offset += 22;
  const skip = r.u16("the name length") + r.u16("the extra length");
  r.take(skip, "the local header");
  const raw = r.take(m.compressedSize, `member '${m.name}'`);
  if (m.method === 0) {
    if (m.size !== m.compressedSize) throw r.fail(`stored member '${m.name}' has inconsistent sizes`);
    return raw;
  }
  if (m.method !== 8) throw r.fail(`member '${m.name}' uses unsupported compression method ${m.method}`);
  let out: Uint8Array;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, m.size) });
  } catch (e) {
    throw r.fail(`member '${m.name}' does not inflate: ${(e as Error).message}`);
  }
  if (out.byteLength !== m.size) {
    throw r.fail(`member '${m.name}' inflates to ${out.byteLength} bytes, ${m.size} declared`);
  }
  return out;
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.byteLength; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of `members` (deflated when `compress`). */
export function writeZip(members: ReadonlyMap<string, Uint8Array>, compress: boolean): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const nameBytes = encoder.encode(name);
    const body = compress ? new Uint8Array(deflateRawSync(data)) : data;
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.byteLength);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, localSignature, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, compress ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.byteLength, true);
    lv.setUint32(22, data.byteLength, true);
    lv.setUint16(26, nameBytes.byteLength, true);
    local.set(nameBytes, 30);
    const entry = new Uint8Array(46 + nameBytes.byteLength);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, centralSignature, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, compress ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.byteLength, true);
    cv.setUint32(24, data.byteLength, true);
    cv.setUint16(28, nameBytes.byteLength, true);
    cv.setUint32(42, offset, true);
    entry.set(nameBytes, 46);
    chunks.push(local, body);
    central.push(entry);
    offset += local.byteLength + body.byteLength;
  }
  const directory = concatBytes(central);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, endRecordSignature, true);
  ev.setUint16(8, members.size, true);
  ev.setUint16(10, members.size, true);
  ev.setUint32(12, directory.byteLength, true);
  ev.setUint32(16, offset, true);
  return concatBytes([...chunks, directory, end]);
}
