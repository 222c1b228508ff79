/**
 * Tokenizers of Hugging Face model folders: `tokenizer.json` run by `@huggingface/tokenizers`,
 * chat templates from `tokenizer_config.json` (or `chat_template.jinja`) rendered by
 * `@huggingface/jinja`, and a streaming decoder that only emits complete characters.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { MxError } from "../errors.ts";

/** One message of a conversation, as chat templates expect it. */
export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

/** Options of `Tokenizer.encode`. */
export interface EncodeOptions {
  /** Add the tokens the tokenizer's post-processor adds (e.g. BOS). Default true. */
  addSpecialTokens?: boolean;
}

/** Options of `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Leave special tokens (BOS, EOS, chat markers) out of the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** Options of `Tokenizer.applyChatTemplate`. */
export interface ChatTemplateOptions {
  /** End with the marker that starts the assistant's turn. Default false. */
  addGenerationPrompt?: boolean;
  /** A named template (tokenizer configs may carry several, e.g. "default", "tool_use"). */
  templateName?: string;
  /** More variables for the template (e.g. `tools`, `enable_thinking`). */
  variables?: Record<string, unknown>;
}

type JsonObject = Record<string, unknown>;

/** Reads and parses a JSON file; errors name the file. */
export function readJsonFile(op: string, path: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new MxError("invalid_argument", `[${op}] Cannot read ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MxError("invalid_argument", `[${op}] ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MxError("invalid_argument", `[${op}] ${path} must hold a JSON object`);
  }
  return value as JsonObject;
}

/** A special token in tokenizer_config.json is a string or an AddedToken object `{content}`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as JsonObject).content === "string") {
    return (value as JsonObject).content as string;
  }
  return undefined;
}

function idList(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === "number");
  return [];
}

/**
 * A text tokenizer: encode, decode, chat templates, and the token ids that end a generation.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/bytelevel");
 * const ids = tok.encode("Once upon a time");
 * console.log(tok.decode(ids)); // "Once upon a time"
 * ```
 */
export class Tokenizer {
  /** The id of the beginning-of-sequence token, if the tokenizer has one. */
  readonly bosTokenId: number | undefined;
  /** Every id that ends a generation (tokenizer EOS, config.json and generation_config.json). */
  readonly eosTokenIds: ReadonlySet<number>;
  /** The number of ids the tokenizer can produce (vocabulary plus added tokens). */
  readonly vocabSize: number;
  readonly #hf: HfTokenizer;
  readonly #config: JsonObject;
  readonly #templates: Map<string, string>;

  private constructor(hf: HfTokenizer, config: JsonObject, templates: Map<string, string>, extraEos: number[]) {
    this.#hf = hf;
    this.#config = config;
    this.#templates = templates;
    this.bosTokenId = this.tokenId(tokenText(config.bos_token));
    const eos = new Set<number>(extraEos);
    const eosId = this.tokenId(tokenText(config.eos_token));
    if (eosId !== undefined) eos.add(eosId);
    this.eosTokenIds = eos;
    let size = 0;
    for (const id of hf.get_vocab(true).values()) size = Math.max(size, id + 1);
    this.vocabSize = size;
  }

  /**
   * Loads `tokenizer.json` and `tokenizer_config.json` from a model folder, with the EOS ids of
   * its `config.json` / `generation_config.json` and a `chat_template.jinja` when present.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/metaspace");
   * console.log(tok.bosTokenId, [...tok.eosTokenIds]); // 1 [ 2 ]
   * ```
   */
  static fromDir(dir: string): Tokenizer {
    const tokenizerPath = join(dir, "tokenizer.json");
    if (!existsSync(tokenizerPath)) {
      throw new MxError("invalid_argument", `[Tokenizer] ${tokenizerPath} not found (a model folder needs tokenizer.json)`);
    }
    const tokenizerJson = readJsonFile("Tokenizer", tokenizerPath);
    const configPath = join(dir, "tokenizer_config.json");
    const config = existsSync(configPath) ? readJsonFile("Tokenizer", configPath) : {};
    const templates = new Map<string, string>();
    const template = config.chat_template;
    if (typeof template === "string") templates.set("default", template);
    else if (Array.isArray(template)) {
      for (const entry of template as JsonObject[]) {
        if (typeof entry?.name === "string" && typeof entry.template === "string") {
          templates.set(entry.name, entry.template);
        }
      }
    }
    const jinjaPath = join(dir, "chat_template.jinja");
    if (existsSync(jinjaPath)) templates.set("default", readFileSync(jinjaPath, "utf8"));
    const extraEos: number[] = [];
    for (const name of ["config.json", "generation_config.json"]) {
      const path = join(dir, name);
      if (existsSync(path)) extraEos.push(...idList(readJsonFile("Tokenizer", path).eos_token_id));
    }
    let hf: HfTokenizer;
    try {
      hf = new HfTokenizer(tokenizerJson, config);
    } catch (e) {
      throw new MxError("invalid_argument", `[Tokenizer] ${tokenizerPath}: ${(e as Error).message}`);
    }
    return new Tokenizer(hf, config, templates, extraEos);
  }

  /**
   * The id of a token's text, or undefined when it is not in the vocabulary.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/bytelevel");
   * console.log(tok.tokenId("<|im_end|>")); // 2
   * ```
   */
  tokenId(token: string | undefined): number | undefined {
    if (token === undefined) return undefined;
    return this.#hf.token_to_id(token);
  }

  /**
   * Text to token ids.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/metaspace");
   * console.log(tok.encode("fox")[0]); // 1 (BOS)
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.#hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /**
   * Token ids to text.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/metaspace");
   * console.log(tok.decode(tok.encode("the fox"), { skipSpecialTokens: true })); // "the fox"
   * ```
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    return this.#hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** Whether the tokenizer carries a chat template. */
  get hasChatTemplate(): boolean {
    return this.#templates.size > 0;
  }

  /**
   * Renders a conversation with the model's chat template (Jinja), as `transformers` does.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/bytelevel");
   * const text = tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
   * console.log(JSON.stringify(text)); // "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
   * ```
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const name = options.templateName ?? "default";
    const source = this.#templates.get(name) ?? (options.templateName === undefined && this.#templates.size === 1
      ? [...this.#templates.values()][0]
      : undefined);
    if (source === undefined) {
      const known = [...this.#templates.keys()];
      throw new MxError(
        "invalid_argument",
        known.length === 0
          ? "[applyChatTemplate] This tokenizer has no chat template (tokenizer_config.json has no chat_template)"
          : `[applyChatTemplate] No chat template named "${name}"; the tokenizer has ${known.join(", ")}`,
      );
    }
    const variables: Record<string, unknown> = {
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: tokenText(this.#config.bos_token) ?? "",
      eos_token: tokenText(this.#config.eos_token) ?? "",
      unk_token: tokenText(this.#config.unk_token) ?? "",
      pad_token: tokenText(this.#config.pad_token) ?? "",
      ...options.variables,
    };
    try {
      return new Template(source).render(variables);
    } catch (e) {
      throw new MxError("invalid_argument", `[applyChatTemplate] ${(e as Error).message}`);
    }
  }

  /**
   * A decoder for generated ids that returns only new, complete text on each `add`.
   * `context`: ids that come before (e.g. the prompt), so that the text continues them (a
   * leading space is kept).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const tok = mx.models.Tokenizer.fromDir("test/fixtures/tokenizers/bytelevel");
   * const stream = tok.streamingDecoder();
   * const pieces = tok.encode("the fox ran").map((id) => stream.add(id));
   * console.log(pieces.join("") + stream.finish()); // "the fox ran"
   * ```
   */
  streamingDecoder(context: readonly number[] = []): StreamingDecoder {
    return new StreamingDecoder(this, context);
  }
}

/** Tokens decoded before the pending ones, so that a decoder's context (e.g. a leading-space strip) holds. */
const contextTokens = 4;

/**
 * Incremental detokenization: each `add(id)` returns the text that id completes. Text that ends
 * in an unfinished multi-byte character is held back until the character is whole.
 */
export class StreamingDecoder {
  readonly #tokenizer: Tokenizer;
  #context: number[] = [];
  #pending: number[] = [];
  #contextText = "";

  constructor(tokenizer: Tokenizer, context: readonly number[] = []) {
    this.#tokenizer = tokenizer;
    this.#context = context.slice(-contextTokens);
    this.#contextText = tokenizer.decode(this.#context);
  }

  /** Adds one generated id; returns the new text (possibly empty). */
  add(id: number): string {
    this.#pending.push(id);
    const full = this.#tokenizer.decode([...this.#context, ...this.#pending]);
    if (full.endsWith("\uFFFD") || !full.startsWith(this.#contextText)) return "";
    const text = full.slice(this.#contextText.length);
    const all = [...this.#context, ...this.#pending];
    this.#context = all.slice(-contextTokens);
    this.#pending = [];
    this.#contextText = this.#tokenizer.decode(this.#context);
    return text;
  }

  /** The held-back text, if any (e.g. a generation cut inside a multi-byte character). */
  finish(): string {
    if (this.#pending.length === 0) return "";
    const full = this.#tokenizer.decode([...this.#context, ...this.#pending]);
    this.#pending = [];
    return full.startsWith(this.#contextText) ? full.slice(this.#contextText.length) : full;
  }
}
