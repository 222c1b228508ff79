/**
 * Attention and transformers (MLX's `nn.layers.transformer`): MultiHeadAttention,
 * TransformerEncoderLayer / TransformerEncoder, TransformerDecoderLayer /
 * TransformerDecoder and Transformer. Attention is composed from matmul and softmax (MLX's
 * `scaled_dot_product_attention` fallback); a fused kernel can replace `attend` later.
 *
 * @module
 */

import { MxArray } from "../../array.ts";
import { arange } from "../../creation.ts";
import { bfloat16, bool, type Dtype, float16, float32, float64 } from "../../dtype.ts";
import { MxError } from "../../errors.ts";
import { add, greaterEqual, less, multiply } from "../../elementwise.ts";
import { matmul } from "../../linalg_basic.ts";
import { astype, where } from "../../ops.ts";
import { softmax } from "../../reductions.ts";
import { tidy } from "../../scope.ts";
import { broadcastShapes, expandDims, flatten, swapaxes, transpose, unflatten } from "../../shapes.ts";
import { checkpoint } from "../../transforms.ts";
import { treeFlatten, treeUnflatten } from "../../utils.ts";
import { Module, type Parameters } from "../module.ts";
import { checkDims, Linear } from "./linear.ts";
import { relu } from "../activations.ts";
import { Dropout } from "./dropout.ts";
import { LayerNorm } from "./normalization.ts";

/**
 * An attention mask: an additive array (0 where attention is allowed, a large negative
 * number where not), a boolean array (true where allowed), broadcastable to
 * `[batch, heads, queries, keys]`; or `"causal"` (query i attends to keys up to i, aligned
 * at the end when there are more keys than queries).
 */
export type AttentionMask = MxArray | "causal";

/** The lowest finite value of a floating dtype (MLX's `finfo(dtype).min`). */
function lowestFinite(dtype: Dtype): number {
  if (dtype === float16) return -65504;
  if (dtype === bfloat16) return -3.3895313892515355e38;
  if (dtype === float64) return -Number.MAX_VALUE;
  return -3.4028234663852886e38;
}

/** Whether a mask of dtype `mask` promotes to the attention's dtype `out` (MLX's rule). */
function maskPromotes(mask: Dtype, out: Dtype): boolean {
  if (mask.category !== "floating") return mask.category !== "complexfloating";
  if (mask === out) return true;
  const halves = mask === float16 || mask === bfloat16;
  return (out === float32 && halves) || (out === float64 && (halves || mask === float32));
}

/**
 * `softmax(q k^T * scale + mask) v` over `[B, H, L, D]` queries and `[B, H, S, D]` keys and
 * values, as MLX's scaled dot product attention fallback computes it.
 */
function attend(
  op: string,
  q: MxArray,
  k: MxArray,
  v: MxArray,
  scale: number,
  mask: AttentionMask | undefined,
): MxArray {
  return tidy(() => {
    let scores = matmul(multiply(q, scale), swapaxes(k, -1, -2));
    if (mask !== undefined) {
      const [queries, keys] = [q.shape[2]!, k.shape[2]!];
      let m: MxArray;
      if (mask === "causal") {
        const offset = keys - queries;
        m = greaterEqual(expandDims(arange(offset, queries + offset), 1), expandDims(arange(0, keys), 0));
      } else {
        m = mask;
        if (m.ndim > 4) {
          throw new MxError(
            "invalid_argument",
            `[${op}] the mask must have at most 4 axes; got shape [${m.shape}]`,
          );
        }
        if (!maskPromotes(m.dtype, scores.dtype)) {
          throw new MxError(
            "invalid_argument",
            `[${op}] the mask's dtype ${m.dtype} must promote to the attention's dtype ${scores.dtype}`,
          );
        }
        try {
          broadcastShapes(m.shape, scores.shape);
        } catch {
          throw new MxError(
            "shape_mismatch",
            `[${op}] the mask of shape [${m.shape}] does not broadcast to the attention scores [${scores.shape}]`,
          );
        }
      }
      scores = m.dtype === bool
        ? where(m, scores, lowestFinite(scores.dtype))
        : add(scores, astype(m, scores.dtype));
    }
    return matmul(softmax(scores, { axis: -1 }), v);
  });
}

/** Options of `MultiHeadAttention`. */
export interface MultiHeadAttentionOptions {
  /** Input dimensions of the queries (default `dims`). */
  queryInputDims?: number;
  /** Input dimensions of the keys (default `dims`). */
  keyInputDims?: number;
  /** Input dimensions of the values (default `keyInputDims`). */
  valueInputDims?: number;
  /** Dimensions of the values after their projection (default `dims`). */
  valueDims?: number;
  /** Dimensions the output is projected to (default `dims`). */
  valueOutputDims?: number;
  /** Whether the four projections have a bias (default false). */
  bias?: boolean;
}

/**
 * Multi-head scaled dot product attention: queries, keys and values are projected
 * (`query_proj`, `key_proj`, `value_proj`), split into `numHeads` heads, attended with scale
 * 1/sqrt(head dims) and an optional mask, then merged and projected by `out_proj`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const attention = new mx.nn.MultiHeadAttention(8, 2);
 * const x = mx.ones([1, 3, 8]);
 * const mask = mx.nn.MultiHeadAttention.createAdditiveCausalMask(3);
 * console.log(attention.forward(x, x, x, mask).shape); // [ 1, 3, 8 ]
 * ```
 */
export class MultiHeadAttention extends Module {
  query_proj: Linear;
  key_proj: Linear;
  value_proj: Linear;
  out_proj: Linear;
  readonly numHeads: number;

  constructor(dims: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    checkDims("MultiHeadAttention", { dims, numHeads });
    if (dims % numHeads !== 0) {
      throw new MxError(
        "invalid_argument",
        `[MultiHeadAttention] the feature dimensions should be divisible by the number of heads (${dims} % ${numHeads} != 0)`,
      );
    }
    const queryInputDims = options.queryInputDims ?? dims;
    const keyInputDims = options.keyInputDims ?? dims;
    const valueInputDims = options.valueInputDims ?? keyInputDims;
    const valueDims = options.valueDims ?? dims;
    const valueOutputDims = options.valueOutputDims ?? dims;
    checkDims("MultiHeadAttention", {
      queryInputDims,
      keyInputDims,
      valueInputDims,
      valueDims,
      valueOutputDims,
    });
    if (valueDims % numHeads !== 0) {
      throw new MxError(
        "invalid_argument",
        `[MultiHeadAttention] valueDims should be divisible by the number of heads (${valueDims} % ${numHeads} != 0)`,
      );
    }
    const bias = options.bias ?? false;
    this.numHeads = numHeads;
    this.query_proj = new Linear(queryInputDims, dims, { bias });
    this.key_proj = new Linear(keyInputDims, dims, { bias });
    this.value_proj = new Linear(valueInputDims, valueDims, { bias });
    this.out_proj = new Linear(valueDims, valueOutputDims, { bias });
  }

  /**
   * Attends `queries` `[B, L, queryInputDims]` to `keys` `[B, S, keyInputDims]` and `values`
   * `[B, S, valueInputDims]`; returns `[B, L, valueOutputDims]`.
   */
  forward(queries: MxArray, keys: MxArray, values: MxArray, mask?: AttentionMask): MxArray {
    const named: [string, MxArray, Linear][] = [
      ["queries", queries, this.query_proj],
      ["keys", keys, this.key_proj],
      ["values", values, this.value_proj],
    ];
    for (const [name, x, proj] of named) {
      const want = proj.weight.shape[1]!;
      if (x.ndim !== 3 || x.shape[2] !== want) {
        throw new MxError(
          "shape_mismatch",
          `[MultiHeadAttention] ${name} must have shape [batch, length, ${want}]; got [${x.shape}]`,
        );
      }
    }
    if (
      queries.shape[0] !== keys.shape[0] || keys.shape[0] !== values.shape[0] ||
      keys.shape[1] !== values.shape[1]
    ) {
      throw new MxError(
        "shape_mismatch",
        `[MultiHeadAttention] queries [${queries.shape}], keys [${keys.shape}] and values [${values.shape}] must share the batch size, and keys and values the length`,
      );
    }
    if (mask !== undefined && mask !== "causal" && !(mask instanceof MxArray)) {
      throw new MxError(
        "invalid_argument",
        `[MultiHeadAttention] mask must be an MxArray or "causal"; got ${String(mask)}`,
      );
    }
    return tidy(() => {
      const heads = (x: MxArray) => transpose(unflatten(x, -1, [this.numHeads, -1]), { axes: [0, 2, 1, 3] });
      const q = heads(this.query_proj.forward(queries));
      const k = heads(this.key_proj.forward(keys));
      const v = heads(this.value_proj.forward(values));
      const scale = Math.sqrt(1 / q.shape[3]!);
      const out = attend("MultiHeadAttention", q, k, v, scale, mask);
      const merged = flatten(transpose(out, { axes: [0, 2, 1, 3] }), { startAxis: -2, endAxis: -1 });
      return this.out_proj.forward(merged);
    });
  }

  /**
   * An `[n, n]` additive mask: 0 on and below the diagonal, the dtype's lowest finite value
   * above it (a query attends to itself and earlier positions).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.nn.MultiHeadAttention.createAdditiveCausalMask(2, mx.float16).tolist());
   * // [[-0, -65504], [-0, -0]]
   * ```
   */
  static createAdditiveCausalMask(n: number, dtype: Dtype = float32): MxArray {
    if (!Number.isInteger(n) || n < 0) {
      throw new MxError(
        "invalid_argument",
        `[MultiHeadAttention.createAdditiveCausalMask] n must be a non-negative integer; got ${n}`,
      );
    }
    if (dtype.category !== "floating") {
      throw new MxError(
        "invalid_argument",
        `[MultiHeadAttention.createAdditiveCausalMask] dtype must be floating point; got ${dtype}`,
      );
    }
    return tidy(() => {
      const indices = arange(n);
      const above = less(expandDims(indices, 1), expandDims(indices, 0));
      return multiply(astype(above, dtype), lowestFinite(dtype));
    });
  }
}

/** Options of the transformer layers. */
export interface TransformerLayerOptions {
  /** Hidden dimensions of the MLP block (default `4 * dims`). */
  mlpDims?: number;
  /** Dropout probability after attention and in the MLP (default 0). */
  dropout?: number;
  /** Activation of the MLP block (default relu). */
  activation?: (x: MxArray) => MxArray;
  /** Normalize before attention and the MLP (default true) rather than after. */
  normFirst?: boolean;
}

/** Options of `TransformerEncoder` and `TransformerDecoder`. */
export interface TransformerStackOptions extends TransformerLayerOptions {
  /** Gradient checkpointing of each layer (less memory, more compute; default false). */
  checkpoint?: boolean;
}

function layerSizes(op: string, dims: number, numHeads: number, options: TransformerLayerOptions): number {
  const mlpDims = options.mlpDims ?? 4 * dims;
  checkDims(op, { dims, numHeads, mlpDims });
  if (options.activation !== undefined && typeof options.activation !== "function") {
    throw new MxError(
      "invalid_argument",
      `[${op}] activation must be a function; got ${typeof options.activation}`,
    );
  }
  return mlpDims;
}

/**
 * Calls `layer` through `mx.checkpoint`, its trainable parameters passed as arguments so
 * that their gradients flow (MLX's `nn.utils.checkpoint`).
 */
function checkpointed(layer: Module, call: (...args: MxArray[]) => MxArray, args: MxArray[]): MxArray {
  const params = treeFlatten(layer.trainableParameters()) as [string, MxArray][];
  const names = params.map(([name]) => name);
  const inner = checkpoint((...all: MxArray[]): MxArray => {
    const given = all.slice(0, names.length);
    layer.update(treeUnflatten(names.map((name, i): [string, MxArray] => [name, given[i]!])) as Parameters);
    try {
      return call(...all.slice(names.length));
    } finally {
      layer.update(treeUnflatten(params) as Parameters);
    }
  });
  return inner(...params.map(([, p]) => p), ...args);
}

/**
 * One encoder block: self-attention and an MLP, each with a residual connection and layer
 * normalization (before, with `normFirst`, or after).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const layer = new mx.nn.TransformerEncoderLayer(8, 2);
 * console.log(layer.forward(mx.ones([1, 3, 8])).shape); // [ 1, 3, 8 ]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly activation: (x: MxArray) => MxArray;
  readonly normFirst: boolean;

  constructor(dims: number, numHeads: number, options: TransformerLayerOptions = {}) {
    super();
    const mlpDims = layerSizes("TransformerEncoderLayer", dims, numHeads, options);
    this.attention = new MultiHeadAttention(dims, numHeads);
    this.ln1 = new LayerNorm(dims);
    this.ln2 = new LayerNorm(dims);
    this.linear1 = new Linear(dims, mlpDims);
    this.linear2 = new Linear(mlpDims, dims);
    this.dropout1 = new Dropout(options.dropout ?? 0);
    this.dropout2 = new Dropout(options.dropout ?? 0);
    this.activation = options.activation ?? relu;
    this.normFirst = options.normFirst ?? true;
  }

  /** The block applied to `x` `[B, L, dims]` with an optional self-attention mask. */
  forward(x: MxArray, mask?: AttentionMask): MxArray {
    return tidy(() => {
      const mlp = (y: MxArray) =>
        this.linear2.forward(this.dropout2.forward(this.activation(this.linear1.forward(y))));
      if (this.normFirst) {
        const y = this.ln1.forward(x);
        const h = add(x, this.dropout1.forward(this.attention.forward(y, y, y, mask)));
        return add(h, mlp(this.ln2.forward(h)));
      }
      const h = this.ln1.forward(add(x, this.dropout1.forward(this.attention.forward(x, x, x, mask))));
      return this.ln2.forward(add(h, mlp(h)));
    });
  }
}

/**
 * A stack of `numLayers` encoder blocks followed by a layer normalization.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const encoder = new mx.nn.TransformerEncoder(2, 8, 2, { mlpDims: 16 });
 * console.log(encoder.forward(mx.ones([1, 3, 8])).shape); // [ 1, 3, 8 ]
 * ```
 */
export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  ln: LayerNorm;
  readonly checkpoint: boolean;

  constructor(numLayers: number, dims: number, numHeads: number, options: TransformerStackOptions = {}) {
    super();
    checkDims("TransformerEncoder", { numLayers });
    this.layers = Array.from(
      { length: numLayers },
      () => new TransformerEncoderLayer(dims, numHeads, options),
    );
    this.ln = new LayerNorm(dims);
    this.checkpoint = options.checkpoint ?? false;
  }

  /** The blocks applied in order to `x` `[B, L, dims]`, then the final normalization. */
  forward(x: MxArray, mask?: AttentionMask): MxArray {
    return tidy(() => {
      let y = x;
      for (const layer of this.layers) {
        // Array masks are arguments of the checkpointed call; "causal" is not an array.
        const arrayMask = typeof mask === "object" ? [mask] : [];
        y = this.checkpoint
          ? checkpointed(layer, (h, m) => layer.forward(h!, typeof mask === "object" ? m : mask), [
            y,
            ...arrayMask,
          ])
          : layer.forward(y, mask);
      }
      return this.ln.forward(y);
    });
  }
}

/**
 * One decoder block: self-attention, cross-attention to `memory`, and an MLP, each with a
 * residual connection and layer normalization (before, with `normFirst`, or after).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const layer = new mx.nn.TransformerDecoderLayer(8, 2);
 * console.log(layer.forward(mx.ones([1, 3, 8]), mx.ones([1, 5, 8])).shape); // [ 1, 3, 8 ]
 * ```
 */
export class TransformerDecoderLayer extends Module {
  self_attention: MultiHeadAttention;
  cross_attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  ln3: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly activation: (x: MxArray) => MxArray;
  readonly normFirst: boolean;

  constructor(dims: number, numHeads: number, options: TransformerLayerOptions = {}) {
    super();
    const mlpDims = layerSizes("TransformerDecoderLayer", dims, numHeads, options);
    this.self_attention = new MultiHeadAttention(dims, numHeads);
    this.cross_attention = new MultiHeadAttention(dims, numHeads);
    this.ln1 = new LayerNorm(dims);
    this.ln2 = new LayerNorm(dims);
    this.ln3 = new LayerNorm(dims);
    this.linear1 = new Linear(dims, mlpDims);
    this.linear2 = new Linear(mlpDims, dims);
    this.dropout1 = new Dropout(options.dropout ?? 0);
    this.dropout2 = new Dropout(options.dropout ?? 0);
    this.dropout3 = new Dropout(options.dropout ?? 0);
    this.activation = options.activation ?? relu;
    this.normFirst = options.normFirst ?? true;
  }

  /**
   * The block applied to `x` `[B, L, dims]` attending to `memory` `[B, S, dims]`, with
   * optional masks for the self-attention (`xMask`) and the cross-attention (`memoryMask`).
   */
  forward(x: MxArray, memory: MxArray, xMask?: AttentionMask, memoryMask?: AttentionMask): MxArray {
    return tidy(() => {
      const mlp = (y: MxArray) =>
        this.linear2.forward(this.dropout3.forward(this.activation(this.linear1.forward(y))));
      if (this.normFirst) {
        let y = this.ln1.forward(x);
        const h1 = add(x, this.dropout1.forward(this.self_attention.forward(y, y, y, xMask)));
        y = this.ln2.forward(h1);
        const h2 = add(
          h1,
          this.dropout2.forward(this.cross_attention.forward(y, memory, memory, memoryMask)),
        );
        return add(h2, mlp(this.ln3.forward(h2)));
      }
      const h1 = this.ln1.forward(add(x, this.dropout1.forward(this.self_attention.forward(x, x, x, xMask))));
      const h2 = this.ln2.forward(
        add(h1, this.dropout2.forward(this.cross_attention.forward(h1, memory, memory, memoryMask))),
      );
      return this.ln3.forward(add(h2, mlp(h2)));
    });
  }
}

/**
 * A stack of `numLayers` decoder blocks followed by a layer normalization.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const decoder = new mx.nn.TransformerDecoder(2, 8, 2);
 * const mask = mx.nn.MultiHeadAttention.createAdditiveCausalMask(3);
 * console.log(decoder.forward(mx.ones([1, 3, 8]), mx.ones([1, 5, 8]), mask).shape); // [ 1, 3, 8 ]
 * ```
 */
export class TransformerDecoder extends Module {
  layers: TransformerDecoderLayer[];
  ln: LayerNorm;
  readonly checkpoint: boolean;

  constructor(numLayers: number, dims: number, numHeads: number, options: TransformerStackOptions = {}) {
    super();
    checkDims("TransformerDecoder", { numLayers });
    this.layers = Array.from(
      { length: numLayers },
      () => new TransformerDecoderLayer(dims, numHeads, options),
    );
    this.ln = new LayerNorm(dims);
    this.checkpoint = options.checkpoint ?? false;
  }

  /** The blocks applied in order to `x`, each attending to `memory`, then the normalization. */
  forward(x: MxArray, memory: MxArray, xMask?: AttentionMask, memoryMask?: AttentionMask): MxArray {
    return tidy(() => {
      let y = x;
      for (const layer of this.layers) {
        if (this.checkpoint) {
          // Array masks are arguments of the checkpointed call, after the inputs.
          const masks = [xMask, memoryMask].filter((m): m is MxArray => typeof m === "object");
          y = checkpointed(layer, (h, mem, ...ms) => {
            let k = 0;
            const xm = typeof xMask === "object" ? ms[k++] : xMask;
            const mm = typeof memoryMask === "object" ? ms[k++] : memoryMask;
            return layer.forward(h!, mem!, xm, mm);
          }, [y, memory, ...masks]);
        } else {
          y = layer.forward(y, memory, xMask, memoryMask);
        }
      }
      return this.ln.forward(y);
    });
  }
}

/** Options of `Transformer`. */
export interface TransformerOptions extends TransformerStackOptions {
  /** Model dimensions (default 512). */
  dims?: number;
  /** Attention heads (default 8). */
  numHeads?: number;
  /** Encoder blocks (default 6). */
  numEncoderLayers?: number;
  /** Decoder blocks (default 6). */
  numDecoderLayers?: number;
  /** A module replacing the standard encoder: `forward(src, srcMask)`. */
  customEncoder?: Module & { forward(x: MxArray, mask?: AttentionMask): MxArray };
  /** A module replacing the standard decoder: `forward(tgt, memory, tgtMask, memoryMask)`. */
  customDecoder?: Module & {
    forward(x: MxArray, memory: MxArray, xMask?: AttentionMask, memoryMask?: AttentionMask): MxArray;
  };
}

/**
 * The encoder-decoder transformer of "Attention Is All You Need": the encoder turns `src`
 * into a memory the decoder attends to while transforming `tgt`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const model = new mx.nn.Transformer({ dims: 8, numHeads: 2, numEncoderLayers: 1, numDecoderLayers: 1 });
 * const tgtMask = mx.nn.MultiHeadAttention.createAdditiveCausalMask(3);
 * console.log(model.forward(mx.ones([1, 5, 8]), mx.ones([1, 3, 8]), undefined, tgtMask).shape); // [ 1, 3, 8 ]
 * ```
 */
export class Transformer extends Module {
  encoder: Module & { forward(x: MxArray, mask?: AttentionMask): MxArray };
  decoder: Module & {
    forward(x: MxArray, memory: MxArray, xMask?: AttentionMask, memoryMask?: AttentionMask): MxArray;
  };

  constructor(options: TransformerOptions = {}) {
    super();
    const dims = options.dims ?? 512;
    const numHeads = options.numHeads ?? 8;
    this.encoder = options.customEncoder ??
      new TransformerEncoder(options.numEncoderLayers ?? 6, dims, numHeads, options);
    this.decoder = options.customDecoder ??
      new TransformerDecoder(options.numDecoderLayers ?? 6, dims, numHeads, options);
  }

  /** Encodes `src` `[B, S, dims]` and decodes `tgt` `[B, L, dims]` against it. */
  forward(
    src: MxArray,
    tgt: MxArray,
    srcMask?: AttentionMask,
    tgtMask?: AttentionMask,
    memoryMask?: AttentionMask,
  ): MxArray {
    return tidy(() => {
      const memory = this.encoder.forward(src, srcMask);
      return this.decoder.forward(tgt, memory, tgtMask, memoryMask);
    });
  }
}
