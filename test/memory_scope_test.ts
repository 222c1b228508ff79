/** tidy (sync and async), keep, dispose(tree) and asyncEval: memory stays flat, results
 * survive, errors propagate, the event loop keeps running. */

import * as mx from "mlx-ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";

test("tidy() in a 10,000-iteration loop holds memory and handles flat", () => {
  using w = mx.array([0.5, -1, 2]);
  let total = mx.zeros([3]);
  mx.eval(total);
  const bytes = mx.memory.activeBytes();
  const live = mx.memory.liveArrays();
  for (let i = 0; i < 10_000; i++) {
    const next = mx.tidy(() => {
      const grad = mx.multiply(mx.add(w, i % 3), 0.001);
      return mx.add(total, grad);
    });
    total.dispose();
    total = next;
    if (i % 500 === 0) mx.eval(total);
  }
  mx.eval(total);
  assertEquals(mx.memory.liveArrays(), live);
  assertEquals(mx.memory.activeBytes(), bytes);
  // sum over i of (w + i%3) * 0.001, per element: 10,000 * w * 0.001 + 0.001 * 9999
  const expected = [0.5, -1, 2].map((x) => 10 * x + 0.001 * 9999);
  (total.tolist() as number[]).forEach((v, k) => assert(Math.abs(v - expected[k]!) < 1e-2, `${v} vs ${expected[k]}`));
  total.dispose();
});

test("tidy() keeps returned trees and kept arrays, disposes the rest", () => {
  let inside: mx.MxArray | undefined;
  let kept: mx.MxArray | undefined;
  const result = mx.tidy(() => {
    inside = mx.ones([2]);
    kept = mx.keep(mx.zeros([2]));
    return { out: [mx.add(inside, 1)], label: "not an array" };
  });
  assertEquals(inside!.disposed, true);
  assertEquals(kept!.disposed, false);
  assertEquals(result.out[0]!.tolist(), [2, 2]);
  assertEquals(result.label, "not an array");
  mx.dispose([kept, result]);
  assertEquals([kept!.disposed, result.out[0]!.disposed], [true, true]);
});

test("nested tidy() hands survivors to the outer scope", () => {
  let innerResult: mx.MxArray | undefined;
  const outer = mx.tidy(() => {
    innerResult = mx.tidy(() => mx.ones([1]));
    return mx.add(innerResult, 1);
  });
  assertEquals(innerResult!.disposed, true); // not returned by the outer function
  assertEquals(outer.item(), 2);
  outer.dispose();
});

test("tidy() disposes temporaries when the function throws", () => {
  const live = mx.memory.liveArrays();
  assertThrows(() =>
    mx.tidy(() => {
      mx.ones([4]);
      mx.add(mx.ones([2]), mx.ones([3]));
    }), mx.MxError, "[add] shapes [2] and [3] cannot be broadcast");
  assertEquals(mx.memory.liveArrays(), live);
});

test("async tidy() ends when the promise settles; concurrent tasks keep their arrays", async () => {
  let fromOther: mx.MxArray | undefined;
  const other = (async () => {
    await new Promise((r) => setTimeout(r, 1));
    fromOther = mx.ones([3]); // made while the tidy below is pending, in another task
  })();
  let temp: mx.MxArray | undefined;
  const result = await mx.tidy(async () => {
    temp = mx.ones([2]);
    await new Promise((r) => setTimeout(r, 5));
    return mx.multiply(temp, 3);
  });
  await other;
  assertEquals(temp!.disposed, true);
  assertEquals(fromOther!.disposed, false);
  assertEquals(result.tolist(), [3, 3]);
  mx.dispose([result, fromOther]);
});

test("asyncEval() computes off the event loop and reports errors", async () => {
  using big = mx.arange(0, 2_000_000, { dtype: mx.float32 });
  using s = mx.sum(mx.multiply(big, 2));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  await mx.asyncEval(s);
  clearInterval(timer);
  assertEquals(mx.isEvaluated(s), true);
  const exact = 2 * (2_000_000 * 1_999_999) / 2;
  assert(Math.abs((s.item() as number) - exact) / exact < 1e-5, `${s.item()} vs ${exact}`);
  assert(ticks >= 0);
  using far = mx.array([5], mx.int32);
  using bad = mx.take(mx.arange(3), far);
  let message = "";
  try {
    await mx.asyncEval(bad);
  } catch (error) {
    message = (error as mx.MxError).message;
  }
  assertEquals(message, "[gather] index 5 is out of bounds for axis 0 with size 3");
  await mx.asyncEval(); // nothing to do
});
