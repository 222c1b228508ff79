/**
 * Sorting ops against MLX's results (the sort, argsort, partition, argpartition and topk
 * cases of test/fixtures/shapes.json, made by scripts/fixtures/gen_shapes.py). sort and
 * argsort must match exactly (both are stable, as in MLX); for partition, argpartition and
 * topk MLX's order is unspecified, so the partition property and the multiset of values
 * ("sorted_expected") are checked instead. Then large and threaded inputs against JavaScript's
 * sort, stability, every dtype, and the error messages.
 */

import * as mx from "mlx-ts";
import { native } from "../ffi/loader.ts";
import { fromBytes } from "../src/array.ts";
import { sortOpNames } from "../src/op_codes.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { type Case, decode, loadCases, makeArray, type TensorSpec, complexParts } from "./fixtures.ts";

type SortParams = { axis: number | null; kth?: number; k?: number };
type SortCase = Omit<Case, "expected"> & {
  params: SortParams;
  expected: TensorSpec;
  sorted_expected?: TensorSpec;
  error?: string;
};

const sortOps = ["sort", "argsort", "partition", "argpartition", "topk"];
const cases = (loadCases("shapes.json") as unknown as SortCase[]).filter((c) => sortOps.includes(c.op));

function run(c: SortCase, input: mx.MxArray): mx.MxArray {
  const options = { axis: c.params.axis };
  switch (c.op) {
    case "sort":
      return mx.sort(input, options);
    case "argsort":
      return mx.argsort(input, options);
    case "partition":
      return mx.partition(input, c.params.kth!, options);
    case "argpartition":
      return mx.argpartition(input, c.params.kth!, options);
    case "topk":
      return mx.topk(input, c.params.k!, options);
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

/** MLX's order on host values: NaN last, false before true. */
function less(a: unknown, b: unknown): boolean {
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x)) return false;
  if (Number.isNaN(y)) return true;
  return x < y;
}

const compare = (a: unknown, b: unknown) => (less(a, b) ? -1 : less(b, a) ? 1 : 0);

/** The lines of `a` along `axis`, as host rows. */
function rowsAlong(a: mx.MxArray, axis: number): unknown[][] {
  using moved = mx.moveaxis(a, axis, -1);
  const n = moved.shape[moved.ndim - 1]!;
  const count = moved.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  using flat = mx.reshape(moved, [count, n]);
  return flat.tolist() as unknown[][];
}


function expectedOf(spec: TensorSpec): unknown {
  return decode(spec.data, spec.dtype === "complex64", spec.shape.length);
}

/** Checks each line holds the same values as the line of `sortedSpec`, and (for a
 * partition) that the element at `kth` splits it. */
function checkLines(
  values: unknown[][],
  sortedSpec: TensorSpec,
  axis: number,
  kth: number | undefined,
): void {
  using sortedArray = makeArray(sortedSpec);
  const sortedRows = rowsAlong(sortedArray, axis);
  assertEquals(values.length, sortedRows.length, "line count");
  values.forEach((row, r) => {
    const sortedRow = sortedRows[r]!;
    assertAllClose([...row].sort(compare), sortedRow, { rtol: 0, atol: 0, label: `line ${r} values` });
    if (kth === undefined) return;
    const position = kth < 0 ? kth + row.length : kth;
    const pivot = row[position];
    assertAllClose(pivot, sortedRow[position], { rtol: 0, atol: 0, label: `line ${r} kth` });
    row.forEach((x, j) => {
      if (j < position) assert(!less(pivot, x), `line ${r}: ${x} at ${j} is above the pivot ${pivot}`);
      if (j > position) assert(!less(x, pivot), `line ${r}: ${x} at ${j} is below the pivot ${pivot}`);
    });
  });
}

function checkCase(c: SortCase): void {
  using input = makeArray(c.inputs[0]!);
  if (c.error !== undefined) {
    assertThrows(() => run(c, input), mx.MxError, `[${c.op}]`);
    return;
  }
  using out = run(c, input);
  assertEquals(out.dtype.name, c.expected.dtype, "dtype");
  assertEquals(out.shape, c.expected.shape, "shape");
  if (c.op === "sort") {
    assertAllClose(complexParts(out.tolist()), complexParts(expectedOf(c.expected)), { rtol: 0, atol: 0 });
    return;
  }
  if (c.op === "argsort") {
    assertEquals(out.tolist(), expectedOf(c.expected));
    return;
  }
  const axis = c.params.axis ?? 0;
  using source = c.params.axis === null ? mx.flatten(input) : mx.reshape(input, input.shape);
  let values = rowsAlong(out, axis);
  if (c.op === "argpartition") {
    const inputRows = rowsAlong(source, axis);
    values = values.map((row, r) => {
      assertEquals(
        [...row].sort((a, b) => Number(a) - Number(b)),
        row.map((_, i) => i),
        `line ${r} positions`,
      );
      return row.map((i) => inputRows[r]![i as number]);
    });
  }
  checkLines(values, c.sorted_expected!, axis, c.op === "topk" ? undefined : c.params.kth);
}

for (const op of sortOps) {
  const group = cases.filter((c) => c.op === op);
  test(`${op}() matches MLX on ${group.length} fixture cases`, () => {
    assert(group.length > 0, "no cases");
    const failures: string[] = [];
    for (const c of group) {
      try {
        checkCase(c);
      } catch (error) {
        failures.push(`${c.name}: ${(error as Error).message}`);
      }
    }
    assertEquals(failures.slice(0, 6), [], `${failures.length} of ${group.length} cases failed`);
  });
}

test("sorting op codes match the library's (op_names kind 5)", () => {
  const length = native.op_names(5, null, 0);
  const buffer = new Uint8Array(length);
  native.op_names(5, buffer, length);
  assertEquals(new TextDecoder().decode(buffer), sortOpNames);
});

/** A deterministic stream in [0, 1) (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `count` float32 values with many duplicates, some NaN and infinities. */
function noisyFloats(count: number, seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: count }, () => {
    const r = next();
    if (r < 0.01) return NaN;
    if (r < 0.012) return r < 0.011 ? Infinity : -Infinity;
    return Math.floor(next() * 2000) / 8 - 100;
  });
}

/** Positions that sort `values` stably, NaN last. */
function stableOrder(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((i, j) =>
    compare(values[i], values[j]) || i - j
  );
}

test("sort() and argsort() of 100k float32 with duplicates and NaN match JavaScript's stable sort", () => {
  const host = noisyFloats(100_000, 7);
  using a = mx.array(host);
  using sorted = mx.sort(a);
  using order = mx.argsort(a);
  const expectedOrder = stableOrder(host);
  assertEquals(sorted.toTypedArray(), Float32Array.from(expectedOrder, (i) => host[i]!));
  assertEquals(order.dtype, mx.uint32);
  assertEquals(order.toTypedArray(), Uint32Array.from(expectedOrder));
});

test("partition(), argpartition() and topk() of 100k float32 split at kth", () => {
  const host = noisyFloats(100_000, 11);
  const sortedHost = Float32Array.from(stableOrder(host), (i) => host[i]!);
  using a = mx.array(host);
  for (const kth of [0, 1, 49_999, 99_000, -1]) {
    using p = mx.partition(a, kth);
    using ap = mx.argpartition(a, kth);
    const positions = Array.from(ap.toTypedArray() as Uint32Array);
    const gathered = positions.map((i) => host[i]!);
    for (const row of [Array.from(p.toTypedArray() as Float32Array), gathered]) {
      const position = kth < 0 ? kth + host.length : kth;
      assertAllClose(row[position], sortedHost[position], { rtol: 0, atol: 0, label: `kth ${kth}` });
      assert(row.slice(0, position).every((x) => !less(row[position], x)), `kth ${kth}: left side`);
      assert(row.slice(position + 1).every((x) => !less(x, row[position])), `kth ${kth}: right side`);
    }
    assertEquals(new Set(positions).size, host.length, `kth ${kth}: positions are a permutation`);
  }
  using top = mx.topk(a, 1000);
  const topValues = Array.from(top.toTypedArray() as Float32Array).sort(compare);
  assertAllClose(topValues, Array.from(sortedHost.slice(-1000)), { rtol: 0, atol: 0 });
});

test("sort() of many lines along either axis runs across threads and matches JavaScript", () => {
  const rows = 64;
  const columns = 3000;
  const host = noisyFloats(rows * columns, 3);
  using a = mx.reshape(mx.array(host), [rows, columns]);
  using byRow = mx.sort(a, { axis: -1 });
  using byColumn = mx.argsort(a, { axis: 0 });
  const rowValues = byRow.tolist() as number[][];
  const columnOrder = byColumn.tolist() as number[][];
  for (let r = 0; r < rows; r++) {
    const line = Array.from(host.subarray(r * columns, (r + 1) * columns));
    assertAllClose(rowValues[r], stableOrder(line).map((i) => line[i]!), {
      rtol: 0,
      atol: 0,
      label: `row ${r}`,
    });
  }
  for (const c of [0, 1, 1500, columns - 1]) {
    const line = Array.from({ length: rows }, (_, r) => host[r * columns + c]!);
    assertEquals(columnOrder.map((row) => row[c]), stableOrder(line), `column ${c}`);
  }
});

test("argsort() is stable: equal elements keep their input order, on every axis", () => {
  using a = mx.array([[2, 1, 2, 0], [1, 1, 0, 1], [2, 0, 0, 1]], mx.int32);
  assertEquals(mx.argsort(a).tolist(), [[3, 1, 0, 2], [2, 0, 1, 3], [1, 2, 3, 0]]);
  assertEquals(mx.argsort(a, { axis: 0 }).tolist(), [[1, 2, 1, 0], [0, 0, 2, 1], [2, 1, 0, 2]]);
  assertEquals(mx.argsort(a, { axis: null }).tolist(), [3, 6, 9, 10, 1, 4, 5, 7, 11, 0, 2, 8]);
  using zeros = mx.array([0, -0, 0, -0]);
  assertEquals(mx.argsort(zeros).tolist(), [0, 1, 2, 3]);
  const ties = Float32Array.from({ length: 50_000 }, (_, i) => (i * 7) % 5);
  using many = mx.array(ties);
  assertEquals(Array.from(mx.argsort(many).toTypedArray() as Uint32Array), stableOrder(ties));
});

test("sort() and argsort() order every dtype: false first, complex by real then imaginary part", () => {
  for (const dtype of mx.dtypes) {
    if (dtype === mx.complex64) continue;
    using a = mx.array([3, 0, 2, 1, 3, 0], dtype);
    const isBool = dtype === mx.bool;
    const want = isBool ? [false, false, true, true, true, true] : [0, 0, 1, 2, 3, 3];
    const got = mx.sort(a).tolist() as unknown[];
    assertEquals(got.map((x) => (typeof x === "bigint" ? Number(x) : x)), want, dtype.name);
    assertEquals(mx.argsort(a).tolist(), isBool ? [1, 5, 0, 2, 3, 4] : [1, 5, 3, 2, 0, 4], dtype.name);
    assertEquals(mx.topk(a, 2).shape, [2], dtype.name);
  }
  // [re, im] pairs: 1+2i, 0+5i, 1-1i, NaN+0i, -1+0i.
  using c = fromBytes(Float32Array.of(1, 2, 0, 5, 1, -1, NaN, 0, -1, 0), mx.complex64, [5]);
  assertEquals(mx.argsort(c).tolist(), [4, 1, 2, 0, 3]);
  using negatives = mx.array([5, -3, 127, -128, 0], mx.int8);
  assertEquals(mx.sort(negatives).tolist(), [-128, -3, 0, 5, 127]);
  using halves = mx.array([0.5, NaN, -Infinity, 2, -1], mx.bfloat16);
  assertEquals(mx.sort(halves).tolist(), [-Infinity, -1, 0.5, 2, NaN]);
});

test("sorting a 0-d array needs axis null, which gives shape [1]", () => {
  using s = mx.array(2.5);
  assertThrows(() => mx.sort(s), mx.MxError, "[sort] axis -1 is out of bounds for an array of shape []");
  assertThrows(() => mx.argsort(s, { axis: 0 }), mx.MxError, "[argsort] axis 0 is out of bounds");
  assertEquals(mx.sort(s, { axis: null }).tolist(), [2.5]);
  assertEquals(mx.topk(s, 1, { axis: null }).tolist(), [2.5]);
});

test("partition() and topk() throw on invalid kth and k, naming the op, value and axis size", () => {
  using a = mx.array([[5, 1, 4], [2, 0, 3]], mx.int32);
  assertThrows(() => mx.partition(a, 3), mx.MxError, "[partition] invalid kth 3 along axis -1 of size 3");
  assertThrows(
    () => mx.argpartition(a, -3, { axis: 0 }),
    mx.MxError,
    "[argpartition] invalid kth -3 along axis 0 of size 2",
  );
  assertThrows(() => mx.topk(a, 4), mx.MxError, "[topk] invalid k 4 along axis -1 of size 3");
  assertThrows(() => mx.topk(a, -1), mx.MxError, "[topk] invalid k -1");
  assertThrows(() => mx.partition(a, 1.5), mx.MxError, "[partition] kth must be a 32-bit integer; got 1.5");
  assertThrows(() => mx.sort(a, { axis: 0.5 }), mx.MxError, "[sort] axis must be a 32-bit integer");
  assertThrows(() => mx.sort(a, { axis: 2 }), mx.MxError, "[sort] axis 2 is out of bounds");
  assertEquals(mx.partition(a, -3).shape, [2, 3]);
  assertEquals(mx.topk(a, 0).shape, [2, 0]);
});

test("sorting ops read transposed and sliced views", () => {
  using a = mx.reshape(mx.arange(12), [3, 4]);
  using t = mx.transpose(a); // [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
  using negated = mx.multiply(t, -1);
  assertEquals(mx.sort(negated).tolist(), [[-8, -4, 0], [-9, -5, -1], [-10, -6, -2], [-11, -7, -3]]);
  assertEquals(mx.argsort(negated, { axis: 0 }).tolist(), [[3, 3, 3], [2, 2, 2], [1, 1, 1], [0, 0, 0]]);
  using top = mx.topk(negated, 1, { axis: 0 });
  assertEquals(top.tolist(), [[0, -4, -8]]);
});
