/**
 * Karpathy's llama2.c formats: a model `.bin` (a 7-int32 header, then float32 tensors in a
 * fixed order) loaded into the Llama `Transformer`, and a `tokenizer.bin` (scores and byte
 * strings) with llama2.c's encoder: a dummy-prefix space, one token per code point (bytes
 * `<0xNN>` when absent), then greedy merges of the best-scoring adjacent pair.
 *
 * @module
 */

import { readFileSync, statSync } from "node:fs";
import { fromBytes } from "../array.ts";
import { float32 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import type { MxArray } from "../array.ts";
import type { StreamingTextDecoder, TextTokenizer } from "./generate.ts";
import { architectureOf, Transformer } from "./transformer.ts";

/** The header of a llama2.c model file. */
export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** Vocabulary size (the file's value is negative when the classifier is not shared). */
  vocabSize: number;
  sharedClassifier: boolean;
  seqLen: number;
}

/** Sizes beyond these are not a llama2.c file (guards allocations against garbage headers). */
const dimMax = 1 << 16;
const vocabMax = 1 << 20;
const layersMax = 1024;

function readFile(op: string, path: string, bytesMax: number): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new MxError("invalid_argument", `[${op}] Cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > bytesMax) throw new MxError("invalid_argument", `[${op}] ${path} is ${size} bytes, more than ${bytesMax}`);
  return readFileSync(path);
}

/** Parses and checks the header against the file length. */
export function parseLlama2cHeader(bytes: Uint8Array, path: string): Llama2cHeader {
  if (bytes.length < 28) throw new MxError("invalid_argument", `[loadLlama2c] ${path} is too short for a llama2.c header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true)) as number[];
  const header: Llama2cHeader = {
    dim: dim!, hiddenDim: hiddenDim!, layers: layers!, heads: heads!, kvHeads: kvHeads!,
    vocabSize: Math.abs(vocab!), sharedClassifier: vocab! > 0, seqLen: seqLen!,
  };
  const bad = (why: string) => new MxError("invalid_argument", `[loadLlama2c] ${path}: ${why} (header ${JSON.stringify(header)})`);
  for (const [name, value, max] of [["dim", dim, dimMax], ["hidden_dim", hiddenDim, dimMax * 8], ["n_layers", layers, layersMax],
    ["n_heads", heads, dimMax], ["n_kv_heads", kvHeads, dimMax], ["vocab_size", Math.abs(vocab!), vocabMax], ["seq_len", seqLen, 1 << 22]] as const) {
    if (!(value! > 0 && value! <= max)) throw bad(`${name} ${value} is out of range`);
  }
  if (header.dim % header.heads !== 0 || header.heads % header.kvHeads !== 0 || (header.dim / header.heads) % 2 !== 0) {
    throw bad("dim, n_heads and n_kv_heads are inconsistent");
  }
  const expected = 28 + 4 * floatCount(header);
  if (bytes.length !== expected) throw bad(`the file has ${bytes.length} bytes; the header implies ${expected}`);
  return header;
}

/** Float32 values after the header: the tensors, the legacy RoPE tables, the classifier. */
function floatCount(h: Llama2cHeader): number {
  const headSize = h.dim / h.heads;
  const kvDim = h.kvHeads * headSize;
  return h.vocabSize * h.dim + h.layers * (2 * h.dim + 2 * h.dim * h.dim + 2 * kvDim * h.dim + 3 * h.hiddenDim * h.dim) +
    h.dim + h.seqLen * headSize + (h.sharedClassifier ? 0 : h.vocabSize * h.dim);
}

/**
 * Loads a llama2.c model file into a Llama `Transformer` (float32; RoPE on adjacent pairs,
 * RMSNorm eps 1e-5, SwiGLU, grouped-query attention, the classifier tied when shared).
 *
 * @example
 * ```ts ignore
 * import * as mx from "mlx-ts";
 * const model = mx.models.loadLlama2c("../shared/models/stories260K/stories260K.bin");
 * ```
 */
export function loadLlama2c(path: string): Transformer {
  const bytes = readFile("loadLlama2c", path, 2 ** 31 - 1);
  const h = parseLlama2cHeader(bytes, path);
  const headSize = h.dim / h.heads;
  const kvDim = h.kvHeads * headSize;
  const model = new Transformer(architectureOf({
    model_type: "llama",
    hidden_size: h.dim,
    intermediate_size: h.hiddenDim,
    num_hidden_layers: h.layers,
    num_attention_heads: h.heads,
    num_key_value_heads: h.kvHeads,
    vocab_size: h.vocabSize,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_traditional: true,
    tie_word_embeddings: h.sharedClassifier,
  }));
  // One float32 copy of the file's payload; tensors are views into it by offset.
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 28, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  const take = (shape: number[]): MxArray => {
    const count = shape.reduce((a, b) => a * b, 1);
    const array = fromBytes(floats.subarray(offset, offset + count), float32, shape);
    offset += count;
    return array;
  };
  const weights: [string, MxArray][] = [];
  weights.push(["model.embed_tokens.weight", take([h.vocabSize, h.dim])]);
  const perLayer = (name: string, shape: number[]) => {
    for (let l = 0; l < h.layers; l++) weights.push([`model.layers.${l}.${name}`, take(shape)]);
  };
  perLayer("input_layernorm.weight", [h.dim]);
  perLayer("self_attn.q_proj.weight", [h.dim, h.dim]);
  perLayer("self_attn.k_proj.weight", [kvDim, h.dim]);
  perLayer("self_attn.v_proj.weight", [kvDim, h.dim]);
  perLayer("self_attn.o_proj.weight", [h.dim, h.dim]);
  perLayer("post_attention_layernorm.weight", [h.dim]);
  perLayer("mlp.gate_proj.weight", [h.hiddenDim, h.dim]);
  perLayer("mlp.down_proj.weight", [h.dim, h.hiddenDim]);
  perLayer("mlp.up_proj.weight", [h.hiddenDim, h.dim]);
  weights.push(["model.norm.weight", take([h.dim])]);
  offset += h.seqLen * headSize; // The legacy RoPE tables (freq_cis real and imaginary halves).
  if (!h.sharedClassifier) weights.push(["lm_head.weight", take([h.vocabSize, h.dim])]);
  model.loadWeights(weights);
  model.eval();
  return model;
}

/**
 * The llama2.c tokenizer (`tokenizer.bin`): 1 is BOS, 2 EOS; raw bytes are `<0xNN>` tokens.
 *
 * @example
 * ```ts ignore
 * import * as mx from "mlx-ts";
 * const tok = mx.models.Llama2cTokenizer.fromFile("../shared/models/stories260K/tok512.bin");
 * console.log(tok.decode(tok.encode("Hello"))); // "Hello"
 * ```
 */
export class Llama2cTokenizer implements TextTokenizer {
  readonly bosTokenId = 1;
  readonly eosTokenIds: ReadonlySet<number> = new Set([1, 2]);
  readonly vocabSize: number;
  readonly #pieces: Uint8Array[];
  readonly #scores: Float32Array;
  readonly #lookup: Map<string, number>;

  private constructor(pieces: Uint8Array[], scores: Float32Array) {
    this.#pieces = pieces;
    this.#scores = scores;
    this.vocabSize = pieces.length;
    this.#lookup = new Map();
    pieces.forEach((p, i) => {
      const key = latin1(p);
      if (!this.#lookup.has(key)) this.#lookup.set(key, i);
    });
  }

  /** Reads a llama2.c `tokenizer.bin`; a truncated or inconsistent file is an error naming it. */
  static fromFile(path: string, vocabSize?: number): Llama2cTokenizer {
    const bytes = readFile("Llama2cTokenizer", path, 1 << 28);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bad = (why: string) => new MxError("invalid_argument", `[Llama2cTokenizer] ${path}: ${why}`);
    if (bytes.length < 4) throw bad("too short");
    const maxLength = view.getInt32(0, true);
    if (!(maxLength > 0 && maxLength < 1 << 16)) throw bad(`max_token_length ${maxLength} is out of range`);
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let offset = 4;
    while (offset < bytes.length && (vocabSize === undefined || pieces.length < vocabSize)) {
      if (offset + 8 > bytes.length) throw bad(`token ${pieces.length} is cut off`);
      const score = view.getFloat32(offset, true);
      const length = view.getInt32(offset + 4, true);
      offset += 8;
      if (!(length >= 0 && length <= maxLength) || offset + length > bytes.length) {
        throw bad(`token ${pieces.length} has length ${length} (max ${maxLength}, ${bytes.length - offset} bytes left)`);
      }
      pieces.push(bytes.slice(offset, offset + length));
      scores.push(score);
      offset += length;
    }
    if (pieces.length < 259) throw bad(`only ${pieces.length} tokens; a llama2.c vocabulary has at least 3 specials and 256 bytes`);
    return new Llama2cTokenizer(pieces, Float32Array.from(scores));
  }

  /** Text to ids, as llama2.c's `encode` (with BOS by default, never EOS). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const ids: number[] = [];
    if (options.addSpecialTokens ?? true) ids.push(this.bosTokenId);
    if (text.length === 0) return ids;
    const tokens: number[] = [];
    const space = this.#lookup.get(" ");
    if (space !== undefined) tokens.push(space);
    const utf8 = new TextEncoder();
    for (const codePoint of text) {
      const bytes = utf8.encode(codePoint);
      const id = this.#lookup.get(latin1(bytes));
      if (id !== undefined) tokens.push(id);
      else for (const b of bytes) tokens.push(b + 3);
    }
    for (;;) {
      let best = -Infinity;
      let bestId = -1;
      let bestIndex = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const merged = this.#lookup.get(latin1(this.#pieces[tokens[i]!]!) + latin1(this.#pieces[tokens[i + 1]!]!));
        if (merged !== undefined && this.#scores[merged]! > best) {
          best = this.#scores[merged]!;
          bestId = merged;
          bestIndex = i;
        }
      }
      if (bestIndex < 0) break;
      tokens.splice(bestIndex, 2, bestId);
    }
    return [...ids, ...tokens];
  }

  /** The bytes of one token after `previous` (llama2.c's `decode`): specials are empty. */
  pieceBytes(previous: number, token: number): Uint8Array {
    if (token < 0 || token >= this.vocabSize) throw new MxError("invalid_argument", `[Llama2cTokenizer] token ${token} is out of range`);
    if (token === 1 || token === 2) return new Uint8Array();
    let piece = this.#pieces[token]!;
    if (previous === this.bosTokenId && piece[0] === 0x20) piece = piece.subarray(1);
    const text = latin1(piece);
    const byte = /^<0x([0-9A-F]{2})>$/.exec(text);
    return byte ? Uint8Array.of(parseInt(byte[1]!, 16)) : piece;
  }

  /** Ids to text (the first token after BOS loses its leading space, as in llama2.c). */
  decode(ids: readonly number[]): string {
    const stream = this.streamingDecoder();
    return ids.map((id) => stream.add(id)).join("") + stream.finish();
  }

  /**
   * Incremental decoding; multi-byte characters split over byte tokens come out whole.
   * `context`: the ids before the first one to decode (its last decides the space rule).
   */
  streamingDecoder(context: readonly number[] = []): StreamingTextDecoder {
    const utf8 = new TextDecoder("utf-8");
    let previous = context.length > 0 ? context[context.length - 1]! : this.bosTokenId;
    return {
      add: (id: number) => {
        const bytes = this.pieceBytes(previous, id);
        previous = id;
        return utf8.decode(bytes, { stream: true });
      },
      finish: () => utf8.decode(),
    };
  }
}

/** Bytes as a string of code units 0-255 (a map key that keeps invalid UTF-8 exact). */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
