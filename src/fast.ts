/**
 * `mx.fast`: the fused operations transformers spend their time in (MLX's `mlx.core.fast`):
 * `rmsNorm`, `layerNorm`, `rope` and `scaledDotProductAttention`, with MLX's semantics and
 * dtype rules (inputs promoted to one floating type, arithmetic in float32). Each is one fused
 * native kernel with a native vjp (the norms' backward, the inverse rotation, attention's
 * backward recomputing the probabilities), so grad, vmap and compile apply to them.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { checkHandle, MxError } from "./errors.ts";

/**
 * Root-mean-square normalization over the last axis: `x / sqrt(mean(x²) + eps) * weight`,
 * accumulated in float32.
 *
 * @param x The input (floating point, at least 1-D).
 * @param weight Per-feature scale (`[x.shape[-1]]`), or null.
 * @param eps Added to the mean square.
 * @returns The normalized `x` in the promoted dtype of `x` and `weight`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fast.rmsNorm(mx.array([[3, 4]]), null, 0).tolist()); // [ [ 0.8485281467437744, 1.1313709020614624 ] ]
 * ```
 */
export function rmsNorm(x: MxArray, weight: MxArray | null, eps: number): MxArray {
  const handle = native.fast_norm(0, x.handle("rmsNorm"), weight === null ? 0 : weight.handle("rmsNorm"), 0, eps);
  return new MxArray(checkHandle(handle));
}

/**
 * Layer normalization over the last axis: `(x - mean) / sqrt(var + eps) * weight + bias`,
 * accumulated in float32.
 *
 * @param x The input (floating point, at least 1-D).
 * @param weight Per-feature scale, or null.
 * @param bias Per-feature shift, or null.
 * @param eps Added to the variance.
 * @returns The normalized `x`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.fast.layerNorm(mx.array([[1, 3]]), null, null, 0).tolist()); // [[-1, 1]]
 * ```
 */
export function layerNorm(x: MxArray, weight: MxArray | null, bias: MxArray | null, eps: number): MxArray {
  const handle = native.fast_norm(
    1,
    x.handle("layerNorm"),
    weight === null ? 0 : weight.handle("layerNorm"),
    bias === null ? 0 : bias.handle("layerNorm"),
    eps,
  );
  return new MxArray(checkHandle(handle));
}

/** Options of `rope`. */
export interface RopeOptions {
  /** Rotate adjacent pairs (2i, 2i+1) instead of the two halves (default false). */
  traditional?: boolean;
  /** The frequency base (default 10000; ignored with `freqs`). */
  base?: number;
  /** A multiplier of the positions (default 1). */
  scale?: number;
  /** The first position (default 0), a number or a scalar integer array. */
  offset?: number | MxArray;
  /** Custom per-pair periods (`[dims / 2]`): angle = position / freqs[i]. */
  freqs?: MxArray;
}

/**
 * Rotary positional encoding of the first `dims` features of `x` (`[..., L, D]`), for
 * positions `offset .. offset + L - 1`.
 *
 * @param x The input (floating point, at least 2-D: `[..., L, D]`).
 * @param dims How many leading features to rotate (even, at most D).
 * @param options `traditional`, `base`, `scale`, `offset`, `freqs`.
 * @returns The encoded `x`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.ones([1, 2, 4]);
 * console.log(mx.fast.rope(x, 4, { offset: 0 }).shape); // [ 1, 2, 4 ]
 * ```
 */
export function rope(x: MxArray, dims: number, options: RopeOptions = {}): MxArray {
  if (!Number.isInteger(dims)) throw new MxError("invalid_argument", `[rope] dims must be an integer; got ${dims}`);
  const offset = options.offset ?? 0;
  if (typeof offset === "number" && (!Number.isInteger(offset) || Math.abs(offset) > 2 ** 31 - 1)) {
    throw new MxError("invalid_argument", `[rope] offset must be a 32-bit integer; got ${offset}`);
  }
  const handle = native.fast_rope(
    x.handle("rope"),
    dims,
    (options.traditional ?? false) ? 1 : 0,
    options.base ?? 10000,
    options.scale ?? 1,
    typeof offset === "number" ? offset : 0,
    offset instanceof MxArray ? offset.handle("rope") : 0,
    options.freqs === undefined ? 0 : options.freqs.handle("rope"),
  );
  return new MxArray(checkHandle(handle));
}

/** Options of `scaledDotProductAttention`. */
export interface SdpaOptions {
  /** The factor of the scores (usually 1/sqrt(head dim)). */
  scale: number;
  /**
   * `"causal"` (query i sees keys up to its position, the queries being the last of the
   * keys), a boolean array (true = attend) or an additive array, broadcast to the scores
   * `[B, H, L, S]`.
   */
  mask?: "causal" | MxArray;
}

/**
 * `softmax(q kᵀ * scale + mask) v` for queries `[B, H, L, D]` and keys / values
 * `[B, Hkv, S, D]`; with fewer key heads than query heads (grouped-query attention) each key
 * head serves `H / Hkv` query heads. The softmax runs in float32.
 *
 * @param q Queries.
 * @param k Keys.
 * @param v Values.
 * @param options `scale` and `mask`.
 * @returns `[B, H, L, D]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const q = mx.ones([1, 4, 3, 8]), kv = mx.ones([1, 2, 3, 8]);
 * console.log(mx.fast.scaledDotProductAttention(q, kv, kv, { scale: 0.35, mask: "causal" }).shape); // [ 1, 4, 3, 8 ]
 * ```
 */
export function scaledDotProductAttention(q: MxArray, k: MxArray, v: MxArray, options: SdpaOptions): MxArray {
  const op = "scaledDotProductAttention";
  const mask = options.mask;
  if (mask !== undefined && mask !== "causal" && !(mask instanceof MxArray)) {
    throw new MxError("invalid_argument", `[${op}] mask must be "causal" or an array; got ${String(mask)}`);
  }
  const handle = native.fast_attention(
    q.handle(op),
    k.handle(op),
    v.handle(op),
    options.scale,
    mask === "causal" ? 1 : 0,
    mask instanceof MxArray ? mask.handle(op) : 0,
  );
  return new MxArray(checkHandle(handle));
}
