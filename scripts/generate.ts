/**
 * Text generation from the command line, like `mlx_lm.generate`: streams the continuation,
 * then prints prompt and generation speed and peak memory.
 *
 *   deno run -A scripts/generate.ts --model DIR --prompt "Hello" --max-tokens 100 [--temp 0.7]
 *   deno run -A scripts/generate.ts --model stories260K.bin --tokenizer tok512.bin --max-tokens 200
 *
 * `--model` is an MLX-community / Hugging Face folder (config.json, safetensors, tokenizer.json)
 * a llama2.c `.bin` (then `--tokenizer` names its tokenizer.bin) or a llama GGUF (then
 * `--tokenizer` names a folder with tokenizer.json). A chat template, when the
 * tokenizer has one, wraps the prompt unless `--ignore-chat-template`. Also runs as a
 * `bun build --compile` executable.
 */

import process from "node:process";
import { parseArgs } from "node:util";
import * as mx from "mlx-ts";

const usage = `usage: generate --model DIR|FILE.bin [--tokenizer FILE] [--prompt TEXT] [--max-tokens N]
  [--temp T] [--top-p P] [--top-k K] [--min-p P] [--repetition-penalty R] [--seed S]
  [--system TEXT] [--ignore-chat-template] [--quantize-bits B] [--group-size G]`;

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number; got ${value}`);
  return parsed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      model: { type: "string" },
      tokenizer: { type: "string" },
      prompt: { type: "string", default: "" },
      "max-tokens": { type: "string", default: "256" },
      temp: { type: "string", default: "0" },
      "top-p": { type: "string" },
      "top-k": { type: "string" },
      "min-p": { type: "string" },
      "repetition-penalty": { type: "string" },
      seed: { type: "string" },
      system: { type: "string" },
      "ignore-chat-template": { type: "boolean", default: false },
      "quantize-bits": { type: "string" },
      "group-size": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || values.model === undefined) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  let model: mx.models.LanguageModel;
  let tokenizer: mx.models.TextTokenizer;
  let prompt: string | number[] = values.prompt!;
  if (values.model.endsWith(".gguf")) {
    if (values.tokenizer === undefined) throw new Error("a GGUF model needs --tokenizer DIR (a folder with tokenizer.json)");
    model = mx.models.loadGguf(values.model).model;
    const tok = mx.models.Tokenizer.fromDir(values.tokenizer);
    tokenizer = tok;
    prompt = tok.encode(values.prompt!);
  } else if (values.model.endsWith(".bin")) {
    if (values.tokenizer === undefined) throw new Error("a llama2.c model needs --tokenizer tokenizer.bin");
    model = mx.models.loadLlama2c(values.model);
    const tok = mx.models.Llama2cTokenizer.fromFile(values.tokenizer);
    tokenizer = tok;
    prompt = tok.encode(values.prompt!);
  } else {
    const bits = number(values["quantize-bits"], "quantize-bits");
    const loaded = mx.models.loadModel(values.model, {
      quantize: bits === undefined ? undefined : { bits, groupSize: number(values["group-size"], "group-size") ?? 64 },
    });
    if (loaded.tokenizer === undefined) throw new Error(`${values.model} has no tokenizer.json`);
    model = loaded.model;
    tokenizer = loaded.tokenizer;
    if (loaded.tokenizer.hasChatTemplate && !values["ignore-chat-template"]) {
      const messages: mx.models.ChatMessage[] = [];
      if (values.system !== undefined) messages.push({ role: "system", content: values.system });
      messages.push({ role: "user", content: values.prompt! });
      const text = loaded.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
      prompt = loaded.tokenizer.encode(text, { addSpecialTokens: false });
    }
  }
  const options: mx.models.GenerateOptions = {
    maxTokens: number(values["max-tokens"], "max-tokens"),
    temperature: number(values.temp, "temp"),
    topP: number(values["top-p"], "top-p"),
    topK: number(values["top-k"], "top-k"),
    minP: number(values["min-p"], "min-p"),
    repetitionPenalty: number(values["repetition-penalty"], "repetition-penalty"),
    seed: number(values.seed, "seed"),
  };
  const encoder = new TextEncoder();
  console.log("==========");
  let last: mx.models.GenerationChunk | undefined;
  for await (const chunk of mx.models.streamGenerate(model, tokenizer, prompt, options)) {
    process.stdout.write(encoder.encode(chunk.text));
    last = chunk;
  }
  console.log("\n==========");
  if (last !== undefined) {
    console.log(`Prompt: ${last.promptTokens} tokens, ${last.promptTps.toFixed(3)} tokens-per-sec`);
    console.log(`Generation: ${last.generationTokens} tokens, ${last.generationTps.toFixed(3)} tokens-per-sec`);
    console.log(`Peak memory: ${(last.peakMemoryBytes / 1e9).toFixed(3)} GB`);
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`generate: ${(e as Error).message}`);
  process.exitCode = 1;
}
