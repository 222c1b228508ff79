/**
 * `mx.nn.losses`: MLX's loss functions (`mlx/nn/losses.py`) with the same formulas
 * (numerically stable forms), defaults and reductions (`"none"`, `"mean"`, `"sum"`),
 * composed from core ops so they differentiate through `mx.grad`.
 *
 * @module
 */

import type { MxArray } from "../array.ts";
import { MxError } from "../errors.ts";
import {
  abs,
  add,
  clip,
  divide,
  exp,
  less,
  log,
  logaddexp,
  maximum,
  minimum,
  multiply,
  negative,
  power,
  square,
  stopGradient,
  subtract,
} from "../elementwise.ts";
import { where } from "../ops.ts";
import { logsumexp, max, mean, sum } from "../reductions.ts";
import { expandDims, normalizeAxis, squeeze } from "../shapes.ts";
import { takeAlongAxis } from "../indexing.ts";
import { norm } from "../linalg.ts";
import { tidy } from "../scope.ts";
import { checkArray, sameShape } from "./scalars.ts";

/** How a loss reduces its per-element values: keep them, their mean, or their sum. */
export type Reduction = "none" | "mean" | "sum";

/** The `reduction` option every loss takes. */
export interface ReductionOptions {
  /** `"none"`, `"mean"` or `"sum"` (each loss documents its default, as MLX). */
  reduction?: Reduction;
}

const reductions: readonly Reduction[] = ["none", "mean", "sum"];

function checkReduction(op: string, reduction: string): void {
  if (!reductions.includes(reduction as Reduction)) {
    throw new MxError(
      "invalid_argument",
      `[${op}] Invalid reduction '${reduction}'. Must be one of 'none', 'mean', 'sum'.`,
    );
  }
}

function reduce(loss: MxArray, reduction: Reduction): MxArray {
  if (reduction === "mean") return mean(loss);
  if (reduction === "sum") return sum(loss);
  return loss;
}

function checkSameShape(op: string, a: MxArray, aName: string, b: MxArray, bName: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new MxError(
      "invalid_argument",
      `[${op}] ${aName} shape [${a.shape}] does not match ${bName} shape [${b.shape}].`,
    );
  }
}

/** Validates the arrays and the reduction, then runs `body` in a scope and reduces. */
function lossOf(
  op: string,
  arrays: Record<string, unknown>,
  reduction: Reduction,
  body: () => MxArray,
): MxArray {
  for (const [name, value] of Object.entries(arrays)) {
    if (value !== undefined) checkArray(op, value, name);
  }
  checkReduction(op, reduction);
  return tidy(() => reduce(body(), reduction));
}

function applyWeights(op: string, loss: MxArray, weights: MxArray | undefined): MxArray {
  if (weights === undefined) return loss;
  if (!sameShape(weights.shape, loss.shape)) {
    throw new MxError(
      "invalid_argument",
      `[${op}] Weights with shape [${weights.shape}] is not the same as output loss with shape [${loss.shape}].`,
    );
  }
  return multiply(loss, weights);
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends ReductionOptions {
  /** Per-target weights, of the loss's shape (before reduction). */
  weights?: MxArray;
  /** The class axis (default -1). */
  axis?: number;
  /** Label smoothing in [0, 1) (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross entropy between logits and targets, which are class indices (the logits' shape
 * without `axis`) or probabilities (the logits' shape). Computed from the logits shifted by
 * their (constant) maximum: `logsumexp(z) - score`, with label smoothing
 * `logsumexp(z) - (1 - s) * score - s * mean(z)`.
 *
 * @param logits The unnormalized logits.
 * @param targets Class indices (integers) or per-class probabilities.
 * @param options `weights`, `axis` (default -1), `labelSmoothing` (default 0), `reduction`
 *   (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes, label smoothing outside [0, 1), an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const logits = mx.array([[2, -1], [-1, 2]]);
 * console.log(String(mx.nn.losses.crossEntropy(logits, mx.array([0, 1], mx.int32))));
 * // array([0.0485873, 0.0485873], dtype=float32)
 * const probs = mx.array([[0.9, 0.1], [0.1, 0.9]]);
 * console.log(String(mx.nn.losses.crossEntropy(logits, probs)));
 * // array([0.348587, 0.348587], dtype=float32)
 * ```
 */
export function crossEntropy(logits: MxArray, targets: MxArray, options: CrossEntropyOptions = {}): MxArray {
  const op = "crossEntropy";
  const { weights, labelSmoothing = 0, reduction = "none" } = options;
  return lossOf(op, { logits, targets, weights }, reduction, () => {
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
      throw new MxError(
        "invalid_argument",
        `[${op}] Label smoothing must be in [0, 1), got ${labelSmoothing}.`,
      );
    }
    const asProbs = targets.ndim === logits.ndim;
    const axis = normalizeAxis(op, options.axis ?? -1, logits.ndim);
    const expected = asProbs ? logits.shape : logits.shape.filter((_, i) => i !== axis);
    if (!sameShape(targets.shape, expected)) {
      throw new MxError(
        "invalid_argument",
        `[${op}] Targets shape [${targets.shape}] does not match logits shape [${logits.shape}].`,
      );
    }
    const z = subtract(logits, stopGradient(max(logits, { axis, keepdims: true })));
    const score = asProbs
      ? sum(multiply(z, targets), { axis })
      : squeeze(takeAlongAxis(z, expandDims(targets, axis), { axis }), { axis });
    const normalizer = logsumexp(z, { axis });
    let loss: MxArray;
    if (labelSmoothing > 0) {
      const adjusted = multiply(1 - labelSmoothing, score);
      const smoothed = multiply(negative(mean(z, { axis })), labelSmoothing);
      loss = add(subtract(normalizer, adjusted), smoothed);
    } else {
      loss = subtract(normalizer, score);
    }
    return applyWeights(op, loss, weights);
  });
}

/** Options of `binaryCrossEntropy`. */
export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** Per-element weights, of the inputs' shape. */
  weights?: MxArray;
  /** Whether the inputs are logits (default true) or probabilities. */
  withLogits?: boolean;
}

/**
 * Binary cross entropy. From logits (default): `logaddexp(0, x) - x * t`; from
 * probabilities: `-(t * log(p) + (1 - t) * log(1 - p))` with each log clipped below at -100.
 *
 * @param inputs Logits, or probabilities when `withLogits` is false.
 * @param targets Binary targets in {0, 1}, of the inputs' shape.
 * @param options `weights`, `withLogits` (default true), `reduction` (default `"mean"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const targets = mx.array([0, 0, 1, 1]);
 * const probs = mx.array([0.1, 0.1, 0.4, 0.4]);
 * console.log(String(mx.nn.losses.binaryCrossEntropy(probs, targets, { withLogits: false })));
 * // array(0.510826, dtype=float32)
 * ```
 */
export function binaryCrossEntropy(
  inputs: MxArray,
  targets: MxArray,
  options: BinaryCrossEntropyOptions = {},
): MxArray {
  const op = "binaryCrossEntropy";
  const { weights, withLogits = true, reduction = "mean" } = options;
  return lossOf(op, { inputs, targets, weights }, reduction, () => {
    checkSameShape(op, inputs, "Inputs", targets, "targets");
    let loss: MxArray;
    if (withLogits) {
      loss = subtract(logaddexp(0, inputs), multiply(inputs, targets));
    } else {
      const logP = clip(log(inputs), -100, null);
      const logNotP = clip(log(subtract(1, inputs)), -100, null);
      loss = negative(add(multiply(targets, logP), multiply(subtract(1, targets), logNotP)));
    }
    return applyWeights(op, loss, weights);
  });
}

/**
 * The L1 loss `|predictions - targets|`.
 *
 * @param predictions The predicted values.
 * @param targets The targets, of the predictions' shape.
 * @param options `reduction` (default `"mean"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.losses.l1Loss(mx.array([1, 2]), mx.array([2, 4])).item()); // 1.5
 * ```
 */
export function l1Loss(predictions: MxArray, targets: MxArray, options: ReductionOptions = {}): MxArray {
  const op = "l1Loss";
  return lossOf(op, { predictions, targets }, options.reduction ?? "mean", () => {
    checkSameShape(op, predictions, "Predictions", targets, "targets");
    return abs(subtract(predictions, targets));
  });
}

/**
 * The mean squared error `(predictions - targets)^2`.
 *
 * @param predictions The predicted values.
 * @param targets The targets, of the predictions' shape.
 * @param options `reduction` (default `"mean"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.losses.mseLoss(mx.array([1, 2]), mx.array([2, 4])).item()); // 2.5
 * ```
 */
export function mseLoss(predictions: MxArray, targets: MxArray, options: ReductionOptions = {}): MxArray {
  const op = "mseLoss";
  return lossOf(op, { predictions, targets }, options.reduction ?? "mean", () => {
    checkSameShape(op, predictions, "Predictions", targets, "targets");
    return square(subtract(predictions, targets));
  });
}

/** Options of the losses over a distribution axis. */
export interface AxisLossOptions extends ReductionOptions {
  /** The distribution axis (default -1). */
  axis?: number;
}

/**
 * The negative log likelihood `-inputs[target]` along `axis`, for log-probability inputs.
 *
 * @param inputs Log-probabilities.
 * @param targets Class indices (integers), the inputs' shape without `axis`.
 * @param options `axis` (default -1), `reduction` (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On indices that do not fit the inputs, or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const logp = mx.log(mx.array([[0.25, 0.75], [0.5, 0.5]]));
 * console.log(mx.nn.losses.nllLoss(logp, mx.array([1, 0], mx.int32)).tolist()); // [0.28768205642700195, 0.6931471824645996]
 * ```
 */
export function nllLoss(inputs: MxArray, targets: MxArray, options: AxisLossOptions = {}): MxArray {
  const op = "nllLoss";
  return lossOf(op, { inputs, targets }, options.reduction ?? "none", () => {
    const axis = options.axis ?? -1;
    return negative(squeeze(takeAlongAxis(inputs, expandDims(targets, axis), { axis }), { axis }));
  });
}

/** Options of `gaussianNllLoss`. */
export interface GaussianNllLossOptions extends ReductionOptions {
  /** Whether to add the constant `0.5 * log(2 * pi)` (default false). */
  full?: boolean;
  /** The lower bound of the variances (default 1e-6). */
  eps?: number;
}

/**
 * The Gaussian negative log likelihood `0.5 * (log(v) + (targets - inputs)^2 / v)` with
 * `v = max(vars, eps)` (plus `0.5 * log(2 * pi)` when `full`).
 *
 * @param inputs The predicted means.
 * @param targets Samples, of the inputs' shape.
 * @param vars The predicted variances, of the inputs' shape.
 * @param options `full` (default false), `eps` (default 1e-6), `reduction` (default `"mean"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const loss = mx.nn.losses.gaussianNllLoss(mx.array([0]), mx.array([2]), mx.array([1]));
 * console.log(loss.item()); // 2
 * ```
 */
export function gaussianNllLoss(
  inputs: MxArray,
  targets: MxArray,
  vars: MxArray,
  options: GaussianNllLossOptions = {},
): MxArray {
  const op = "gaussianNllLoss";
  const { full = false, eps = 1e-6 } = options;
  return lossOf(op, { inputs, targets, vars }, options.reduction ?? "mean", () => {
    checkSameShape(op, inputs, "Inputs", targets, "targets");
    checkSameShape(op, inputs, "Inputs", vars, "vars");
    const v = maximum(vars, eps);
    const loss = multiply(0.5, add(log(v), divide(square(subtract(targets, inputs)), v)));
    return full ? add(loss, 0.5 * Math.log(2 * Math.PI)) : loss;
  });
}

/**
 * The Kullback-Leibler divergence `sum(exp(targets) * (targets - inputs), axis)` for
 * log-probability inputs and targets.
 *
 * @param inputs Log-probabilities of the predicted distribution.
 * @param targets Log-probabilities of the target distribution.
 * @param options `axis` (default -1), `reduction` (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On shapes that do not broadcast or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const p = mx.log(mx.array([0.5, 0.5]));
 * console.log(mx.nn.losses.klDivLoss(p, p).item()); // 0
 * ```
 */
export function klDivLoss(inputs: MxArray, targets: MxArray, options: AxisLossOptions = {}): MxArray {
  const op = "klDivLoss";
  return lossOf(op, { inputs, targets }, options.reduction ?? "none", () => {
    return sum(multiply(exp(targets), subtract(targets, inputs)), { axis: options.axis ?? -1 });
  });
}

/**
 * The smooth L1 loss: `0.5 * d^2 / beta` where `d = |predictions - targets| < beta`,
 * else `d - 0.5 * beta`.
 *
 * @param predictions The predicted values.
 * @param targets The targets, of the predictions' shape.
 * @param options `beta` (default 1), `reduction` (default `"mean"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const loss = mx.nn.losses.smoothL1Loss(mx.array([0, 0]), mx.array([0.5, 3]), { reduction: "none" });
 * console.log(loss.tolist()); // [0.125, 2.5]
 * ```
 */
export function smoothL1Loss(
  predictions: MxArray,
  targets: MxArray,
  options: { beta?: number } & ReductionOptions = {},
): MxArray {
  const op = "smoothL1Loss";
  const beta = options.beta ?? 1;
  return lossOf(op, { predictions, targets }, options.reduction ?? "mean", () => {
    checkSameShape(op, predictions, "Predictions", targets, "targets");
    const diff = abs(subtract(predictions, targets));
    const quadratic = divide(multiply(0.5, square(diff)), beta);
    return where(less(diff, beta), quadratic, subtract(abs(diff), 0.5 * beta));
  });
}

/** Options of `tripletLoss`. */
export interface TripletLossOptions extends AxisLossOptions {
  /** The norm degree of the distances (default 2). */
  p?: number;
  /** The margin (default 1). */
  margin?: number;
  /** Added to the p-norm sums before the 1/p power (default 1e-6). */
  eps?: number;
}

/**
 * The triplet loss `max(|a - p|_p - |a - n|_p + margin, 0)`, the distances taken along `axis`
 * as `(sum(|x|^p) + eps)^(1/p)`.
 *
 * @param anchors The anchor samples.
 * @param positives The positive samples.
 * @param negatives The negative samples.
 * @param options `axis` (default -1), `p` (default 2), `margin` (default 1), `eps` (default
 *   1e-6), `reduction` (default `"none"`).
 * @returns The loss (lazy): the inputs' shape without `axis`, or a scalar when reduced.
 * @throws {MxError} On shapes that do not broadcast or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[0, 0]]);
 * const loss = mx.nn.losses.tripletLoss(a, mx.array([[3, 4]]), mx.array([[0, 1]]), { eps: 0 });
 * console.log(loss.tolist()); // [5]
 * ```
 */
export function tripletLoss(
  anchors: MxArray,
  positives: MxArray,
  negatives: MxArray,
  options: TripletLossOptions = {},
): MxArray {
  const op = "tripletLoss";
  const { axis = -1, p = 2, margin = 1, eps = 1e-6 } = options;
  return lossOf(op, { anchors, positives, negatives }, options.reduction ?? "none", () => {
    const distance = (other: MxArray) =>
      power(add(sum(power(abs(subtract(anchors, other)), p), { axis }), eps), 1 / p);
    return maximum(add(subtract(distance(positives), distance(negatives)), margin), 0);
  });
}

/**
 * The hinge loss `max(1 - inputs * targets, 0)` for targets in {-1, 1}.
 *
 * @param inputs The predicted values.
 * @param targets The targets (-1 or 1).
 * @param options `reduction` (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On shapes that do not broadcast or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.losses.hingeLoss(mx.array([0.5, 2]), mx.array([1, 1])).tolist()); // [0.5, 0]
 * ```
 */
export function hingeLoss(inputs: MxArray, targets: MxArray, options: ReductionOptions = {}): MxArray {
  const op = "hingeLoss";
  return lossOf(op, { inputs, targets }, options.reduction ?? "none", () => {
    return maximum(subtract(1, multiply(inputs, targets)), 0);
  });
}

/**
 * The Huber loss: `0.5 * e^2` for `|e| <= delta`, else `delta * (|e| - 0.5 * delta)`, with
 * `e = inputs - targets`.
 *
 * @param inputs The predicted values.
 * @param targets The targets.
 * @param options `delta` (default 1), `reduction` (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On shapes that do not broadcast or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.losses.huberLoss(mx.array([0.5, 3]), mx.array([0, 0])).tolist()); // [0.125, 2.5]
 * ```
 */
export function huberLoss(
  inputs: MxArray,
  targets: MxArray,
  options: { delta?: number } & ReductionOptions = {},
): MxArray {
  const op = "huberLoss";
  const delta = options.delta ?? 1;
  return lossOf(op, { inputs, targets }, options.reduction ?? "none", () => {
    const absErrors = abs(subtract(inputs, targets));
    const quadratic = minimum(absErrors, delta);
    const linear = subtract(absErrors, quadratic);
    return add(multiply(0.5, power(quadratic, 2)), multiply(delta, linear));
  });
}

/**
 * The log-cosh loss `log(cosh(inputs - targets))`, computed as `logaddexp(e, -e) - log(2)`.
 *
 * @param inputs The predicted values.
 * @param targets The targets.
 * @param options `reduction` (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On shapes that do not broadcast or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.losses.logCoshLoss(mx.array([1]), mx.array([1])).tolist()); // [0]
 * ```
 */
export function logCoshLoss(inputs: MxArray, targets: MxArray, options: ReductionOptions = {}): MxArray {
  const op = "logCoshLoss";
  return lossOf(op, { inputs, targets }, options.reduction ?? "none", () => {
    const errors = subtract(inputs, targets);
    return subtract(logaddexp(errors, negative(errors)), Math.LN2);
  });
}

/** Options of `cosineSimilarityLoss`. */
export interface CosineSimilarityLossOptions extends ReductionOptions {
  /** The embedding axis (default 1). */
  axis?: number;
  /** The lower bound of the norms' product (default 1e-8). */
  eps?: number;
}

/**
 * The cosine similarity `sum(x1 * x2) / max(|x1| * |x2|, eps)` along `axis` (MLX's
 * "loss" is the similarity itself, not one minus it).
 *
 * @param x1 The first inputs.
 * @param x2 The second inputs.
 * @param options `axis` (default 1), `eps` (default 1e-8), `reduction` (default `"none"`).
 * @returns The similarities (lazy).
 * @throws {MxError} On shapes that do not broadcast, an axis out of range or an invalid
 *   reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.array([[1, 0], [0, 2]]);
 * console.log(mx.nn.losses.cosineSimilarityLoss(x, mx.array([[2, 0], [1, 0]])).tolist()); // [1, 0]
 * ```
 */
export function cosineSimilarityLoss(
  x1: MxArray,
  x2: MxArray,
  options: CosineSimilarityLossOptions = {},
): MxArray {
  const op = "cosineSimilarityLoss";
  const { axis = 1, eps = 1e-8 } = options;
  return lossOf(op, { x1, x2 }, options.reduction ?? "none", () => {
    const norms = multiply(norm(x1, undefined, { axis }), norm(x2, undefined, { axis }));
    return divide(sum(multiply(x1, x2), { axis }), maximum(norms, eps));
  });
}

/**
 * The margin ranking loss `max(0, -targets * (inputs1 - inputs2) + margin)` for targets in
 * {-1, 1}.
 *
 * @param inputs1 Scores of the first inputs.
 * @param inputs2 Scores of the second inputs, of the same shape.
 * @param targets 1 where `inputs1` should rank higher, -1 where lower; of the same shape.
 * @param options `margin` (default 0), `reduction` (default `"none"`).
 * @returns The loss (lazy).
 * @throws {MxError} On mismatched shapes or an invalid reduction.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const loss = mx.nn.losses.marginRankingLoss(mx.array([1, 1]), mx.array([3, 0]), mx.array([1, 1]));
 * console.log(loss.tolist()); // [2, 0]
 * ```
 */
export function marginRankingLoss(
  inputs1: MxArray,
  inputs2: MxArray,
  targets: MxArray,
  options: { margin?: number } & ReductionOptions = {},
): MxArray {
  const op = "marginRankingLoss";
  return lossOf(op, { inputs1, inputs2, targets }, options.reduction ?? "none", () => {
    if (!sameShape(inputs1.shape, inputs2.shape) || !sameShape(inputs1.shape, targets.shape)) {
      throw new MxError(
        "invalid_argument",
        `[${op}] The shapes of the arguments do not match: inputs1 [${inputs1.shape}], ` +
          `inputs2 [${inputs2.shape}], targets [${targets.shape}].`,
      );
    }
    const differences = subtract(inputs1, inputs2);
    return maximum(0, add(multiply(negative(targets), differences), options.margin ?? 0));
  });
}
