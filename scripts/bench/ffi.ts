/**
 * FFI and graph overhead, in nanoseconds per operation, for the runtime running it (Deno or
 * Bun). Prints one JSON object per case; `scripts/bench/ffi` runs it under both runtimes
 * beside MLX's Python API and NumPy and prints the table.
 */

import * as mx from "mlx-ts";
import { native } from "../../ffi/loader.ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
const data = new Float32Array([1, 2, 3, 4]);

/** Best of 5 rounds of about 0.2 s each, after a warm-up that also sizes the rounds. */
function measure(name: string, body: () => void): void {
  let iterations = 0;
  const warmupStart = performance.now();
  while (performance.now() - warmupStart < 200) {
    for (let i = 0; i < 100; i++) body();
    iterations += 100;
  }
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) body();
    best = Math.min(best, ((performance.now() - start) * 1e6) / iterations);
  }
  console.log(JSON.stringify({ runtime, case: name, ns: Math.round(best) }));
}

const a = mx.array(data);
const b = mx.array(data);

measure("native call (version)", () => {
  native.version();
});
measure("create 4 x f32 + dispose", () => {
  mx.array(data).dispose();
});
measure("add (record) + dispose", () => {
  mx.add(a, b).dispose();
});
measure("add + eval + dispose", () => {
  const c = mx.add(a, b);
  mx.eval(c);
  c.dispose();
});
measure("create + add + eval + dispose", () => {
  const x = mx.array(data);
  const c = mx.add(x, b);
  mx.eval(c);
  c.dispose();
  x.dispose();
});
measure("create + add + eval + read + dispose", () => {
  const x = mx.array(data);
  const c = mx.add(x, b);
  c.toTypedArray();
  c.dispose();
  x.dispose();
});
