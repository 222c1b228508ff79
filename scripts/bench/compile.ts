/**
 * Compiled against uncompiled graphs: a GELU (erf form) and a layer-norm-like chain, at a
 * small size (per-op overhead dominates) and a large one (memory traffic dominates).
 * Nanoseconds per call (best of several rounds, evaluation included) for the runtime running
 * it; `scripts/bench/compile` runs it beside MLX (mlx-cpu, mx.compile) and prints a table.
 */

import * as mx from "mlx-ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

const gelu = (x: mx.MxArray) => mx.multiply(mx.multiply(x, 0.5), mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1));
const norm = (x: mx.MxArray, w: mx.MxArray, b: mx.MxArray) => {
  const mean = mx.mean(x, { axis: -1, keepdims: true });
  const centered = mx.subtract(x, mean);
  const variance = mx.mean(mx.square(centered), { axis: -1, keepdims: true });
  return mx.add(mx.multiply(mx.multiply(centered, mx.rsqrt(mx.add(variance, 1e-5))), w), b);
};

function time(run: () => void, rounds: number): number {
  run();
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  return Math.round(best * 1e6);
}

for (const [label, rows, cols, rounds] of [["small 16x64", 16, 64, 2000], ["large 1024x1024", 1024, 1024, 20]] as const) {
  const x = mx.tidy(() => {
    const v = mx.reshape(mx.sin(mx.arange(0, rows * cols, { dtype: mx.float32 })), [rows, cols]);
    mx.eval(v);
    return v;
  });
  const w = mx.ones([cols]);
  const b = mx.zeros([cols]);
  const compiledGelu = mx.compile(gelu);
  const compiledNorm = mx.compile(norm);
  const cases: [string, () => void][] = [
    [`gelu ${label}`, () => mx.tidy(() => mx.eval(gelu(x)))],
    [`gelu ${label} compiled`, () => mx.tidy(() => mx.eval(compiledGelu(x)))],
    [`layer norm ${label}`, () => mx.tidy(() => mx.eval(norm(x, w, b)))],
    [`layer norm ${label} compiled`, () => mx.tidy(() => mx.eval(compiledNorm(x, w, b)))],
  ];
  for (const [name, run] of cases) {
    console.log(JSON.stringify({ runtime, case: name, ns: time(run, rounds) }));
  }
  mx.dispose([x, w, b]);
}
