/**
 * grad, valueAndGrad and vjp: float64 finite differences for every op with a derivative
 * rule, higher-order and composed cases, trees and argnums, errors, and memory.
 */

import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { input, numericGrad } from "./support/grad.ts";

interface GradCase {
  name: string;
  fn: (...args: mx.MxArray[]) => mx.MxArray;
  shapes: number[][];
  offset?: number;
}

const sumOf = (x: mx.MxArray) => mx.sum(x);
const unaryCases: [string, (x: mx.MxArray) => mx.MxArray, number?][] = [
  ["exp", mx.exp],
  ["expm1", mx.expm1],
  ["log", mx.log],
  ["log1p", mx.log1p],
  ["sin", mx.sin],
  ["cos", mx.cos],
  ["tanh", mx.tanh],
  ["sigmoid", mx.sigmoid],
  ["sqrt", mx.sqrt],
  ["square", mx.square],
  ["abs", mx.abs, -0.6],
  ["reciprocal", mx.reciprocal],
  ["negative", mx.negative],
];

const cases: GradCase[] = [
  ...unaryCases.map(([name, f, offset]): GradCase => ({
    name,
    fn: (x) => sumOf(mx.multiply(f(x), x)),
    shapes: [[2, 3]],
    offset,
  })),
  { name: "add broadcast", fn: (a, b) => mx.sum(mx.square(mx.add(a, b))), shapes: [[2, 3], [3]] },
  {
    name: "subtract broadcast",
    fn: (a, b) => mx.sum(mx.square(mx.subtract(a, b))),
    shapes: [[2, 1], [1, 3]],
  },
  {
    name: "multiply broadcast",
    fn: (a, b) => mx.sum(mx.multiply(mx.multiply(a, b), a)),
    shapes: [[4, 1, 3], [2, 1]],
  },
  { name: "divide", fn: (a, b) => mx.sum(mx.divide(a, b)), shapes: [[2, 3], [2, 3]] },
  { name: "power", fn: (a, b) => mx.sum(mx.power(a, b)), shapes: [[2, 3], [3]] },
  {
    name: "scalar operands",
    fn: (a) => mx.sum(mx.divide(mx.subtract(mx.multiply(a, 3), 1), 2)),
    shapes: [[3]],
  },
  {
    name: "sum axes keepdims",
    fn: (a) => mx.sum(mx.square(mx.sum(a, { axis: [0, 2], keepdims: true }))),
    shapes: [[2, 3, 4]],
  },
  { name: "sum axis", fn: (a) => mx.sum(mx.exp(mx.sum(a, { axis: 1 }))), shapes: [[2, 3, 2]] },
  { name: "mean", fn: (a) => mx.mean(mx.square(a)), shapes: [[3, 4]] },
  {
    name: "reshape transpose",
    fn: (a) =>
      mx.sum(
        mx.multiply(
          mx.transpose(mx.reshape(a, [3, 4])),
          mx.reshape(mx.arange(0, 12, { dtype: mx.float64 }), [4, 3]),
        ),
      ),
    shapes: [[2, 6]],
  },
  { name: "broadcastTo", fn: (a) => mx.sum(mx.square(mx.broadcastTo(a, [4, 2, 3]))), shapes: [[2, 1]] },
  { name: "matmul", fn: (a, b) => mx.sum(mx.square(mx.matmul(a, b))), shapes: [[3, 4], [4, 2]] },
  {
    name: "matmul batched broadcast",
    fn: (a, b) => mx.sum(mx.sin(mx.matmul(a, b))),
    shapes: [[2, 1, 3, 4], [3, 4, 2]],
  },
  { name: "matmul vector @ matrix", fn: (a, b) => mx.sum(mx.square(mx.matmul(a, b))), shapes: [[4], [4, 3]] },
  { name: "matmul matrix @ vector", fn: (a, b) => mx.sum(mx.square(mx.matmul(a, b))), shapes: [[3, 4], [4]] },
  { name: "matmul vector @ vector", fn: (a, b) => mx.square(mx.matmul(a, b)), shapes: [[4], [4]] },
  { name: "a reused input", fn: (a) => mx.sum(mx.multiply(mx.exp(a), mx.sin(a))), shapes: [[5]] },
];

for (const c of cases) {
  test(`grad() of ${c.name} matches float64 finite differences`, () => {
    const args = c.shapes.map((shape, k) => input(shape, (c.offset ?? 0.5) + 0.1 * k));
    try {
      const argnums = args.map((_, k) => k);
      const grads = mx.grad(c.fn, { argnums })(...args) as mx.MxArray[];
      args.forEach((arg, k) => {
        const got = grads[k]!;
        assertEquals(got.shape, arg.shape, `gradient ${k} shape`);
        assertEquals(got.dtype, mx.float64, `gradient ${k} dtype`);
        const tolerance = 1e-6;
        assertAllClose(Array.from(got.toTypedArray() as Float64Array), numericGrad(c.fn, args, k), {
          rtol: tolerance,
          atol: tolerance,
          label: `gradient ${k}`,
        });
        got.dispose();
      });
    } finally {
      for (const a of args) a.dispose();
    }
  });
}

test("grad() through astype casts the cotangent back to each input's dtype", () => {
  using x = mx.array([0.5, 1.25, -2], mx.float64);
  using g = mx.grad((v: mx.MxArray) => mx.sum(mx.astype(mx.square(mx.astype(v, mx.float32)), mx.float64)))(x);
  assertEquals(g.dtype, mx.float64);
  assertEquals(g.tolist(), [1, 2.5, -4]);
  using h = mx.array([1, 2], mx.float16);
  using gh = mx.grad((v: mx.MxArray) => mx.sum(mx.multiply(v, v)))(h);
  assertEquals([gh.dtype, gh.tolist()], [mx.float16, [2, 4]]);
});

test("grad() of grad() gives second derivatives; valueAndGrad returns the value", () => {
  using x = mx.array([0.5, 1, 2], mx.float64);
  const f = (v: mx.MxArray) => mx.sum(mx.multiply(mx.sin(v), mx.exp(v)));
  const df = (v: mx.MxArray) => mx.sum(mx.grad(f)(v));
  using second = mx.grad(df)(x);
  // d2/dx2 sin(x) e^x = 2 cos(x) e^x
  const want = [0.5, 1, 2].map((v) => 2 * Math.cos(v) * Math.exp(v));
  assertAllClose(Array.from(second.toTypedArray() as Float64Array), want, { rtol: 1e-12 });
  const [value, dx] = mx.valueAndGrad(f)(x);
  assertAllClose(value.item(), [0.5, 1, 2].reduce((s, v) => s + Math.sin(v) * Math.exp(v), 0), {
    rtol: 1e-12,
  });
  assertAllClose(
    Array.from(dx.toTypedArray() as Float64Array),
    [0.5, 1, 2].map((v) => (Math.cos(v) + Math.sin(v)) * Math.exp(v)),
    { rtol: 1e-12 },
  );
  value.dispose();
  dx.dispose();
});

test("grad() takes trees, argnums lists, auxiliary outputs, and passes other leaves through", () => {
  using w = mx.array([[1, 2], [3, 4]]);
  using b = mx.array([0.5, -0.5]);
  using x = mx.array([[1, 1], [2, 0]]);
  const loss = (params: { w: mx.MxArray; b: mx.MxArray; name: string }, data: mx.MxArray) =>
    mx.sum(mx.square(mx.add(mx.matmul(data, params.w), params.b)));
  const grads = mx.grad(loss)({ w, b, name: "linear" }, x);
  assertEquals(Object.keys(grads), ["w", "b", "name"]);
  assertEquals(grads.name, "linear");
  // y = x @ w + b = [[4.5, 5.5], [2.5, 3.5]]; dL/dy = 2y; dL/dw = x^T 2y; dL/db = sum_rows 2y
  assertEquals((grads.w as mx.MxArray).tolist(), [[19, 25], [9, 11]]);
  assertEquals((grads.b as mx.MxArray).tolist(), [14, 18]);
  const [dp, dx] = mx.grad(loss, { argnums: [0, 1] })({ w, b, name: "linear" }, x);
  assertEquals((dp as { w: mx.MxArray }).w.tolist(), [[19, 25], [9, 11]]);
  // dL/dx = 2y @ w^T
  assertEquals((dx as mx.MxArray).tolist(), [[31, 71], [19, 43]]);
  const [[value, aux], db] = mx.valueAndGrad((bias: mx.MxArray) => [mx.sum(mx.square(bias)), "aux"] as const)(
    b,
  );
  assertEquals([(value as mx.MxArray).item(), aux, db.tolist()], [0.5, "aux", [1, -1]]);
  mx.dispose([grads, dp, dx, value, db]);
});

test("vjp() returns the outputs and the cotangent-weighted gradients of several outputs", () => {
  using x = mx.array([1, 2, 3]);
  using y = mx.array([4, 5, 6]);
  using c1 = mx.array([1, 0, 2]);
  using c2 = mx.array(3);
  const [outputs, [dx, dy]] = mx.vjp((a, b) => [mx.multiply(a, b), mx.sum(a)], [x, y], [c1, c2]);
  assertEquals(outputs.map((o) => o.tolist()), [[4, 10, 18], 6]);
  assertEquals(dx!.tolist(), [7, 3, 15]);
  assertEquals(dy!.tolist(), [1, 0, 6]);
  const [, [unused]] = mx.vjp((a, _b) => mx.multiply(a, 2), [x, y], [c1]);
  assertEquals(unused!.tolist(), [2, 0, 4]);
  mx.dispose([outputs, dx, dy, unused]);
});

test("gradients flow through values read inside the function (no detaching while tracing)", () => {
  using x = mx.array([1, 2], mx.float64);
  const f = (v: mx.MxArray) => {
    const e = mx.exp(v);
    const scale = mx.sum(e).item() as number; // evaluates e mid-trace
    return mx.sum(mx.multiply(e, scale));
  };
  using g = mx.grad(f)(x);
  const scale = Math.exp(1) + Math.exp(2);
  assertAllClose(Array.from(g.toTypedArray() as Float64Array), [Math.exp(1) * scale, Math.exp(2) * scale], {
    rtol: 1e-12,
  });
});

test("stopGradient, comparisons and integer ops give zero gradient", () => {
  using x = mx.array([1, -2, 3]);
  using g = mx.grad((v: mx.MxArray) => mx.sum(mx.add(mx.multiply(mx.stopGradient(v), v), mx.floor(v))))(x);
  assertEquals(g.tolist(), [1, -2, 3]);
  using h = mx.grad((v: mx.MxArray) => mx.sum(mx.astype(mx.greater(v, 0), mx.float32)))(x);
  assertEquals(h.tolist(), [0, 0, 0]);
});

test("transforms reject bad use with clear errors and keep memory flat", () => {
  using x = mx.array([1, 2, 3]);
  assertThrows(
    () => mx.grad((v: mx.MxArray) => mx.multiply(v, 2))(x),
    mx.MxError,
    "[grad] the function must return a scalar (0-d) array to differentiate; got shape [3]",
  );
  assertThrows(
    () => mx.grad((v: mx.MxArray) => mx.sum(v), { argnums: 1 })(x),
    mx.MxError,
    "[grad] argnums 1 is out of range for a call with 1 argument",
  );
  // MLX has no derivative for LUF either; the packed outputs are views (slices) of it.
  using square = mx.array([[2, 1], [1, 3]]);
  assertThrows(
    () => mx.grad((v: mx.MxArray) => mx.sum(mx.linalg.luFactor(v)[0]))(square),
    mx.MxError,
    "[vjp] the derivative of ",
  );
  assertThrows(() => mx.grad("f" as unknown as () => mx.MxArray), mx.MxError, "[grad] expected a function");
  using c = mx.array([1, 2]);
  const error = assertThrows(
    () => mx.vjp((v) => mx.multiply(v, 2), [x], [c]),
    mx.MxError,
    "[vjp] cotangent 0 has shape [2]; its output has shape [3]",
  );
  assertEquals(error.code, "shape_mismatch");
  assertThrows(() => mx.vjp((v) => v, [x], []), mx.MxError, "[vjp] 0 cotangents given for 1 outputs");
  // Failed traces close: later evaluations detach again (no graph kept).
  const before = mx.memory.liveArrays();
  const activeBefore = mx.memory.activeBytes();
  for (let i = 0; i < 50; i++) {
    const g = mx.grad((v: mx.MxArray) => mx.sum(mx.square(mx.sin(v))))(x);
    mx.eval(g);
    g.dispose();
  }
  assertEquals(mx.memory.liveArrays(), before);
  assert(
    mx.memory.activeBytes() <= activeBefore,
    `active bytes grew from ${activeBefore} to ${mx.memory.activeBytes()}`,
  );
});
