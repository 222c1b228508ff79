/**
 * mx.compile: replay equals the function, one trace per signature (or per dtypes when
 * shapeless), merged common subexpressions, captured constants, trees, composition with
 * grad, errors for values read mid-trace, disableCompile, memory.
 */

import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

const gelu = (x: mx.MxArray) => mx.multiply(mx.multiply(x, 0.5), mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1));

test("compile() replays the traced graph: same results, the function's JavaScript runs once per signature", () => {
  let calls = 0;
  const f = mx.compile((x: mx.MxArray, y: mx.MxArray) => {
    calls++;
    return mx.add(gelu(x), mx.multiply(y, 2));
  });
  for (const [xs, ys] of [[[1, -2, 3], [0.5, 1, 2]], [[0, 4, -1], [1, 1, 1]]] as const) {
    using x = mx.array([...xs]);
    using y = mx.array([...ys]);
    using got = f(x, y);
    using want = mx.add(gelu(x), mx.multiply(y, 2));
    assertAllClose(got.tolist(), want.tolist(), { rtol: 1e-6 });
  }
  assertEquals(calls, 1);
  using wide = mx.array([[1, 2], [3, 4]]);
  using out = f(wide, wide);
  assertEquals(out.shape, [2, 2]);
  assertEquals(calls, 2); // a new shape traces again
  using f64 = mx.array([1, 2, 3], mx.float64);
  using out64 = f(f64, f64);
  assertEquals([out64.dtype, calls], [mx.float64, 3]); // a new dtype too
});

test("compile({ shapeless }) traces once per dtypes and ranks for elementwise functions and rejects others", () => {
  let calls = 0;
  const f = mx.compile((x: mx.MxArray) => {
    calls++;
    return gelu(x);
  }, { shapeless: true });
  for (const shape of [[2, 3], [2, 4], [5, 1]]) {
    using x = mx.reshape(mx.arange(0, shape.reduce((a, b) => a * b, 1), { dtype: mx.float32 }), shape);
    using got = f(x);
    using want = gelu(x);
    assertEquals(got.shape, shape);
    assertAllClose(got.tolist(), want.tolist(), { rtol: 1e-6 });
  }
  assertEquals(calls, 1);
  using flat = mx.array([1, 2, 3]);
  f(flat).dispose();
  assertEquals(calls, 2); // as in MLX, a new rank traces again
  const g = mx.compile((x: mx.MxArray) => mx.sum(x), { shapeless: true });
  using x = mx.array([1, 2]);
  assertThrows(
    () => g(x),
    mx.MxError,
    "[compile] shapeless compilation supports elementwise operations only; the function uses reduce",
  );
});

test("compile() merges common subexpressions and captures constants", () => {
  const twice = (x: mx.MxArray) => mx.add(mx.exp(mx.sin(x)), mx.exp(mx.sin(x)));
  using x = mx.array([0.5, 1]);
  // sin, exp, add: the repeated sin and exp are merged; sin and exp fuse (exp feeds add twice).
  assertEquals(mx.compiledStepCount(twice, x), { steps: 3, fusedSteps: 2 });
  // GELU's five float32 elementwise steps run as one fused kernel.
  assertEquals(mx.compiledStepCount(gelu, x), { steps: 5, fusedSteps: 1 });
  // Equal scalar constants merge and views that change nothing disappear: x * 0.5 + x * 0.5.
  const halves = (v: mx.MxArray) => mx.add(mx.multiply(mx.reshape(v, [2]), 0.5), mx.multiply(mx.transpose(v), 0.5));
  assertEquals(mx.compiledStepCount(halves, x).steps, 2);
  using scale = mx.array([10, 100]);
  const f = mx.compile((v: mx.MxArray) => mx.multiply(v, scale));
  using out = f(x);
  assertEquals(out.tolist(), [5, 100]);
  scale.dispose(); // the program holds its own reference
  using y = mx.array([1, 2]);
  using again = f(y);
  assertEquals(again.tolist(), [10, 200]);
});

test("compile() fuses float32 chains over strided, broadcast and scalar operands exactly", () => {
  const f = (x: mx.MxArray, row: mx.MxArray, s: mx.MxArray) =>
    mx.add(mx.multiply(mx.tanh(mx.subtract(x, row)), mx.exp(mx.negative(s))), mx.sqrt(mx.abs(row)));
  const compiled = mx.compile(f);
  using base = mx.reshape(mx.sin(mx.arange(0, 300 * 37, { dtype: mx.float32 })), [37, 300]);
  using x = mx.transpose(base); // [300, 37], strided
  using row = mx.cos(mx.arange(0, 37, { dtype: mx.float32 })); // broadcast over rows
  using s = mx.array(0.25);
  // Chains fuse per shape: exp(-s) (a scalar), sqrt(|row|) (a row) and the [300, 37] chain.
  assertEquals(mx.compiledStepCount(f, x, row, s), { steps: 8, fusedSteps: 3 });
  using got = compiled(x, row, s);
  using want = f(x, row, s);
  assertEquals(got.shape, [300, 37]);
  // The fused kernel runs the same float32 math: equal to the op-by-op result bit for bit.
  assertEquals(Array.from(got.toTypedArray() as Float32Array), Array.from(want.toTypedArray() as Float32Array));
  using ints = mx.array([1, 2, 3], mx.int32);
  const g = mx.compile((v: mx.MxArray) => mx.multiply(mx.add(v, v), v));
  using gi = g(ints);
  assertEquals([gi.dtype, gi.tolist()], [mx.int32, [2, 8, 18]]); // not fused (int32), still right
});

test("compile() takes and returns trees; non-array leaves are part of the signature", () => {
  let calls = 0;
  const step = mx.compile((state: { w: mx.MxArray; lr: number }, x: mx.MxArray) => {
    calls++;
    const y = mx.matmul(x, state.w);
    return { y, norm: mx.sum(mx.square(y)), tag: "step" };
  });
  using w = mx.array([[1, 0], [0, 2]]);
  using x = mx.array([[1, 1]]);
  const a = step({ w, lr: 0.1 }, x);
  assertEquals([a.y.tolist(), a.norm.item(), a.tag], [[[1, 2]], 5, "step"]);
  const b = step({ w, lr: 0.1 }, x);
  const c = step({ w, lr: 0.2 }, x);
  assertEquals(calls, 2);
  mx.dispose([a, b, c]);
});

test("compile() composes with grad both ways", () => {
  const loss = (w: mx.MxArray) => mx.sum(mx.square(mx.tanh(mx.multiply(w, 3))));
  using w = mx.array([0.1, -0.2, 0.3], mx.float64);
  using plain = mx.grad(loss)(w);
  using throughCompile = mx.grad(mx.compile(loss))(w);
  using compiledGrad = mx.compile(mx.grad(loss))(w);
  assertAllClose(throughCompile.tolist(), plain.tolist(), { rtol: 1e-12 });
  assertAllClose(compiledGrad.tolist(), plain.tolist(), { rtol: 1e-12 });
});

test("compile() rejects reading traced values and leaves no trace open", () => {
  const f = mx.compile((x: mx.MxArray) => mx.multiply(x, mx.sum(x).item() as number));
  using x = mx.array([1, 2]);
  assertThrows(
    () => f(x),
    mx.MxError,
    "[compile] a compiled function cannot evaluate or read arrays computed from its inputs",
  );
  // Later evaluation works and detaches as usual.
  using g = mx.grad((v: mx.MxArray) => mx.sum(mx.square(v)))(x);
  assertEquals(g.tolist(), [2, 4]);
  assertThrows(
    () => mx.compile(3 as unknown as () => mx.MxArray),
    mx.MxError,
    "[compile] expected a function",
  );
});

test("disableCompile() runs the function's JavaScript every call; memory stays flat", () => {
  let calls = 0;
  const f = mx.compile((x: mx.MxArray) => {
    calls++;
    return mx.exp(x);
  });
  using x = mx.array([1, 2]);
  mx.disableCompile();
  try {
    f(x).dispose();
    f(x).dispose();
  } finally {
    mx.enableCompile();
  }
  assertEquals(calls, 2);
  f(x).dispose();
  const live = mx.memory.liveArrays();
  const active = mx.memory.activeBytes();
  for (let i = 0; i < 200; i++) {
    const y = f(x);
    mx.eval(y);
    y.dispose();
  }
  assertEquals(calls, 3);
  assertEquals(mx.memory.liveArrays(), live);
  assert(mx.memory.activeBytes() <= active, `active bytes grew: ${active} -> ${mx.memory.activeBytes()}`);
});
