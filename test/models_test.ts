/**
 * Language models against mlx-lm 0.32.2 (test/fixtures/models/, scripts/fixtures/gen_models.py):
 * for each architecture, a tiny random-weight model in float16 and 4-bit (with a per-layer 8-bit
 * override) loads from its MLX-community folder; its logits match mlx-lm's and its greedy
 * generation (KV cache, rotating cache for Gemma 3's sliding layers) is identical. Sampling
 * options, streaming, stop conditions and broken folders are checked too.
 */

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { loadJson } from "./fixtures.ts";

interface Expected {
  promptIds: number[];
  lastLogits: number[];
  argmaxPerPosition: number[];
  greedy: number[];
  greedyText: string;
  minMargin: number;
}

const fixture = loadJson<{ prompt: string; models: Record<string, Expected> }>("models/expected.json");
const modelDir = (name: string) => decodeURIComponent(new URL(`./fixtures/models/${name}`, import.meta.url).pathname);

for (const [name, e] of Object.entries(fixture.models)) {
  test(`model ${name}: logits and greedy generation equal mlx-lm's`, () => {
    const { model, tokenizer } = mx.models.loadModel(modelDir(name));
    assertEquals(tokenizer!.encode(fixture.prompt), e.promptIds, "prompt ids");
    mx.tidy(() => {
      const logits = model.forward(mx.array([e.promptIds], mx.int32));
      assertEquals(logits.shape, [1, e.promptIds.length, e.lastLogits.length]);
      const last = Array.from(mx.astype(logits.get(0, -1), mx.float32).toTypedArray() as Float32Array);
      // float16 models differ by rounding; 4-bit ones also by accumulation order (MLX's CPU
      // kernel sums in float16).
      const atol = name.endsWith("4bit") ? 0.15 : 0.05;
      assertAllClose(last, e.lastLogits, { atol, rtol: 0, label: `${name} last logits` });
      assertEquals(mx.argmax(logits.get(0), { axis: -1 }).tolist(), e.argmaxPerPosition, "argmax per position");
    });
    const tokens = [...mx.models.generateTokens(model, e.promptIds, { maxTokens: e.greedy.length })].map((s) => s.token);
    assertEquals(tokens, e.greedy, `${name} greedy tokens`);
    // Random weights emit invalid UTF-8 byte tokens; HF's Rust and JS decoders render those
    // differently, so the text is compared where it is valid.
    if (!e.greedyText.includes("\uFFFD")) assertEquals(tokenizer!.decode(tokens), e.greedyText);
  });
}

test("generation: the cache path equals recomputing the whole sequence", () => {
  const { model } = mx.models.loadModel(modelDir("gemma3-f16"));
  const e = fixture.models["gemma3-f16"]!;
  // Greedy without a cache: the full sequence each step (sliding windows through masks).
  const sequence = [...e.promptIds];
  for (let i = 0; i < 12; i++) {
    const next = mx.tidy(() => {
      const logits = model.forward(mx.array([sequence], mx.int32));
      return Number(mx.argmax(logits.get(0, -1)).item());
    });
    sequence.push(next);
  }
  assertEquals(sequence.slice(e.promptIds.length), e.greedy.slice(0, 12));
});

test("generation: sampling is reproducible with a seed, topK 1 is greedy, penalties change the path", () => {
  const { model, tokenizer } = mx.models.loadModel(modelDir("qwen3-f16"));
  const e = fixture.models["qwen3-f16"]!;
  const run = (options: mx.models.GenerateOptions) =>
    [...mx.models.generateTokens(model, e.promptIds, { maxTokens: 10, ...options })].map((s) => s.token);
  const a = run({ temperature: 0.8, topP: 0.9, seed: 3 });
  const b = run({ temperature: 0.8, topP: 0.9, seed: 3 });
  assertEquals(a, b, "same seed, same tokens");
  assert(a.every((t) => t >= 0 && t < 384));
  assertEquals(run({ temperature: 1, topK: 1, seed: 1 }), e.greedy.slice(0, 10), "topK 1 is greedy");
  assertEquals(run({ temperature: 5, minP: 1, seed: 2 }), e.greedy.slice(0, 10), "minP 1 keeps only the top token");
  const penalized = run({ repetitionPenalty: 5 });
  assert(JSON.stringify(penalized) !== JSON.stringify(e.greedy.slice(0, 10)), "a strong penalty avoids the repeats");
  assert(new Set(penalized).size > new Set(e.greedy.slice(0, 10)).size);
  const result = mx.models.generate(model, tokenizer!, e.promptIds, { maxTokens: 6 });
  assertEquals(result.generationTokens, 6);
  assertEquals(result.finishReason, "length");
  assertEquals(result.text, tokenizer!.decode(e.greedy.slice(0, 6)));
  assert(result.promptTps > 0 && result.generationTps > 0 && result.peakMemoryBytes > 0);
});

test("generation: EOS and stop strings end it; streaming gives the same text", async () => {
  // Gemma 2's random weights happen to emit valid text ("I rememem...").
  const { model, tokenizer } = mx.models.loadModel(modelDir("gemma2-f16"));
  const e = fixture.models["gemma2-f16"]!;
  const full = tokenizer!.decode(e.greedy);
  assertEquals(full, e.greedyText);
  // The third greedy token as EOS: two tokens come out.
  const stopped = mx.models.generate(model, tokenizer!, e.promptIds, { maxTokens: 20, eosTokenIds: [e.greedy[2]!] });
  assertEquals(stopped.finishReason, "stop");
  assertEquals(stopped.text, tokenizer!.decode(e.greedy.slice(0, 2)));
  const stopText = full.slice(4, 7);
  const cut = mx.models.generate(model, tokenizer!, e.promptIds, { maxTokens: 20, stop: [stopText] });
  assertEquals(cut.text, full.slice(0, full.indexOf(stopText)));
  assertEquals(cut.finishReason, "stop");
  let streamed = "";
  let chunks = 0;
  for await (const chunk of mx.models.streamGenerate(model, tokenizer!, e.promptIds, { maxTokens: e.greedy.length })) {
    streamed += chunk.text;
    chunks++;
  }
  assertEquals(streamed, full);
  assert(chunks > 1);
});

test("generation: decoding holds memory flat (no arrays leak per token)", () => {
  const { model } = mx.models.loadModel(modelDir("qwen2-4bit"));
  const counts: number[] = [];
  let step = 0;
  for (const _ of mx.models.generateTokens(model, [1, 2, 3], { maxTokens: 120 })) {
    if (++step % 40 === 0) counts.push(mx.memory.liveArrays());
  }
  assertEquals(new Set(counts).size, 1, `live arrays by step: ${counts}`);
});

/** A scratch copy of a fixture folder, removed after `fn`. */
function withCopy(name: string, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "mlxts-model-"));
  try {
    for (const f of readdirSync(modelDir(name))) copyFileSync(join(modelDir(name), f), join(dir, f));
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("loadModel: unsupported architectures, missing, extra and misshapen tensors are named", () => {
  withCopy("qwen3-f16", (dir) => {
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, model_type: "mamba" }));
    assertThrows(() => mx.models.loadModel(dir), mx.MxError, 'model_type "mamba" is not supported');
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, num_hidden_layers: 3 }));
    assertThrows(() => mx.models.loadModel(dir), mx.MxError, 'missing tensor "model.layers.2.');
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, num_hidden_layers: 1 }));
    assertThrows(() => mx.models.loadModel(dir), mx.MxError, 'unexpected tensor "model.layers.1.');
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, intermediate_size: 96 }));
    assertThrows(() => mx.models.loadModel(dir), mx.MxError, "has shape [64,64] but the model expects [96,64]");
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, hidden_size: "wide" }));
    assertThrows(() => mx.models.loadModel(dir), mx.MxError, '"hidden_size" must be a number');
  });
  withCopy("phi3-4bit", (dir) => {
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    delete config.quantization;
    delete config.quantization_config;
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    assertThrows(() => mx.models.loadModel(dir), mx.MxError, "model.safetensors");
  });
});

test("loadModel: quantize-on-load equals quantizing the loaded float model", () => {
  const onLoad = mx.models.loadModel(modelDir("mistral-f16"), { quantize: { groupSize: 64, bits: 8 } }).model;
  assert(onLoad.model.layers[0]!.mlp.down_proj instanceof mx.nn.QuantizedLinear);
  const after = mx.models.loadModel(modelDir("mistral-f16")).model;
  mx.nn.quantize(after, { groupSize: 64, bits: 8 });
  const e = fixture.models["mistral-f16"]!;
  mx.tidy(() => {
    const tokens = mx.array([e.promptIds], mx.int32);
    assert(mx.arrayEqual(onLoad.forward(tokens), after.forward(tokens)).item());
  });
});

test("loadGguf: a llama.cpp GGUF (Q4_0 and Q8_0) computes what mlx-lm does with its weights", () => {
  const expected = loadJson<{ promptIds: number[]; lastLogits: number[]; greedy: number[]; margins: number[] }>(
    "models/gguf_expected.json",
  );
  const { model } = mx.models.loadGguf(modelDir("mistral.gguf"));
  assert(model.model.layers[0]!.self_attn.q_proj instanceof mx.nn.QuantizedLinear);
  assert(model.lm_head instanceof mx.nn.QuantizedLinear);
  mx.tidy(() => {
    const logits = model.forward(mx.array([expected.promptIds], mx.int32));
    const last = Array.from(mx.astype(logits.get(0, -1), mx.float32).toTypedArray() as Float32Array);
    // The embedding rows dequantize in the scales' float16, the reference in float32.
    assertAllClose(last, expected.lastLogits, { atol: 1e-2, rtol: 0 });
  });
  // Greedy choices along mlx-lm's sequence, where they are decisive (random weights leave a
  // near-tie of 0.004 at step 3, below the float16-embedding rounding between the two).
  mx.tidy(() => {
    const sequence = [...expected.promptIds, ...expected.greedy];
    const logits = model.forward(mx.array([sequence], mx.int32));
    const chosen = mx.argmax(logits.get(0), { axis: -1 }).tolist() as number[];
    expected.greedy.forEach((token, step) => {
      if (expected.margins[step]! > 0.02) assertEquals(chosen[expected.promptIds.length - 1 + step], token, `step ${step}`);
    });
  });
  const dir = mkdtempSync(join(tmpdir(), "mlxts-gguf-"));
  try {
    const path = join(dir, "other.gguf");
    mx.saveGguf(path, { "mystery.weight": mx.ones([2]) }, { "general.architecture": "mamba" });
    assertThrows(() => mx.models.loadGguf(path), mx.MxError, 'general.architecture "mamba" is not supported');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
