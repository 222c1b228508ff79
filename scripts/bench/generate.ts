/**
 * Prompt and decode speed of our models on the bench models (scripts/bench/generate_models.py):
 * nanoseconds per token, best of two rounds, greedy, the same prompt ids as
 * generate_reference.py (mlx-lm). Reads the cases as JSON from the first argument.
 */

import * as mx from "mlx-ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
const cases = JSON.parse((globalThis as { Deno?: { args: string[] } }).Deno?.args[0] ?? (globalThis as unknown as { process: { argv: string[] } }).process.argv[2]!) as {
  name: string;
  dir: string;
  promptTokens: number;
  genTokens: number;
}[];

for (const c of cases) {
  const { model } = mx.models.loadModel(c.dir, { tokenizer: false });
  const prompt = Array.from({ length: c.promptTokens }, (_, i) => ((i * 7919) % 31000) + 100);
  let bestPrompt = Infinity;
  let bestDecode = Infinity;
  for (let round = 0; round < 2; round++) {
    const start = performance.now();
    let first = 0;
    let count = 0;
    for (const _ of mx.models.generateTokens(model, prompt, { maxTokens: c.genTokens })) {
      count++;
      if (count === 1) first = performance.now();
    }
    const end = performance.now();
    bestPrompt = Math.min(bestPrompt, (first - start) / c.promptTokens);
    bestDecode = Math.min(bestDecode, (end - first) / (count - 1));
  }
  console.log(JSON.stringify({ runtime, case: `${c.name} prompt`, ns: Math.round(bestPrompt * 1e6) }));
  console.log(JSON.stringify({ runtime, case: `${c.name} decode`, ns: Math.round(bestDecode * 1e6) }));
}
