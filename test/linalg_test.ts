/**
 * mx.linalg (factorizations, solves, norms, cross): the MLX fixtures
 * (scripts/fixtures/gen_linalg.py), reconstruction checks (L @ U = P A, L L^T = A,
 * A inv(A) = I, A x = b) over sizes 1..300 and batches in float32 and float64, numerical
 * failures at evaluation, error messages, empty inputs, and no leaked arrays.
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { decode, dtypeByName, loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

type Spec = TensorSpec & { transpose?: number[]; rand?: { seed: number; kind: string } };

interface Outcome {
  expected?: TensorSpec;
  result?: { dtype: mx.DtypeName; shape: number[] };
  samples?: [number, number | string][];
  sum?: number;
}

interface LinalgCase {
  name: string;
  op: string;
  inputs: Spec[];
  params: {
    ord?: number | string | null;
    axis?: number | number[] | null;
    keepdims?: boolean;
    upper?: boolean;
  };
  outputs?: Outcome[];
  error?: string;
}

const cases = loadCases("linalg.json") as unknown as LinalgCase[];

/** The generator's pseudo-random uniform values in [-1, 1). */
function uniform(count: number, seed: number): Float64Array {
  const out = new Float64Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/** One m x n matrix of the generator's kinds (see gen_linalg.py), row-major float64. */
function shapeMatrix(r: Float64Array, kind: string, m: number, n: number): Float64Array {
  if (kind === "raw") return r;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const x = r[i * n + j]!;
      if (kind === "general") out[i * n + j] = x + (i === j ? 0.5 * Math.sqrt(n) : 0);
      else if (kind === "spd") {
        let total = 0;
        for (let k = 0; k < n; k++) total += r[i * n + k]! * r[j * n + k]!;
        out[i * n + j] = total / n + (i === j ? 1 : 0);
      } else if (i === j) out[i * n + j] = 2 + Math.abs(x);
      else if ((kind === "lower" && j < i) || (kind === "upper" && j > i)) out[i * n + j] = x / n;
      else out[i * n + j] = x;
    }
  }
  return out;
}

/** A batch of generated matrices as `dtype`, with shape `shape` (1-D: one row). */
function randomArray(shape: number[], dtype: mx.Dtype, seed: number, kind: string): mx.MxArray {
  const [m, n] = shape.length === 1 ? [1, shape[0]!] : [shape[shape.length - 2]!, shape[shape.length - 1]!];
  const size = shape.reduce((x, y) => x * y, 1);
  const values = uniform(size, seed);
  const data = new Float64Array(size);
  for (let start = 0; start + m * n <= size && m * n > 0; start += m * n) {
    data.set(shapeMatrix(values.subarray(start, start + m * n), kind, m, n), start);
  }
  using host = fromBytes(data, mx.float64, shape);
  return mx.astype(host, dtype);
}

function makeInput(spec: Spec): mx.MxArray {
  if (spec.rand === undefined) return makeArray(spec);
  const array = randomArray(spec.shape, dtypeByName(spec.dtype), spec.rand.seed, spec.rand.kind);
  if (spec.transpose === undefined) return array;
  using stored = array;
  return mx.transpose(stored, { axes: spec.transpose });
}

function asList(out: mx.MxArray | mx.MxArray[]): mx.MxArray[] {
  return Array.isArray(out) ? out : [out];
}

function run(c: LinalgCase, inputs: mx.MxArray[]): mx.MxArray[] {
  const [a, b] = inputs as [mx.MxArray, mx.MxArray];
  const upper = c.params.upper;
  switch (c.op) {
    case "norm": {
      const raw = c.params.ord;
      const ord = raw === "inf" ? Infinity : raw === "-inf" ? -Infinity : raw;
      const axis = c.params.axis ?? undefined;
      return [mx.linalg.norm(a, ord as mx.linalg.NormOrder | null, { axis, keepdims: c.params.keepdims })];
    }
    case "cross":
      return [mx.linalg.cross(a, b, { axis: c.params.axis as number | undefined })];
    case "inv":
      return [mx.linalg.inv(a)];
    case "tri_inv":
      return [mx.linalg.triInv(a, { upper })];
    case "cholesky":
      return [mx.linalg.cholesky(a, { upper })];
    case "cholesky_inv":
      return [mx.linalg.choleskyInv(a, { upper })];
    case "lu_factor":
      return asList(mx.linalg.luFactor(a));
    case "lu":
      return asList(mx.linalg.lu(a));
    case "solve":
      return [mx.linalg.solve(a, b)];
    case "solve_triangular":
      return [mx.linalg.solveTriangular(a, b, { upper })];
    case "det":
      return [mx.linalg.det(a)];
    case "slogdet":
      return asList(mx.linalg.slogdet(a));
  }
  throw new Error(`unknown op ${c.op}`);
}

/** Tolerance relative to the largest expected magnitude (the factorizations round in a
 * different order than LAPACK; the matrices are well conditioned). */
function tolerance(dtype: string, op: string): number {
  if (dtype === "uint32") return 0;
  // MLX's float64 exp/log are float32-accurate (see ARCHITECTURE.md): det goes through them.
  if (dtype === "float64") return op === "det" || op === "slogdet" ? 1e-6 : 1e-10;
  if (dtype === "float16") return 4e-3;
  if (dtype === "bfloat16") return 2e-2;
  return op === "norm" || op === "cross" ? 2e-6 : 5e-5;
}

function checkOutcome(c: LinalgCase, out: mx.MxArray, want: Outcome, index: number): void {
  const spec = want.expected ?? want.result!;
  assertEquals(out.dtype.name, spec.dtype, `output ${index} dtype`);
  assertEquals(out.shape, spec.shape, `output ${index} shape`);
  if (spec.dtype === "uint32" && want.expected !== undefined) {
    assertEquals(out.tolist(), want.expected!.data, `output ${index}`);
    return;
  }
  const complex = spec.dtype === "complex64";
  const tol = tolerance(spec.dtype, c.op);
  if (complex) {
    using real = mx.real(out);
    using imag = mx.imag(out);
    const data = decode(want.expected!.data, true, spec.shape.length) as unknown;
    const flat = [data].flat(Infinity) as { re: number; im: number }[];
    const re = Array.from(real.toTypedArray() as Float32Array);
    const im = Array.from(imag.toTypedArray() as Float32Array);
    assertAllClose(re, flat.map((x) => x.re), { rtol: tol, atol: tol, label: "real" });
    assertAllClose(im, flat.map((x) => x.im), { rtol: tol, atol: tol, label: "imag" });
    return;
  }
  using wide = mx.astype(out, mx.float64);
  const got = wide.toTypedArray() as Float64Array;
  if (want.expected !== undefined) {
    const expected = [decode(want.expected.data, false, spec.shape.length)].flat(Infinity) as number[];
    const scale = Math.max(1, ...expected.filter(Number.isFinite).map(Math.abs));
    assertAllClose(Array.from(got), expected, { rtol: tol, atol: tol * scale, label: `output ${index}` });
    return;
  }
  const samples = want.samples!.map(([i, v]) => [i, decode(v, false, 0) as number] as const);
  const scale = Math.max(1, ...samples.map(([, v]) => Math.abs(v)));
  for (const [i, value] of samples) {
    assertAllClose(got[i], value, { rtol: tol, atol: tol * scale, label: `output ${index} element ${i}` });
  }
  const sum = got.reduce((x, y) => x + y, 0);
  assertAllClose(sum, want.sum!, {
    rtol: tol * 10,
    atol: tol * scale * got.length,
    label: `output ${index} sum`,
  });
}

/** Our op-name prefix for an MLX error prefix (MLX names tri_inv's errors after inv). */
function expectedPrefix(c: LinalgCase): string {
  const mlx = /^\[linalg::(\w+)\]/.exec(c.error!)?.[1];
  if (mlx === undefined) return `[linalg::${c.op}]`; // MLX's axis errors name no op.
  if (c.op === "tri_inv" && mlx === "inv") return "[linalg::tri_inv]";
  return `[linalg::${mlx}]`;
}

function checkCase(c: LinalgCase): void {
  const inputs = c.inputs.map(makeInput);
  try {
    if (c.error !== undefined) {
      const error = assertThrows(() => {
        const outs = run(c, inputs);
        mx.eval(...outs);
        for (const x of outs) x.dispose();
      }, mx.MxError);
      assert(
        error.message.startsWith(expectedPrefix(c)),
        `expected ${expectedPrefix(c)}, got "${error.message}"`,
      );
      return;
    }
    const outs = run(c, inputs);
    try {
      assertEquals(outs.length, c.outputs!.length, "output count");
      outs.forEach((out, i) => checkOutcome(c, out, c.outputs![i]!, i));
    } finally {
      for (const x of outs) x.dispose();
    }
  } finally {
    for (const x of inputs) x.dispose();
  }
}

testFixtureGroups(cases, {
  title: (op, count) => `linalg.${op}() matches MLX on ${count} fixture cases`,
  check: checkCase,
});

// ---------------------------------------------------------------------------------------------
// Reconstruction checks

const dtypes = [mx.float32, mx.float64] as const;
const sizes = [1, 2, 3, 5, 16, 33, 64];

/** max |x - y| over all elements, relative to max(1, max |y|). */
function relativeError(x: mx.MxArray, y: mx.MxArray): number {
  using diff = mx.subtract(x, y);
  using absDiff = mx.abs(diff);
  using worst = mx.max(absDiff);
  using absY = mx.abs(y);
  using scale = mx.max(absY);
  return worst.item() as number / Math.max(1, scale.item() as number);
}

function bound(dtype: mx.Dtype, n: number): number {
  return (dtype === mx.float64 ? 1e-13 : 2e-6) * Math.max(4, n) * 4;
}

function forShapes(fn: (shape: number[], dtype: mx.Dtype, seed: number) => void): void {
  let seed = 1;
  for (const dtype of dtypes) {
    for (const n of sizes) fn([n, n], dtype, seed++);
    for (const n of [3, 16]) fn([2, 3, n, n], dtype, seed++);
  }
}

test("linalg.lu() reconstructs: rows p of L @ U are A, in float32 and float64, batched", () => {
  forShapes((shape, dtype, seed) => {
    using a = randomArray(shape, dtype, seed, "general");
    const [p, l, u] = mx.linalg.lu(a);
    using _p = p;
    using _l = l;
    using _u = u;
    using product = mx.matmul(l, u);
    using index = mx.expandDims(p, -1);
    using rows = mx.takeAlongAxis(product, index, { axis: -2 });
    const error = relativeError(rows, a);
    assert(error < bound(dtype, shape.at(-1)!), `${dtype.name} [${shape}]: ${error}`);
  });
  for (const shape of [[7, 3], [3, 7], [2, 5, 4]]) {
    using a = randomArray(shape, mx.float32, 99, "raw");
    const [p, l, u] = mx.linalg.lu(a);
    using _p = p;
    using _l = l;
    using _u = u;
    using product = mx.matmul(l, u);
    using index = mx.expandDims(p, -1);
    using rows = mx.takeAlongAxis(product, index, { axis: -2 });
    assert(relativeError(rows, a) < 1e-5, `[${shape}]`);
  }
});

test("linalg.cholesky() reconstructs: L @ L^T and U^T @ U are A", () => {
  forShapes((shape, dtype, seed) => {
    using a = randomArray(shape, dtype, seed, "spd");
    using l = mx.linalg.cholesky(a);
    using lt = mx.swapaxes(l, -1, -2);
    using lower = mx.matmul(l, lt);
    using u = mx.linalg.cholesky(a, { upper: true });
    using ut = mx.swapaxes(u, -1, -2);
    using upper = mx.matmul(ut, u);
    assert(relativeError(lower, a) < bound(dtype, shape.at(-1)!), `lower ${dtype.name} [${shape}]`);
    assert(relativeError(upper, a) < bound(dtype, shape.at(-1)!), `upper ${dtype.name} [${shape}]`);
    using upperOfL = mx.triu(l, { k: 1 });
    assertEquals(mx.max(mx.abs(upperOfL)).item(), 0);
  });
});

test("linalg.inv(), triInv() and solve() reconstruct: A @ inv(A) = I, A @ x = b", () => {
  forShapes((shape, dtype, seed) => {
    const n = shape.at(-1)!;
    using a = randomArray(shape, dtype, seed, "general");
    using inverse = mx.linalg.inv(a);
    using product = mx.matmul(a, inverse);
    using identity = mx.eye(n, { dtype });
    const tol = bound(dtype, n) * 10;
    assert(
      relativeError(product, identity) < tol,
      `inv ${dtype.name} [${shape}]: ${relativeError(product, identity)}`,
    );
    using t = randomArray(shape, dtype, seed, "upper");
    using tInverse = mx.linalg.triInv(t, { upper: true });
    using tUpper = mx.triu(t);
    using tProduct = mx.matmul(tUpper, tInverse);
    assert(relativeError(tProduct, identity) < tol, `triInv ${dtype.name} [${shape}]`);
    using b = randomArray([...shape.slice(0, -1), 2], dtype, seed + 1000, "raw");
    using x = mx.linalg.solve(a, b);
    using ax = mx.matmul(a, x);
    assert(relativeError(ax, b) < tol, `solve ${dtype.name} [${shape}]`);
  });
});

test("linalg factorizations of a 300x300 matrix (threaded row updates) reconstruct", () => {
  using a = randomArray([300, 300], mx.float32, 5, "general");
  const [p, l, u] = mx.linalg.lu(a);
  using _p = p;
  using _l = l;
  using _u = u;
  using product = mx.matmul(l, u);
  using index = mx.expandDims(p, -1);
  using rows = mx.takeAlongAxis(product, index, { axis: -2 });
  assert(relativeError(rows, a) < 1e-4, `lu: ${relativeError(rows, a)}`);
  using inverse = mx.linalg.inv(a);
  using identity = mx.eye(300);
  using ai = mx.matmul(a, inverse);
  assert(relativeError(ai, identity) < 1e-3, `inv: ${relativeError(ai, identity)}`);
  using s = randomArray([300, 300], mx.float64, 6, "spd");
  using c = mx.linalg.cholesky(s);
  using ct = mx.swapaxes(c, -1, -2);
  using cc = mx.matmul(c, ct);
  assert(relativeError(cc, s) < 1e-12, `cholesky: ${relativeError(cc, s)}`);
});

test("linalg.det() and slogdet() agree with the product of a triangular diagonal", () => {
  for (const dtype of dtypes) {
    using t = randomArray([33, 33], dtype, 77, "lower");
    using lower = mx.tril(t);
    using d = mx.diagonal(lower);
    using logs = mx.log(d);
    using want = mx.sum(logs);
    const [sign, logabs] = mx.linalg.slogdet(lower);
    using _sign = sign;
    using _logabs = logabs;
    assertEquals(sign.item(), 1);
    assertAllClose(logabs.item(), want.item(), { rtol: dtype === mx.float64 ? 1e-12 : 1e-5 });
    using negated = mx.multiply(lower, -1);
    using det = mx.linalg.det(negated);
    assertAllClose(det.item(), -Math.exp(want.item() as number), {
      rtol: dtype === mx.float64 ? 1e-11 : 1e-4,
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Numerical failures, degenerate shapes, errors

test("linalg.inv() of a singular matrix throws at evaluation, naming the batch entry, as MLX raises", () => {
  using singular = mx.array([[1, 2], [2, 4]]);
  using inverse = mx.linalg.inv(singular);
  const error = assertThrows(
    () => mx.eval(inverse),
    mx.MxError,
    "[linalg::inv] the matrix is singular: U[1,1] is zero",
  );
  assertEquals(error.code, "invalid_argument");
  using good = mx.eye(3);
  using zero = mx.zeros([3, 3]);
  using batch = mx.stack([good, good, good, zero, good]);
  using batchInverse = mx.linalg.inv(batch);
  assertThrows(
    () => mx.eval(batchInverse),
    mx.MxError,
    "U[0,0] is zero after LU factorization (matrix 3 of the batch)",
  );
  using lower = mx.array([[1, 0], [5, 0]]);
  using lowerInverse = mx.linalg.triInv(lower);
  assertThrows(
    () => mx.eval(lowerInverse),
    mx.MxError,
    "[linalg::tri_inv] the matrix is singular: diagonal element 1 is zero",
  );
  using b = mx.array([1, 1]);
  using x = mx.linalg.solve(singular, b);
  assertThrows(() => mx.eval(x), mx.MxError, "[linalg::tri_inv] the matrix is singular");
  // LU itself does not fail on a singular matrix (LAPACK's info > 0 is not an error in MLX).
  const [lu, pivots] = mx.linalg.luFactor(singular);
  assertEquals(lu.tolist(), [[2, 4], [0.5, 0]]);
  assertEquals(pivots.tolist(), [1, 1]);
  lu.dispose();
  pivots.dispose();
});

test("linalg.cholesky() of a matrix that is not positive definite throws (knownDifference: MLX returns LAPACK's partial result)", () => {
  using indefinite = mx.array([[1, 2], [2, 1]]);
  using factor = mx.linalg.cholesky(indefinite);
  const error = assertThrows(
    () => mx.eval(factor),
    mx.MxError,
    "[linalg::cholesky] the matrix is not positive definite: its leading minor of order 2 is not positive",
  );
  assertEquals(error.code, "invalid_argument");
  using nan = mx.array([[NaN, 0], [0, 1]]);
  using nanFactor = mx.linalg.cholesky(nan, { upper: true });
  assertThrows(() => mx.eval(nanFactor), mx.MxError, "leading minor of order 1");
  // Only the named triangle is read: garbage in the other one does not matter.
  using lowerOnly = mx.array([[4, 99], [2, 10]]);
  assertEquals(mx.linalg.cholesky(lowerOnly).tolist(), [[2, 0], [1, 3]]);
  using upperOnly = mx.array([[4, 2], [-99, 10]]);
  assertEquals(mx.linalg.cholesky(upperOnly, { upper: true }).tolist(), [[2, 1], [0, 3]]);
});

test("linalg ops on empty matrices give empty results (knownDifference: MLX's inv, triInv, lu and solve of n = 0 crash)", () => {
  using empty = mx.zeros([2, 0, 0]);
  assertEquals(mx.linalg.inv(empty).shape, [2, 0, 0]);
  assertEquals(mx.linalg.triInv(empty).shape, [2, 0, 0]);
  assertEquals(mx.linalg.cholesky(empty).shape, [2, 0, 0]);
  const [p, l, u] = mx.linalg.lu(empty);
  assertEquals([p.shape, l.shape, u.shape], [[2, 0], [2, 0, 0], [2, 0, 0]]);
  const [lu, pivots] = mx.linalg.luFactor(mx.zeros([0, 3]));
  assertEquals([lu.shape, pivots.shape], [[0, 3], [0]]);
  using b = mx.zeros([2, 0, 1]);
  assertEquals(mx.linalg.solve(empty, b).shape, [2, 0, 1]);
  assertEquals(mx.linalg.det(empty).tolist(), [1, 1]);
  using noBatch = mx.zeros([0, 4, 4]);
  assertEquals(mx.linalg.det(noBatch).shape, [0]);
  for (const x of [p, l, u, lu, pivots]) x.dispose();
});

test("linalg.solve() broadcasts batch axes of a and b (knownDifference: MLX's take_along_axis rejects them)", () => {
  using a = randomArray([2, 3, 4, 4], mx.float32, 3, "general");
  using vector = randomArray([4], mx.float32, 4, "raw");
  using x = mx.linalg.solve(a, vector);
  assertEquals(x.shape, [2, 3, 4]);
  using column = mx.expandDims(x, -1);
  using ax = mx.matmul(a, column);
  using flat = mx.squeeze(ax, { axis: -1 });
  using wide = mx.broadcastTo(vector, [2, 3, 4]);
  assert(relativeError(flat, wide) < 1e-5);
  using single = randomArray([4, 4], mx.float32, 5, "general");
  using rhs = randomArray([2, 4, 3], mx.float32, 6, "raw");
  using y = mx.linalg.solve(single, rhs);
  assertEquals(y.shape, [2, 4, 3]);
  using back = mx.matmul(single, y);
  assert(relativeError(back, rhs) < 1e-5);
});

test("linalg.norm() matrix orders 2, -2 and 'nuc' are singular-value norms (NumPy's values)", () => {
  using a = mx.array([[1, 2], [3, 4]]);
  const values = ([2, -2, "nuc"] as const).map((ord) => {
    using n = mx.linalg.norm(a, ord);
    return n.item() as number;
  });
  assertAllClose(values, [5.464985704219043, 0.3659661906262575, 5.8309518948453], { rtol: 1e-5 });
  using flat = mx.arange(0, 24, { dtype: mx.float32 });
  using shaped = mx.reshape(flat, [2, 3, 4]);
  using b = mx.subtract(mx.remainder(shaped, 7), 3);
  using two = mx.linalg.norm(b, 2, { axis: [2, 0] });
  assertAllClose(two.tolist(), [5.551274973048261, 4.888163981908541, 4.888163981908542], { rtol: 1e-5 });
  using nuc = mx.linalg.norm(b, "nuc", { axis: [0, 1], keepdims: true });
  assertEquals(nuc.shape, [1, 1, 4]);
  assertAllClose(nuc.tolist(), [[[
    6.196152422706632,
    7.192957232856731,
    6.663038199978381,
    5.639702871150721,
  ]]], {
    rtol: 1e-5,
  });
  using ints = mx.array([[1, 2], [3, 4]], mx.int32);
  assertThrows(() => mx.linalg.norm(ints, 2), mx.MxError, "[linalg.svd]");
  assertThrows(() => mx.linalg.norm(a, 1, { axis: [0, 0] }), mx.MxError, "[linalg::norm] Duplicate axes");
});

test("linalg error messages name the op, shapes and dtypes", () => {
  using ints = mx.array([[1, 2], [3, 4]], mx.int32);
  const dtypeError = assertThrows(
    () => mx.linalg.inv(ints),
    mx.MxError,
    "[linalg::inv] Arrays must have type float32 or float64. Received array with type int32.",
  );
  assertEquals(dtypeError.code, "dtype_mismatch");
  using rect = mx.zeros([2, 3]);
  const shapeError = assertThrows(
    () => mx.linalg.cholesky(rect),
    mx.MxError,
    "[linalg::cholesky] the Cholesky decomposition is only defined for square matrices; got shape [2,3]",
  );
  assertEquals(shapeError.code, "shape_mismatch");
  using vector = mx.zeros([3]);
  assertThrows(
    () => mx.linalg.luFactor(vector),
    mx.MxError,
    "[linalg::lu_factor] Arrays must have >= 2 dimensions. Received array with 1 dimensions.",
  );
  using square = mx.eye(3);
  assertThrows(
    () => mx.linalg.solve(square, mx.zeros([4])),
    mx.MxError,
    "[linalg::solve] Last dimension of first input with shape (3,3) must match second to last dimension of second input with shape (4).",
  );
  assertThrows(
    () => mx.linalg.norm(square, "bad" as mx.linalg.NormOrder),
    mx.MxError,
    "[linalg::norm] Invalid ord value 'bad' for matrix norm.",
  );
  assertThrows(
    () => mx.linalg.norm(square, 1, { axis: 2 }),
    mx.MxError,
    "[linalg::norm] Invalid axis 2 for array with 2 dimensions.",
  );
  assertThrows(
    () => mx.linalg.cross(vector, vector, { axis: 1 }),
    mx.MxError,
    "[linalg::cross] Axis 1 is out of bounds",
  );
  assertThrows(() => mx.linalg.inv(square, { stream: mx.gpu }), mx.MxError);
  const disposed = mx.eye(2);
  disposed.dispose();
  assertThrows(() => mx.linalg.inv(disposed), mx.MxError);
});

test("composed linalg ops leave no arrays behind", () => {
  using a = randomArray([2, 5, 5], mx.float32, 8, "general");
  using b = randomArray([2, 5, 2], mx.float32, 9, "raw");
  mx.eval(a, b);
  const before = mx.memory.liveArrays();
  const outs = [
    mx.linalg.solve(a, b),
    ...mx.linalg.lu(a),
    ...mx.linalg.slogdet(a),
    mx.linalg.det(a),
    mx.linalg.norm(a, 1, { axis: [1, 2] }),
    mx.linalg.norm(a, 3, { axis: -1 }),
    mx.linalg.cross(b, b, { axis: -1 }),
    mx.linalg.choleskyInv(a),
    ...mx.linalg.luFactor(a),
  ];
  mx.eval(...outs);
  assertEquals(mx.memory.liveArrays(), before + outs.length);
  for (const x of outs) x.dispose();
  assertEquals(mx.memory.liveArrays(), before);
});
