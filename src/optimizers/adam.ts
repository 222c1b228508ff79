/**
 * Adam, AdamW, Adamax and Lion (MLX's formulas, operation for operation).
 *
 * @module
 */

import { array, type MxArray } from "../array.ts";
import { float32 } from "../dtype.ts";
import {
  abs,
  add,
  divide,
  maximum,
  multiply,
  power,
  rsqrt,
  sign,
  sqrt,
  square,
  subtract,
} from "../elementwise.ts";
import { astype } from "../ops.ts";
import { zerosLike } from "../creation.ts";
import { compile } from "../compile.ts";
import { checkBetas, checkNumber, type LearningRate, Optimizer, type ParameterState } from "./optimizer.ts";

/** Options of `Adam`. */
export interface AdamOptions {
  /** Coefficients of the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Divide the moments by `1 - beta^step` (default false, as MLX). */
  biasCorrection?: boolean;
}

/** `beta ** step` with `beta` as a float32 scalar (MLX's Python float to the uint64 step). */
function powerOfStep(beta: number, step: MxArray): MxArray {
  using base = array(beta, float32);
  return power(base, step);
}

/**
 * Adam: `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
 * `w = w - lr m / (sqrt(v) + eps)`; with `biasCorrection`, `m` and `v` are divided by
 * `1 - b1^t` and `1 - b2^t`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.Adam(0.1, { biasCorrection: true });
 * const p = opt.applyGradients({ w: mx.array([5]) }, { w: mx.array([1]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [0.9000006914138794]
 * ```
 */
export class Adam extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly biasCorrection: boolean;

  /** The elementwise update `(g, w, m, v, scale, c2) -> [w', m', v']` compiled once per
   * optimizer: one fused pass over each parameter instead of about a dozen (same ops, same
   * results). `scale` is the learning rate (times the bias correction of m); `c2` the bias
   * correction of v (1 without bias correction). */
  readonly #update: (g: MxArray, w: MxArray, m: MxArray, v: MxArray, scale: MxArray, c2: MxArray) => MxArray[];

  constructor(learningRate: LearningRate, options: AdamOptions = {}) {
    super();
    this.betas = checkBetas(this.opName, options.betas ?? [0.9, 0.999]);
    this.eps = checkNumber(this.opName, "eps", options.eps ?? 1e-8, (v) => v >= 0, ">= 0");
    this.biasCorrection = options.biasCorrection ?? false;
    this.maybeSchedule("learning_rate", learningRate);
    const [b1, b2] = this.betas;
    const eps = this.eps;
    const corrected = this.biasCorrection;
    this.#update = compile((g: MxArray, w: MxArray, m: MxArray, v: MxArray, scale: MxArray, c2: MxArray) => {
      const m2 = add(multiply(b1, m), multiply(1 - b1, g));
      const v2 = add(multiply(b2, v), multiply(1 - b2, square(g)));
      const denominator = corrected ? add(multiply(sqrt(v2), c2), eps) : add(sqrt(v2), eps);
      return [subtract(w, divide(multiply(scale, m2), denominator)), m2, v2];
    });
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.m = zerosLike(parameter);
    state.v = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    return this.adamStep(gradient, parameter, state);
  }

  /** Adam's update of `parameter` (AdamW passes the decayed parameter). */
  protected adamStep(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const [b1, b2] = this.betas;
    const scale = this.biasCorrection
      ? astype(divide(lr, subtract(1, powerOfStep(b1, this.step))), gradient.dtype)
      : lr;
    const c2 = this.biasCorrection ? astype(rsqrt(subtract(1, powerOfStep(b2, this.step))), gradient.dtype) : lr;
    const [next, m, v] = this.#update(gradient, parameter, state.m!, state.v!, scale, c2) as [MxArray, MxArray, MxArray];
    state.m = m;
    state.v = v;
    return next;
  }
}

/** Options of `AdamW`. */
export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay (default 0.01). */
  weightDecay?: number;
}

/**
 * AdamW: Adam applied to `w (1 - lr weightDecay)` (decoupled weight decay).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.AdamW(0.1, { weightDecay: 0.5 });
 * const p = opt.applyGradients({ w: mx.array([0]) }, { w: mx.array([2]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [1.899999976158142]
 * ```
 */
export class AdamW extends Adam {
  readonly weightDecay: number;

  constructor(learningRate: LearningRate, options: AdamWOptions = {}) {
    super(learningRate, options);
    this.weightDecay = checkNumber("AdamW", "weightDecay", options.weightDecay ?? 0.01);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const decayed = multiply(parameter, subtract(1, multiply(lr, this.weightDecay)));
    return this.adamStep(gradient, decayed, state);
  }
}

/**
 * Adamax (Adam with the infinity norm): `m = b1 m + (1 - b1) g`, `v = max(b2 v, |g|)`,
 * `w = w - lr m / (v + eps)`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.Adamax(0.1);
 * const p = opt.applyGradients({ w: mx.array([-4]) }, { w: mx.array([0]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [0.010000000707805157]
 * ```
 */
export class Adamax extends Adam {
  constructor(learningRate: LearningRate, options: Omit<AdamOptions, "biasCorrection"> = {}) {
    super(learningRate, { betas: options.betas, eps: options.eps });
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const [b1, b2] = this.betas;
    const m = add(multiply(b1, state.m!), multiply(1 - b1, gradient));
    const v = maximum(multiply(b2, state.v!), abs(gradient));
    state.m = m;
    state.v = v;
    return subtract(parameter, divide(multiply(lr, m), add(v, this.eps)));
  }
}

/** Options of `Lion`. */
export interface LionOptions {
  /** Coefficients of the update direction and of the momentum (default [0.9, 0.99]). */
  betas?: readonly [number, number];
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
}

/**
 * Lion: `c = b1 m + (1 - b1) g`, `m = b2 m + (1 - b2) g`, `w = w (1 - lr wd) - lr sign(c)`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.Lion(0.1);
 * const p = opt.applyGradients({ w: mx.array([3, -0.5]) }, { w: mx.array([1, 1]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [0.8999999761581421, 1.100000023841858]
 * ```
 */
export class Lion extends Optimizer {
  readonly betas: readonly [number, number];
  readonly weightDecay: number;

  constructor(learningRate: LearningRate, options: LionOptions = {}) {
    super();
    this.betas = checkBetas("Lion", options.betas ?? [0.9, 0.99]);
    this.weightDecay = checkNumber("Lion", "weightDecay", options.weightDecay ?? 0);
    this.maybeSchedule("learning_rate", learningRate);
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.m = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const [b1, b2] = this.betas;
    const m = state.m!;
    const c = add(multiply(b1, m), multiply(1 - b1, gradient));
    state.m = add(multiply(b2, m), multiply(1 - b2, gradient));
    const decayed = this.weightDecay > 0
      ? multiply(subtract(1, multiply(lr, this.weightDecay)), parameter)
      : parameter;
    return subtract(decayed, multiply(lr, sign(c)));
  }
}
