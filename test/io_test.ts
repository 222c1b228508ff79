/**
 * I/O: every file in test/fixtures/io/ (written by NumPy, MLX and gguf; scripts/fixtures/
 * gen_io.py) loads as MLX 0.32.4 reads it; what we write reads back identically; malformed
 * and hostile files raise MxError naming the file and the problem.
 */

import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

interface Expected {
  dtype: string;
  shape: number[];
  data: unknown[];
}

const fixtureDir = decodeURIComponent(new URL("./fixtures/io/", import.meta.url).pathname);
const expected = JSON.parse(
  readFileSync(decodeURIComponent(new URL("./fixtures/io.json", import.meta.url).pathname), "utf8"),
) as Record<string, Expected | Record<string, Expected> | { arrays: Record<string, Expected>; metadata: Record<string, unknown> }>;

/** Elements as the fixture stores them: 64-bit integers as strings, complex as pairs. */
function flat(a: mx.MxArray): unknown[] {
  if (a.dtype === mx.bfloat16) {
    using f = mx.astype(a, mx.float32);
    return Array.from(f.toTypedArray() as Float32Array);
  }
  const t = a.toTypedArray();
  if (a.dtype === mx.int64 || a.dtype === mx.uint64) return Array.from(t as BigInt64Array, String);
  if (a.dtype === mx.complex64) {
    const out: number[][] = [];
    for (let i = 0; i < t.length; i += 2) out.push([t[i] as number, t[i + 1] as number]);
    return out;
  }
  return Array.from(t as Float32Array, Number);
}

function check(a: mx.MxArray, e: Expected, label: string): void {
  assertEquals(a.dtype.name, e.dtype, `${label} dtype`);
  assertEquals(a.shape, e.shape, `${label} shape`);
  assertEquals(flat(a), e.data, `${label} data`);
}

function checkAll(arrays: Record<string, mx.MxArray>, e: Record<string, Expected>, label: string): void {
  assertEquals(Object.keys(arrays).sort(), Object.keys(e).sort(), `${label} names`);
  for (const [k, v] of Object.entries(e)) check(arrays[k]!, v, `${label}:${k}`);
}

for (const [name, e] of Object.entries(expected).filter(([n]) => n.endsWith("_k.gguf"))) {
  const entry = e as Record<string, Expected> & { mlx_agrees: boolean };
  const note = entry.mlx_agrees ? "as MLX does" : "as ggml does (knownDifference: MLX 0.32.4 " +
    (name === "q4_k.gguf" ? "applies sub-block 2k's scale to sub-block 2k + 1)" : "cannot read it)");
  test(`load() dequantizes ${name} to float16 ${note}`, () => {
    mx.tidy(() => {
      const a = mx.load(fixtureDir + name, { format: "gguf" })["k.weight"]!;
      const want = entry["k.weight"]!;
      assertEquals([a.dtype.name, a.shape], [want.dtype, want.shape]);
      assertAllClose(flat(a), want.data, { rtol: 1e-3, atol: 1e-4, label: name });
    });
  });
}

for (const [name, e] of Object.entries(expected).filter(([n]) => !n.endsWith("_k.gguf"))) {
  test(`load() reads ${name} as MLX does`, () => {
    mx.tidy(() => {
      const path = fixtureDir + name;
      if (name.endsWith(".npy")) return check(mx.load(path as `${string}.npy`), e as Expected, name);
      if (name.endsWith(".npz") || name.startsWith("q")) {
        return checkAll(mx.load(path, { format: name.endsWith(".npz") ? "npz" : "gguf" }), e as Record<string, Expected>, name);
      }
      const { arrays, metadata } = mx.load(path, { returnMetadata: true });
      const want = e as { arrays: Record<string, Expected>; metadata: Record<string, unknown> };
      checkAll(arrays, want.arrays, name);
      assertEquals(Object.keys(metadata).sort(), Object.keys(want.metadata).sort(), `${name} metadata keys`);
      for (const [k, v] of Object.entries(want.metadata)) {
        const got = metadata[k]!;
        if (got instanceof mx.MxArray) check(got, v as Expected, `${name} metadata ${k}`);
        else assertEquals(got, v, `${name} metadata ${k}`);
      }
    });
  });
}

test("saveBytes()/loadBytes() round-trip every fixture array through npy, npz, safetensors", () => {
  mx.tidy(() => {
    for (const name of Object.keys(expected).filter((n) => n.endsWith(".npy"))) {
      const a = mx.load((fixtureDir + name) as `${string}.npy`);
      const back = mx.loadBytes(mx.saveBytes("npy", a), { format: "npy" });
      check(back, expected[name] as Expected, `npy ${name}`);
      const z = mx.loadBytes(mx.saveBytes("npz", { x: a }), { format: "npz" });
      check(z.x!, expected[name] as Expected, `npz ${name}`);
    }
    const { arrays, metadata } = mx.load(fixtureDir + "all.safetensors", { returnMetadata: true });
    const again = mx.loadBytes(mx.saveBytes("safetensors", arrays, metadata as Record<string, string>), {
      format: "safetensors",
      returnMetadata: true,
    });
    const want = expected["all.safetensors"] as { arrays: Record<string, Expected>; metadata: Record<string, string> };
    checkAll(again.arrays, want.arrays, "safetensors round trip");
    assertEquals(again.metadata, want.metadata);
  });
});

test("save()/savez()/savezCompressed()/saveSafetensors()/saveGguf() write files that load back", () => {
  const dir = mx.tidy(() => {
    const base = `${tmpdir()}/mlxts_io_test_${Math.random().toString(36).slice(2)}`;
    const a = mx.reshape(mx.astype(mx.arange(12), mx.int32), [3, 4]);
    const t = mx.transpose(a); // a strided view: written as its row-major copy
    mx.save(`${base}_a`, t);
    assertEquals(mx.load(`${base}_a.npy`).tolist(), t.tolist());
    mx.savez(`${base}_z`, [a, t]);
    mx.savezCompressed(`${base}_c`, { big: mx.zeros([1000]) });
    const z = mx.load(`${base}_z.npz`);
    assertEquals(Object.keys(z), ["arr_0", "arr_1"]);
    assertEquals(z.arr_1!.tolist(), t.tolist());
    assert(readFileSync(`${base}_c.npz`).byteLength < 1000, "compressed npz is small");
    assertEquals(mx.load(`${base}_c.npz`).big!.shape, [1000]);
    mx.saveSafetensors(`${base}_s`, { t }, { k: "v" });
    assertEquals(mx.load(`${base}_s.safetensors`).t!.tolist(), t.tolist());
    const w = mx.divide(mx.arange(64), 7);
    mx.saveGguf(`${base}_g`, { w: mx.reshape(w, [2, 32]), h: mx.astype(t, mx.float16) }, {
      s: "x",
      l: ["a", ""],
      n: mx.array(3, mx.int64),
      v: mx.array([true, false]),
    });
    const g = mx.load(`${base}_g.gguf`, { returnMetadata: true });
    assertEquals(g.arrays.w!.tolist(), mx.reshape(w, [2, 32]).tolist());
    assertEquals(g.arrays.h!.tolist(), t.tolist());
    assertEquals([g.metadata.s, g.metadata.l], ["x", ["a", ""]]);
    assertEquals((g.metadata.n as mx.MxArray).item(), 3);
    assertEquals((g.metadata.v as mx.MxArray).tolist(), [true, false]);
    return base;
  });
  for (const suffix of ["_a.npy", "_z.npz", "_c.npz", "_s.safetensors", "_g.gguf"]) rmSync(dir + suffix);
});

test("saveBytes('npy') writes the very bytes np.save wrote (C order, little-endian)", () => {
  mx.tidy(() => {
    for (const name of ["f32", "f64", "f16", "i8", "i64", "u64", "bool", "c64", "scalar", "empty", "big_endian"]) {
      const file = new Uint8Array(readFileSync(`${fixtureDir}${name}.npy`));
      const ours = mx.saveBytes("npy", mx.load(`${fixtureDir}${name}.npy` as `${string}.npy`));
      if (name === "big_endian") {
        assertEquals(ours.byteLength, file.byteLength); // same layout, little-endian descr and data
      } else {
        assertEquals(Array.from(ours), Array.from(file), name);
      }
    }
  });
});

test("saveBytes('safetensors') pads the header by bytes, so non-ASCII names round-trip", () => {
  mx.tidy(() => {
    const bytes = mx.saveBytes("safetensors", { "poids_é": mx.array([1, 2]) }, { "clé": "ü" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assertEquals(headerLength % 8, 0);
    const back = mx.loadBytes(bytes, { format: "safetensors", returnMetadata: true });
    assertEquals(back.arrays["poids_é"]!.tolist(), [1, 2]);
    assertEquals(back.metadata, { "clé": "ü" });
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed and hostile input

const npyBytes = () => new Uint8Array(readFileSync(fixtureDir + "f32.npy"));
const stBytes = () => new Uint8Array(readFileSync(fixtureDir + "all.safetensors"));
const ggufBytes = () => new Uint8Array(readFileSync(fixtureDir + "mlx.gguf"));

function npyWithHeader(header: string, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.byteLength + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.byteLength, true);
  out.set(h, 10);
  out.set(data, 10 + h.byteLength);
  return out;
}

function safetensorsWith(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

test("load() of a .npy rejects bad magic, truncation, huge shapes and unknown dtypes", () => {
  const bad = npyBytes();
  bad[0] = 0;
  assertThrows(() => mx.loadBytes(bad, { format: "npy" }), mx.MxError, "[load] <bytes>: not a .npy file");
  const full = npyBytes();
  assertThrows(() => mx.loadBytes(full.subarray(0, full.byteLength - 1), { format: "npy" }), mx.MxError, "needs 24 bytes");
  assertThrows(() => mx.loadBytes(full.subarray(0, 9), { format: "npy" }), mx.MxError, "truncated");
  const huge = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }");
  assertThrows(() => mx.loadBytes(huge, { format: "npy" }), mx.MxError, "only 0 are there");
  const neg = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }");
  assertThrows(() => mx.loadBytes(neg, { format: "npy" }), mx.MxError, "invalid dimension '-1'");
  const obj = npyWithHeader("{'descr': '|O8', 'fortran_order': False, 'shape': (1,), }");
  assertThrows(() => mx.loadBytes(obj, { format: "npy" }), mx.MxError, "unsupported dtype '|O8'");
  assertThrows(() => mx.loadBytes(npyWithHeader("garbage"), { format: "npy" }), mx.MxError, "malformed header");
});

test("load() of a .npz rejects non-zip data, zip64, corrupt and lying members", () => {
  assertThrows(() => mx.loadBytes(new Uint8Array(100), { format: "npz" }), mx.MxError, "not a zip archive");
  const plain = new Uint8Array(readFileSync(fixtureDir + "plain.npz"));
  const end = plain.byteLength - 22;
  const zip64 = plain.slice();
  new DataView(zip64.buffer).setUint32(end + 16, 0xffffffff, true);
  assertThrows(() => mx.loadBytes(zip64, { format: "npz" }), mx.MxError, "zip64");
  const cut = plain.slice();
  new DataView(cut.buffer).setUint32(end + 16, plain.byteLength - 10, true);
  assertThrows(() => mx.loadBytes(cut, { format: "npz" }), mx.MxError, "[load] <bytes>:");
  const bomb = mx.saveBytes("npz", { x: mx.zeros([10000]) });
  const compressed = mx.tidy(() => {
    const path = `${tmpdir()}/mlxts_io_bomb_${Math.random().toString(36).slice(2)}.npz`;
    mx.savezCompressed(path, { x: mx.zeros([10000]) });
    const bytes = new Uint8Array(readFileSync(path));
    rmSync(path);
    return bytes;
  });
  assert(compressed.byteLength < bomb.byteLength);
  // Lie about the inflated size in the central directory: inflation stops at the declared size.
  const lying = compressed.slice();
  const dv = new DataView(lying.buffer);
  const central = dv.getUint32(lying.byteLength - 22 + 16, true);
  dv.setUint32(central + 24, 100, true);
  assertThrows(() => mx.loadBytes(lying, { format: "npz" }), mx.MxError, "member 'x.npy'");
});

test("load() of a .safetensors validates the header before allocating", () => {
  const st = (h: unknown, n = 0) => () => mx.loadBytes(safetensorsWith(h, n), { format: "safetensors" });
  assertThrows(() => mx.loadBytes(new Uint8Array(4), { format: "safetensors" }), mx.MxError, "truncated");
  const long = stBytes();
  new DataView(long.buffer).setBigUint64(0, 1n << 40n, true);
  assertThrows(() => mx.loadBytes(long, { format: "safetensors" }), mx.MxError, "invalid JSON header length");
  const past = stBytes();
  new DataView(past.buffer).setBigUint64(0, BigInt(past.byteLength), true);
  assertThrows(() => mx.loadBytes(past, { format: "safetensors" }), mx.MxError, "but the file is only");
  const json = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]);
  assertThrows(() => mx.loadBytes(json, { format: "safetensors" }), mx.MxError, "invalid JSON header");
  assertThrows(st({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 4), mx.MxError, "exceed the 4 data bytes");
  assertThrows(st({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 8), mx.MxError, "expecting 8 bytes");
  assertThrows(st({ a: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, 8), mx.MxError, "invalid dimension -2");
  assertThrows(
    st({ a: { dtype: "F32", shape: [1e6, 1e6, 1e6], data_offsets: [0, 8] } }, 8),
    mx.MxError,
    "tensor 'a'",
  );
  assertThrows(st({ a: { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, 8), mx.MxError, 'unsupported dtype "F64"');
  assertThrows(st({ a: { dtype: "F32", shape: [1], data_offsets: [0] } }, 8), mx.MxError, "two integers");
  assertThrows(
    st({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8),
    mx.MxError,
    "overlap",
  );
  assertThrows(st([1, 2]), mx.MxError, "not an object");
});

test("load() of a .gguf rejects bad magic and version, truncation, huge lengths and types", () => {
  const g = (bytes: Uint8Array) => () => mx.loadBytes(bytes, { format: "gguf" });
  const magic = ggufBytes();
  magic[0] = 0x41;
  assertThrows(g(magic), mx.MxError, "[load_gguf] <bytes>: not a GGUF file");
  const version = ggufBytes();
  version[4] = 1;
  assertThrows(g(version), mx.MxError, "unsupported GGUF version 1");
  const full = ggufBytes();
  for (const cut of [10, 30, 100, full.byteLength - 3]) {
    assertThrows(g(full.subarray(0, cut)), mx.MxError, "<bytes>", );
  }
  // A header declaring one key with a 2^62-byte name.
  const header = (tensors: bigint, keys: bigint, rest: number[]) => {
    const b = new Uint8Array(24 + rest.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x46554747, true);
    v.setUint32(4, 3, true);
    v.setBigUint64(8, tensors, true);
    v.setBigUint64(16, keys, true);
    b.set(rest, 24);
    return b;
  };
  const u64 = (n: bigint) => Array.from(new Uint8Array(new BigUint64Array([n]).buffer));
  const u32 = (n: number) => Array.from(new Uint8Array(new Uint32Array([n]).buffer));
  assertThrows(g(header(0n, 1n, u64(1n << 62n))), mx.MxError, "truncated");
  // Key "k", an array of 2^60 uint32 values.
  assertThrows(g(header(0n, 1n, [...u64(1n), 107, ...u32(9), ...u32(4), ...u64(1n << 60n)])), mx.MxError, "truncated");
  assertThrows(g(header(0n, 1n, [...u64(1n), 107, ...u32(99)])), mx.MxError, "unsupported type 99");
  // Tensor "t": 1 dim of 2^40, f32, offset 0.
  assertThrows(g(header(1n, 0n, [...u64(1n), 116, ...u32(1), ...u64(1n << 40n), ...u32(0), ...u64(0n)])), mx.MxError, "over 2^31 - 1");
  const tensor = (dim: number, type: number, offset: bigint) =>
    header(1n, 0n, [...u64(1n), 116, ...u32(1), ...u64(BigInt(dim)), ...u32(type), ...u64(offset), ...new Array(64).fill(0)]);
  assertThrows(g(tensor(16, 0, 0n)), mx.MxError, "tensor 't' extends past the end of the file");
  assertThrows(g(tensor(4, 0, 1n << 60n)), mx.MxError, "extends past the end");
  assertThrows(g(tensor(4, 6, 0n)), mx.MxError, "tensor 't' has unsupported type 6");
  assertThrows(g(tensor(16, 2, 0n)), mx.MxError, "not a multiple of 32");
  assertEquals(mx.loadBytes(tensor(4, 0, 0n), { format: "gguf" }).t!.tolist(), [0, 0, 0, 0]);
});

test("load() names the path, the format problem and unsupported options", () => {
  assertThrows(() => mx.load("/nonexistent/x.npy"), mx.MxError, "[load] Failed to open /nonexistent/x.npy");
  assertThrows(() => mx.load("/tmp/file.txt"), mx.MxError, "Unknown file format txt");
  assertThrows(() => mx.load("/tmp/file"), mx.MxError, "Could not infer file format");
  assertThrows(() => mx.load(fixtureDir + "f32.npy", { returnMetadata: true }), mx.MxError, "metadata not supported for format npy");
  assertThrows(() => mx.saveBytes("safetensors", { a: mx.array([1], mx.float64) }), mx.MxError, "dtype float64 is not supported");
  assertThrows(() => mx.saveBytes("gguf", { a: mx.array([1], mx.uint8) }), mx.MxError, "[save_gguf] dtype uint8");
  assertThrows(() => mx.saveBytes("gguf", {}, { e: mx.zeros([0]) }), mx.MxError, "Cannot save empty arrays");
});
