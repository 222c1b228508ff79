/**
 * The unary and binary op sets, where and clip against MLX's results
 * (test/fixtures/elementwise.json, made by scripts/fixtures/gen_elementwise.py): every op in
 * every dtype, MLX's dtype rules and rejections, broadcasting, promotion, non-contiguous
 * (transposed) inputs, NaN and infinities.
 */

import * as mx from "mlx-ts";
import { native } from "../ffi/loader.ts";
import { binaryOpNames, unaryOpNames } from "../src/op_codes.ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { type Case, complexParts, decode, loadCases, makeArray, testFixtureGroups } from "./fixtures.ts";

type ErrorCase = Case & { error?: string };
const cases = loadCases("elementwise.json") as ErrorCase[];

const camel = (name: string) => name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
const functions = mx as unknown as Record<string, (...args: unknown[]) => mx.MxArray>;

function run(c: Case): mx.MxArray {
  const inputs = c.inputs.map(makeArray);
  try {
    const fn = functions[camel(c.op)];
    if (!fn) throw new Error(`mx.${camel(c.op)} does not exist`);
    return fn(...inputs);
  } finally {
    for (const input of inputs) input.dispose();
  }
}

/** How far our math may be from MLX's: libm and MLX's own approximations differ in the last
 * bits; float16/bfloat16 results round once from float32. */
function tolerance(dtype: string, op: string): { rtol: number; atol: number } {
  const exactOps = ["add", "subtract", "multiply", "maximum", "minimum", "negative", "abs", "square",
    "floor", "ceil", "round", "sign", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "where", "clip", "real", "imag", "conjugate"];
  if (exactOps.includes(op) && dtype !== "complex64") return { rtol: 0, atol: 0 };
  switch (dtype) {
    case "float16":
      return { rtol: 2e-3, atol: 1e-3 };
    case "bfloat16":
      return { rtol: 1.6e-2, atol: 1e-2 };
    case "float64":
      // MLX's CPU computes some float64 functions (exp, sin, erf...) to float32 accuracy.
      return { rtol: 1e-6, atol: 1e-7 };
    default:
      return { rtol: 2e-6, atol: 1e-6 };
  }
}


function checkCase(c: ErrorCase): void {
  if (c.error !== undefined) {
    assertThrows(() => run(c), mx.MxError, `[${c.op}] is not defined for dtype`);
    return;
  }
  using out = run(c);
  assertEquals(out.dtype.name, c.expected.dtype, `${c.name}: dtype`);
  assertEquals(out.shape, c.expected.shape, `${c.name}: shape`);
  const complex = c.expected.dtype === "complex64";
  const expected = decode(c.expected.data, complex, c.expected.shape.length);
  assertAllClose(complexParts(out.tolist()), complexParts(expected), { ...tolerance(c.expected.dtype, c.op), label: c.name });
}

const groups = testFixtureGroups(cases, {
  title: (op, count) => `${camel(op)}() matches MLX on ${count} fixture cases`,
  check: checkCase,
});

test("the op code lists agree with the library's", () => {
  const read = (kind: number) => {
    const length = native.op_names(kind, null, 0);
    const buffer = new Uint8Array(length);
    native.op_names(kind, buffer, length);
    return new TextDecoder().decode(buffer);
  };
  assertEquals(read(0), unaryOpNames);
  assertEquals(read(1), binaryOpNames);
  assertEquals(native.unary(999, 1), 0);
});

test("every public elementwise function has fixture coverage", () => {
  for (const name of [...unaryOpNames.split(","), ...binaryOpNames.split(","), "where", "clip"]) {
    assertEquals(groups.has(name), true, `no fixture cases for ${name}`);
  }
});

test("ops reject bad dtypes with the op and dtype named", () => {
  using b = mx.array([true, false]);
  const error = assertThrows(() => mx.negative(b), mx.MxError, "[negative] is not defined for dtype bool");
  assertEquals(error.code, "dtype_mismatch");
  using f = mx.array([1.5]);
  assertThrows(() => mx.bitwiseAnd(f, f), mx.MxError, "[bitwise_and] is not defined for dtypes float32 and float32");
  assertThrows(() => mx.leftShift(f, 1), mx.MxError, "[left_shift] is not defined for dtypes float32 and float32");
});

test("round() takes decimals; clip() takes null bounds", () => {
  using a = mx.array([1.2345, -2.5, 2.5]);
  assertAllClose(mx.round(a, { decimals: 2 }).tolist(), [1.23, -2.5, 2.5], { rtol: 1e-6 });
  assertEquals(mx.round(a).tolist(), [1, -2, 2]);
  assertEquals(mx.clip(a, null, 2).tolist(), [1.2345000505447388, -2.5, 2]);
  assertEquals(mx.clip(a, 0, null).tolist(), [1.2345000505447388, 0, 2.5]);
  assertThrows(() => mx.clip(a, null, null), mx.MxError, "[clip] at least one of min and max");
  assertThrows(() => mx.round(a, { decimals: 0.5 }), mx.MxError, "[round] decimals must be an integer");
});

test("a long contiguous row goes through the SIMD path and the thread pool", () => {
  const n = 100_003;
  const data = Float32Array.from({ length: n }, (_, i) => (i % 97) * 0.25 - 12);
  using a = mx.array(data);
  using e = mx.exp(a);
  using m = mx.maximum(a, 0);
  const exps = e.toTypedArray() as Float32Array;
  const maxes = m.toTypedArray() as Float32Array;
  for (let i = 0; i < n; i += 997) {
    assertAllClose(exps[i], Math.fround(Math.exp(data[i]!)), { rtol: 2e-6 });
    assertEquals(maxes[i], Math.max(data[i]!, 0));
  }
});

test("transpose() views share memory and read back row-major", () => {
  using a = mx.array([[1, 2, 3], [4, 5, 6]], mx.int32);
  using t = a.T;
  assertEquals([t.shape, t.tolist()], [[3, 2], [[1, 4], [2, 5], [3, 6]]]);
  assertEquals(t.toTypedArray(), new Int32Array([1, 4, 2, 5, 3, 6]));
  assertThrows(() => t.dataView(), mx.MxError, "[dataView] the array is a strided view");
  using t3 = mx.transpose(mx.array([[[1, 2]], [[3, 4]]]), { axes: [2, 0, -2] });
  assertEquals([t3.shape, t3.tolist()], [[2, 2, 1], [[[1], [3]], [[2], [4]]]]);
  assertThrows(() => mx.transpose(a, { axes: [0] }), mx.MxError, "[transpose] 1 axes given for an array of shape [2,3]");
  assertThrows(() => mx.transpose(a, { axes: [0, 0] }), mx.MxError, "[transpose] axis 0 is repeated");
  assertThrows(() => mx.transpose(a, { axes: [0, 2] }), mx.MxError, "[transpose] axis 2 is out of bounds");
});

test("nanToNum() replaces NaN and infinities like MLX's nan_to_num", () => {
  using x = mx.array([NaN, Infinity, -Infinity, 1.5]);
  assertEquals(mx.nanToNum(x).tolist(), [0, 3.4028234663852886e38, -3.4028234663852886e38, 1.5]);
  assertEquals(mx.nanToNum(x, { nan: 5, posinf: 7, neginf: -7 }).tolist(), [5, 7, -7, 1.5]);
  using h = mx.astype(x, mx.float16);
  using hClean = mx.nanToNum(h);
  assertEquals([hClean.dtype, hClean.tolist()], [mx.float16, [0, 65504, -65504, 1.5]]);
  using ints = mx.array([1, 2], mx.int32);
  assertEquals(mx.nanToNum(ints).tolist(), [1, 2]);
});
