/**
 * add, multiply, sum and astype against MLX's results (test/fixtures/core_ops.json, made by
 * scripts/fixtures/gen_core.py): every dtype pair, broadcasting, wrapping integers, NaN and
 * infinities, empty and 0-d arrays.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { type Case, decode, dtypeByName, loadCases, makeArray } from "./fixtures.ts";

const cases = loadCases("core_ops.json");

function run(c: Case): mx.MxArray {
  const inputs = c.inputs.map(makeArray);
  try {
    switch (c.op) {
      case "add":
        return mx.add(inputs[0]!, inputs[1]!);
      case "multiply":
        return mx.multiply(inputs[0]!, inputs[1]!);
      case "sum":
        return mx.sum(inputs[0]!, { axis: c.axis ?? undefined, keepdims: c.keepdims });
      case "astype":
        return mx.astype(inputs[0]!, dtypeByName(c.dtype!));
      default:
        throw new Error(`unknown op ${c.op}`);
    }
  } finally {
    for (const input of inputs) input.dispose();
  }
}

/** Elementwise results must be exact; sums may differ in the order of additions. */
function tolerance(c: Case): { rtol: number; atol: number } {
  if (c.op !== "sum") return { rtol: 0, atol: 0 };
  const dtype = c.expected.dtype;
  if (dtype === "float16") return { rtol: 2e-3, atol: 0 };
  if (dtype === "bfloat16") return { rtol: 1e-2, atol: 0 };
  return { rtol: 1e-6, atol: 0 };
}

function checkCase(c: Case): void {
  using out = run(c);
  assertEquals(out.dtype.name, c.expected.dtype, `${c.name}: dtype`);
  assertEquals(out.shape, c.expected.shape, `${c.name}: shape`);
  const complex = c.expected.dtype === "complex64";
  const expected = decode(c.expected.data, complex, c.expected.shape.length);
  const actual = out.tolist();
  if (complex) {
    const parts = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(parts) : [(v as mx.Complex).re, (v as mx.Complex).im];
    assertAllClose(parts(actual), parts(expected), { ...tolerance(c), label: c.name });
  } else if (c.expected.shape.reduce((a, b) => a * b, 1) === 0) {
    assertEquals(JSON.stringify(actual), JSON.stringify(expected), c.name);
  } else {
    assertAllClose(actual, expected, { ...tolerance(c), label: c.name });
  }
}

for (const op of ["add", "multiply", "sum", "astype"]) {
  const group = cases.filter((c) => c.op === op);
  test(`${op}() matches MLX on ${group.length} fixture cases`, () => {
    const failures: string[] = [];
    for (const c of group) {
      try {
        checkCase(c);
      } catch (error) {
        failures.push(String((error as Error).message));
      }
    }
    assertEquals(failures.slice(0, 8), [], `${failures.length} of ${group.length} cases failed`);
  });
}

test("add() of a number keeps the array's dtype (weak scalar typing)", () => {
  using a = mx.array([1, 2, 3], mx.int8);
  using b = mx.add(a, 1);
  assertEquals(b.dtype, mx.int8);
  assertEquals(b.tolist(), [2, 3, 4]);
  using c = mx.add(a, 1.5);
  assertEquals(c.dtype, mx.float32);
  assertEquals(c.tolist(), [2.5, 3.5, 4.5]);
  using h = mx.array([1, 2], mx.float16);
  using d = mx.multiply(h, 3);
  assertEquals(d.dtype, mx.float16);
  using e = mx.add(mx.array([true, false]), 2);
  assertEquals([e.dtype, e.tolist()], [mx.int32, [3, 2]]);
});

test("add() throws on shapes that do not broadcast, naming both", () => {
  using a = mx.array([[1, 2, 3], [4, 5, 6]]);
  using b = mx.array([1, 2]);
  const error = assertThrows(() => mx.add(a, b), mx.MxError, "[add] shapes [2,3] and [2] cannot be broadcast");
  assertEquals(error.code, "shape_mismatch");
  assertThrows(() => mx.multiply(b, a), mx.MxError, "[multiply] shapes [2] and [2,3]");
});

test("sum() throws on bad axes", () => {
  using a = mx.array([[1, 2], [3, 4]]);
  assertThrows(() => mx.sum(a, { axis: 2 }), mx.MxError, "[sum] axis 2 is out of bounds for an array of shape [2,2]");
  assertThrows(() => mx.sum(a, { axis: -3 }), mx.MxError, "[sum] axis -3 is out of bounds");
  assertThrows(() => mx.sum(a, { axis: [0, -2] }), mx.MxError, "[sum] axis -2 is repeated");
  assertThrows(() => mx.sum(a, { axis: 0.5 }), mx.MxError, "[sum] axes must be 32-bit integers; got 0.5");
});

test("astype() saturates out-of-range floats and maps NaN to 0", () => {
  using a = mx.array([NaN, Infinity, -Infinity, 1e10, -1e10, -0.5, 255.9]);
  assertEquals(mx.astype(a, mx.int32).tolist(), [0, 2147483647, -2147483648, 2147483647, -2147483648, 0, 255]);
  assertEquals(mx.astype(a, mx.uint8).tolist(), [0, 255, 0, 255, 0, 0, 255]);
  assertEquals(mx.astype(a, mx.bool).tolist(), [true, true, true, true, true, true, true]);
});

test("a dtype given as a string is a clear error in astype, array, arange and zeros", () => {
  using a = mx.array([1, 2]);
  // @ts-expect-error: a string is not a Dtype.
  assertThrows(() => a.astype("float32"), mx.MxError, '[astype] dtype must be an mx dtype such as mx.float32; got the string "float32" (use mx.float32)');
  // @ts-expect-error: as above.
  assertThrows(() => mx.array([1], "int8"), mx.MxError, '[array] dtype must be an mx dtype such as mx.float32; got the string "int8" (use mx.int8)');
  // @ts-expect-error: as above.
  assertThrows(() => mx.arange(3, { dtype: "f4" }), mx.MxError, '[arange] dtype must be an mx dtype such as mx.float32; got the string "f4"');
  // @ts-expect-error: a typed-array constructor is not a Dtype either.
  assertThrows(() => mx.zeros([2], Float32Array), mx.MxError, "[zeros] dtype must be an mx dtype");
});

test("ops are lazy until a value is read or eval() runs", () => {
  using a = mx.array([1, 2, 3]);
  using b = mx.multiply(a, a);
  using c = mx.sum(b);
  assertEquals([mx.isEvaluated(b), mx.isEvaluated(c)], [false, false]);
  mx.eval(c);
  // b is part of c's graph: it was computed on the way, as in MLX.
  assertEquals([mx.isEvaluated(b), mx.isEvaluated(c)], [true, true]);
  assertEquals(b.tolist(), [1, 4, 9]);
  using e = mx.add(a, 1);
  assertEquals(e.tolist(), [2, 3, 4]); // reading evaluates
  assertEquals(mx.isEvaluated(e), true);
  assertEquals(c.item(), 14);
  using d = mx.add(c, 1);
  mx.eval({ result: [d], other: "ignored" });
  assertEquals(mx.isEvaluated(d), true);
});

test("arange() takes (stop), (stop, options), (start, stop, options) and rejects non-numbers", () => {
  assertEquals(mx.arange(3).tolist(), [0, 1, 2]);
  assertEquals(String(mx.arange(3).dtype), "int32");
  using f = mx.arange(3, { dtype: mx.float32 });
  assertEquals([String(f.dtype), f.tolist()], ["float32", [0, 1, 2]]);
  assertEquals(mx.arange(1, 2, { step: 0.5 }).tolist(), [1, 1.5]);
  assertThrows(() => mx.arange("a" as unknown as number), mx.MxError, "[arange] stop must be a number; got a");
  assertThrows(() => mx.arange(0, NaN), mx.MxError, "[arange] stop must be a number; got NaN");
});
