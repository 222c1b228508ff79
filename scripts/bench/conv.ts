/**
 * float32 conv2d throughput: nanoseconds per convolution (best of several rounds, evaluation
 * included) for the runtime running it. `scripts/bench/conv` runs it beside MLX (mlx-cpu) and
 * prints ns and GFLOP/s (2 * N * H_out * W_out * C_out * KH * KW * C_in / time).
 */

import * as mx from "mlx-ts";
import { cases } from "./conv_cases.ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

/** A float32 array of the shape with values in [-1, 1]. */
function operand(shape: number[], seed: number): mx.MxArray {
  return mx.tidy(() => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = mx.sin(mx.multiply(mx.arange(0, size, { dtype: mx.float32 }), 0.37 + seed));
    const result = mx.reshape(values, shape);
    mx.eval(result);
    return result;
  });
}

for (const c of cases) {
  const input = operand(c.input, 1);
  const weight = operand(c.weight, 2);
  const run = () =>
    mx.tidy(() => mx.eval(mx.conv2d(input, weight, { stride: c.stride, padding: c.padding })));
  run();
  let best = Infinity;
  for (let round = 0; round < c.rounds; round++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  input.dispose();
  weight.dispose();
  console.log(JSON.stringify({ runtime, case: c.name, ns: Math.round(best * 1e6), flops: c.flops }));
}
