/** Native memory: counted, bounded by the limit, returned on dispose, and errors (never a
 * crash) when an allocation cannot be made. */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";

test("memory.activeBytes() counts buffers and returns to the baseline on dispose", () => {
  const before = mx.memory.activeBytes();
  const a = mx.array(new Float32Array(1000));
  assertEquals(mx.memory.activeBytes(), before + 4000);
  const b = mx.add(a, 1);
  // Lazy: only the scalar operand (held by the graph) is allocated so far.
  assertEquals(mx.memory.activeBytes(), before + 4004);
  mx.eval(b);
  assertEquals(mx.memory.activeBytes(), before + 8000);
  assert(mx.memory.peakBytes() >= before + 8000);
  a.dispose();
  b.dispose();
  assertEquals(mx.memory.activeBytes(), before);
});

test("a create/compute/dispose loop holds memory and handles flat", () => {
  const bytesBefore = mx.memory.activeBytes();
  const liveBefore = mx.memory.liveArrays();
  for (let i = 0; i < 10_000; i++) {
    using a = mx.array([i, 1, 2]);
    using doubled = mx.add(a, a);
    using b = mx.multiply(doubled, 0.5);
    using c = mx.sum(b);
    if (i % 1000 === 0) assertEquals(c.item(), i + 3);
  }
  assertEquals(mx.memory.liveArrays(), liveBefore + 0);
  // The temporaries made inside mx.add/mx.multiply for scalars are disposed too.
  assertEquals(mx.memory.activeBytes(), bytesBefore);
});

test("memory.setMemoryLimit() makes allocations past it throw out_of_memory", () => {
  const previous = mx.memory.setMemoryLimit(mx.memory.activeBytes() + 1000);
  try {
    const error = assertThrows(() => mx.array(new Float32Array(1 << 20)), mx.MxError, "exceeds the memory limit");
    assertEquals(error.code, "out_of_memory");
    using small = mx.array([1, 2, 3]);
    assertEquals(small.tolist(), [1, 2, 3]);
  } finally {
    mx.memory.setMemoryLimit(previous);
  }
  assertThrows(() => mx.memory.setMemoryLimit(-1), RangeError, "expected a byte count >= 0");
});

test("an allocation the machine cannot make is an MxError, and the inputs stay usable", () => {
  // [2^23, 1] + [1, 2^23] broadcasts to 2^46 float32 elements: 256 TiB.
  using tall = fromBytes(new Float32Array(1 << 23).fill(1), mx.float32, [1 << 23, 1]);
  using wide = fromBytes(new Float32Array(1 << 23).fill(2), mx.float32, [1, 1 << 23]);
  using huge = mx.add(tall, wide);
  assertEquals(huge.shape, [1 << 23, 1 << 23]);
  const error = assertThrows(() => mx.eval(huge), mx.MxError, "out of memory allocating 281474976710656 bytes");
  assertEquals(error.code, "out_of_memory");
  using tallPlusOne = mx.add(tall, 1);
  using tallTotal = mx.sum(tallPlusOne);
  using wideTotal = mx.sum(wide);
  assertEquals([tallTotal.item(), wideTotal.item()], [2 * (1 << 23), 2 * (1 << 23)]);
});

test("freed buffers go to the cache and are reused; clearCache() empties it", () => {
  mx.memory.clearCache();
  const a = mx.array(new Float32Array(100_000));
  a.dispose();
  assertEquals(mx.memory.cacheBytes() >= 400_000, true);
  using b = mx.array(new Float32Array(100_000));
  assertEquals(mx.memory.cacheBytes(), 0); // the same size class came back out of the cache
  assertEquals(b.size, 100_000);
  const previous = mx.memory.setCacheLimit(0);
  try {
    mx.array(new Float32Array(1000)).dispose();
    assertEquals(mx.memory.cacheBytes(), 0);
  } finally {
    mx.memory.setCacheLimit(previous);
  }
  mx.memory.clearCache();
  assertEquals(mx.memory.cacheBytes(), 0);
  assertThrows(() => mx.memory.setCacheLimit(-5), RangeError, "expected a byte count >= 0");
});
