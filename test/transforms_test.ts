/**
 * jvp and vmap: jvp against the vjp (J t · u = t · J^T u) and closed forms, composition with
 * grad; vmap against the loop over the batch, axes, trees, composition, errors.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

const f = (x: mx.MxArray, y: mx.MxArray) => [mx.multiply(mx.sin(x), y), mx.sum(mx.exp(mx.matmul(x, y)))];

test("jvp() equals the closed form and agrees with vjp (u·(J t) = (J^T u)·t)", () => {
  using x = mx.array([[0.5, -1], [2, 0.25]], mx.float64);
  using y = mx.array([[1, 2], [3, -1]], mx.float64);
  using tx = mx.array([[1, 0.5], [-1, 2]], mx.float64);
  using ty = mx.array([[0.25, 1], [0, -2]], mx.float64);
  const [outputs, jvps] = mx.jvp(f, [x, y], [tx, ty]);
  // d(sin(x) * y) = cos(x) * tx * y + sin(x) * ty
  using want0 = mx.add(mx.multiply(mx.multiply(mx.cos(x), tx), y), mx.multiply(mx.sin(x), ty));
  assertAllClose(jvps[0]!.tolist(), want0.tolist(), { rtol: 1e-12 });
  using u0 = mx.array([[1, -1], [0.5, 2]], mx.float64);
  using u1 = mx.array(0.75, mx.float64);
  const [, [gx, gy]] = mx.vjp(f, [x, y], [u0, u1]);
  const left = (mx.sum(mx.multiply(u0, jvps[0]!)).item() as number) + 0.75 * (jvps[1]!.item() as number);
  const right = (mx.sum(mx.multiply(gx!, tx)).item() as number) +
    (mx.sum(mx.multiply(gy!, ty)).item() as number);
  assertAllClose(left, right, { rtol: 1e-12 });
  assertEquals(outputs.length, 2);
  mx.dispose([outputs, jvps, gx, gy]);
});

test("jvp() composes with grad (forward over reverse gives a Hessian-vector product)", () => {
  using x = mx.array([0.3, -0.7, 1.1], mx.float64);
  using t = mx.array([1, 2, -1], mx.float64);
  // g(x) = sum(x^3) -> grad = 3x^2 -> H t = 6 x t
  const g = mx.grad((v: mx.MxArray) => mx.sum(mx.power(v, 3)));
  const [, [hvp]] = mx.jvp((v) => g(v), [x], [t]);
  assertAllClose(hvp!.tolist(), [6 * 0.3 * 1, 6 * -0.7 * 2, 6 * 1.1 * -1], { rtol: 1e-12 });
  hvp!.dispose();
  using bad = mx.array([1, 2]);
  assertThrows(
    () => mx.jvp((v) => v, [x], [bad]),
    mx.MxError,
    "[jvp] tangent 0 has shape [2]; its primal has shape [3]",
  );
  assertThrows(() => mx.jvp((v) => v, [x], []), mx.MxError, "[jvp] 0 tangents given for 1 primals");
});

test("vmap() equals the loop over the batch, with in/out axes, unmapped arguments and trees", () => {
  using a = mx.reshape(mx.arange(0, 24, { dtype: mx.float32 }), [2, 3, 4]);
  using w = mx.array([[1, 0], [0, 1], [1, 1], [2, -1]]);
  const layer = (x: mx.MxArray, p: { w: mx.MxArray; scale: number }) =>
    mx.multiply(mx.matmul(x, p.w), p.scale);
  // Map over axis 1 of a (size 3): each slice is [2, 4] -> [2, 2]; stack on axis 2.
  using out = mx.vmap(layer, { inAxes: [1, null], outAxes: 2 })(a, { w, scale: 2 });
  assertEquals(out.shape, [2, 2, 3]);
  for (let k = 0; k < 3; k++) {
    using slice = mx.index(a, ":", k, ":");
    using want = layer(slice, { w, scale: 2 });
    using got = mx.index(out, ":", ":", k);
    assertEquals(got.tolist(), want.tolist());
  }
  const pair = mx.vmap((x: mx.MxArray) => ({ total: mx.sum(x), first: mx.index(x, 0) }))(a);
  assertEquals(pair.total.tolist(), [66, 210]);
  assertEquals(pair.first.shape, [2, 4]);
  mx.dispose(pair);
});

test("vmap() composes with grad both ways", () => {
  using x = mx.array([[1, 2], [3, 4], [5, 6]], mx.float64);
  const loss = (v: mx.MxArray) => mx.sum(mx.power(v, 3));
  using perRow = mx.vmap(mx.grad(loss))(x);
  assertEquals(perRow.tolist(), [[3, 12], [27, 48], [75, 108]]);
  using ofVmap = mx.grad((v: mx.MxArray) => mx.sum(mx.vmap(loss)(v)))(x);
  assertEquals(ofVmap.tolist(), [[3, 12], [27, 48], [75, 108]]);
});

test("vmap() rejects bad axes and mismatched sizes", () => {
  using a = mx.zeros([2, 3]);
  using b = mx.zeros([4, 3]);
  const add = (x: mx.MxArray, y: mx.MxArray) => mx.add(x, y);
  assertThrows(() => mx.vmap(add)(a, b), mx.MxError, "[vmap] mapped axes have different sizes: 2 and 4");
  assertThrows(
    () => mx.vmap(add, { inAxes: [2, 0] })(a, b),
    mx.MxError,
    "[vmap] inAxes 2 is out of range for argument 0 of shape [2,3]",
  );
  assertThrows(
    () => mx.vmap(add, { inAxes: [0] })(a, b),
    mx.MxError,
    "[vmap] inAxes has 1 entries for 2 arguments",
  );
  assertThrows(() => mx.vmap(add, { inAxes: null })(a, b), mx.MxError, "[vmap] no argument is mapped");
  assertThrows(() => mx.vmap(add, { outAxes: 3 })(a, a), mx.MxError, "[vmap] outAxes 3 is out of range");
});
