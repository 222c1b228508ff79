/**
 * Reductions, arg-reductions, softmax and scans against MLX's results
 * (test/fixtures/reductions.json, made by scripts/fixtures/gen_reductions.py): every op in
 * every dtype, axis sets, keepdims, ddof, reverse/inclusive scans, NaN and infinities, empty
 * and 0-d inputs, transposed inputs, and inputs long enough for SIMD and threads.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { type Case, complexParts, decode, loadCases, makeArray, testFixtureGroups } from "./fixtures.ts";

type Params = {
  axis?: number | number[] | null;
  keepdims?: boolean;
  ddof?: number;
  reverse?: boolean;
  inclusive?: boolean;
};
type ReductionCase = Case & { params: Params; error?: string };
const cases = loadCases("reductions.json") as ReductionCase[];

const floatNames = ["float16", "bfloat16", "float32", "float64", "complex64"];

/** MLX behaviours we do not reproduce, on purpose (see ARCHITECTURE.md, "Where we differ"). */
function knownDifference(c: ReductionCase): string | undefined {
  const input = c.inputs[0]!;
  if (c.op === "softmax" && !floatNames.includes(input.dtype) && c.expected && c.expected.dtype !== "float32") {
    return "MLX's softmax keeps integer dtypes unless the axis is the last one; we always give float32";
  }
  if ((c.op === "cummax" || c.op === "cummin") && (input.dtype === "float16" || input.dtype === "bfloat16") &&
    JSON.stringify(input.data ?? "").includes("nan")) {
    return "MLX's float16/bfloat16 cummax/cummin turn NaN into 0; we propagate NaN as for float32";
  }
  if (c.op === "logsumexp" && (input.dtype === "bool" || input.dtype.startsWith("uint"))) {
    return "MLX's logsumexp subtracts the max in bool/unsigned arithmetic (it wraps); we convert to float32 first";
  }
  return undefined;
}

function run(c: ReductionCase): mx.MxArray {
  using input = makeArray(c.inputs[0]!);
  const p = c.params;
  const axis = p.axis ?? undefined;
  switch (c.op) {
    case "sum":
    case "prod":
    case "min":
    case "max":
    case "all":
    case "any":
    case "mean":
    case "logsumexp":
      return (mx[c.op] as (a: mx.MxArray, o: mx.ReduceOptions) => mx.MxArray)(input, { axis, keepdims: p.keepdims });
    case "var":
    case "std":
      return mx[c.op](input, { axis, keepdims: p.keepdims, ddof: p.ddof });
    case "argmin":
    case "argmax":
      return mx[c.op](input, { axis: axis as number | undefined, keepdims: p.keepdims });
    case "softmax":
      return mx.softmax(input, { axis });
    case "cumsum":
    case "cumprod":
    case "cummax":
    case "cummin":
    case "logcumsumexp":
      return mx[c.op](input, { axis: axis as number | undefined, reverse: p.reverse, inclusive: p.inclusive });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

function tolerance(c: ReductionCase): { rtol: number; atol: number } {
  const dtype = c.expected.dtype;
  const transcendental = ["logsumexp", "softmax", "logcumsumexp", "std"].includes(c.op);
  if (dtype === "float16") return { rtol: 5e-3, atol: 2e-3 };
  if (dtype === "bfloat16") return { rtol: 3e-2, atol: 2e-2 };
  if (dtype === "float64") return transcendental ? { rtol: 1e-6, atol: 1e-7 } : { rtol: 1e-12, atol: 1e-12 };
  if (dtype === "float32" || dtype === "complex64") return { rtol: 2e-5, atol: 2e-6 };
  return { rtol: 0, atol: 0 };
}


function checkCase(c: ReductionCase): void {
  if (c.error !== undefined) {
    assertThrows(() => run(c), mx.MxError);
    return;
  }
  using out = run(c);
  assertEquals(out.dtype.name, c.expected.dtype, `${c.name}: dtype`);
  assertEquals(out.shape, c.expected.shape, `${c.name}: shape`);
  const expected = decode(c.expected.data, c.expected.dtype === "complex64", c.expected.shape.length);
  assertAllClose(complexParts(out.tolist()), complexParts(expected), { ...tolerance(c), label: c.name });
}

testFixtureGroups(cases, {
  title: (op, count) => `${op}() matches MLX on ${count} fixture cases`,
  check: checkCase,
  skip: knownDifference,
  maxSkipped: 16, // the documented differences cover a few cases only
});

test("our softmax gives float32 for integers on any axis; cummax propagates NaN in float16", () => {
  using ints = mx.array([[1, 2], [3, 4]], mx.int32);
  using s = mx.softmax(ints, { axis: 0 });
  assertEquals(s.dtype, mx.float32);
  assertAllClose(s.tolist(), [[0.11920292, 0.11920292], [0.88079708, 0.88079708]], { rtol: 1e-6 });
  using h = mx.array([0.5, NaN, 2], mx.float16);
  assertAllClose(mx.cummax(h).tolist(), [0.5, NaN, NaN]);
});

test("reductions throw on bad axes and empty inputs, naming the op", () => {
  using a = mx.array([[1, 2], [3, 4]]);
  assertThrows(() => mx.max(a, { axis: 2 }), mx.MxError, "[max] axis 2 is out of bounds for an array of shape [2,2]");
  assertThrows(() => mx.sum(a, { axis: [0, -2] }), mx.MxError, "[sum] axis -2 is repeated");
  using empty = mx.zeros([0, 3]);
  assertThrows(() => mx.max(empty, { axis: 0 }), mx.MxError, "[max] cannot reduce over axis 0 of size 0");
  assertThrows(() => mx.argmax(empty, { axis: 1 }), mx.MxError, "[argmax] cannot reduce an empty array");
  assertThrows(() => mx.logsumexp(empty), mx.MxError, "[logsumexp] received an empty array");
  assertThrows(() => mx.var(a, { ddof: -1 }), mx.MxError, "[var] ddof must be an integer >= 0");
  assertThrows(() => mx.cumsum(a, { axis: 5 }), mx.MxError, "[cumsum] axis 5 is out of bounds");
  assertEquals(mx.sum(a, { axis: [] }).tolist(), [[1, 2], [3, 4]]);
});

test("pooling layouts (kept axes ending in a contiguous row, middle axes reduced) match a direct loop", () => {
  const shape = [3, 4, 5, 2, 16];
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => ((i * 37) % 23) - 11);
  const reference = (combine: (a: number, b: number) => number, init: number) => {
    const out: number[] = [];
    for (let a = 0; a < 3; a++) {
      for (let c = 0; c < 5; c++) {
        for (let e = 0; e < 16; e++) {
          let acc = init;
          for (let b = 0; b < 4; b++) for (let d = 0; d < 2; d++) acc = combine(acc, values[(((a * 4 + b) * 5 + c) * 2 + d) * 16 + e]!);
          out.push(acc);
        }
      }
    }
    return out;
  };
  const axis = [1, 3];
  for (const dtype of [mx.float32, mx.int32, mx.float16, mx.int8]) {
    using x = mx.reshape(mx.array(values, dtype), shape);
    using mx1 = mx.max(x, { axis });
    using sum1 = mx.sum(x, { axis });
    using min1 = mx.min(x, { axis });
    assertEquals(mx1.shape, [3, 5, 16]);
    assertEquals(mx.reshape(mx1, [-1]).tolist(), reference(Math.max, -Infinity), `max ${dtype}`);
    assertEquals(mx.reshape(min1, [-1]).tolist(), reference(Math.min, Infinity), `min ${dtype}`);
    assertEquals(mx.reshape(sum1, [-1]).tolist(), reference((p, q) => p + q, 0), `sum ${dtype}`);
  }
  using positive = mx.greater(mx.reshape(mx.array(values), shape), 0);
  using count = mx.sum(positive, { axis });
  assertEquals(String(count.dtype), "int32");
  assertEquals(mx.reshape(count, [-1]).tolist(), reference((p, q) => p + (q > 0 ? 1 : 0), 0));
  using anyPositive = mx.any(positive, { axis });
  assertEquals(mx.reshape(anyPositive, [-1]).tolist(), reference((p, q) => p || q > 0 ? 1 : 0, 0).map(Boolean));
});

test("column reductions over many rows (rows split across threads) match a direct loop", () => {
  for (const [rows, columns] of [[300, 40], [1000, 17], [129, 1000]] as const) {
    const values = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * 0.37) * 4);
    using flat = mx.array(values);
    using x = mx.reshape(flat, [rows, columns]);
    using sums = mx.sum(x, { axis: 0 });
    using maxima = mx.max(x, { axis: 0 });
    const expectedSums = new Array<number>(columns).fill(0);
    const expectedMaxima = new Array<number>(columns).fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const v = values[r * columns + c]!;
        expectedSums[c]! += v;
        expectedMaxima[c] = Math.max(expectedMaxima[c]!, v);
      }
    }
    assertAllClose(Array.from(sums.toTypedArray() as Float32Array), expectedSums, { rtol: 1e-5, atol: 1e-3 });
    assertEquals(Array.from(maxima.toTypedArray() as Float32Array), expectedMaxima.map(Math.fround));
  }
});

test("isclose, allclose and arrayEqual match MLX (infinities, NaN, broadcasting, shapes)", () => {
  // Expected values from MLX 0.32.4 (mx.isclose / mx.allclose / mx.array_equal).
  const a = mx.array([1, NaN, Infinity, -Infinity, 1e-9]);
  const b = mx.array([1 + 1e-6, NaN, Infinity, Infinity, 0]);
  assertEquals(mx.isclose(a, b).tolist(), [true, false, true, false, true]);
  assertEquals(mx.isclose(a, b, { equalNan: true }).tolist(), [true, true, true, false, true]);
  assertEquals(mx.isclose(mx.array([[1], [2]]), mx.array([1, 2])).tolist(), [[true, false], [false, true]]);
  assertEquals(String(mx.isclose(mx.array([1, 2], mx.int32), mx.array([1, 3], mx.int32)).dtype), "bool");
  assertEquals(mx.isclose(mx.array([1]), mx.array([1.5]), { atol: 0.5 }).tolist(), [true]);
  assertEquals(mx.isclose(mx.array([100]), mx.array([101]), { rtol: 0.01 }).tolist(), [true]);
  assertEquals(mx.allclose(mx.array([1]), mx.array([1 + 1e-6])).item(), true);
  assertEquals(mx.allclose(a, b).item(), false);
  assertEquals(mx.arrayEqual(mx.array([1, 2]), mx.array([1, 2, 3])).item(), false);
  assertEquals(mx.arrayEqual(mx.array([1, 2], mx.int32), mx.array([1, 2])).item(), true);
  assertEquals(mx.arrayEqual(mx.array([NaN]), mx.array([NaN])).item(), false);
  assertEquals(mx.arrayEqual(mx.array([NaN]), mx.array([NaN]), { equalNan: true }).item(), true);
  assertEquals(mx.arrayEqual(mx.zeros([0, 3]), mx.zeros([0, 3])).item(), true);
});

test("float32 cumsum along contiguous rows (16-lane prefix sums) matches a float64 running sum", () => {
  // Rows of 37 (two vectors and a tail) and one of 5000; integer values sum exactly.
  for (const [rows, columns] of [[3, 37], [1, 5000]] as const) {
    const values = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * 0.37) * 4);
    using flat = mx.array(values);
    using x = mx.reshape(flat, [rows, columns]);
    using sums = mx.cumsum(x, { axis: 1 });
    const expected: number[] = [];
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let c = 0; c < columns; c++) expected.push(total += values[r * columns + c]!);
    }
    assertAllClose(Array.from(sums.toTypedArray() as Float32Array), expected, { rtol: 1e-5, atol: 1e-3 });
  }
  using ints = mx.astype(mx.remainder(mx.arange(100), 7), mx.float32);
  using intSums = mx.cumsum(ints);
  let total = 0;
  assertEquals(intSums.tolist(), Array.from({ length: 100 }, (_, i) => total += i % 7));
});
