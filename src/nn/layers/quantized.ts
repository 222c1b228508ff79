/**
 * Quantized layers (MLX's `nn.QuantizedLinear`, `nn.QuantizedEmbedding`) and `nn.quantize`,
 * which swaps a model's Linear and Embedding layers for them. The packed weights, scales and
 * biases are frozen: training updates only the float parameters (e.g. the bias, or LoRA).
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { MxError } from "../../errors.ts";
import { add } from "../../elementwise.ts";
import { take } from "../../indexing.ts";
import { zeros } from "../../creation.ts";
import { dequantize, quantize as quantizeArray, quantizedMatmul, type QuantizationMode } from "../../quantized.ts";
import { Module } from "../module.ts";
import { checkDims, Linear } from "./linear.ts";
import { Embedding } from "./embedding.ts";

/** Options of `QuantizedLinear`. */
export interface QuantizedLinearOptions extends QuantizeLayerOptions {
  /** Give the layer a bias (default true; ignored with `weight`). */
  bias?: boolean;
  /** Float weights `[outputDims, inputDims]` to quantize (default: MLX's random init). */
  weight?: MxArray;
  /** With `weight`: the bias to use (default none). */
  biasValue?: MxArray;
}

/** Options of `QuantizedEmbedding`. */
export interface QuantizedEmbeddingOptions extends QuantizeLayerOptions {
  /** A float table `[numEmbeddings, dims]` to quantize (default zeros). */
  weight?: MxArray;
}

/** How a layer is quantized. */
export interface QuantizeLayerOptions {
  /** Values per scale (default 64 for affine, 32 for mxfp4). */
  groupSize?: number;
  /** Bits per value (default 4). */
  bits?: number;
  /** `"affine"` (default) or `"mxfp4"`. */
  mode?: QuantizationMode;
}

interface Format {
  groupSize: number;
  bits: number;
  mode: QuantizationMode;
}

function formatOf(options: QuantizeLayerOptions): Format {
  const mode = options.mode ?? "affine";
  return { groupSize: options.groupSize ?? (mode === "affine" ? 64 : 32), bits: options.bits ?? 4, mode };
}

/** Quantizes `weight` into the layer's `weight`, `scales` and (affine) `biases`. */
function quantizeInto(layer: QuantizedLinear | QuantizedEmbedding, weight: MxArray): void {
  const parts = quantizeArray(weight, layer.format);
  layer.weight = parts[0]!;
  layer.scales = parts[1]!;
  if (parts[2] !== undefined) layer.biases = parts[2];
}

/**
 * A linear layer with quantized weights: `y = x W^T + b` computed by `quantizedMatmul`.
 * `weight` is uint32 `[outputDims, inputDims * bits / 32]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const layer = mx.nn.QuantizedLinear.fromLinear(new mx.nn.Linear(64, 8), { bits: 8 });
 * console.log(layer.forward(mx.ones([2, 64])).shape, layer.weight.shape); // [ 2, 8 ] [ 8, 16 ]
 * ```
 */
export class QuantizedLinear extends Module {
  weight: MxArray;
  scales: MxArray;
  biases?: MxArray;
  bias?: MxArray;
  readonly format: Format;

  constructor(inputDims: number, outputDims: number, options: QuantizedLinearOptions = {}) {
    super();
    checkDims("QuantizedLinear", { inputDims, outputDims });
    this.format = formatOf(options);
    let weight = options.weight;
    if (weight === undefined) {
      const initial = new Linear(inputDims, outputDims, { bias: options.bias ?? true });
      weight = initial.weight;
      if (initial.bias !== undefined) this.bias = initial.bias;
    } else {
      if (weight.ndim !== 2 || weight.shape[0] !== outputDims || weight.shape[1] !== inputDims) {
        throw new MxError("shape_mismatch", `[QuantizedLinear] weight must be [${outputDims}, ${inputDims}]; got [${weight.shape}]`);
      }
      if (options.biasValue !== undefined) this.bias = options.biasValue;
    }
    this.weight = weight;
    this.scales = weight;
    quantizeInto(this, weight);
    if (options.weight === undefined) weight.dispose();
    this.freeze({ keys: this.biases === undefined ? ["weight", "scales"] : ["weight", "scales", "biases"] });
  }

  /**
   * A quantized copy of a Linear layer's weights (its bias is shared).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const q = mx.nn.QuantizedLinear.fromLinear(new mx.nn.Linear(32, 4), { groupSize: 32, bits: 4 });
   * console.log(q.scales.shape); // [ 4, 1 ]
   * ```
   */
  static fromLinear(linear: Linear, options: QuantizeLayerOptions = {}): QuantizedLinear {
    const [outputDims, inputDims] = linear.weight.shape as [number, number];
    return new QuantizedLinear(inputDims, outputDims, { ...options, weight: linear.weight, biasValue: linear.bias });
  }

  protected override extraRepr(): string {
    const out = this.weight.shape[0];
    const input = (this.weight.shape[1]! * 32) / this.format.bits;
    return `input_dims=${input}, output_dims=${out}, bias=${this.bias !== undefined}, ` +
      `group_size=${this.format.groupSize}, bits=${this.format.bits}, mode=${this.format.mode}`;
  }

  /** `x @ dequantize(weight).T + bias`, without materializing the weights. */
  forward(x: MxArray): MxArray {
    const y = quantizedMatmul(x, this.weight, this.scales, this.biases ?? null, { ...this.format, transpose: true });
    if (this.bias === undefined) return y;
    using _y = y;
    return add(y, this.bias);
  }
}

/**
 * An embedding table stored quantized; rows are dequantized when looked up, and `asLinear`
 * multiplies by the quantized table directly (tied output layers).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const emb = mx.nn.QuantizedEmbedding.fromEmbedding(new mx.nn.Embedding(10, 64));
 * console.log(emb.forward(mx.array([1, 2], mx.int32)).shape, emb.asLinear(mx.ones([64])).shape); // [ 2, 64 ] [ 10 ]
 * ```
 */
export class QuantizedEmbedding extends Module {
  weight: MxArray;
  scales: MxArray;
  biases?: MxArray;
  readonly format: Format;

  constructor(numEmbeddings: number, dims: number, options: QuantizedEmbeddingOptions = {}) {
    super();
    checkDims("QuantizedEmbedding", { numEmbeddings, dims });
    this.format = formatOf(options);
    const weight = options.weight ?? zeros([numEmbeddings, dims]);
    if (weight.ndim !== 2 || weight.shape[0] !== numEmbeddings || weight.shape[1] !== dims) {
      throw new MxError("shape_mismatch", `[QuantizedEmbedding] weight must be [${numEmbeddings}, ${dims}]; got [${weight.shape}]`);
    }
    this.weight = weight;
    this.scales = weight;
    quantizeInto(this, weight);
    if (options.weight === undefined) weight.dispose();
    this.freeze();
  }

  /**
   * A quantized copy of an Embedding's table.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.nn.QuantizedEmbedding.fromEmbedding(new mx.nn.Embedding(4, 32), { groupSize: 32 }).weight.shape); // [ 4, 4 ]
   * ```
   */
  static fromEmbedding(embedding: Embedding, options: QuantizeLayerOptions = {}): QuantizedEmbedding {
    const [numEmbeddings, dims] = embedding.weight.shape as [number, number];
    return new QuantizedEmbedding(numEmbeddings, dims, { ...options, weight: embedding.weight });
  }

  protected override extraRepr(): string {
    const dims = (this.weight.shape[1]! * 32) / this.format.bits;
    return `${this.weight.shape[0]}, ${dims}, group_size=${this.format.groupSize}, bits=${this.format.bits}, mode=${this.format.mode}`;
  }

  /** The dequantized rows at the integer indices `x` (shape `[...x.shape, dims]`). */
  forward(x: MxArray): MxArray {
    const category = x.dtype.category;
    if (category !== "signedinteger" && category !== "unsignedinteger") {
      throw new MxError("invalid_argument", `[QuantizedEmbedding] indices must be integers; got ${x.dtype}`);
    }
    using w = take(this.weight, x, { axis: 0 });
    using s = take(this.scales, x, { axis: 0 });
    using b = this.biases === undefined ? undefined : take(this.biases, x, { axis: 0 });
    return dequantize(w, s, b ?? null, this.format);
  }

  /** `x @ dequantize(weight).T`: scores over the table's rows. */
  asLinear(x: MxArray): MxArray {
    return quantizedMatmul(x, this.weight, this.scales, this.biases ?? null, { ...this.format, transpose: true });
  }
}

/** What `classPredicate` of `quantize` returns: quantize (with the defaults or these options) or not. */
export type QuantizePredicateResult = boolean | QuantizeLayerOptions;

/** Options of `nn.quantize`. */
export interface QuantizeModelOptions extends QuantizeLayerOptions {
  /**
   * Which layers to quantize, by path (e.g. `"model.layers.0.mlp.down_proj"`) and module:
   * true (the defaults above), false, or per-layer options. Default: every Linear and
   * Embedding whose input size is a multiple of the group size.
   */
  classPredicate?: (path: string, module: Module) => QuantizePredicateResult;
}

/**
 * Replaces the Linear and Embedding layers of `model` (in place) by quantized ones, as MLX's
 * `nn.quantize`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const model = new mx.nn.Sequential(new mx.nn.Linear(64, 64), new mx.nn.ReLU(), new mx.nn.Linear(64, 10));
 * mx.nn.quantize(model, { bits: 8, classPredicate: (path) => path !== "layers.2" });
 * console.log(model.layers.map((m) => m.constructor.name)); // [ "QuantizedLinear", "ReLU", "Linear" ]
 * ```
 */
export function quantize(model: Module, options: QuantizeModelOptions = {}): Module {
  const defaults = formatOf(options);
  const predicate = options.classPredicate ??
    ((_path: string, m: Module) =>
      (m instanceof Linear || m instanceof Embedding) && m.weight.shape[m.weight.ndim - 1]! % defaults.groupSize === 0);
  const replacements: [string, Module][] = [];
  for (const [path, module] of model.namedModules()) {
    if (path === "" || !(module instanceof Linear || module instanceof Embedding)) continue;
    const decision = predicate(path, module);
    if (decision === false) continue;
    const format = decision === true ? defaults : formatOf({ ...defaults, ...decision });
    const quantized = module instanceof Linear
      ? QuantizedLinear.fromLinear(module, format)
      : QuantizedEmbedding.fromEmbedding(module, format);
    replacements.push([path, quantized]);
  }
  for (const [path, quantized] of replacements) setPath(model, path, quantized);
  return model;
}

/** Assigns `value` at a dotted module path (object keys and list indices). */
function setPath(root: Module, path: string, value: Module): void {
  const keys = path.split(".");
  let owner: Record<string, unknown> = root as unknown as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) owner = owner[key] as Record<string, unknown>;
  owner[keys[keys.length - 1]!] = value;
}
