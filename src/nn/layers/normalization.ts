/**
 * BatchNorm, LayerNorm, RMSNorm, GroupNorm and InstanceNorm (MLX's
 * `nn.layers.normalization`). MLX's LayerNorm and RMSNorm call fused `mx.fast` kernels; here
 * they are composed from ops (same formulas). Parameter names are MLX's (`weight`, `bias`,
 * `running_mean`, `running_var`) so that MLX checkpoints load unchanged.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { ones, zeros } from "../../creation.ts";
import { add, multiply, rsqrt, subtract } from "../../elementwise.ts";
import { MxError } from "../../errors.ts";
import { layerNorm, rmsNorm } from "../../fast.ts";
import { mean, variance } from "../../reductions.ts";
import { keep } from "../../scope.ts";
import { reshape, transpose } from "../../shapes.ts";
import { type FreezeOptions, Module } from "../module.ts";

function checkEps(layer: string, eps: number): void {
  if (!(eps > 0)) throw new MxError("invalid_argument", `[${layer}] eps must be positive; got ${eps}`);
}

function checkDims(layer: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new MxError("invalid_argument", `[${layer}] ${name} must be a positive integer; got ${value}`);
  }
}

function checkFeatures(layer: string, x: MxArray, dims: number): void {
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== dims) {
    throw new MxError(
      "shape_mismatch",
      `[${layer}] expects ${dims} features on the last axis; got shape [${x.shape}]`,
    );
  }
}

/** `(x - mean) * rsqrt(var + eps)` over `axis` (the statistics kept as size-1 axes). */
function standardize(x: MxArray, axis: number | number[], eps: number): MxArray {
  using mu = mean(x, { axis, keepdims: true });
  using sigma2 = variance(x, { axis, keepdims: true });
  using centered = subtract(x, mu);
  using shifted = add(sigma2, eps);
  using scale = rsqrt(shifted);
  return multiply(centered, scale);
}

/** `weight * x + bias` (each optional). */
function affine(x: MxArray, weight: MxArray | undefined, bias: MxArray | undefined): MxArray {
  let y = x;
  if (weight !== undefined) {
    using unscaled = y;
    y = multiply(weight, unscaled);
  }
  if (bias !== undefined) {
    using unbiased = y;
    y = add(unbiased, bias);
  }
  return y;
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn `weight` (and `bias`) (default true). */
  affine?: boolean;
  /** With `affine`, also learn `bias` (default true). */
  bias?: boolean;
}

/**
 * Layer normalization over the last axis: `(x - E[x]) / sqrt(Var[x] + eps) * weight + bias`,
 * `weight` ones and `bias` zeros of `[dims]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = new mx.nn.LayerNorm(2).forward(mx.array([[1, 3]]));
 * console.log(String(mx.round(y, { decimals: 3 }))); // array([[-1, 1]], dtype=float32)
 * ```
 */
export class LayerNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  readonly #dims: number;
  readonly #eps: number;

  constructor(dims: number, options: LayerNormOptions = {}) {
    super();
    checkDims("LayerNorm", "dims", dims);
    this.#eps = options.eps ?? 1e-5;
    checkEps("LayerNorm", this.#eps);
    this.#dims = dims;
    if (options.affine ?? true) {
      this.weight = ones([dims]);
      if (options.bias ?? true) this.bias = zeros([dims]);
    }
  }

  protected override extraRepr(): string {
    return `${this.#dims}, eps=${this.#eps}, affine=${this.weight !== undefined}`;
  }

  /** Normalizes `x` over its last axis (`dims` features). */
  forward(x: MxArray): MxArray {
    checkFeatures("LayerNorm", x, this.#dims);
    return layerNorm(x, this.weight ?? null, this.bias ?? null, this.#eps);
  }
}

/**
 * Root-mean-square normalization over the last axis: `x / sqrt(E[x^2] + eps) * weight`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = new mx.nn.RMSNorm(2, { eps: 1e-12 }).forward(mx.array([[3, 4]]));
 * console.log(String(y)); // array([[0.848528, 1.13137]], dtype=float32)
 * ```
 */
export class RMSNorm extends Module {
  weight: MxArray;
  readonly #eps: number;

  constructor(dims: number, options: { eps?: number } = {}) {
    super();
    checkDims("RMSNorm", "dims", dims);
    this.#eps = options.eps ?? 1e-5;
    checkEps("RMSNorm", this.#eps);
    this.weight = ones([dims]);
  }

  protected override extraRepr(): string {
    return `${this.weight.shape[0]}, eps=${this.#eps}`;
  }

  /** Normalizes `x` over its last axis. */
  forward(x: MxArray): MxArray {
    checkFeatures("RMSNorm", x, this.weight.shape[0]!);
    return rmsNorm(x, this.weight, this.#eps);
  }
}

/** Options of `GroupNorm`. */
export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-feature `weight` and `bias` (default true). */
  affine?: boolean;
  /** Group features as PyTorch does (contiguous blocks of dims / groups); default false. */
  pytorchCompatible?: boolean;
}

/**
 * Group normalization: the features (last axis) split into `numGroups` groups, each
 * normalized over the group and the spatial axes. MLX's default groups feature `f` into
 * group `f % numGroups`; `pytorchCompatible` uses contiguous blocks.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const norm = new mx.nn.GroupNorm(2, 4);
 * console.log(norm.forward(mx.ones([1, 3, 4])).shape); // [ 1, 3, 4 ]
 * ```
 */
export class GroupNorm extends Module {
  bias?: MxArray;
  weight?: MxArray;
  readonly #groups: number;
  readonly #dims: number;
  readonly #eps: number;
  readonly #pytorchCompatible: boolean;

  constructor(numGroups: number, dims: number, options: GroupNormOptions = {}) {
    super();
    this.#eps = options.eps ?? 1e-5;
    checkEps("GroupNorm", this.#eps);
    checkDims("GroupNorm", "numGroups", numGroups);
    checkDims("GroupNorm", "dims", dims);
    if (dims % numGroups !== 0) {
      throw new MxError(
        "invalid_argument",
        `[GroupNorm] the number of features (${dims}) must be divisible by the number of groups (${numGroups})`,
      );
    }
    if (options.affine ?? true) {
      this.bias = zeros([dims]);
      this.weight = ones([dims]);
    }
    this.#groups = numGroups;
    this.#dims = dims;
    this.#pytorchCompatible = options.pytorchCompatible ?? false;
  }

  protected override extraRepr(): string {
    return `${this.#groups}, ${this.#dims}, eps=${this.#eps}, affine=${this.weight !== undefined}, ` +
      `pytorch_compatible=${this.#pytorchCompatible}`;
  }

  /** Normalizes `x` (`[N, ..., dims]`, at least 2-D) per group. */
  forward(x: MxArray): MxArray {
    if (x.ndim < 2) {
      throw new MxError(
        "invalid_argument",
        `[GroupNorm] expects an input of at least 2 dimensions; got shape [${x.shape}]`,
      );
    }
    checkFeatures("GroupNorm", x, this.#dims);
    const shape = x.shape;
    const batch = shape[0]!;
    const groups = this.#groups;
    const groupSize = this.#dims / groups;
    // Explicit sizes (not -1), so an empty batch works (MLX cannot infer them and raises).
    const positions = shape.slice(1, -1).reduce((p, d) => p * d, 1);
    let normalized: MxArray;
    if (this.#pytorchCompatible) {
      using split = reshape(x, [batch, positions, groups, groupSize]);
      using grouped = transpose(split, { axes: [0, 2, 1, 3] });
      using flat = reshape(grouped, [batch, groups, positions * groupSize]);
      using standardized = standardize(flat, -1, this.#eps);
      using back = reshape(standardized, [batch, groups, positions, groupSize]);
      using ordered = transpose(back, { axes: [0, 2, 1, 3] });
      normalized = reshape(ordered, shape);
    } else {
      using grouped = reshape(x, [batch, positions * groupSize, groups]);
      using standardized = standardize(grouped, 1, this.#eps);
      normalized = reshape(standardized, shape);
    }
    return affine(normalized, this.weight, this.bias);
  }
}

/**
 * Instance normalization: each sample's features normalized over the spatial axes
 * (input `[N, ..., C]`, at least 3-D); optional affine `weight` / `bias` (default off).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = new mx.nn.InstanceNorm(1).forward(mx.reshape(mx.array([1, 3]), [1, 2, 1]));
 * console.log(String(mx.round(y, { decimals: 3 }))); // array([[[-1],
 * //         [1]]], dtype=float32)
 * ```
 */
export class InstanceNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  readonly #dims: number;
  readonly #eps: number;

  constructor(dims: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    checkDims("InstanceNorm", "dims", dims);
    this.#eps = options.eps ?? 1e-5;
    checkEps("InstanceNorm", this.#eps);
    if (options.affine ?? false) {
      this.weight = ones([dims]);
      this.bias = zeros([dims]);
    }
    this.#dims = dims;
  }

  protected override extraRepr(): string {
    return `${this.#dims}, eps=${this.#eps}, affine=${this.weight !== undefined}`;
  }

  /** Normalizes `x` (`[N, ...spatial, dims]`) over its spatial axes. */
  forward(x: MxArray): MxArray {
    if (x.ndim < 3) {
      throw new MxError(
        "invalid_argument",
        `[InstanceNorm] expects an input of at least 3 dimensions (N, ..., C); got shape [${x.shape}]`,
      );
    }
    checkFeatures("InstanceNorm", x, this.#dims);
    const spatialAxes = x.shape.slice(1, -1).map((_, i) => i + 1);
    return affine(standardize(x, spatialAxes, this.#eps), this.weight, this.bias);
  }
}

/** Options of `BatchNorm`. */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the newest batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learn a per-feature `weight` and `bias` (default true). */
  affine?: boolean;
  /** Keep running mean and variance for evaluation mode (default true). */
  trackRunningStats?: boolean;
}

/**
 * Batch normalization over every axis but the last (inputs `[N, C]`, `[N, L, C]` or
 * `[N, H, W, C]`). In training mode it normalizes with the batch's statistics and updates
 * `running_mean` / `running_var` (unbiased variance) with `momentum`; in evaluation mode it
 * uses the running statistics. The running statistics are frozen state, never trained.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const bn = new mx.nn.BatchNorm(1);
 * bn.forward(mx.array([[1], [3]]));
 * console.log(String(bn.running_mean!), Object.keys(bn.trainableParameters())); // array([0.2], dtype=float32) [ "weight", "bias" ]
 * ```
 */
export class BatchNorm extends Module {
  weight?: MxArray;
  bias?: MxArray;
  /** Running mean (with `trackRunningStats`): frozen state, updated in training mode. */
  running_mean?: MxArray;
  /** Running (unbiased) variance (with `trackRunningStats`). */
  running_var?: MxArray;
  readonly #features: number;
  readonly #eps: number;
  readonly #momentum: number;
  readonly #track: boolean;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    checkDims("BatchNorm", "numFeatures", numFeatures);
    this.#eps = options.eps ?? 1e-5;
    checkEps("BatchNorm", this.#eps);
    this.#features = numFeatures;
    this.#momentum = options.momentum ?? 0.1;
    this.#track = options.trackRunningStats ?? true;
    if (options.affine ?? true) {
      this.weight = ones([numFeatures]);
      this.bias = zeros([numFeatures]);
    }
    if (this.#track) {
      this.running_mean = zeros([numFeatures]);
      this.running_var = ones([numFeatures]);
      super.freeze({ keys: ["running_mean", "running_var"], recurse: false });
    }
  }

  /** Unfreezes as `Module.unfreeze`, but the running statistics stay frozen. */
  override unfreeze(options: FreezeOptions = {}): this {
    super.unfreeze(options);
    if (this.#track) super.freeze({ keys: ["running_mean", "running_var"], recurse: false });
    return this;
  }

  protected override extraRepr(): string {
    return `${this.#features}, eps=${this.#eps}, momentum=${this.#momentum}, affine=${
      this.weight !== undefined
    }, ` +
      `track_running_stats=${this.#track}`;
  }

  /** Normalizes `x` (`[N, C]`, `[N, L, C]` or `[N, H, W, C]`) per feature. */
  forward(x: MxArray): MxArray {
    if (x.ndim < 2 || x.ndim > 4) {
      throw new MxError(
        "invalid_argument",
        `[BatchNorm] expects an input of 2, 3 or 4 dimensions; got shape [${x.shape}]`,
      );
    }
    checkFeatures("BatchNorm", x, this.#features);
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    if (this.training && x.shape.slice(0, -1).reduce((p, d) => p * d, 1) === 1) {
      throw new MxError(
        "invalid_argument",
        `[BatchNorm] training needs more than one value per feature; got shape [${x.shape}]`,
      );
    }
    let mu: MxArray;
    let sigma2: MxArray;
    if (this.training || !this.#track) {
      mu = mean(x, { axis: axes });
      sigma2 = variance(x, { axis: axes });
      if (this.training && this.#track) {
        const m = this.#momentum;
        using unbiased = variance(x, { axis: axes, ddof: 1 });
        // Module state outlives the call: kept past any tidy scope (a traced loss's).
        this.running_mean = keep(blend(this.running_mean!, mu, m));
        this.running_var = keep(blend(this.running_var!, unbiased, m));
      }
    } else {
      mu = this.running_mean!;
      sigma2 = this.running_var!;
    }
    using centered = subtract(x, mu);
    using shifted = add(sigma2, this.#eps);
    using scale = rsqrt(shifted);
    if (mu !== this.running_mean) {
      mu[Symbol.dispose]();
      sigma2[Symbol.dispose]();
    }
    return affine(multiply(centered, scale), this.weight, this.bias);
  }
}

/** `(1 - m) * old + m * next`, MLX's running-statistics update. */
function blend(old: MxArray, next: MxArray, m: number): MxArray {
  using kept = multiply(1 - m, old);
  using added = multiply(m, next);
  return add(kept, added);
}
