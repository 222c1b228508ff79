/**
 * Positional encodings (MLX's `nn.layers.positional_encoding`): RoPE (composed from ops as
 * MLX's `fast.rope` fallback computes it), SinusoidalPositionalEncoding and ALiBi.
 *
 * @module
 */

import { array, MxArray } from "../../array.ts";
import { arange } from "../../creation.ts";
import { type Dtype, float32 } from "../../dtype.ts";
import { MxError } from "../../errors.ts";
import { abs, add, cos, divide, exp, multiply, negative, sin, subtract } from "../../elementwise.ts";
import { index } from "../../indexing.ts";
import { concatenate, stack } from "../../joining.ts";
import { astype } from "../../ops.ts";
import { tidy } from "../../scope.ts";
import { expandDims, flatten, reshape } from "../../shapes.ts";
import { Module } from "../module.ts";

/** Options of `RoPE`. */
export interface RoPEOptions {
  /** Rotate consecutive pairs of features (default false: pairs half the dims apart). */
  traditional?: boolean;
  /** The base of the angular frequencies (default 10000). */
  base?: number;
  /** The scale of the positions (default 1). */
  scale?: number;
}

/**
 * Rotary positional encoding: the first `dims` features of each position are rotated by
 * angles `(offset + position) * scale * base^(-2i/dims)`; positions run along axis -2 of
 * inputs with at least 3 axes, and the features past `dims` are left unchanged.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const rope = new mx.nn.RoPE(4);
 * const y = rope.forward(mx.ones([1, 2, 4]));
 * console.log(y.shape, mx.index(y, 0, 0).tolist()); // [ 1, 2, 4 ] [1, 1, 1, 1] (position 0: no rotation)
 * ```
 */
export class RoPE extends Module {
  readonly dims: number;
  readonly traditional: boolean;
  readonly base: number;
  readonly scale: number;

  constructor(dims: number, options: RoPEOptions = {}) {
    super();
    if (!Number.isInteger(dims) || dims <= 0 || dims % 2 !== 0) {
      throw new MxError("invalid_argument", `[RoPE] dims must be a positive even integer; got ${dims}`);
    }
    this.dims = dims;
    this.traditional = options.traditional ?? false;
    this.base = options.base ?? 10000;
    this.scale = options.scale ?? 1;
    for (const [name, value] of [["base", this.base], ["scale", this.scale]] as const) {
      if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
        throw new MxError("invalid_argument", `[RoPE] ${name} must be a positive number; got ${value}`);
      }
    }
  }

  protected override extraRepr(): string {
    return `${this.dims}, traditional=${this.traditional}`;
  }

  /**
   * `x` (`[..., L, D]`, at least 3 axes, floating point) with positions `offset .. offset+L-1`
   * encoded; `offset` is a number, or an integer array: a scalar or one offset per batch
   * entry (axis 0).
   */
  forward(x: MxArray, offset: number | MxArray = 0): MxArray {
    const dims = this.dims;
    if (x.ndim < 3) {
      throw new MxError(
        "invalid_argument",
        `[RoPE] the input must have at least 3 axes; got shape [${x.shape}]`,
      );
    }
    if (x.dtype.category !== "floating") {
      throw new MxError("invalid_argument", `[RoPE] the input must be floating point; got ${x.dtype}`);
    }
    if (dims > x.shape[x.ndim - 1]!) {
      throw new MxError(
        "invalid_argument",
        `[RoPE] dims ${dims} exceeds the input's last axis (shape [${x.shape}])`,
      );
    }
    if (typeof offset === "number") {
      if (!Number.isInteger(offset)) {
        throw new MxError("invalid_argument", `[RoPE] offset must be an integer; got ${offset}`);
      }
    } else if (!(offset instanceof MxArray)) {
      throw new MxError("invalid_argument", `[RoPE] offset must be an integer or an integer array`);
    } else if (offset.ndim > 1 || (offset.size !== 1 && offset.size !== x.shape[0])) {
      throw new MxError(
        "invalid_argument",
        `[RoPE] offset must be a scalar or a vector of ${x.shape[0]} offsets; got shape [${offset.shape}]`,
      );
    } else if (offset.dtype.category !== "signedinteger" && offset.dtype.category !== "unsignedinteger") {
      throw new MxError("invalid_argument", `[RoPE] offset must be an integer array; got ${offset.dtype}`);
    }
    return tidy(() => {
      // As 4 axes [B, N, T, D], as MLX's fallback.
      const x4 = x.ndim === 3
        ? expandDims(x, 1)
        : x.ndim > 4
        ? flatten(x, { startAxis: 1, endAxis: x.ndim - 3 })
        : x;
      const [b, n, t, d] = x4.shape as [number, number, number, number];
      const half = dims / 2;
      let shift: MxArray | number = offset;
      if (offset instanceof MxArray) {
        shift = astype(offset.size > 1 ? expandDims(offset, [-1, -2]) : reshape(offset, []), float32);
      }
      const positions = multiply(add(arange(0, t, { dtype: float32 }), shift), array(this.scale, float32));
      // base^(-i/half) = exp(-i * log(base) / half), the exponent's factor rounded to float32.
      const logStep = Math.fround(Math.fround(Math.log(Math.fround(this.base))) / half);
      const invFreqs = exp(multiply(arange(0, -half, { step: -1, dtype: float32 }), array(logStep, float32)));
      const theta = multiply(expandDims(positions, -1), invFreqs);
      const c = astype(cos(theta), x.dtype);
      const s = astype(sin(theta), x.dtype);
      const rotate = (x1: MxArray, x2: MxArray) => [
        subtract(multiply(x1, c), multiply(x2, s)),
        add(multiply(x1, s), multiply(x2, c)),
      ];
      const rest = dims < d ? [index(x4, "...", `${dims}:`)] : [];
      let out: MxArray;
      if (this.traditional) {
        const [o1, o2] = rotate(index(x4, "...", `0:${dims}:2`), index(x4, "...", `1:${dims}:2`));
        out = concatenate([reshape(stack([o1!, o2!], { axis: -1 }), [b, n, t, dims]), ...rest], { axis: -1 });
      } else {
        const [o1, o2] = rotate(index(x4, "...", `0:${half}`), index(x4, "...", `${half}:${dims}`));
        out = concatenate([o1!, o2!, ...rest], { axis: -1 });
      }
      return reshape(out, x.shape);
    });
  }
}

/** Options of `SinusoidalPositionalEncoding`. */
export interface SinusoidalPositionalEncodingOptions {
  /** The lowest frequency (default 0.0001). */
  minFreq?: number;
  /** The highest frequency (default 1). */
  maxFreq?: number;
  /** A multiplier of the embeddings (default sqrt(2 / dims)). */
  scale?: number;
  /** Embed as `[cos, sin]` instead of `[sin, cos]` (default false). */
  cosFirst?: boolean;
  /** Multiply the frequencies by 2π (default false). */
  fullTurns?: boolean;
}

/**
 * Sinusoidal positional encoding ("Attention Is All You Need"): each position `p` becomes
 * `[sin(p * f), cos(p * f)] * scale` for `dims / 2` frequencies `f` spaced geometrically
 * from `maxFreq` down to `minFreq`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const encoding = new mx.nn.SinusoidalPositionalEncoding(4, { scale: 1 });
 * console.log(encoding.forward(mx.array([0, 1, 2])).shape); // [ 3, 4 ]
 * console.log(encoding.forward(mx.array([0])).tolist()); // [[0, 0, 1, 1]]
 * ```
 */
export class SinusoidalPositionalEncoding extends Module {
  readonly #sigmas: MxArray;
  readonly scale: number;
  readonly cosFirst: boolean;

  constructor(dims: number, options: SinusoidalPositionalEncodingOptions = {}) {
    super();
    if (!Number.isInteger(dims) || dims <= 0 || dims % 2 !== 0) {
      throw new MxError(
        "invalid_argument",
        `[SinusoidalPositionalEncoding] dims must be positive and even; got ${dims}`,
      );
    }
    const minFreq = options.minFreq ?? 0.0001;
    const maxFreq = options.maxFreq ?? 1;
    for (const [name, value] of [["minFreq", minFreq], ["maxFreq", maxFreq]] as const) {
      if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
        throw new MxError(
          "invalid_argument",
          `[SinusoidalPositionalEncoding] ${name} must be a positive number; got ${value}`,
        );
      }
    }
    const half = dims / 2;
    const logMin = Math.log(minFreq);
    const logMax = Math.log(maxFreq);
    this.#sigmas = tidy(() => {
      const oneZero = half === 1 ? array([1], float32) : subtract(1, divide(arange(0, half), half - 1));
      const sigmas = exp(add(multiply(oneZero, logMax - logMin), logMin));
      return options.fullTurns ? multiply(sigmas, 2 * Math.PI) : sigmas;
    });
    this.scale = options.scale ?? Math.sqrt(2 / dims);
    this.cosFirst = options.cosFirst ?? false;
  }

  /** The encodings of the positions `x` (any shape): shape `[...x.shape, dims]`. */
  forward(x: MxArray): MxArray {
    return tidy(() => {
      const y = multiply(expandDims(x, -1), this.#sigmas);
      const [c, s] = [cos(y), sin(y)];
      const out = concatenate(this.cosFirst ? [c, s] : [s, c], { axis: -1 });
      return this.scale !== 1 ? multiply(out, this.scale) : out;
    });
  }
}

/**
 * Attention with linear biases: adds `-slope_h * |i - j|` (one slope per head) to attention
 * scores `[B, heads, queries, keys]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const scores = mx.zeros([1, 2, 2, 2]);
 * console.log(mx.index(new mx.nn.ALiBi().forward(scores), 0, 1).tolist()); // [[0, -0.00390625], [-0.00390625, 0]]
 * ```
 */
export class ALiBi extends Module {
  /**
   * The `[1, heads, q - offset, k]` bias of queries `offset .. q-1` against keys `0 .. k-1`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.nn.ALiBi.createAlibiMatrix(2, 2, 1, 0).tolist()); // [[[[0, -0.00390625], [-0.00390625, 0]]]]
   * ```
   */
  static createAlibiMatrix(
    qSequenceLength: number,
    kSequenceLength: number,
    numHeads: number,
    offset: number,
    dtype: Dtype = float32,
  ): MxArray {
    for (
      const [name, value] of [["qSequenceLength", qSequenceLength], ["kSequenceLength", kSequenceLength], [
        "offset",
        offset,
      ]] as const
    ) {
      if (!Number.isInteger(value) || value < 0) {
        throw new MxError("invalid_argument", `[ALiBi] ${name} must be a non-negative integer; got ${value}`);
      }
    }
    return tidy(() => {
      const x1 = expandDims(arange(offset, qSequenceLength), 1);
      const x2 = expandDims(arange(0, kSequenceLength), 0);
      const distance = negative(abs(expandDims(subtract(x1, x2), [0, 1])));
      return astype(multiply(distance, ALiBi.createAlibiSlope(numHeads, dtype)), dtype);
    });
  }

  /**
   * The per-head slopes, `[heads, 1, 1]`: for n heads (a power of two) the geometric
   * sequence 2^(-8/n), 2^(-16/n), ...; other head counts take the slopes of the power of two
   * below and every other slope of the one above, as MLX.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(mx.nn.ALiBi.createAlibiSlope(2).tolist()); // [[[0.0625]], [[0.00390625]]]
   * ```
   */
  static createAlibiSlope(numHeads: number, dtype: Dtype = float32): MxArray {
    if (!Number.isInteger(numHeads) || numHeads <= 0) {
      throw new MxError(
        "invalid_argument",
        `[ALiBi] the number of heads must be a positive integer; got ${numHeads}`,
      );
    }
    const slopes = (n: number): number[] => {
      const log2 = Math.log2(n);
      if (Number.isInteger(log2)) {
        const start = 2 ** -(2 ** -(log2 - 3));
        return Array.from({ length: n }, (_, i) => start * start ** i);
      }
      const closest = 2 ** Math.floor(log2);
      return [...slopes(closest), ...slopes(2 * closest).filter((_, i) => i % 2 === 0).slice(0, n - closest)];
    };
    return tidy(() => expandDims(array(slopes(numHeads), dtype), [-1, -2]));
  }

  /**
   * `attentionScores` (`[B, heads, queries, keys]`) plus the bias for queries starting at
   * `offset`, plus `mask` if given.
   */
  forward(attentionScores: MxArray, offset = 0, mask?: MxArray): MxArray {
    if (attentionScores.ndim !== 4) {
      throw new MxError(
        "invalid_argument",
        `[ALiBi] the attention scores must be [batch, heads, queries, keys]; got shape [${attentionScores.shape}]`,
      );
    }
    const [, heads, queries, keys] = attentionScores.shape as [number, number, number, number];
    return tidy(() => {
      let bias = ALiBi.createAlibiMatrix(queries + offset, keys, heads, offset, attentionScores.dtype);
      if (mask !== undefined) bias = add(bias, mask);
      return add(attentionScores, bias);
    });
  }
}
