/** MxArray and mx.array: creation from JavaScript data, read-back, views, printing, disposal. */

import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

test("array() infers shape and dtype from nested lists and scalars", () => {
  using a = mx.array([[1, 2, 3], [4, 5, 6]]);
  assertEquals([a.shape, a.dtype, a.ndim, a.size, a.nbytes], [[2, 3], mx.float32, 2, 6, 24]);
  using b = mx.array(true);
  assertEquals([b.shape, b.dtype, b.item()], [[], mx.bool, true]);
  using c = mx.array(2.5);
  assertEquals([c.shape, c.dtype, c.item()], [[], mx.float32, 2.5]);
  using d = mx.array([[true, false]]);
  assertEquals([d.shape, d.dtype, d.tolist()], [[1, 2], mx.bool, [[true, false]]]);
  using e = mx.array([3n, -4n]);
  assertEquals([e.dtype, e.tolist()], [mx.int64, [3, -4]]);
  using f = mx.array([]);
  assertEquals([f.shape, f.dtype, f.tolist()], [[0], mx.float32, []]);
  using g = mx.array([[], []]);
  assertEquals([g.shape, g.tolist()], [[2, 0], [[], []]]);
});

test("array() keeps a typed array's dtype and values", () => {
  const inputs: [mx.TypedArray, mx.Dtype][] = [
    [new Int8Array([-128, 0, 127]), mx.int8],
    [new Uint8Array([0, 1, 255]), mx.uint8],
    [new Uint8ClampedArray([0, 9, 255]), mx.uint8],
    [new Int16Array([-32768, 5, 32767]), mx.int16],
    [new Uint16Array([0, 7, 65535]), mx.uint16],
    [new Int32Array([-(2 ** 31), 3, 2 ** 31 - 1]), mx.int32],
    [new Uint32Array([0, 11, 2 ** 32 - 1]), mx.uint32],
    [new BigInt64Array([-(2n ** 63n), 1n, 2n ** 63n - 1n]), mx.int64],
    [new BigUint64Array([0n, 2n, 2n ** 64n - 1n]), mx.uint64],
    [new Float16Array([0.5, -2, 65504]), mx.float16],
    [new Float32Array([1.5, -0, 3.4e38]), mx.float32],
    [new Float64Array([Math.PI, -1e300, 5e-324]), mx.float64],
  ];
  for (const [data, dtype] of inputs) {
    using a = mx.array(data);
    assertEquals(a.dtype, dtype, data.constructor.name);
    assertEquals(a.shape, [3]);
    const back = a.toTypedArray();
    const expected = data instanceof Uint8ClampedArray ? new Uint8Array(data) : data;
    assertEquals(back, expected, data.constructor.name);
  }
});

test("array() converts with an explicit dtype", () => {
  using a = mx.array([1.7, -2.5, 300, NaN], mx.int8);
  assertEquals([a.dtype, a.tolist()], [mx.int8, [1, -2, 44, 0]]); // MLX's truncate-and-wrap
  using big = mx.array([2 ** 63 + 2 ** 11, -1], mx.uint64);
  assertEquals(big.toTypedArray(), new BigUint64Array([2n ** 63n + 2048n, 2n ** 64n - 1n]));
  using b = mx.array([1, 0, 2], mx.bool);
  assertEquals(b.tolist(), [true, false, true]);
  using c = mx.array(new Int32Array([1, 2]), mx.float64);
  assertEquals([c.dtype, c.tolist()], [mx.float64, [1, 2]]);
  using d = mx.array([0.1, 1 / 3], mx.bfloat16);
  assertEquals(d.dtype, mx.bfloat16);
  assertAllClose(d.tolist(), [0.10009765625, 0.333984375], { rtol: 0 });
  assertEquals(d.toTypedArray(), new Uint16Array([0x3dcd, 0x3eab]));
  using e = mx.array([1, 2], mx.complex64);
  assertEquals(e.tolist(), [{ re: 1, im: 0 }, { re: 2, im: 0 }]);
  assertEquals(e.toTypedArray(), new Float32Array([1, 0, 2, 0]));
});

test("array() throws on ragged lists and non-numeric elements", () => {
  assertThrows(() => mx.array([[1, 2], [3]]), mx.MxError, "[array] nested lists must be rectangular");
  assertThrows(() => mx.array([[1, 2], 3] as never), mx.MxError, "rectangular");
  assertThrows(() => mx.array(["a"] as never), mx.MxError, "[array] elements must be numbers");
  assertThrows(() => mx.array([null] as never), mx.MxError, "got null");
});

test("item() needs exactly one element", () => {
  using a = mx.array([1, 2]);
  assertThrows(() => a.item(), mx.MxError, "[item] only an array of size 1 has an item; this one has shape [2]");
  using b = mx.array([[7]]);
  assertEquals(b.item(), 7);
});

test("dataView() reads evaluated memory without copying", () => {
  using a = mx.add(mx.array(new Float32Array([1, 2, 3])), 1);
  const view = a.dataView();
  assert(view instanceof Float32Array);
  assertEquals(view, new Float32Array([2, 3, 4]));
  // The same memory each time: a write through one view shows in the next.
  view[0] = 42;
  assertEquals(a.dataView()[0], 42);
  using empty = mx.array([]);
  assertEquals(empty.dataView().length, 0);
});

test("toString() prints like MLX", () => {
  using a = mx.array([[1, 2], [3, 4]], mx.int32);
  assertEquals(String(a), "array([[1, 2],\n       [3, 4]], dtype=int32)");
  using b = mx.array([1, 2.5, 1e-5, 100000, 1234567, NaN, -Infinity]);
  assertEquals(String(b), "array([1, 2.5, 1e-05, 100000, 1.23457e+06, nan, -inf], dtype=float32)");
  using c = mx.array(true);
  assertEquals(String(c), "array(True, dtype=bool)");
  using d = mx.array(new Int32Array(2000).map((_, i) => i));
  assertEquals(String(d), "array([0, 1, 2, ..., 1997, 1998, 1999], dtype=int32)");
  using e = mx.array([[[1], [2]], [[3], [4]]], mx.uint8);
  assertEquals(String(e), "array([[[1],\n        [2]],\n       [[3],\n        [4]]], dtype=uint8)");
  using f = mx.array([[], []]);
  assertEquals(String(f), "array([[],\n       []], dtype=float32)");
});

test("a disposed array throws on use; dispose() twice is harmless", () => {
  const a = mx.array([1, 2, 3]);
  a.dispose();
  a.dispose();
  assertEquals(a.disposed, true);
  const error = assertThrows(() => a.shape, mx.MxError, "[shape] the array was used after dispose()");
  assertEquals(error.code, "disposed");
  assertThrows(() => a.tolist(), mx.MxError, "[tolist] the array was used after dispose()");
  assertThrows(() => mx.add(a, 1), mx.MxError, "[add] the array was used after dispose()");
  assertThrows(() => mx.eval(a), mx.MxError, "[eval] the array was used after dispose()");
  assertEquals(String(a), "array(<disposed>)");
});

test("using disposes at the end of the scope", () => {
  const before = mx.memory.liveArrays();
  let escaped: mx.MxArray;
  {
    using a = mx.array([1, 2, 3]);
    escaped = a;
    assertEquals(mx.memory.liveArrays(), before + 1);
  }
  assertEquals(escaped.disposed, true);
  assertEquals(mx.memory.liveArrays(), before);
});

test("an array's graph survives disposing its inputs", () => {
  const a = mx.array([1, 2, 3]);
  const b = mx.multiply(a, 2);
  a.dispose();
  using c = mx.sum(b);
  b.dispose();
  assertEquals(c.item(), 12);
});
