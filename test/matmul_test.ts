/**
 * matmul, addmm, inner and outer: the MLX fixtures (scripts/fixtures/gen_matmul.py), a large
 * product checked against a float64 product computed here, transposed and broadcast inputs,
 * error messages, and memory returning to its baseline.
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { complexParts, loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

interface MatmulCase {
  name: string;
  op: "matmul" | "addmm" | "inner" | "outer";
  inputs: (TensorSpec & { transpose?: number[] })[];
  params: { alpha?: number; beta?: number };
  expected?: TensorSpec;
  result?: { dtype: mx.DtypeName; shape: number[] };
  samples?: [number, number][];
  sum?: number;
  error?: string;
}

const cases = loadCases("matmul.json") as unknown as MatmulCase[];

/** Relative tolerance of a result dtype (float16/bfloat16 round the result once). */
function rtolOf(dtype: string): number {
  if (dtype === "float16") return 2e-3;
  if (dtype === "bfloat16") return 1e-2;
  if (dtype === "float64") return 1e-12;
  return 1e-5;
}

function run(c: MatmulCase, inputs: mx.MxArray[]): mx.MxArray {
  const [x, y, z] = inputs;
  if (c.op === "addmm") return mx.addmm(x!, y!, z!, { alpha: c.params.alpha, beta: c.params.beta });
  return mx[c.op](x!, y!);
}

function checkCase(c: MatmulCase): void {
  const inputs = c.inputs.map((spec) => makeArray(spec));
  try {
    if (c.error !== undefined) {
      assertThrows(() => run(c, inputs).dispose(), mx.MxError, `[${c.op}]`);
      return;
    }
    using out = run(c, inputs);
    const spec = c.expected ?? c.result!;
    assertEquals(out.dtype.name, spec.dtype, "dtype");
    assertEquals(out.shape, spec.shape, "shape");
    const rtol = rtolOf(spec.dtype);
    if (spec.dtype === "complex64") {
      assertAllClose(complexParts(out.tolist()), c.expected!.data, { rtol, atol: rtol });
      return;
    }
    using wide = mx.astype(out, mx.float64);
    if (c.expected !== undefined) {
      assertAllClose(wide.tolist(), c.expected.data, { rtol, atol: rtol });
      return;
    }
    const flat = wide.toTypedArray() as Float64Array;
    for (const [index, value] of c.samples!) {
      assertAllClose(flat[index], value, { rtol, atol: rtol * 10, label: `element ${index}` });
    }
    const sum = flat.reduce((a, b) => a + b, 0);
    assertAllClose(sum, c.sum!, { rtol: rtol * 10, atol: rtol * flat.length, label: "sum" });
  } finally {
    for (const a of inputs) a.dispose();
  }
}

testFixtureGroups(cases, {
  title: (op, count) => `${op}() matches MLX on ${count} fixture cases`,
  check: checkCase,
});

/** A [rows, columns] float32 array of pseudo-random values in [-1, 1) and its float64 copy. */
function randomMatrix(
  rows: number,
  columns: number,
  seed: number,
): { array: mx.MxArray; values: Float64Array } {
  const values = new Float64Array(rows * columns);
  let state = seed >>> 0;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = Math.fround(state / 2 ** 31 - 1);
  }
  return { array: fromBytes(Float32Array.from(values), mx.float32, [rows, columns]), values };
}

test("matmul() of 513x1025 @ 1025x257 float32 matches a float64 product within 1e-5 of the row norm", () => {
  const [m, k, n] = [513, 1025, 257];
  const a = randomMatrix(m, k, 1);
  const b = randomMatrix(k, n, 2);
  using product = mx.matmul(a.array, b.array);
  // The same product from transposed views of stored transposes (strided reads while packing).
  using aT = mx.transpose(a.array);
  using aStored = mx.add(aT, 0);
  using bT = mx.transpose(b.array);
  using bStored = mx.add(bT, 0);
  using aView = mx.transpose(aStored);
  using bView = mx.transpose(bStored);
  using strided = mx.matmul(aView, bView);
  const got = product.toTypedArray() as Float32Array;
  const gotStrided = strided.toTypedArray() as Float32Array;
  const want = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = want.subarray(i * n, (i + 1) * n);
    for (let p = 0; p < k; p++) {
      const x = a.values[i * k + p]!;
      const offset = p * n;
      for (let j = 0; j < n; j++) row[j]! += x * b.values[offset + j]!;
    }
  }
  let worst = 0;
  for (let i = 0; i < m; i++) {
    let norm = 0;
    for (let j = 0; j < n; j++) norm += want[i * n + j]! ** 2;
    const scale = Math.sqrt(norm / n) + 1e-30;
    for (let j = 0; j < n; j++) {
      const e = want[i * n + j]!;
      worst = Math.max(
        worst,
        Math.abs(got[i * n + j]! - e) / scale,
        Math.abs(gotStrided[i * n + j]! - e) / scale,
      );
    }
  }
  assert(worst < 1e-5, `worst error relative to the row norm: ${worst}`);
  a.array.dispose();
  b.array.dispose();
});

for (const [m, k, n] of [[130, 301, 70], [290, 1059, 300], [8, 1024, 96]] as const) {
  test(`matmul() of bfloat16 ${m}x${k} @ ${k}x${n} rounds the float64 product of its inputs, in every operand layout`, () => {
    // More than 64 rows and untransposed or strided operands take the blocked kernel: on
    // AVX512-BF16 hosts its pair panels, where an odd depth leaves a half-empty last pair; on
    // AMX hosts its tiles, where the larger case crosses the row chunk, the column block and
    // two depth slices, each with a partial tile. Eight rows against transposed weights of
    // whole tiles read the weights' tiles in place there.
    const a = randomMatrix(m, 2 * k, 5);
    const b = randomMatrix(k, n, 6);
    using a16 = mx.astype(a.array, mx.bfloat16);
    using b16 = mx.astype(b.array, mx.bfloat16);
    // A: every other column of a wider matrix (strided along the depth and the rows).
    using aStrided = mx.index(a16, ":", "::2");
    using aDense = mx.add(aStrided, 0);
    using aT = mx.transpose(aDense);
    using aTStored = mx.add(aT, 0);
    using aTView = mx.transpose(aTStored);
    using bT = mx.transpose(b16);
    using bTStored = mx.add(bT, 0);
    using bTView = mx.transpose(bTStored);
    using a64 = mx.astype(aDense, mx.float64);
    using b64 = mx.astype(b16, mx.float64);
    const x = a64.toTypedArray() as Float64Array;
    const y = b64.toTypedArray() as Float64Array;
    const want = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < n; j++) want[i * n + j]! += x[i * k + p]! * y[p * n + j]!;
      }
    }
    const layouts: [string, mx.MxArray, mx.MxArray][] = [
      ["dense @ dense", aDense, b16],
      ["transposed views", aTView, bTView],
      ["strided @ dense", aStrided, b16],
      ["dense @ transposed view", aDense, bTView],
    ];
    for (const [label, left, right] of layouts) {
      using product = mx.matmul(left, right);
      using wide = mx.astype(product, mx.float64);
      const got = wide.toTypedArray() as Float64Array;
      for (let i = 0; i < m; i++) {
        let norm = 0;
        for (let j = 0; j < n; j++) norm += want[i * n + j]! ** 2;
        const rms = Math.sqrt(norm / n);
        for (let j = 0; j < n; j++) {
          const e = want[i * n + j]!;
          // One bfloat16 rounding of an f32 sum (half an ulp: 2^-8 of the value), plus f32 sums.
          const bound = 2 ** -8 * Math.abs(e) + 1e-5 * rms;
          const error = Math.abs(got[i * n + j]! - e);
          if (error > bound) assert(false, `${label}: element (${i}, ${j}) is ${got[i * n + j]}, want ${e}`);
        }
      }
    }
    a.array.dispose();
    b.array.dispose();
  });
}

test("matmul() throws on mismatched inner dimensions, naming both shapes", () => {
  using a = mx.zeros([2, 3]);
  using b = mx.zeros([4, 5]);
  assertThrows(() => mx.matmul(a, b), mx.MxError, "[matmul] inner dimensions differ: [2,3] @ [4,5]");
  using v = mx.zeros([4]);
  assertThrows(() => mx.matmul(a, v), mx.MxError, "[matmul] inner dimensions differ: [2,3] @ [4]");
  using s = mx.array(1);
  assertThrows(() => mx.matmul(s, v), mx.MxError, "[matmul] inputs must have at least one dimension");
  using i = mx.zeros([2, 2], mx.int32);
  const error = assertThrows(
    () => mx.matmul(i, i),
    mx.MxError,
    "[matmul] only floating-point dtypes are supported; got int32 @ int32",
  );
  assertEquals(error.code, "dtype_mismatch");
  using batchA = mx.zeros([2, 2, 3]);
  using batchB = mx.zeros([3, 3, 2]);
  assertThrows(
    () => mx.matmul(batchA, batchB),
    mx.MxError,
    "[matmul] shapes [2] and [3] cannot be broadcast",
  );
  assertThrows(() => mx.inner(a, b), mx.MxError, "[inner] last dimensions differ: [2,3] and [4,5]");
  assertThrows(() => mx.addmm(i, i, i), mx.MxError, "[addmm] only floating-point dtypes");
  assertThrows(() => mx.matmul(a, b, { stream: mx.gpu }), mx.MxError);
});

test("matmul() of broadcast (stride 0) and transposed batch views, and the method form", () => {
  using row = mx.array([[1, 2, 3]]);
  using rows = mx.broadcastTo(row, [4, 3]);
  using eye = mx.eye(3);
  using product = rows.matmul(eye);
  assertEquals(product.tolist(), [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  using counts = mx.arange(12);
  using flat = mx.astype(counts, mx.float32);
  using base = mx.reshape(flat, [2, 3, 2]);
  using swapped = mx.transpose(base, { axes: [0, 2, 1] });
  using gram = mx.matmul(swapped, base);
  assertEquals(gram.shape, [2, 2, 2]);
  assertEquals(gram.tolist(), [[[20, 26], [26, 35]], [[200, 224], [224, 251]]]);
});

test("grad() of matmul through transposed operands (x @ w.T, x.T @ w, batched) matches the product rule", () => {
  // f(x, w) = sum((x @ w.T) * c): df/dw = c.T @ x and df/dx = c @ w, computed here in float64
  // from small integers (exact in float32).
  const [m, k, n] = [5, 7, 3];
  const values = (count: number, seed: number) => Array.from({ length: count }, (_, i) => ((i * seed + 3) % 11) - 5);
  const [xv, wv, cv] = [values(m * k, 3), values(n * k, 5), values(m * n, 7)];
  using x = mx.reshape(mx.array(xv), [m, k]);
  using w = mx.reshape(mx.array(wv), [n, k]);
  using c = mx.reshape(mx.array(cv), [m, n]);
  const f = (a: mx.MxArray, b: mx.MxArray) => mx.sum(mx.multiply(mx.matmul(a, mx.transpose(b)), c));
  const [gx, gw] = mx.grad(f, { argnums: [0, 1] })(x, w) as mx.MxArray[];
  const wantW = Array.from({ length: n * k }, (_, i) => {
    const [j, p] = [Math.floor(i / k), i % k];
    let total = 0;
    for (let r = 0; r < m; r++) total += cv[r * n + j]! * xv[r * k + p]!;
    return total;
  });
  const wantX = Array.from({ length: m * k }, (_, i) => {
    const [r, p] = [Math.floor(i / k), i % k];
    let total = 0;
    for (let j = 0; j < n; j++) total += cv[r * n + j]! * wv[j * k + p]!;
    return total;
  });
  assertEquals(Array.from(gw!.toTypedArray() as Float32Array), wantW);
  assertEquals(Array.from(gx!.toTypedArray() as Float32Array), wantX);
  // g(a, w) = sum((a.T @ w.T) * c) with a = x.T: both operands transposed.
  using xT = mx.add(mx.transpose(x), 0);
  const g = (a: mx.MxArray, b: mx.MxArray) => mx.sum(mx.multiply(mx.matmul(mx.transpose(a), mx.transpose(b)), c));
  const [ga, gw2] = mx.grad(g, { argnums: [0, 1] })(xT, w) as mx.MxArray[];
  const wantA = Array.from({ length: k * m }, (_, i) => wantX[(i % m) * k + Math.floor(i / m)]!);
  assertEquals(Array.from(ga!.toTypedArray() as Float32Array), wantA);
  assertEquals(Array.from(gw2!.toTypedArray() as Float32Array), wantW);
  // Batched, with a broadcast weight: its gradient sums over the batch.
  using xb = mx.stack([x, mx.multiply(x, 2)]);
  const h = (a: mx.MxArray, b: mx.MxArray) => mx.sum(mx.multiply(mx.matmul(a, mx.transpose(b)), c));
  using gwb = mx.grad(h, { argnums: 1 })(xb, w) as mx.MxArray;
  assertEquals(Array.from(gwb.toTypedArray() as Float32Array), wantW.map((v) => 3 * v));
  mx.dispose([gx!, gw!, ga!, gw2!]);
});

test("matmul() allocates only its output and frees its scratch", () => {
  const a = randomMatrix(200, 300, 3);
  const b = randomMatrix(300, 100, 4);
  mx.eval(a.array, b.array);
  const before = mx.memory.activeBytes();
  const product = mx.matmul(a.array, b.array);
  mx.eval(product);
  assertEquals(mx.memory.activeBytes(), before + 200 * 100 * 4);
  product.dispose();
  a.array.dispose();
  b.array.dispose();
});

test("tensordot() and kron() match MLX", () => {
  using a = mx.reshape(mx.arange(24, undefined, { dtype: mx.float32 }), [2, 3, 4]);
  using b = mx.reshape(mx.arange(24, undefined, { dtype: mx.float32 }), [3, 4, 2]);
  const expected = [[1012, 1078], [2596, 2806]];
  assertEquals(mx.tensordot(a, b).tolist(), expected);
  assertEquals(mx.tensordot(a, b, { axes: [[1, 2], [0, 1]] }).tolist(), expected);
  using v = mx.array([1, 2]);
  using w = mx.array([3, 4]);
  assertEquals(mx.tensordot(v, w, { axes: 0 }).tolist(), [[3, 4], [6, 8]]);
  using c = mx.reshape(mx.arange(8, undefined, { dtype: mx.float32 }), [2, 4]);
  assertEquals(mx.tensordot(a, c, { axes: [[0, 2], [0, 1]] }).tolist(), [316, 428, 540]);
  assertThrows(
    () => mx.tensordot(a, c, { axes: [[1], [1]] }),
    mx.MxError,
    "[tensordot] axis 1 of [2,3,4] and axis 1 of [2,4] differ",
  );
  using k1 = mx.array([[1, 2], [3, 4]]);
  using k2 = mx.array([[0, 5], [6, 7]]);
  assertEquals(mx.kron(k1, k2).tolist(), [[0, 5, 0, 10], [6, 7, 12, 14], [0, 15, 0, 20], [18, 21, 24, 28]]);
  using ones = mx.ones([2, 2]);
  assertEquals(mx.kron(v, ones).shape, [2, 4]);
});
