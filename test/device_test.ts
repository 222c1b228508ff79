/** Devices and streams: the CPU works everywhere an op takes a stream; the GPU is a clear
 * error in this CPU-only build, never a silent fallback. */

import * as mx from "mlx-ts";
import { assertEquals, assertThrows, test } from "./harness.ts";

test("the CPU is the default device; the GPU is not available", () => {
  assertEquals([mx.defaultDevice(), mx.isAvailable(mx.cpu), mx.isAvailable(mx.gpu)], [mx.cpu, true, false]);
  const error = assertThrows(() => mx.setDefaultDevice(mx.gpu), mx.MxError,
    "[setDefaultDevice] Device(gpu, 0) is not available: this build has the CPU backend only");
  assertEquals(error.code, "unsupported");
  assertEquals(mx.defaultDevice(), mx.cpu);
  assertThrows(() => mx.newStream(mx.gpu), mx.MxError, "[newStream] Device(gpu, 0) is not available");
});

test("ops take a stream option: CPU streams run, GPU ones throw naming the op", () => {
  const s = mx.newStream(mx.cpu);
  assertEquals(String(s).startsWith("Stream(Device(cpu, 0), "), true);
  using a = mx.array([1, 2, 3]);
  using b = mx.exp(a, { stream: s });
  using c = mx.add(a, 1, { stream: mx.cpu });
  using d = mx.sum(a, { stream: mx.defaultStream() });
  assertEquals([c.tolist(), d.item()], [[2, 3, 4], 6]);
  assertEquals(b.shape, [3]);
  assertThrows(() => mx.multiply(a, 2, { stream: mx.gpu }), mx.MxError, "[multiply] Device(gpu, 0) is not available");
  assertThrows(() => mx.max(a, { stream: mx.gpu }), mx.MxError, "[max] Device(gpu, 0) is not available");
  assertThrows(() => mx.cumsum(a, { stream: mx.gpu }), mx.MxError, "[cumsum]");
  assertThrows(() => mx.withStream(mx.gpu, () => 1), mx.MxError, "[withStream]");
  assertEquals(mx.withStream(mx.cpu, () => mx.defaultDevice()), mx.cpu);
});

test("every op with a stream option rejects the GPU, naming itself", () => {
  using a = mx.reshape(mx.arange(6), [2, 3]);
  const gpu = { stream: mx.gpu };
  const calls: [string, () => unknown][] = [
    ["zeros", () => mx.zeros([2], mx.float32, gpu)],
    ["arange", () => mx.arange(3, undefined, gpu)],
    ["reshape", () => mx.reshape(a, [3, 2], gpu)],
    ["transpose", () => mx.transpose(a, gpu)],
    ["concatenate", () => mx.concatenate([a, a], gpu)],
    ["take", () => mx.take(a, [0], { axis: 0, stream: mx.gpu })],
    ["sort", () => mx.sort(a, gpu)],
    ["softmax", () => mx.softmax(a, gpu)],
    ["where", () => mx.where(a, a, a, gpu)],
    ["astype", () => mx.astype(a, mx.int8, gpu)],
  ];
  for (const [name, call] of calls) assertThrows(call, mx.MxError, `[${name}] Device(gpu, 0) is not available`);
  using ok = mx.sort(mx.concatenate([a, a], { stream: mx.cpu }), { stream: mx.cpu });
  assertEquals(ok.shape, [4, 3]);
});
