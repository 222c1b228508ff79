/**
 * Decoder-only transformers of the families most MLX checkpoints use, one configurable
 * implementation with mlx-lm's parameter names (so `model.loadWeights` takes an mlx-lm folder
 * as is): Llama 2/3.x, Mistral, Qwen2/2.5, Qwen3, Phi-3, Gemma 2 and Gemma 3. The families
 * differ in switches read from `config.json` (`architectureOf`): biases, q/k norms, fused
 * projections, Gemma's (1 + w) norms and sandwich norms, soft-capping, sliding windows, RoPE
 * variants.
 *
 * @module
 */

import { array, MxArray } from "../array.ts";
import { arange } from "../creation.ts";
import { bfloat16, float16, float32 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import {
  add,
  clip,
  divide,
  greater,
  greaterEqual,
  less,
  logicalAnd,
  multiply,
  power,
  subtract,
  tanh,
} from "../elementwise.ts";
import { rmsNorm, rope, scaledDotProductAttention } from "../fast.ts";
import { matmul } from "../linalg_basic.ts";
import { astype, where } from "../ops.ts";
import { softmax } from "../reductions.ts";
import { expandDims, reshape, swapaxes, transpose } from "../shapes.ts";
import { split } from "../joining.ts";
import { tidy } from "../scope.ts";
import { Module } from "../nn/module.ts";
import { Linear } from "../nn/layers/linear.ts";
import { Embedding } from "../nn/layers/embedding.ts";
import { QuantizedEmbedding } from "../nn/layers/quantized.ts";
import { geluApprox, silu } from "../nn/activations.ts";
import { type AttentionMask, type Cache, KVCache, RotatingKVCache } from "./cache.ts";
import type { ModelConfig } from "./folder.ts";

/** The switches that tell the supported families apart, resolved from a config. */
export interface Architecture {
  modelType: string;
  hiddenSize: number;
  layers: number;
  intermediateSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
  vocabSize: number;
  ropeTheta: number;
  ropeTraditional: boolean;
  ropeScaling: Record<string, unknown> | null;
  /** Rotated features per head (Phi-3's partial rotary factor). */
  ropeDims: number;
  tieEmbeddings: boolean;
  qkvBias: boolean;
  outputBias: boolean;
  mlpBias: boolean;
  qkNorm: boolean;
  fused: boolean;
  /** Gemma: norms scale by (1 + w), embeddings by sqrt(hidden), gelu MLP, sandwich norms. */
  gemma: 0 | 2 | 3;
  queryScale: number;
  attnSoftcap?: number;
  finalSoftcap?: number;
  /** Per layer: the sliding window, or undefined for global attention. */
  windows: (number | undefined)[];
  /** Gemma 3's RoPE base of the sliding layers. */
  localRopeTheta?: number;
}

function num(config: ModelConfig, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new MxError("invalid_argument", `[loadModel] config.json: "${key}" must be a number; got ${JSON.stringify(config[key])}`);
  }
  return value;
}

function flag(config: ModelConfig, key: string, fallback: boolean): boolean {
  const value = config[key] ?? fallback;
  if (typeof value !== "boolean") {
    throw new MxError("invalid_argument", `[loadModel] config.json: "${key}" must be true or false; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The model types `architectureOf` reads (mlx-lm's remapping: mistral runs as llama). */
export const supportedModelTypes = ["llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text"] as const;

/**
 * Resolves a `config.json` into the switches of `Transformer`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const arch = mx.models.architectureOf(mx.models.readConfig("test/fixtures/models/qwen3-f16"));
 * console.log(arch.qkNorm, arch.headDim, arch.kvHeads); // true 32 2
 * ```
 */
export function architectureOf(config: ModelConfig): Architecture {
  const type = config.model_type;
  if (!(supportedModelTypes as readonly string[]).includes(type)) {
    throw new MxError(
      "unsupported",
      `[loadModel] model_type "${type}" is not supported; supported: ${supportedModelTypes.join(", ")}`,
    );
  }
  const hiddenSize = num(config, "hidden_size");
  const heads = num(config, "num_attention_heads");
  const layers = num(config, "num_hidden_layers");
  const gemma = type === "gemma2" ? 2 : type === "gemma3_text" ? 3 : 0;
  const headDim = typeof config.head_dim === "number" && type !== "phi3" && type !== "qwen2"
    ? config.head_dim
    : hiddenSize / heads;
  const ropeScaling = (config.rope_scaling ?? null) as Record<string, unknown> | null;
  const windows: (number | undefined)[] = new Array(layers).fill(undefined);
  if (type === "gemma3_text") {
    const pattern = num(config, "sliding_window_pattern", 6);
    const window = num(config, "sliding_window", 512);
    for (let i = 0; i < layers; i++) windows[i] = (i + 1) % pattern !== 0 ? window : undefined;
  } else if (Array.isArray(config.layer_types) && type === "llama") {
    const window = num(config, "sliding_window");
    (config.layer_types as unknown[]).forEach((t, i) => (windows[i] = t === "sliding_attention" ? window : undefined));
  }
  const queryScale = gemma ? num(config, "query_pre_attn_scalar") ** -0.5 : headDim ** -0.5;
  return {
    modelType: type,
    hiddenSize,
    layers,
    intermediateSize: num(config, "intermediate_size"),
    heads,
    kvHeads: num(config, "num_key_value_heads", heads),
    headDim,
    eps: num(config, "rms_norm_eps", 1e-6),
    vocabSize: num(config, "vocab_size"),
    ropeTheta: num(config, "rope_theta", 10000),
    ropeTraditional: flag(config, "rope_traditional", false),
    ropeScaling,
    ropeDims: type === "phi3" ? Math.trunc(headDim * num(config, "partial_rotary_factor", 1)) : headDim,
    tieEmbeddings: gemma === 2 ? true : gemma === 3 ? false : flag(config, "tie_word_embeddings", type !== "phi3"),
    qkvBias: type === "qwen2" ? true : type === "llama" || type === "mistral" ? flag(config, "attention_bias", false) : false,
    outputBias: type === "llama" || type === "mistral" ? flag(config, "attention_bias", false) : false,
    mlpBias: type === "llama" || type === "mistral" ? flag(config, "mlp_bias", false) : false,
    qkNorm: type === "qwen3" || gemma === 3,
    fused: type === "phi3",
    gemma,
    queryScale,
    attnSoftcap: gemma === 2 ? num(config, "attn_logit_softcapping", 50) : undefined,
    finalSoftcap: gemma === 2 ? num(config, "final_logit_softcapping", 30) : undefined,
    windows,
    localRopeTheta: gemma === 3 ? num(config, "rope_local_base_freq", 10000) : undefined,
  };
}

/** RMSNorm as the family defines it (Gemma scales by 1 + w). */
export class Norm extends Module {
  weight: MxArray;
  readonly #eps: number;
  readonly #plusOne: boolean;

  constructor(dims: number, eps: number, plusOne: boolean) {
    super();
    this.weight = plusOne ? array(new Float32Array(dims)) : array(new Float32Array(dims).fill(1));
    this.#eps = eps;
    this.#plusOne = plusOne;
  }

  forward(x: MxArray): MxArray {
    if (!this.#plusOne) return rmsNorm(x, this.weight, this.#eps);
    using scale = add(this.weight, array(1, this.weight.dtype));
    return rmsNorm(x, scale, this.#eps);
  }
}

/** RoPE with the family's scaling: none/linear (a position scale) or Llama 3's frequencies. */
class Rotary {
  readonly dims: number;
  readonly #traditional: boolean;
  readonly #base: number;
  readonly #scale: number;
  readonly #freqs?: MxArray;

  constructor(dims: number, base: number, traditional: boolean, scaling: Record<string, unknown> | null) {
    this.dims = dims;
    this.#traditional = traditional;
    this.#base = base;
    const type = scaling === null ? "default" : String(scaling.rope_type ?? scaling.type ?? "default");
    this.#scale = 1;
    if (type === "linear") this.#scale = 1 / Number(scaling!.factor);
    else if (type === "llama3") this.#freqs = llama3Freqs(dims, base, scaling!);
    else if (type !== "default") {
      throw new MxError("unsupported", `[loadModel] rope_scaling type "${type}" is not supported (default, linear, llama3)`);
    }
  }

  apply(x: MxArray, offset: number): MxArray {
    return rope(x, this.dims, {
      traditional: this.#traditional,
      base: this.#base,
      scale: this.#scale,
      offset,
      freqs: this.#freqs,
    });
  }
}

/** Llama 3's RoPE periods: long wavelengths stretched by `factor`, a smooth band between. */
function llama3Freqs(dims: number, base: number, scaling: Record<string, unknown>): MxArray {
  const factor = Number(scaling.factor);
  const low = Number(scaling.low_freq_factor ?? 1);
  const high = Number(scaling.high_freq_factor ?? 4);
  const oldContext = Number(scaling.original_max_position_embeddings ?? 8192);
  return tidy(() => {
    const freqs = power(array(base, float32), divide(astype(arange(0, dims, { step: 2 }), float32), array(dims, float32)));
    const wavelens = multiply(array(2 * Math.PI, float32), freqs);
    const scaled = where(greater(wavelens, oldContext / low), multiply(freqs, array(factor, float32)), freqs);
    const medium = logicalAnd(greater(wavelens, oldContext / high), less(wavelens, oldContext / low));
    const smooth = divide(subtract(divide(array(oldContext, float32), wavelens), array(low, float32)), array(high - low, float32));
    const smoothFreqs = divide(
      scaled,
      add(divide(subtract(array(1, float32), smooth), array(factor, float32)), smooth),
    );
    return where(medium, smoothFreqs, scaled);
  });
}

class Attention extends Module {
  q_proj?: Linear;
  k_proj?: Linear;
  v_proj?: Linear;
  qkv_proj?: Linear;
  o_proj: Linear;
  q_norm?: Norm;
  k_norm?: Norm;
  readonly #arch: Architecture;
  readonly #rope: Rotary;

  constructor(arch: Architecture, layer: number) {
    super();
    const { hiddenSize, heads, kvHeads, headDim } = arch;
    if (arch.fused) {
      this.qkv_proj = new Linear(hiddenSize, (heads + 2 * kvHeads) * headDim, { bias: false });
    } else {
      this.q_proj = new Linear(hiddenSize, heads * headDim, { bias: arch.qkvBias });
      this.k_proj = new Linear(hiddenSize, kvHeads * headDim, { bias: arch.qkvBias });
      this.v_proj = new Linear(hiddenSize, kvHeads * headDim, { bias: arch.qkvBias });
    }
    this.o_proj = new Linear(heads * headDim, hiddenSize, { bias: arch.outputBias });
    if (arch.qkNorm) {
      this.q_norm = new Norm(headDim, arch.eps, arch.gemma === 3);
      this.k_norm = new Norm(headDim, arch.eps, arch.gemma === 3);
    }
    this.#arch = arch;
    const local = arch.windows[layer] !== undefined && arch.localRopeTheta !== undefined;
    this.#rope = new Rotary(
      arch.ropeDims,
      local ? arch.localRopeTheta! : arch.ropeTheta,
      arch.ropeTraditional,
      local ? null : arch.ropeScaling,
    );
  }

  forward(x: MxArray, mask: AttentionMask, cache: Cache | undefined): MxArray {
    const a = this.#arch;
    const [b, l] = x.shape as [number, number, number];
    let q: MxArray, k: MxArray, v: MxArray;
    if (this.qkv_proj !== undefined) {
      const qkv = this.qkv_proj.forward(x);
      [q, k, v] = split(qkv, [a.heads * a.headDim, (a.heads + a.kvHeads) * a.headDim], { axis: -1 }) as [MxArray, MxArray, MxArray];
    } else {
      q = this.q_proj!.forward(x);
      k = this.k_proj!.forward(x);
      v = this.v_proj!.forward(x);
    }
    q = reshape(q, [b, l, a.heads, a.headDim]);
    k = reshape(k, [b, l, a.kvHeads, a.headDim]);
    if (this.q_norm !== undefined) {
      q = this.q_norm.forward(q);
      k = this.k_norm!.forward(k);
    }
    q = transpose(q, { axes: [0, 2, 1, 3] });
    k = transpose(k, { axes: [0, 2, 1, 3] });
    v = transpose(reshape(v, [b, l, a.kvHeads, a.headDim]), { axes: [0, 2, 1, 3] });
    const offset = cache?.offset ?? 0;
    q = this.#rope.apply(q, offset);
    k = this.#rope.apply(k, offset);
    if (cache !== undefined) [k, v] = cache.update(k, v);
    const out = a.attnSoftcap !== undefined
      ? softcapAttention(q, k, v, a.queryScale, a.attnSoftcap, mask)
      : scaledDotProductAttention(q, k, v, { scale: a.queryScale, mask });
    return this.o_proj.forward(reshape(transpose(out, { axes: [0, 2, 1, 3] }), [b, l, a.heads * a.headDim]));
  }
}

/** Gemma 2's attention: tanh soft-capped scores (not expressible through fast SDPA). */
function softcapAttention(q: MxArray, k: MxArray, v: MxArray, scale: number, cap: number, mask: AttentionMask): MxArray {
  const [b, heads, l, d] = q.shape as [number, number, number, number];
  const kvHeads = k.shape[1]!;
  const repeats = heads / kvHeads;
  const q5 = reshape(multiply(q, array(scale, q.dtype)), [b, kvHeads, repeats, l, d]);
  let scores = matmul(q5, swapaxes(expandDims(k, 2), -1, -2));
  scores = multiply(tanh(divide(scores, array(cap, scores.dtype))), array(cap, scores.dtype));
  if (mask !== undefined) {
    const s = k.shape[2]!;
    const allowed = mask === "causal" ? greaterEqual(expandDims(arange(s - l, s), 1), expandDims(arange(0, s), 0)) : mask;
    scores = where(allowed, scores, array(-65504, scores.dtype));
  }
  const weights = astype(softmax(astype(scores, float32), { axis: -1 }), v.dtype);
  return reshape(matmul(weights, expandDims(v, 2)), [b, heads, l, d]);
}

class Mlp extends Module {
  gate_proj?: Linear;
  up_proj?: Linear;
  gate_up_proj?: Linear;
  down_proj: Linear;
  readonly #gelu: boolean;

  constructor(arch: Architecture) {
    super();
    const { hiddenSize, intermediateSize } = arch;
    if (arch.fused) this.gate_up_proj = new Linear(hiddenSize, 2 * intermediateSize, { bias: false });
    else {
      this.gate_proj = new Linear(hiddenSize, intermediateSize, { bias: arch.mlpBias });
      this.up_proj = new Linear(hiddenSize, intermediateSize, { bias: arch.mlpBias });
    }
    this.down_proj = new Linear(intermediateSize, hiddenSize, { bias: arch.mlpBias });
    this.#gelu = arch.gemma !== 0;
  }

  forward(x: MxArray): MxArray {
    let gate: MxArray, up: MxArray;
    if (this.gate_up_proj !== undefined) {
      [gate, up] = split(this.gate_up_proj.forward(x), 2, { axis: -1 }) as [MxArray, MxArray];
    } else {
      gate = this.gate_proj!.forward(x);
      up = this.up_proj!.forward(x);
    }
    return this.down_proj.forward(multiply(this.#gelu ? geluApprox(gate) : silu(gate), up));
  }
}

/** Gemma 3's float16 residual: summed in float32 and clipped to float16's range. */
function residual(arch: Architecture, x: MxArray, y: MxArray): MxArray {
  if (arch.gemma !== 3 || x.dtype !== float16) return add(x, y);
  return astype(clip(add(astype(x, float32), astype(y, float32)), -65504, 65504), float16);
}

class Block extends Module {
  self_attn: Attention;
  mlp: Mlp;
  input_layernorm: Norm;
  post_attention_layernorm: Norm;
  pre_feedforward_layernorm?: Norm;
  post_feedforward_layernorm?: Norm;
  readonly #arch: Architecture;

  constructor(arch: Architecture, layer: number) {
    super();
    const plusOne = arch.gemma !== 0;
    this.self_attn = new Attention(arch, layer);
    this.mlp = new Mlp(arch);
    this.input_layernorm = new Norm(arch.hiddenSize, arch.eps, plusOne);
    this.post_attention_layernorm = new Norm(arch.hiddenSize, arch.eps, plusOne);
    if (arch.gemma !== 0) {
      this.pre_feedforward_layernorm = new Norm(arch.hiddenSize, arch.eps, true);
      this.post_feedforward_layernorm = new Norm(arch.hiddenSize, arch.eps, true);
    }
    this.#arch = arch;
  }

  forward(x: MxArray, mask: AttentionMask, cache: Cache | undefined): MxArray {
    const r = this.self_attn.forward(this.input_layernorm.forward(x), mask, cache);
    if (this.pre_feedforward_layernorm === undefined) {
      const h = add(x, r);
      return add(h, this.mlp.forward(this.post_attention_layernorm.forward(h)));
    }
    const h = residual(this.#arch, x, this.post_attention_layernorm.forward(r));
    const f = this.mlp.forward(this.pre_feedforward_layernorm.forward(h));
    return residual(this.#arch, h, this.post_feedforward_layernorm!.forward(f));
  }
}

class Backbone extends Module {
  embed_tokens: Embedding | QuantizedEmbedding;
  layers: Block[];
  norm: Norm;

  constructor(arch: Architecture) {
    super();
    this.embed_tokens = new Embedding(arch.vocabSize, arch.hiddenSize);
    this.layers = Array.from({ length: arch.layers }, (_, i) => new Block(arch, i));
    this.norm = new Norm(arch.hiddenSize, arch.eps, arch.gemma !== 0);
  }
}

/**
 * A decoder-only language model: token ids `[B, L]` to logits `[B, L, vocab]`, with a cache
 * per layer for incremental decoding.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const config = mx.models.readConfig("test/fixtures/models/qwen2-f16");
 * const model = new mx.models.Transformer(mx.models.architectureOf(config));
 * console.log(model.forward(mx.array([[1, 2, 3]], mx.int32)).shape); // [ 1, 3, 384 ]
 * ```
 */
export class Transformer extends Module {
  model: Backbone;
  lm_head?: Linear;
  arch: Architecture;

  constructor(arch: Architecture) {
    super();
    this.arch = arch;
    this.model = new Backbone(arch);
    if (!arch.tieEmbeddings) this.lm_head = new Linear(arch.hiddenSize, arch.vocabSize, { bias: false });
  }

  /** One cache per layer: rotating for sliding-window layers. */
  makeCache(): Cache[] {
    return this.arch.windows.map((w) => (w === undefined ? new KVCache() : new RotatingKVCache(w)));
  }

  /** Logits for `tokens` (`[B, L]` integers), advancing `cache` when given. */
  forward(tokens: MxArray, cache?: Cache[]): MxArray {
    if (tokens.ndim !== 2) {
      throw new MxError("invalid_argument", `[Transformer] tokens must be [batch, length]; got shape [${tokens.shape}]`);
    }
    if (cache !== undefined && cache.length !== this.arch.layers) {
      throw new MxError("invalid_argument", `[Transformer] expected ${this.arch.layers} caches; got ${cache.length}`);
    }
    const a = this.arch;
    return tidy(() => {
      let h = this.model.embed_tokens.forward(tokens);
      if (a.gemma === 2) h = multiply(h, array(Math.sqrt(a.hiddenSize), h.dtype));
      if (a.gemma === 3) {
        using factor = array(Math.sqrt(a.hiddenSize), bfloat16);
        h = multiply(h, astype(factor, h.dtype));
      }
      const l = tokens.shape[1]!;
      const masks = new Map<number | undefined, AttentionMask>();
      this.model.layers.forEach((layer, i) => {
        const window = a.windows[i];
        if (!masks.has(window)) {
          const c = cache?.[i];
          const mask = c !== undefined ? c.mask(l, window) : window !== undefined ? windowed(l, window) : l > 1 ? "causal" : undefined;
          masks.set(window, mask);
        }
        h = layer.forward(h, masks.get(window), cache?.[i]);
      });
      h = this.model.norm.forward(h);
      let logits = this.lm_head !== undefined ? this.lm_head.forward(h) : this.model.embed_tokens.asLinear(h);
      if (a.finalSoftcap !== undefined) {
        logits = multiply(tanh(divide(logits, array(a.finalSoftcap, logits.dtype))), array(a.finalSoftcap, logits.dtype));
      }
      return logits;
    });
  }

  /** mlx-lm's weight clean-up: drops RoPE tables and the head of tied models. */
  sanitize(weights: Map<string, MxArray>): Map<string, MxArray> {
    for (const key of [...weights.keys()]) {
      if (key.includes("self_attn.rotary_emb.inv_freq")) weights.delete(key);
    }
    if (this.arch.tieEmbeddings) weights.delete("lm_head.weight");
    else if (this.arch.gemma === 3 && !weights.has("lm_head.weight")) {
      // Gemma 3 ties its head when the checkpoint has none.
      this.arch = { ...this.arch, tieEmbeddings: true };
      this.lm_head = undefined;
    }
    return weights;
  }
}

/** A sliding-window causal mask for a prompt processed without a cache. */
function windowed(length: number, window: number): MxArray {
  using q = expandDims(arange(0, length), 1);
  using k = expandDims(arange(0, length), 0);
  using causal = greaterEqual(q, k);
  using near = less(subtract(q, k), window);
  return logicalAnd(causal, near);
}
