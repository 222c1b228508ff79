/**
 * Choosing the next token, as mlx-lm does: greedy at temperature 0, else top-p, min-p and
 * top-k filters on the log-probabilities and a categorical draw at the temperature; a
 * repetition penalty on recent tokens.
 *
 * @module
 */

import { array, type MxArray } from "../array.ts";
import { float32, int32 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { add, divide, exp, greaterEqual, less, multiply, negative } from "../elementwise.ts";
import { index, putAlongAxis, take, takeAlongAxis } from "../indexing.ts";
import { astype, where } from "../ops.ts";
import { argmax, cumsum, max, sum } from "../reductions.ts";
import { categorical, key as mxKey, split as splitKey } from "../random.ts";
import { argpartition, sort } from "../sorting.ts";
import { keep, tidy } from "../scope.ts";
import { broadcastTo, reshape } from "../shapes.ts";

/** Options of `makeSampler` (mlx-lm's names, camelCase). */
export interface SamplerOptions {
  /** Softmax temperature; 0 (default) picks the most likely token. */
  temperature?: number;
  /** Keep the smallest set of tokens whose probability reaches this mass (0 < p < 1). */
  topP?: number;
  /** Drop tokens less likely than this fraction of the most likely one (0 < p <= 1). */
  minP?: number;
  /** Keep this many most likely tokens. */
  topK?: number;
  /** Seed of the draws (default: the global generator; see `mx.random.seed`). */
  seed?: number;
}

/** Maps log-probabilities `[B, vocab]` to token ids `[B]`. */
export type Sampler = (logprobs: MxArray) => MxArray;

/**
 * A sampler with mlx-lm's chain: top-p, then min-p, then top-k, then a draw at the
 * temperature (or argmax at temperature 0).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const greedy = mx.models.makeSampler();
 * console.log(greedy(mx.log(mx.array([[0.1, 0.7, 0.2]]))).tolist()); // [ 1 ]
 * ```
 */
export function makeSampler(options: SamplerOptions = {}): Sampler {
  const temperature = options.temperature ?? 0;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new MxError("invalid_argument", `[makeSampler] temperature must be a number >= 0; got ${temperature}`);
  }
  if (temperature === 0) return (logprobs) => argmax(logprobs, { axis: -1 });
  const { topP = 0, minP = 0, topK = 0 } = options;
  if (!(topP >= 0 && topP <= 1)) throw new MxError("invalid_argument", `[makeSampler] topP must be in [0, 1]; got ${topP}`);
  if (!(minP >= 0 && minP <= 1)) throw new MxError("invalid_argument", `[makeSampler] minP must be in [0, 1]; got ${minP}`);
  if (!Number.isInteger(topK) || topK < 0) {
    throw new MxError("invalid_argument", `[makeSampler] topK must be an integer >= 0; got ${topK}`);
  }
  // With a seed, each draw splits its own key chain (reproducible whatever else draws).
  let key = options.seed === undefined ? undefined : keep(mxKey(options.seed));
  return (logprobs) =>
    tidy(() => {
      let x = logprobs;
      if (topP > 0 && topP < 1) x = applyTopP(x, topP);
      if (minP !== 0) x = applyMinP(x, minP);
      if (topK > 0) x = applyTopK(x, topK);
      const scaled = multiply(x, array(1 / temperature, x.dtype));
      if (key === undefined) return categorical(scaled);
      const keys = splitKey(key);
      key.dispose();
      key = keep(index(keys, 0));
      return categorical(scaled, { key: index(keys, 1) });
    });
}


/** Nucleus filtering (mlx-lm's apply_top_p): drops the least likely tokens outside the mass. */
export function applyTopP(logprobs: MxArray, topP: number): MxArray {
  return tidy(() => {
    const sorted = sort(logprobs, { axis: -1 });
    const probs = exp(astype(sorted, float32));
    const massAbove = cumsum(probs, { axis: -1, reverse: true, inclusive: false });
    const totalMass = add(index(massAbove, "...", "0:1"), index(probs, "...", "0:1"));
    const dropped = sum(greaterEqual(massAbove, multiply(totalMass, array(topP, float32))), { axis: -1, keepdims: true });
    const threshold = takeAlongAxis(sorted, astype(dropped, int32), { axis: -1 });
    return where(less(logprobs, threshold), array(-Infinity, logprobs.dtype), logprobs);
  });
}

/** Min-p filtering (mlx-lm's apply_min_p, one token always kept). */
export function applyMinP(logprobs: MxArray, minP: number): MxArray {
  return tidy(() => {
    const top = max(logprobs, { axis: -1, keepdims: true });
    const floor = add(top, array(Math.log(minP), top.dtype));
    return where(less(logprobs, floor), array(-Infinity, logprobs.dtype), logprobs);
  });
}

/** Top-k filtering (mlx-lm's apply_top_k). */
export function applyTopK(logprobs: MxArray, topK: number): MxArray {
  const vocab = logprobs.shape[logprobs.ndim - 1]!;
  if (!(topK > 0 && topK < vocab)) {
    throw new MxError("invalid_argument", `[applyTopK] topK must be in (0, ${vocab}); got ${topK}`);
  }
  return tidy(() => {
    const order = argpartition(negative(logprobs), topK - 1, { axis: -1 });
    const dropped = index(order, "...", `${topK}:`);
    return putAlongAxis(logprobs, dropped, array(-Infinity, logprobs.dtype), { axis: -1 });
  });
}

/**
 * mlx-lm's repetition penalty on logits `[B, vocab]` for the tokens among the last
 * `contextSize` of `tokens`: negative logits multiplied by `penalty`, positive ones divided.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const out = mx.models.applyRepetitionPenalty(mx.array([[2, -2, 1]]), [0, 1], 2);
 * console.log(out.tolist()); // [ [ 1, -4, 1 ] ]
 * ```
 */
export function applyRepetitionPenalty(logits: MxArray, tokens: readonly number[], penalty: number, contextSize = 20): MxArray {
  if (!(penalty >= 0)) {
    throw new MxError("invalid_argument", `[applyRepetitionPenalty] penalty must be a number >= 0; got ${penalty}`);
  }
  if (logits.ndim !== 2) {
    throw new MxError("invalid_argument", `[applyRepetitionPenalty] logits must be [batch, vocab]; got [${logits.shape}]`);
  }
  if (tokens.length === 0) return index(logits, "...");
  return tidy(() => {
    const recent = [...new Set(tokens.slice(-contextSize))];
    const ids = array(recent, int32);
    const selected = take(logits, ids, { axis: -1 });
    const penalized = where(
      less(selected, array(0, selected.dtype)),
      multiply(selected, array(penalty, selected.dtype)),
      divide(selected, array(penalty, selected.dtype)),
    );
    const rows = broadcastTo(reshape(ids, [1, recent.length]), [logits.shape[0]!, recent.length]);
    return putAlongAxis(logits, rows, penalized, { axis: -1 });
  });
}
