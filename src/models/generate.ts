/**
 * Text generation, as mlx-lm's `generate_step` / `stream_generate` / `generate`: the prompt is
 * processed in chunks into the KV cache, then one token at a time is sampled, until an
 * end-of-sequence id, a stop string or the token budget. `streamGenerate` is an async
 * iterator of text pieces; the last one carries the statistics.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { array, type MxArray } from "../array.ts";
import { int32 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { subtract } from "../elementwise.ts";
import { index } from "../indexing.ts";
import { evaluate } from "../ops.ts";
import { logsumexp } from "../reductions.ts";
import { peakBytes, resetPeak } from "../memory.ts";
import { tidy } from "../scope.ts";
import type { Cache } from "./cache.ts";
import { applyRepetitionPenalty, makeSampler, type Sampler, type SamplerOptions } from "./sample.ts";

/** A model `generate` can drive: logits for tokens, advancing per-layer caches. */
export interface LanguageModel {
  forward(tokens: MxArray, cache?: Cache[]): MxArray;
  makeCache(): Cache[];
}

/** Incremental detokenization: `add` returns the text an id completes. */
export interface StreamingTextDecoder {
  add(id: number): string;
  /** Text still held back (an unfinished character). */
  finish(): string;
}

/** What generation needs of a tokenizer (HF `Tokenizer`, `Llama2cTokenizer`). */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** `context`: the ids before the ones to decode (the prompt), which the text continues. */
  streamingDecoder(context?: readonly number[]): StreamingTextDecoder;
  readonly eosTokenIds: ReadonlySet<number>;
}

/** Options of token generation. */
export interface GenerateOptions extends SamplerOptions {
  /** The most tokens to generate (default 256). */
  maxTokens?: number;
  /** Penalize recently generated tokens (mlx-lm's repetition_penalty; default none). */
  repetitionPenalty?: number;
  /** How many recent tokens the penalty looks at (default 20). */
  repetitionContextSize?: number;
  /** Prompt tokens per forward pass while filling the cache (default 2048). */
  prefillStepSize?: number;
  /** Ids that end the generation (default: the tokenizer's EOS ids). */
  eosTokenIds?: Iterable<number>;
  /** Texts that end the generation (not included in the output). */
  stop?: readonly string[];
  /** A custom sampler (overrides temperature, topP, minP, topK, seed). */
  sampler?: Sampler;
}

/** One step of `generateTokens`. */
export interface GeneratedToken {
  token: number;
  /** Log-probabilities of the step (`[vocab]`), valid until the next step. */
  logprobs: MxArray;
}

function checkCount(op: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new MxError("invalid_argument", `[${op}] ${name} must be an integer >= ${min}; got ${value}`);
  }
}

/**
 * Token ids following `prompt`, one per step (mlx-lm's generate_step). The caller stops
 * iterating when it wants (EOS is not checked here).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const { model } = mx.models.loadModel("test/fixtures/models/qwen2-f16");
 * const tokens = [...mx.models.generateTokens(model, [1, 2, 3], { maxTokens: 3 })].map((s) => s.token);
 * console.log(tokens.length); // 3
 * ```
 */
export function* generateTokens(
  model: LanguageModel,
  prompt: readonly number[],
  options: GenerateOptions = {},
): Generator<GeneratedToken> {
  const maxTokens = options.maxTokens ?? 256;
  const prefill = options.prefillStepSize ?? 2048;
  checkCount("generate", "maxTokens", maxTokens, 0);
  checkCount("generate", "prefillStepSize", prefill, 1);
  if (prompt.length === 0) throw new MxError("invalid_argument", "[generate] the prompt has no tokens");
  const sampler = options.sampler ?? makeSampler(options);
  const penalty = options.repetitionPenalty;
  const context = options.repetitionContextSize ?? 20;
  const cache = model.makeCache();
  const history = [...prompt];
  try {
    // Fill the cache with all but the last prompt token, a chunk at a time.
    let done = 0;
    while (prompt.length - 1 - done > 0) {
      const n = Math.min(prefill, prompt.length - 1 - done);
      tidy(() => {
        const logits = model.forward(array([prompt.slice(done, done + n)], int32), cache);
        evaluate(logits);
      });
      done += n;
    }
    let next = prompt[prompt.length - 1]!;
    for (let step = 0; step < maxTokens; step++) {
      let logprobs: MxArray | undefined;
      const token = tidy(() => {
        let logits = index(model.forward(array([[next]], int32), cache), ":", -1, ":");
        if (penalty !== undefined && penalty !== 1) logits = applyRepetitionPenalty(logits, history, penalty, context);
        const lp = subtract(logits, logsumexp(logits, { axis: -1, keepdims: true }));
        const chosen = sampler(lp);
        logprobs = index(lp, 0);
        return chosen;
      });
      try {
        next = Number(token.item());
      } finally {
        token.dispose();
      }
      history.push(next);
      try {
        yield { token: next, logprobs: logprobs! };
      } finally {
        logprobs!.dispose();
      }
    }
  } finally {
    for (const c of cache) c.dispose();
  }
}

/** A piece of streamed text, with running statistics (mlx-lm's GenerationResponse). */
export interface GenerationChunk {
  /** New text (whole characters only). */
  text: string;
  /** The token that produced it (-1 for the final flush). */
  token: number;
  promptTokens: number;
  /** Prompt processing speed, tokens per second. */
  promptTps: number;
  generationTokens: number;
  /** Generation speed, tokens per second. */
  generationTps: number;
  /** Peak bytes of arrays alive so far (the library's memory). */
  peakMemoryBytes: number;
  /** Why the generation ended, on the last chunk: "stop" (EOS or a stop string) or "length". */
  finishReason?: "stop" | "length";
}

/**
 * Streams the continuation of `prompt` (text, or token ids) as text pieces (mlx-lm's
 * stream_generate); stops at an EOS id, a stop string or `maxTokens`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const { model, tokenizer } = mx.models.loadModel("test/fixtures/models/llama-f16");
 * let text = "";
 * for await (const chunk of mx.models.streamGenerate(model, tokenizer!, "Once upon a time", { maxTokens: 5 })) {
 *   text += chunk.text;
 * }
 * console.log(typeof text); // string
 * ```
 */
export async function* streamGenerate(
  model: LanguageModel,
  tokenizer: TextTokenizer,
  prompt: string | readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<GenerationChunk> {
  for (const chunk of generateStream(model, tokenizer, prompt, options)) {
    yield chunk;
    // Let the event loop run between tokens (I/O, other tasks) without timer clamping.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** `streamGenerate` without the event-loop yields (what `generate` drives). */
function* generateStream(
  model: LanguageModel,
  tokenizer: TextTokenizer,
  prompt: string | readonly number[],
  options: GenerateOptions,
): Generator<GenerationChunk> {
  const ids = typeof prompt === "string" ? tokenizer.encode(prompt) : [...prompt];
  const eos = new Set(options.eosTokenIds ?? tokenizer.eosTokenIds);
  const stops = options.stop ?? [];
  const decoder = tokenizer.streamingDecoder(ids);
  resetPeak();
  const start = performance.now();
  let promptSeconds = 0;
  let generated = 0;
  let text = "";
  let emitted = 0;
  const stats = (token: number, piece: string, finishReason?: "stop" | "length"): GenerationChunk => {
    const elapsed = (performance.now() - start) / 1000 - promptSeconds;
    return {
      text: piece,
      token,
      promptTokens: ids.length,
      promptTps: promptSeconds > 0 ? ids.length / promptSeconds : 0,
      generationTokens: generated,
      generationTps: generated > 1 && elapsed > 0 ? (generated - 1) / elapsed : 0,
      peakMemoryBytes: peakBytes(),
      finishReason,
    };
  };
  const maxTokens = options.maxTokens ?? 256;
  let finish: "stop" | "length" = "length";
  let stoppedByText = false;
  for (const { token } of generateTokens(model, ids, options)) {
    if (generated === 0) promptSeconds = (performance.now() - start) / 1000;
    generated++;
    if (eos.has(token)) {
      finish = "stop";
      break;
    }
    text += decoder.add(token);
    // Hold back text that could still become a stop string.
    const hit = stops.map((s) => text.indexOf(s, Math.max(0, emitted - s.length))).filter((i) => i >= 0);
    if (hit.length > 0) {
      const cut = Math.min(...hit);
      if (cut > emitted) yield stats(token, text.slice(emitted, cut));
      emitted = cut;
      finish = "stop";
      stoppedByText = true;
      break;
    }
    const holdBack = stops.reduce((n, s) => Math.max(n, partialSuffix(text, s)), 0);
    const safe = text.length - holdBack;
    if (safe > emitted) {
      yield stats(token, text.slice(emitted, safe));
      emitted = safe;
    }
    if (generated >= maxTokens) break;
  }
  // Flush what was held back (not after a stop string: the text ends before it).
  if (!stoppedByText) text += decoder.finish();
  yield stats(-1, stoppedByText ? "" : text.slice(emitted), finish);
}

/** The length of the longest suffix of `text` that is a proper prefix of `stop`. */
function partialSuffix(text: string, stop: string): number {
  for (let n = Math.min(stop.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(stop.slice(0, n))) return n;
  }
  return 0;
}

/** What `generate` returns: the text and the final statistics. */
export interface GenerationResult extends Omit<GenerationChunk, "text" | "token"> {
  text: string;
}

/**
 * The whole continuation of `prompt` (mlx-lm's generate).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const { model, tokenizer } = mx.models.loadModel("test/fixtures/models/mistral-f16");
 * const result = mx.models.generate(model, tokenizer!, "Once upon a time", { maxTokens: 4 });
 * console.log(result.generationTokens <= 4, result.finishReason !== undefined); // true true
 * ```
 */
export function generate(
  model: LanguageModel,
  tokenizer: TextTokenizer,
  prompt: string | readonly number[],
  options: GenerateOptions = {},
): GenerationResult {
  let text = "";
  let last: GenerationChunk | undefined;
  for (const chunk of generateStream(model, tokenizer, prompt, options)) {
    text += chunk.text;
    last = chunk;
  }
  const { text: _t, token: _k, ...stats } = last!;
  return { ...stats, text };
}
