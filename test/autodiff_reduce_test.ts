/**
 * Derivatives of reductions, scans and sorting: float64 central differences for every rule
 * (and the ops composed from them), MLX's float32 gradients from
 * fixtures/grad_reduce.json (tie cases included), zero-gradient ops, second derivatives.
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assertAllClose, assertEquals, test } from "./harness.ts";
import { loadCases } from "./fixtures.ts";

/** Element i is `offset + ((i * 37) % 97) / 97`: distinct values for up to 97 elements (as
 * the fixture generator's inputs). */
function distinct(shape: number[], offset = 0.5, dtype: mx.Dtype = mx.float64): mx.MxArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float64Array.from({ length: size }, (_, i) => offset + ((i * 37) % 97) / 97);
  using wide = fromBytes(values, mx.float64, shape);
  return mx.astype(wide, dtype);
}

type Nested = number[] | number[][] | number[][][];

function fromList(values: Nested, dtype: mx.Dtype = mx.float64): mx.MxArray {
  return mx.array(values, dtype);
}

/** The loss weights: w[i] = ((i % 7) - 3) * 0.5 + 0.25 (both signs), in `like`'s shape. */
function weights(like: mx.MxArray): mx.MxArray {
  const values = Float64Array.from({ length: like.size }, (_, i) => ((i % 7) - 3) * 0.5 + 0.25);
  using wide = fromBytes(values, mx.float64, like.shape);
  return mx.astype(wide, like.dtype);
}

/** sum(f(x) * w): a scalar loss whose cotangent at f's output is w. With `squash`, sum(exp(s
 * f(x)) * w) instead: finite where an exclusive scan gives -inf (s = 1) or inf (s = -1). */
function weighted(f: (x: mx.MxArray) => mx.MxArray, squash?: 1 | -1): (x: mx.MxArray) => mx.MxArray {
  return (x) => {
    using raw = f(x);
    using scaled = squash ? mx.multiply(raw, squash) : null;
    using y = scaled ? mx.exp(scaled) : mx.reshape(raw, raw.shape);
    using w = weights(y);
    using product = mx.multiply(y, w);
    return mx.sum(product);
  };
}

/** Central differences of a scalar function of `x`, element by element. */
function numericGrad(fn: (x: mx.MxArray) => mx.MxArray, x: mx.MxArray): number[] {
  const base = x.toTypedArray() as Float64Array;
  const h = 1e-6;
  const out: number[] = [];
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number): number => {
      const values = Float64Array.from(base);
      values[i]! += delta;
      using moved = fromBytes(values, mx.float64, x.shape);
      using y = fn(moved);
      return y.item() as number;
    };
    out.push((at(h) - at(-h)) / (2 * h));
  }
  return out;
}

type Params = Record<string, unknown>;

/** MLX's op `op` with its Python keyword arguments `params` (the fixture's convention). */
function apply(op: string, x: mx.MxArray, params: Params): mx.MxArray {
  const axis = params.axis as number | number[] | null | undefined;
  const reduce = { axis: axis ?? undefined, keepdims: params.keepdims as boolean };
  const scan = {
    axis: axis as number,
    reverse: params.reverse as boolean,
    inclusive: params.inclusive as boolean,
  };
  switch (op) {
    case "sum":
      return mx.sum(x, reduce);
    case "prod":
      return mx.prod(x, reduce);
    case "max":
      return mx.max(x, reduce);
    case "min":
      return mx.min(x, reduce);
    case "mean":
      return mx.mean(x, reduce);
    case "logsumexp":
      return mx.logsumexp(x, reduce);
    case "var":
      return mx.var(x, { ...reduce, ddof: params.ddof as number });
    case "std":
      return mx.std(x, { ...reduce, ddof: params.ddof as number });
    case "softmax":
      return mx.softmax(x, { axis: axis ?? undefined });
    case "cumsum":
      return mx.cumsum(x, scan);
    case "cumprod":
      return mx.cumprod(x, scan);
    case "cummax":
      return mx.cummax(x, scan);
    case "cummin":
      return mx.cummin(x, scan);
    case "logcumsumexp":
      return mx.logcumsumexp(x, scan);
    case "sort":
      return mx.sort(x, { axis: axis as number });
    case "partition":
      return mx.partition(x, params.kth as number, { axis: axis as number });
    case "topk":
      return mx.topk(x, params.k as number, { axis: axis as number });
  }
  throw new Error(`unknown op ${op}`);
}

interface FiniteCase {
  name: string;
  op: string;
  params: Params;
  /** The input (float64); distinct values unless given. */
  shape?: number[];
  data?: Nested;
}

const reduceOps = ["sum", "prod", "max", "min", "mean", "logsumexp"];
const scanOps = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"];
const finiteCases: FiniteCase[] = [
  ...reduceOps.flatMap((op): FiniteCase[] => [
    { name: `${op} all`, op, params: { keepdims: false }, shape: [2, 3, 4] },
    { name: `${op} axis -1`, op, params: { axis: -1, keepdims: false }, shape: [2, 3, 4] },
    { name: `${op} axes [0, 2] keepdims`, op, params: { axis: [0, 2], keepdims: true }, shape: [2, 3, 4] },
    { name: `${op} axes [2, 1]`, op, params: { axis: [2, 1], keepdims: false }, shape: [2, 3, 4] },
    { name: `${op} all keepdims`, op, params: { keepdims: true }, shape: [3, 2] },
    { name: `${op} a size-1 axis`, op, params: { axis: 1, keepdims: false }, shape: [3, 1, 2] },
    { name: `${op} of a 0-d array`, op, params: { keepdims: false }, shape: [] },
  ]),
  {
    name: "prod with one zero",
    op: "prod",
    params: { axis: 1 },
    data: [[1.5, 0, 2, 0.5], [3, 0.5, 0, 1.25]],
  },
  { name: "prod with two zeros", op: "prod", params: { axis: 1 }, data: [[0, 1.5, 0, 2], [1, 0.5, 2, 3]] },
  {
    name: "prod with zeros over axes",
    op: "prod",
    params: { axis: [0, 2] },
    data: [[[0, 2], [1, 3]], [[1.5, 0.5], [2, 0]]],
  },
  { name: "var", op: "var", params: { axis: 1, ddof: 0 }, shape: [3, 4] },
  { name: "var ddof 1 keepdims", op: "var", params: { axis: 0, keepdims: true, ddof: 1 }, shape: [3, 4] },
  { name: "var all", op: "var", params: { ddof: 0 }, shape: [2, 3] },
  { name: "std", op: "std", params: { axis: [0, 1], ddof: 1 }, shape: [3, 2, 2] },
  { name: "softmax axis -1", op: "softmax", params: { axis: -1 }, shape: [3, 4] },
  { name: "softmax axes [0, 1]", op: "softmax", params: { axis: [0, 1] }, shape: [2, 3, 2] },
  { name: "softmax all", op: "softmax", params: {}, shape: [2, 3] },
  ...scanOps.flatMap((op) =>
    [false, true].flatMap((reverse) =>
      [true, false].map((inclusive): FiniteCase => ({
        name: `${op} reverse=${reverse} inclusive=${inclusive}`,
        op,
        params: { axis: 1, reverse, inclusive },
        shape: [3, 5],
      }))
    )
  ),
  ...scanOps.map((op): FiniteCase => ({ name: `${op} axis 0`, op, params: { axis: 0 }, shape: [4, 3] })),
  ...scanOps.map((op): FiniteCase => ({
    name: `${op} exclusive over one element`,
    op,
    params: { axis: 1, inclusive: false },
    shape: [3, 1],
  })),
  ...[false, true].flatMap((reverse) =>
    [true, false].map((inclusive): FiniteCase => ({
      name: `cumprod with zeros reverse=${reverse} inclusive=${inclusive}`,
      op: "cumprod",
      params: { axis: 1, reverse, inclusive },
      data: [[1.5, 0, 2, 0, 0.5], [2, 0.5, 3, 0, 1.5], [0, 0, 1, 2, 3]],
    }))
  ),
  { name: "logcumsumexp of large values", op: "logcumsumexp", params: { axis: 0 }, data: [80, 81, 79.5, 82] },
  { name: "sort axis -1", op: "sort", params: { axis: -1 }, shape: [3, 5] },
  { name: "sort axis 0", op: "sort", params: { axis: 0 }, shape: [4, 3] },
  { name: "partition kth 2", op: "partition", params: { axis: -1, kth: 2 }, shape: [3, 5] },
  { name: "partition kth -1 axis 0", op: "partition", params: { axis: 0, kth: -1 }, shape: [4, 3] },
  { name: "topk 2", op: "topk", params: { axis: -1, k: 2 }, shape: [3, 5] },
  { name: "topk 3 axis 0", op: "topk", params: { axis: 0, k: 3 }, shape: [4, 3] },
  { name: "topk of the whole axis", op: "topk", params: { axis: 1, k: 3 }, shape: [2, 3] },
];

/** Exclusive cummax/cummin/logcumsumexp start from an infinite identity. */
function squashOf(c: FiniteCase): 1 | -1 | undefined {
  if (c.params.inclusive !== false) return undefined;
  return c.op === "cummin" ? -1 : c.op === "cummax" || c.op === "logcumsumexp" ? 1 : undefined;
}

for (const c of finiteCases) {
  test(`grad() of ${c.name} matches float64 finite differences`, () => {
    using x = c.data ? fromList(c.data) : distinct(c.shape!);
    const loss = weighted((v) => apply(c.op, v, c.params), squashOf(c));
    using got = mx.grad(loss)(x);
    assertEquals([got.shape, got.dtype], [x.shape, mx.float64]);
    assertAllClose(Array.from(got.toTypedArray() as Float64Array), numericGrad(loss, x), {
      rtol: 1e-6,
      atol: 1e-6,
      label: c.name,
    });
  });
}

interface GradCase {
  name: string;
  op: string;
  params: Params;
  input: { shape: number[]; data: unknown };
  grad: unknown;
  /** The loss weights when the default formula's would depend on an unspecified order. */
  weights?: Nested;
}

const fixtureCases = loadCases("grad_reduce.json") as unknown as GradCase[];

test("grad() of reductions, scans and sorts matches MLX's float32 gradients (ties included)", () => {
  const failures: string[] = [];
  for (const c of fixtureCases) {
    using x = mx.array(c.input.data as number[], mx.float32);
    using shaped = mx.reshape(x, c.input.shape);
    using w = c.weights ? mx.array(c.weights, mx.float32) : null;
    const loss = w
      ? (v: mx.MxArray) => mx.sum(mx.multiply(apply(c.op, v, c.params), w))
      : weighted((v) => apply(c.op, v, c.params));
    using got = mx.grad(loss)(shaped);
    try {
      assertEquals(got.dtype, mx.float32);
      assertAllClose(got.tolist(), c.grad, { rtol: 1e-5, atol: 1e-6, label: c.name });
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  assertEquals(failures.slice(0, 5), [], `${failures.length} of ${fixtureCases.length} cases differ`);
  assertEquals(fixtureCases.length > 60, true);
});

test("grad() keeps the input's float dtype through reductions, scans and sorts", () => {
  for (const dtype of [mx.float16, mx.bfloat16, mx.float32]) {
    using x = distinct([2, 3], 0.5, dtype);
    for (const op of ["prod", "max", "cumprod", "cummin", "logcumsumexp", "sort"]) {
      const params = op === "prod" || op === "max" ? { axis: 1, keepdims: false } : { axis: 1 };
      using g = mx.grad(weighted((v) => apply(op, v, params)))(x);
      assertEquals([op, g.dtype, g.shape], [op, dtype, [2, 3]]);
    }
  }
});

test("grad() through reductions and scans of empty arrays gives empty gradients", () => {
  using x = mx.zeros([0, 3], mx.float32);
  for (
    const f of [
      (v: mx.MxArray) => mx.sum(mx.prod(v, { axis: 0 })),
      (v: mx.MxArray) => mx.sum(mx.cumsum(v, { axis: 0 })),
      (v: mx.MxArray) => mx.sum(mx.cumprod(v, { axis: 0, reverse: true })),
      (v: mx.MxArray) => mx.sum(mx.cummax(v, { axis: 0, inclusive: false })),
      (v: mx.MxArray) => mx.sum(mx.sort(v, { axis: 0 })),
    ]
  ) {
    using g = mx.grad(f)(x);
    assertEquals(g.shape, [0, 3]);
  }
  using y = mx.zeros([2, 0], mx.float32);
  using gy = mx.grad((v: mx.MxArray) => mx.sum(mx.prod(v, { axis: 1 })))(y);
  assertEquals(gy.shape, [2, 0]);
});

test("all, any, argmin, argsort and argpartition give no gradient", () => {
  using x = mx.array([[0.5, -1, 2], [3, 0, 1]]);
  const f = (v: mx.MxArray) => {
    using all = mx.astype(mx.all(v, { axis: 1 }), mx.float32);
    using any = mx.astype(mx.any(v), mx.float32);
    using order = mx.astype(mx.argsort(v), mx.float32);
    using chosen = mx.astype(mx.argpartition(v, 1, { axis: 0 }), mx.float32);
    using smallest = mx.astype(mx.argmin(v, { axis: 1 }), mx.float32);
    using total = mx.add(mx.add(mx.sum(all), any), mx.add(mx.sum(order), mx.sum(chosen)));
    using more = mx.add(total, mx.sum(smallest));
    return mx.add(more, mx.sum(v));
  };
  using g = mx.grad(f)(x);
  assertEquals(g.tolist(), [[1, 1, 1], [1, 1, 1]]);
});

test("grad() of max and min with keepdims shares ties equally, as MLX", () => {
  using x = mx.array([[1, 3, 3], [2, 2, 2]]);
  using g = mx.grad((v: mx.MxArray) => mx.sum(mx.multiply(mx.max(v, { axis: 1, keepdims: true }), 6)))(x);
  assertEquals(g.tolist(), [[0, 3, 3], [2, 2, 2]]);
  using h = mx.grad((v: mx.MxArray) => mx.min(v))(x);
  assertEquals(h.tolist(), [[1, 0, 0], [0, 0, 0]]);
});

test("grad() of grad() through prod, cumsum, cumprod and logsumexp", () => {
  using x = mx.array([0.5, 1.5, 2, -1], mx.float64);
  // d/dx_i sum_j dprod/dx_j: the sum of the products of all but two elements.
  const first = (v: mx.MxArray) => {
    using g = mx.grad((u: mx.MxArray) => mx.prod(u))(v);
    return mx.sum(g);
  };
  using second = mx.grad(first)(x);
  const values = [0.5, 1.5, 2, -1];
  const want = values.map((_, i) =>
    values.reduce((total, _v, j) => {
      if (j === i) return total;
      return total + values.reduce((p, w, k) => (k === i || k === j ? p : p * w), 1);
    }, 0)
  );
  assertAllClose(Array.from(second.toTypedArray() as Float64Array), want, { rtol: 1e-12 });
  for (
    const f of [
      (v: mx.MxArray) => mx.sum(mx.square(mx.cumsum(v, { reverse: true }))),
      (v: mx.MxArray) => mx.sum(mx.cumprod(v)),
      (v: mx.MxArray) => mx.logsumexp(mx.square(v)),
    ]
  ) {
    const df = (v: mx.MxArray) => {
      using g = mx.grad(f)(v);
      using w = weights(g);
      using product = mx.multiply(g, w);
      return mx.sum(product);
    };
    using got = mx.grad(df)(x);
    assertAllClose(Array.from(got.toTypedArray() as Float64Array), numericGrad(df, x), {
      rtol: 1e-6,
      atol: 1e-6,
    });
  }
});

test("grad() of logsumexp and softmax handles large and infinite inputs", () => {
  using x = mx.array([1000, 1000, 999], mx.float64);
  using g = mx.grad((v: mx.MxArray) => mx.logsumexp(v))(x);
  const e = Math.exp(-1);
  assertAllClose(Array.from(g.toTypedArray() as Float64Array), [1, 1, e].map((v) => v / (2 + e)), {
    rtol: 1e-12,
  });
  using y = mx.array([-Infinity, 0, 1], mx.float64);
  using h = mx.grad((v: mx.MxArray) => mx.logsumexp(v))(y);
  assertAllClose(Array.from(h.toTypedArray() as Float64Array), [0, 1 / (1 + Math.E), Math.E / (1 + Math.E)], {
    rtol: 1e-12,
  });
  using s = mx.grad(weighted((v) => mx.softmax(v)))(x);
  assertAllClose(
    Array.from(s.toTypedArray() as Float64Array),
    numericGrad(weighted((v) => mx.softmax(v)), x),
    {
      atol: 1e-6,
    },
  );
});

test("cummax() knownDifference: a line starting with NaN sends its cotangents to that NaN (MLX scatters out of bounds and crashes)", () => {
  using x = mx.array([NaN, 1, 2]);
  using y = mx.cummax(x);
  assertEquals(y.tolist(), [NaN, NaN, NaN]);
  using g = mx.grad((v: mx.MxArray) => mx.sum(mx.multiply(mx.cummax(v), mx.array([1, 2, 3]))))(x);
  assertEquals(g.tolist(), [6, 0, 0]);
  using r = mx.array([2, 1, NaN]);
  using h = mx.grad((v: mx.MxArray) =>
    mx.sum(mx.multiply(mx.cummin(v, { reverse: true }), mx.array([1, 2, 3])))
  )(r);
  assertEquals(h.tolist(), [0, 0, 6]);
});

test("grad() of sort's rule differentiates again (through scatter's rule)", () => {
  using x = distinct([2, 4]);
  const df = (v: mx.MxArray) => {
    using g = mx.grad((u: mx.MxArray) => mx.sum(mx.multiply(mx.square(mx.sort(u)), weights(u))))(v);
    using w = weights(g);
    using product = mx.multiply(g, w);
    return mx.sum(product);
  };
  using got = mx.grad(df)(x);
  assertAllClose(Array.from(got.toTypedArray() as Float64Array), numericGrad(df, x), {
    rtol: 1e-6,
    atol: 1e-6,
  });
});

test("grad() through reductions, scans and sorts keeps memory flat", () => {
  using x = distinct([3, 4]);
  const f = (v: mx.MxArray) => {
    using a = mx.prod(v, { axis: [0, 1] });
    using b = mx.sum(mx.cummax(v, { axis: 1, inclusive: false, reverse: true }));
    using c = mx.sum(mx.multiply(mx.sort(v, { axis: 0 }), weights(v)));
    using d = mx.sum(mx.logcumsumexp(v, { axis: 0 }));
    using e = mx.sum(mx.cumprod(v, { axis: 1 }));
    using ab = mx.add(a, b);
    using cd = mx.add(c, d);
    using abcd = mx.add(ab, cd);
    return mx.add(abcd, e);
  };
  mx.grad(f)(x).dispose();
  const before = mx.memory.liveArrays();
  for (let i = 0; i < 20; i++) {
    const g = mx.grad(f)(x);
    mx.eval(g);
    g.dispose();
  }
  assertEquals(mx.memory.liveArrays(), before);
});
