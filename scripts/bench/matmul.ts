/**
 * float32 matmul at n = 256, 1024, 4096: nanoseconds per n x n @ n x n product (best of
 * several rounds, evaluation included) for the runtime running it. `scripts/bench/matmul` runs
 * it beside NumPy (OpenBLAS) and MLX (Python) and prints ns and GFLOP/s (2 n^3 / time).
 */

import * as mx from "mlx-ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

/** An n x n float32 operand with values in [-1, 1). */
function operand(n: number, seed: number): mx.MxArray {
  const values = mx.arange(0, n * n, { dtype: mx.float32 });
  const mixed = mx.sin(mx.multiply(values, 0.37 + seed));
  const square = mx.reshape(mixed, [n, n]);
  mx.eval(square);
  values.dispose();
  mixed.dispose();
  return square;
}

function measure(n: number): void {
  const a = operand(n, 1);
  const b = operand(n, 2);
  const rounds = n >= 4096 ? 3 : 10;
  mx.tidy(() => mx.eval(mx.matmul(a, b)));
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    mx.tidy(() => mx.eval(mx.matmul(a, b)));
    best = Math.min(best, performance.now() - start);
  }
  a.dispose();
  b.dispose();
  console.log(JSON.stringify({ runtime, case: `matmul f32 ${n}`, ns: Math.round(best * 1e6) }));
}

for (const n of [256, 1024, 4096]) measure(n);
