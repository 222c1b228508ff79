/**
 * SGD, RMSprop, Adagrad and AdaDelta (MLX's formulas, operation for operation).
 *
 * @module
 */

import type { MxArray } from "../array.ts";
import { add, divide, multiply, sqrt, square, subtract } from "../elementwise.ts";
import { MxError } from "../errors.ts";
import { astype } from "../ops.ts";
import { zerosLike } from "../creation.ts";
import { checkNumber, type LearningRate, Optimizer, type ParameterState } from "./optimizer.ts";

/** Options of `SGD`. */
export interface SgdOptions {
  /** Momentum strength (default 0: plain gradient descent). */
  momentum?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs a momentum and no dampening). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent: `v = momentum v + (1 - dampening) g`, `w = w - lr v`
 * (`g + momentum v` with Nesterov momentum); weight decay adds `weightDecay w` to `g`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.SGD(0.5, { momentum: 0.9 });
 * let p: Record<string, mx.MxArray> = { w: mx.array([1]) };
 * p = opt.applyGradients({ w: mx.array([1]) }, p) as typeof p;
 * p = opt.applyGradients({ w: mx.array([1]) }, p) as typeof p;
 * console.log(p.w!.tolist()); // [-0.44999998807907104]
 * ```
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(learningRate: LearningRate, options: SgdOptions = {}) {
    super();
    this.momentum = checkNumber("SGD", "momentum", options.momentum ?? 0);
    this.weightDecay = checkNumber("SGD", "weightDecay", options.weightDecay ?? 0);
    this.dampening = checkNumber("SGD", "dampening", options.dampening ?? 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new MxError("invalid_argument", "[SGD] Nesterov momentum requires a momentum and zero dampening");
    }
    this.maybeSchedule("learning_rate", learningRate);
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.v = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const g = this.weightDecay !== 0 ? add(gradient, multiply(this.weightDecay, parameter)) : gradient;
    const lr = astype(this.learningRate, g.dtype);
    if (this.momentum <= 0) return subtract(parameter, multiply(lr, g));
    const decayed = multiply(this.momentum, state.v!);
    const v = add(decayed, this.dampening > 0 ? multiply(1 - this.dampening, g) : g);
    const update = this.nesterov ? add(g, multiply(this.momentum, v)) : v;
    state.v = v;
    return subtract(parameter, multiply(lr, update));
  }
}

/** Options of `RMSprop`. */
export interface RmspropOptions {
  /** Smoothing constant (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
}

/**
 * RMSprop: `v = alpha v + (1 - alpha) g^2`, `w = w - lr g / (sqrt(v) + eps)`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.RMSprop(0.01);
 * const p = opt.applyGradients({ w: mx.array([2]) }, { w: mx.array([0]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [-0.09999998658895493]
 * ```
 */
export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;

  constructor(learningRate: LearningRate, options: RmspropOptions = {}) {
    super();
    this.alpha = checkNumber("RMSprop", "alpha", options.alpha ?? 0.99, (v) => v >= 0, ">= 0");
    this.eps = checkNumber("RMSprop", "eps", options.eps ?? 1e-8, (v) => v > 0, "> 0");
    this.maybeSchedule("learning_rate", learningRate);
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.v = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const v = add(multiply(this.alpha, state.v!), multiply(1 - this.alpha, square(gradient)));
    state.v = v;
    return subtract(parameter, divide(multiply(lr, gradient), add(sqrt(v), this.eps)));
  }
}

/**
 * Adagrad: `v = v + g^2`, `w = w - lr g / (sqrt(v) + eps)`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.Adagrad(0.1);
 * const p = opt.applyGradients({ w: mx.array([3]) }, { w: mx.array([0]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [-0.10000000149011612]
 * ```
 */
export class Adagrad extends Optimizer {
  readonly eps: number;

  constructor(learningRate: LearningRate, options: { eps?: number } = {}) {
    super();
    this.eps = checkNumber("Adagrad", "eps", options.eps ?? 1e-8, (v) => v > 0, "> 0");
    this.maybeSchedule("learning_rate", learningRate);
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.v = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const v = add(state.v!, square(gradient));
    state.v = v;
    return subtract(parameter, divide(multiply(lr, gradient), add(sqrt(v), this.eps)));
  }
}

/** Options of `AdaDelta`. */
export interface AdaDeltaOptions {
  /** Coefficient of the running averages (default 0.9). */
  rho?: number;
  /** Added inside the square roots (default 1e-6). */
  eps?: number;
}

/**
 * AdaDelta: `v = rho v + (1 - rho) g^2`, `d = sqrt(u + eps) / sqrt(v + eps) g`,
 * `u = rho u + (1 - rho) d^2`, `w = w - lr d`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.AdaDelta(1);
 * const p = opt.applyGradients({ w: mx.array([1]) }, { w: mx.array([0]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.tolist()); // [-0.0031622620299458504]
 * ```
 */
export class AdaDelta extends Optimizer {
  readonly rho: number;
  readonly eps: number;

  constructor(learningRate: LearningRate, options: AdaDeltaOptions = {}) {
    super();
    this.rho = checkNumber("AdaDelta", "rho", options.rho ?? 0.9, (v) => v >= 0, ">= 0");
    this.eps = checkNumber("AdaDelta", "eps", options.eps ?? 1e-6, (v) => v > 0, "> 0");
    this.maybeSchedule("learning_rate", learningRate);
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.v = zerosLike(parameter);
    state.u = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const lr = astype(this.learningRate, gradient.dtype);
    const { rho, eps } = this;
    const v = add(multiply(rho, state.v!), multiply(1 - rho, square(gradient)));
    const d = multiply(divide(sqrt(add(state.u!, eps)), sqrt(add(v, eps))), gradient);
    const u = add(multiply(rho, state.u!), multiply(1 - rho, square(d)));
    state.v = v;
    state.u = u;
    return subtract(parameter, multiply(lr, d));
  }
}
