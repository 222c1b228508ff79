/**
 * `mx.fast`: the fused operations transformers spend their time in (MLX's `mlx.core.fast`):
 * `rmsNorm`, `layerNorm`, `rope` and `scaledDotProductAttention`, with MLX's semantics and
 * dtype rules (half-precision inputs are normalized in float32). They are composed from the
 * core ops here, so every transform (grad, vmap, compile) applies to them.
 *
 * @module
 */

import { array, MxArray } from "./array.ts";
import { arange, zeros } from "./creation.ts";
import { bool, type Dtype, float32 } from "./dtype.ts";
import { MxError } from "./errors.ts";
import { add, cos, divide, exp, greaterEqual, multiply, rsqrt, sin, square, subtract } from "./elementwise.ts";
import { index } from "./indexing.ts";
import { concatenate, stack } from "./joining.ts";
import { matmul } from "./linalg_basic.ts";
import { astype, where } from "./ops.ts";
import { mean, softmax } from "./reductions.ts";
import { tidy } from "./scope.ts";
import { expandDims, reshape, swapaxes } from "./shapes.ts";

/** The dtype MLX's promotion gives `a` and `b` (read off an empty product). */
function promoteTypes(a: Dtype, b: Dtype): Dtype {
  if (a === b) return a;
  using x = zeros([0], a);
  using y = zeros([0], b);
  using product = multiply(x, y);
  return product.dtype;
}

function checkFloating(op: string, name: string, a: MxArray): void {
  if (a.dtype.category !== "floating") {
    throw new MxError("invalid_argument", `[${op}] ${name} must be floating point; got ${a.dtype}`);
  }
}

function checkFeatures(op: string, name: string, a: MxArray, x: MxArray): void {
  if (a.ndim !== 1 || a.shape[0] !== x.shape[x.ndim - 1]) {
    throw new MxError(
      "shape_mismatch",
      `[${op}] ${name} must have shape [${x.shape[x.ndim - 1]}] (the last axis of x, [${x.shape}]); got [${a.shape}]`,
    );
  }
}

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
  checkFloating("rmsNorm", "x", x);
  if (x.ndim === 0) throw new MxError("invalid_argument", "[rmsNorm] x must have at least one axis");
  if (weight !== null) {
    checkFloating("rmsNorm", "weight", weight);
    checkFeatures("rmsNorm", "weight", weight, x);
  }
  const outType = weight === null ? x.dtype : promoteTypes(x.dtype, weight.dtype);
  return tidy(() => {
    const xf = astype(x, float32);
    const normalized = multiply(xf, rsqrt(add(mean(square(xf), { axis: -1, keepdims: true }), array(eps, float32))));
    const out = astype(normalized, outType);
    return weight === null ? out : multiply(out, weight);
  });
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
  checkFloating("layerNorm", "x", x);
  if (x.ndim === 0) throw new MxError("invalid_argument", "[layerNorm] x must have at least one axis");
  let outType: Dtype = x.dtype;
  for (const [name, p] of [["weight", weight], ["bias", bias]] as const) {
    if (p === null) continue;
    checkFloating("layerNorm", name, p);
    checkFeatures("layerNorm", name, p, x);
    outType = promoteTypes(outType, p.dtype);
  }
  return tidy(() => {
    const xf = astype(x, float32);
    const centered = subtract(xf, mean(xf, { axis: -1, keepdims: true }));
    const variance = mean(square(centered), { axis: -1, keepdims: true });
    let out = astype(multiply(centered, rsqrt(add(variance, array(eps, float32)))), outType);
    if (weight !== null) out = multiply(out, weight);
    if (bias !== null) out = add(out, bias);
    return out;
  });
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
  checkFloating("rope", "x", x);
  if (x.ndim < 2) throw new MxError("invalid_argument", `[rope] x must have at least 2 axes; got shape [${x.shape}]`);
  const d = x.shape[x.ndim - 1]!;
  if (!Number.isInteger(dims) || dims <= 0 || dims % 2 !== 0 || dims > d) {
    throw new MxError("invalid_argument", `[rope] dims must be a positive even integer at most ${d}; got ${dims}`);
  }
  const half = dims / 2;
  const freqs = options.freqs;
  if (freqs !== undefined && (freqs.ndim !== 1 || freqs.shape[0] !== half)) {
    throw new MxError("shape_mismatch", `[rope] freqs must have shape [${half}]; got [${freqs.shape}]`);
  }
  const offset = options.offset ?? 0;
  if (typeof offset === "number" && !Number.isInteger(offset)) {
    throw new MxError("invalid_argument", `[rope] offset must be an integer; got ${offset}`);
  }
  const base = options.base ?? 10000;
  const scale = options.scale ?? 1;
  return tidy(() => {
    const t = x.shape[x.ndim - 2]!;
    const shift = offset instanceof MxArray ? astype(reshape(offset, []), float32) : offset;
    const positions = multiply(add(arange(0, t, { dtype: float32 }), shift), array(scale, float32));
    let invFreqs: MxArray;
    if (freqs !== undefined) {
      invFreqs = divide(array(1, float32), astype(freqs, float32));
    } else {
      // base^(-i/half) = exp(-i * log(base) / half), the exponent's factor rounded to float32.
      const logStep = Math.fround(Math.fround(Math.log(Math.fround(base))) / half);
      invFreqs = exp(multiply(arange(0, -half, { step: -1, dtype: float32 }), array(logStep, float32)));
    }
    const theta = multiply(expandDims(positions, -1), invFreqs);
    const c = astype(cos(theta), x.dtype);
    const s = astype(sin(theta), x.dtype);
    const rotate = (x1: MxArray, x2: MxArray) => [
      subtract(multiply(x1, c), multiply(x2, s)),
      add(multiply(x1, s), multiply(x2, c)),
    ];
    const rest = dims < d ? [index(x, "...", `${dims}:`)] : [];
    if (options.traditional ?? false) {
      const [o1, o2] = rotate(index(x, "...", `0:${dims}:2`), index(x, "...", `1:${dims}:2`));
      const pairs = reshape(stack([o1!, o2!], { axis: -1 }), [...x.shape.slice(0, -1), dims]);
      return rest.length > 0 ? concatenate([pairs, ...rest], { axis: -1 }) : pairs;
    }
    const [o1, o2] = rotate(index(x, "...", `0:${half}`), index(x, "...", `${half}:${dims}`));
    return concatenate([o1!, o2!, ...rest], { axis: -1 });
  });
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
  for (const [name, a] of [["queries", q], ["keys", k], ["values", v]] as const) {
    checkFloating(op, name, a);
    if (a.ndim !== 4) throw new MxError("invalid_argument", `[${op}] ${name} must be [B, heads, length, dims]; got [${a.shape}]`);
  }
  const [b, heads, l, dq] = q.shape as [number, number, number, number];
  const [kb, kvHeads, s, dk] = k.shape as [number, number, number, number];
  if (kb !== b || dk !== dq || v.shape[0] !== b || v.shape[1] !== kvHeads || v.shape[2] !== s) {
    throw new MxError("shape_mismatch", `[${op}] queries [${q.shape}], keys [${k.shape}] and values [${v.shape}] do not fit`);
  }
  if (heads % kvHeads !== 0) {
    throw new MxError("shape_mismatch", `[${op}] ${heads} query heads are not a multiple of ${kvHeads} key heads`);
  }
  const mask = options.mask;
  return tidy(() => {
    const repeats = heads / kvHeads;
    // Grouped heads: [B, Hkv, repeats, L, D] against [B, Hkv, 1, S, D].
    const q5 = reshape(multiply(q, array(options.scale, q.dtype)), [b, kvHeads, repeats, l, dq]);
    const k5 = expandDims(k, 2);
    const v5 = expandDims(v, 2);
    let scores = astype(matmul(q5, swapaxes(k5, -1, -2)), float32);
    if (mask !== undefined) {
      let m: MxArray;
      if (mask === "causal") {
        const first = s - l;
        m = greaterEqual(expandDims(arange(first, first + l), 1), expandDims(arange(0, s), 0));
      } else {
        if (mask.ndim > 4) throw new MxError("invalid_argument", `[${op}] the mask must have at most 4 axes; got [${mask.shape}]`);
        // Mask axes [B, H, L, S] -> [B, Hkv, repeats, L, S].
        const m4 = mask.ndim < 4 ? reshape(mask, [...new Array<number>(4 - mask.ndim).fill(1), ...mask.shape]) : mask;
        const mh = m4.shape[1]!;
        if (mh !== 1 && mh !== heads) {
          throw new MxError("shape_mismatch", `[${op}] the mask of shape [${mask.shape}] does not broadcast to the scores [${b}, ${heads}, ${l}, ${s}]`);
        }
        m = mh === 1 ? expandDims(m4, 2) : reshape(m4, [m4.shape[0]!, kvHeads, repeats, m4.shape[2]!, m4.shape[3]!]);
      }
      scores = m.dtype === bool ? where(m, scores, array(-3.4028234663852886e38, float32)) : add(scores, astype(m, float32));
    }
    const weights = astype(softmax(scores, { axis: -1 }), v.dtype);
    return reshape(matmul(weights, v5), [b, heads, l, dq]);
  });
}
