/**
 * Elementwise, reduction and layout kernels: milliseconds per op (best of several rounds,
 * evaluation included) for the runtime running it. `scripts/bench/ops` runs it beside NumPy
 * and MLX (Python) and prints the table.
 */

import * as mx from "mlx-ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

function measure(name: string, make: () => mx.MxArray): void {
  for (let i = 0; i < 3; i++) mx.tidy(() => mx.eval(make()));
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const start = performance.now();
    mx.tidy(() => mx.eval(make()));
    best = Math.min(best, performance.now() - start);
  }
  console.log(JSON.stringify({ runtime, case: name, ns: Math.round(best * 1e6) }));
}

const n1 = 1 << 20;
const n16 = 1 << 24;
const a1 = mx.multiply(mx.arange(0, n1, { dtype: mx.float32 }), 1e-6);
const b1 = mx.add(a1, 1);
const a16 = mx.multiply(mx.arange(0, n16, { dtype: mx.float32 }), 1e-7);
const b16 = mx.add(a16, 1);
const m = mx.reshape(a16, [4096, 4096]);
const s = mx.reshape(a1, [1024, 1024]);
mx.eval(a1, b1, a16, b16, m, s);

measure("add f32 1M", () => mx.add(a1, b1));
measure("add f32 16M", () => mx.add(a16, b16));
measure("multiply-add chain f32 16M", () => mx.add(mx.multiply(a16, b16), a16));
measure("exp f32 1M", () => mx.exp(a1));
measure("tanh f32 1M", () => mx.tanh(a1));
measure("log f32 1M", () => mx.log(b1));
measure("sigmoid f32 1M", () => mx.sigmoid(a1));
measure("expm1 f32 1M", () => mx.expm1(a1));
measure("log1p f32 1M", () => mx.log1p(a1));
measure("sin f32 1M", () => mx.sin(a1));
measure("erf f32 1M", () => mx.erf(a1));
measure("logaddexp f32 1M", () => mx.logaddexp(a1, b1));
measure("sum f32 16M", () => mx.sum(a16));
measure("sum rows f32 4096x4096", () => mx.sum(m, { axis: 1 }));
measure("sum columns f32 4096x4096", () => mx.sum(m, { axis: 0 }));
measure("max f32 16M", () => mx.max(a16));
measure("softmax f32 1024x1024 (last axis)", () => mx.softmax(s, { axis: -1 }));
measure("cumsum f32 1M", () => mx.cumsum(a1));
measure("transpose copy f32 4096x4096", () => mx.copy(mx.transpose(m)));
measure("astype f32->f16 16M", () => mx.astype(a16, mx.float16));
