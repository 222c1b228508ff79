/**
 * Llama-family models from llama.cpp's GGUF files: the config from the `llama.*` metadata,
 * llama.cpp's tensor names mapped to mlx-lm's, Q4_0 / Q4_1 / Q8_0 tensors kept quantized
 * (MLX's affine form, groups of 32), other tensors as floats. llama.cpp stores q/k rows for
 * RoPE on adjacent pairs, so the model runs RoPE in that (traditional) layout.
 *
 * @module
 */

import { MxArray } from "../array.ts";
import { MxError } from "../errors.ts";
import { load } from "../io/mod.ts";
import { quantize as quantizeModel } from "../nn/layers/quantized.ts";
import { treeFlatten } from "../utils.ts";
import type { ModelConfig } from "./folder.ts";
import { architectureOf, Transformer } from "./transformer.ts";

const layerNames: Record<string, string> = {
  attn_norm: "input_layernorm",
  ffn_norm: "post_attention_layernorm",
  attn_q: "self_attn.q_proj",
  attn_k: "self_attn.k_proj",
  attn_v: "self_attn.v_proj",
  attn_output: "self_attn.o_proj",
  ffn_gate: "mlp.gate_proj",
  ffn_up: "mlp.up_proj",
  ffn_down: "mlp.down_proj",
};
const globalNames: Record<string, string> = {
  token_embd: "model.embed_tokens",
  output_norm: "model.norm",
  output: "lm_head",
};

/** mlx-lm's module path of a GGUF tensor prefix (`blk.3.attn_q` -> `model.layers.3.self_attn.q_proj`). */
function modulePath(prefix: string, path: string): string {
  const global = globalNames[prefix];
  if (global !== undefined) return global;
  const match = /^blk\.(\d+)\.(\w+)$/.exec(prefix);
  const inner = match ? layerNames[match[2]!] : undefined;
  if (!match || inner === undefined) {
    throw new MxError("unsupported", `[loadGguf] ${path}: tensor "${prefix}" has no place in a llama model`);
  }
  return `model.layers.${match[1]}.${inner}`;
}

/**
 * Loads a llama-architecture GGUF (llama.cpp's names and metadata) into a `Transformer`.
 * Tokenizers are not read from GGUF: pair it with a folder's `tokenizer.json`
 * (`Tokenizer.fromDir`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const { model, config } = mx.models.loadGguf("test/fixtures/models/mistral.gguf");
 * console.log(config.num_hidden_layers, model.forward(mx.array([[1, 2]], mx.int32)).shape); // 2 [ 1, 2, 456 ]
 * ```
 */
export function loadGguf(path: string): { model: Transformer; config: ModelConfig } {
  const { arrays, metadata } = load(path, { format: "gguf", returnMetadata: true });
  const architecture = metadata["general.architecture"];
  if (architecture !== "llama") {
    throw new MxError("unsupported", `[loadGguf] ${path}: general.architecture ${JSON.stringify(architecture)} is not supported (llama)`);
  }
  const number = (key: string, fallback?: number): number => {
    const value = metadata[`llama.${key}`];
    if (value instanceof MxArray) return Number(value.item());
    if (fallback !== undefined) return fallback;
    throw new MxError("invalid_argument", `[loadGguf] ${path}: metadata "llama.${key}" is missing`);
  };
  const embed = arrays["token_embd.weight"];
  if (embed === undefined) throw new MxError("invalid_argument", `[loadGguf] ${path}: tensor "token_embd.weight" is missing`);
  const hidden = number("embedding_length");
  const config: ModelConfig = {
    model_type: "llama",
    hidden_size: hidden,
    num_hidden_layers: number("block_count"),
    intermediate_size: number("feed_forward_length"),
    num_attention_heads: number("attention.head_count"),
    num_key_value_heads: number("attention.head_count_kv", number("attention.head_count")),
    rms_norm_eps: number("attention.layer_norm_rms_epsilon", 1e-5),
    rope_theta: number("rope.freq_base", 10000),
    rope_traditional: true,
    vocab_size: embed.shape[0]!,
    tie_word_embeddings: arrays["output.weight"] === undefined,
  };
  const model = new Transformer(architectureOf(config));
  // Rename, and note each quantized module's bits (groups of 32 values).
  const weights = new Map<string, MxArray>();
  const quantized = new Map<string, number>();
  for (const [name, array] of Object.entries(arrays)) {
    const dot = name.lastIndexOf(".");
    const prefix = name.slice(0, dot);
    const leaf = name.slice(dot + 1);
    const module = modulePath(prefix, path);
    weights.set(`${module}.${leaf}`, array);
    if (leaf === "scales") {
      const packed = arrays[`${prefix}.weight`]!;
      // Packed words per row over groups per row: (K * bits / 32) / (K / 32) = bits.
      quantized.set(module, packed.shape[packed.ndim - 1]! / array.shape[array.ndim - 1]!);
    }
  }
  quantizeModel(model, {
    groupSize: 32,
    classPredicate: (modulePathName) => {
      const bits = quantized.get(modulePathName);
      return bits === undefined ? false : { groupSize: 32, bits };
    },
  });
  const expected = new Map(treeFlatten(model.parameters()) as [string, MxArray][]);
  for (const [key, value] of expected) {
    const incoming = weights.get(key);
    if (incoming === undefined) throw new MxError("invalid_argument", `[loadGguf] ${path}: tensor for "${key}" is missing`);
    if (incoming.shape.join(",") !== value.shape.join(",")) {
      throw new MxError("shape_mismatch", `[loadGguf] ${path}: "${key}" has shape [${incoming.shape}], the model expects [${value.shape}]`);
    }
  }
  for (const key of weights.keys()) {
    if (!expected.has(key)) throw new MxError("invalid_argument", `[loadGguf] ${path}: unexpected tensor "${key}"`);
  }
  model.loadWeights([...weights]);
  model.eval();
  return { model, config };
}
