/**
 * customFunction and checkpoint: the user's vjp replaces the ops' derivative under grad, vjp
 * and jvp; checkpoint gives the plain gradients (first and second order); errors; programs
 * and arrays are freed.
 */

import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

test("customFunction() uses the given vjp under grad, vjp and jvp, and is plain outside them", () => {
  let vjpCalls = 0;
  const f = mx.customFunction((x: mx.MxArray, y: mx.MxArray) => [mx.multiply(x, y), mx.add(x, y)], {
    vjp: ([x, y], [c0, c1]) => {
      vjpCalls++;
      // A deliberately "wrong" gradient, to see that it is the one used: 10x the true one.
      return [
        mx.multiply(mx.add(mx.multiply(c0!, y!), c1!), 10),
        mx.multiply(mx.add(mx.multiply(c0!, x!), c1!), 10),
      ];
    },
  });
  using x = mx.array([1, 2]);
  using y = mx.array([3, 4]);
  const plain = f(x, y) as mx.MxArray[];
  assertEquals(plain.map((a) => a.tolist()), [[3, 8], [4, 6]]);
  assertEquals(vjpCalls, 0);
  const loss = (a: mx.MxArray, b: mx.MxArray) => {
    const [p, s] = f(a, b) as mx.MxArray[];
    return mx.sum(mx.add(p!, mx.multiply(s!, 2)));
  };
  const [gx, gy] = mx.grad(loss, { argnums: [0, 1] })(x, y) as mx.MxArray[];
  assertEquals([gx!.tolist(), gy!.tolist()], [[50, 60], [30, 40]]); // 10 * (y + 2), 10 * (x + 2)
  using tx = mx.array([1, 0]);
  using ty = mx.array([0, 1]);
  const [, jvps] = mx.jvp((a, b) => f(a, b), [x, y], [tx, ty]);
  // J t with the custom (10x) derivative: d(xy) = 10 (y tx + x ty), d(x+y) = 10 (tx + ty)
  assertEquals(jvps.map((a) => a.tolist()), [[30, 20], [10, 10]]);
  mx.dispose([plain, gx, gy, jvps]);
});

test("customFunction() with only a jvp uses it for jvp and, transposed, for grad", () => {
  let jvpCalls = 0;
  // f(x, y) = sin(x) * y with a jvp that is 2x the true one.
  const f = mx.customFunction((x: mx.MxArray, y: mx.MxArray) => mx.multiply(mx.sin(x), y), {
    jvp: ([x, y], [dx, dy]) => {
      jvpCalls++;
      return mx.multiply(
        mx.add(mx.multiply(mx.multiply(dx!, mx.cos(x!)), y!), mx.multiply(dy!, mx.sin(x!))),
        2,
      );
    },
  });
  using x = mx.array([0.5, 1], mx.float64);
  using y = mx.array([2, 3], mx.float64);
  using tx = mx.array([1, 1], mx.float64);
  using ty = mx.array([0, 1], mx.float64);
  const [, [t]] = mx.jvp((a, b) => f(a, b), [x, y], [tx, ty]);
  const want = [0.5, 1].map((v, i) => 2 * (Math.cos(v) * [2, 3][i]! + [0, 1][i]! * Math.sin(v)));
  assertAllClose(t!.tolist(), want, { rtol: 1e-12 });
  const [gx, gy] = mx.grad((a: mx.MxArray, b: mx.MxArray) => mx.sum(f(a, b) as mx.MxArray), {
    argnums: [0, 1],
  })(x, y) as mx.MxArray[];
  assertAllClose(gx!.tolist(), [0.5, 1].map((v, i) => 2 * Math.cos(v) * [2, 3][i]!), { rtol: 1e-12 });
  assertAllClose(gy!.tolist(), [0.5, 1].map((v) => 2 * Math.sin(v)), { rtol: 1e-12 });
  assert(jvpCalls >= 2, `jvp called ${jvpCalls} times`);
  mx.dispose([t, gx, gy]);
});

test("customFunction() with a vmap rule: vmap calls it once instead of per slice", () => {
  let ruleCalls = 0;
  let bodyCalls = 0;
  const rowSum = mx.customFunction((x: mx.MxArray) => {
    bodyCalls++;
    return mx.sum(x);
  }, {
    vmap: ([x], [axis]) => {
      ruleCalls++;
      // Sum everything but the mapped axis; the result is mapped on axis 0.
      const moved = mx.moveaxis(x!, axis!, 0);
      return [mx.sum(mx.reshape(moved, [moved.shape[0]!, -1]), { axis: 1 }), 0];
    },
  });
  using x = mx.reshape(mx.arange(0, 12, { dtype: mx.float32 }), [3, 4]);
  using rows = mx.vmap(rowSum)(x);
  assertEquals(rows.tolist(), [6, 22, 38]);
  using columns = mx.vmap(rowSum, { inAxes: 1 })(x);
  assertEquals(columns.tolist(), [12, 15, 18, 21]);
  assertEquals([ruleCalls, bodyCalls], [2, 0]);
});

test("checkpoint() gives the plain gradients, first and second order", () => {
  using w = mx.array([[0.5, -0.3], [0.2, 0.8]], mx.float64);
  using x = mx.array([[1, 2], [-1, 0.5]], mx.float64);
  const block = (a: mx.MxArray, b: mx.MxArray) => mx.tanh(mx.matmul(a, b));
  const loss = (f: typeof block) => (a: mx.MxArray) => mx.sum(mx.square(f(f(x, a), a)));
  using plain = mx.grad(loss(block))(w);
  using saved = mx.grad(loss(mx.checkpoint(block)))(w);
  assertAllClose(saved.tolist(), plain.tolist(), { rtol: 1e-12 });
  const second = (f: typeof block) => mx.grad((a: mx.MxArray) => mx.sum(mx.grad(loss(f))(a)));
  using plain2 = second(block)(w);
  using saved2 = second(mx.checkpoint(block))(w);
  assertAllClose(saved2.tolist(), plain2.tolist(), { rtol: 1e-10 });
});

test("customFunction() inside compile, and compiled functions inside custom functions", () => {
  const clipped = mx.customFunction((x: mx.MxArray) => mx.square(x), {
    vjp: ([x], [c]) => mx.multiply(c!, mx.clip(mx.multiply(x!, 2), -1, 1)),
  });
  const loss = mx.compile((x: mx.MxArray) => mx.sum(clipped(x)));
  using x = mx.array([0.25, 3]);
  for (let i = 0; i < 3; i++) {
    using g = mx.grad(loss)(x);
    assertEquals(g.tolist(), [0.5, 1]);
  }
  using v = loss(x);
  assertEquals(v.item(), 9.0625);
});

test("customFunction() rejects vjps of the wrong arity or shape, and frees what it made", () => {
  using x = mx.array([1, 2]);
  const twoGrads = mx.customFunction((a: mx.MxArray) => mx.exp(a), { vjp: ([a], [c]) => [c!, a!] });
  assertThrows(
    () => mx.grad((a: mx.MxArray) => mx.sum(twoGrads(a)))(x),
    mx.MxError,
    "[custom_function] the vjp returned 2 gradients for 1 arguments",
  );
  const badShape = mx.customFunction((a: mx.MxArray) => mx.exp(a), { vjp: () => mx.zeros([3]) });
  assertThrows(
    () => mx.grad((a: mx.MxArray) => mx.sum(badShape(a)))(x),
    mx.MxError,
    "[custom_function] the vjp gave a gradient of shape [3] for argument 0 of shape [2]",
  );
  const f = mx.checkpoint((a: mx.MxArray) => mx.sin(mx.exp(a)));
  const g = mx.grad((a: mx.MxArray) => mx.sum(f(a)));
  g(x).dispose();
  const live = mx.memory.liveArrays();
  const active = mx.memory.activeBytes();
  for (let i = 0; i < 100; i++) {
    const d = g(x);
    mx.eval(d);
    d.dispose();
  }
  assertEquals(mx.memory.liveArrays(), live);
  assert(mx.memory.activeBytes() <= active, `active bytes grew: ${active} -> ${mx.memory.activeBytes()}`);
});
