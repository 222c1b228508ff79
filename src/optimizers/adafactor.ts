/**
 * Adafactor (MLX's recipe: factored second moments for arrays of rank >= 2, relative step
 * sizes, update clipping).
 *
 * @module
 */

import { array, type MxArray } from "../array.ts";
import { float32 } from "../dtype.ts";
import {
  add,
  divide,
  maximum,
  minimum,
  multiply,
  power,
  rsqrt,
  sqrt,
  square,
  subtract,
} from "../elementwise.ts";
import { MxError } from "../errors.ts";
import { astype } from "../ops.ts";
import { mean } from "../reductions.ts";
import { expandDims } from "../shapes.ts";
import { zeros, zerosLike } from "../creation.ts";
import { checkNumber, type LearningRate, Optimizer, type ParameterState } from "./optimizer.ts";

/** Options of `Adafactor`. */
export interface AdafactorOptions {
  /** The learning rate, used when `relativeStep` is false (default none). */
  learningRate?: LearningRate;
  /** Added to the squared gradients, and the floor of the parameter scale (default [1e-30, 1e-3]). */
  eps?: readonly [number, number];
  /** Clips the unscaled update's RMS at this value (default 1). */
  clipThreshold?: number;
  /** Exponent of the second-moment decay `1 - step^decayRate` (default -0.8). */
  decayRate?: number;
  /** First-moment coefficient; no first moment when omitted. */
  beta1?: number;
  /** Weight decay (default 0). */
  weightDecay?: number;
  /** Scale the step size by the parameter's RMS (default true). */
  scaleParameter?: boolean;
  /** Use `min(1e-2, 1/sqrt(step))` as the step size instead of the learning rate (default true). */
  relativeStep?: boolean;
  /** With `relativeStep`, start from `1e-6 step` (default false). */
  warmupInit?: boolean;
}

function rms(a: MxArray): MxArray {
  return sqrt(mean(square(a)));
}

/**
 * Adafactor: adaptive step sizes with sublinear memory (row and column averages of the
 * squared gradient for matrices and higher ranks).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.Adafactor();
 * opt.init({ w: mx.zeros([3, 4]) });
 * console.log(Object.keys(opt.state.w as object)); // [ "exp_avg_sq_row", "exp_avg_sq_col" ]
 * ```
 */
export class Adafactor extends Optimizer {
  readonly eps: readonly [number, number];
  readonly clipThreshold: number;
  readonly decayRate: number;
  readonly beta1: number | undefined;
  readonly weightDecay: number;
  readonly scaleParameter: boolean;
  readonly relativeStep: boolean;
  readonly warmupInit: boolean;

  constructor(options: AdafactorOptions = {}) {
    super();
    const eps = options.eps ?? [1e-30, 1e-3];
    if (!Array.isArray(eps) || eps.length !== 2) {
      throw new MxError(
        "invalid_argument",
        `[Adafactor] eps should be a list of two numbers; got ${String(eps)}`,
      );
    }
    eps.forEach((e, i) => checkNumber("Adafactor", `eps[${i}]`, e));
    this.eps = [eps[0], eps[1]];
    this.clipThreshold = checkNumber(
      "Adafactor",
      "clipThreshold",
      options.clipThreshold ?? 1,
      (v) => v > 0,
      "> 0",
    );
    this.decayRate = checkNumber("Adafactor", "decayRate", options.decayRate ?? -0.8);
    this.beta1 = options.beta1 === undefined ? undefined : checkNumber("Adafactor", "beta1", options.beta1);
    this.weightDecay = checkNumber("Adafactor", "weightDecay", options.weightDecay ?? 0);
    this.scaleParameter = options.scaleParameter ?? true;
    this.relativeStep = options.relativeStep ?? true;
    this.warmupInit = options.warmupInit ?? false;
    if (options.learningRate !== undefined) this.maybeSchedule("learning_rate", options.learningRate);
    else if (!this.relativeStep) {
      throw new MxError(
        "invalid_argument",
        "[Adafactor] a learningRate is needed when relativeStep is false",
      );
    }
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    const shape = parameter.shape;
    if (shape.length >= 2) {
      state.exp_avg_sq_row = zeros(shape.slice(0, -1), parameter.dtype);
      state.exp_avg_sq_col = zeros([...shape.slice(0, -2), shape[shape.length - 1]!], parameter.dtype);
    } else {
      state.exp_avg_sq = zerosLike(parameter);
    }
    if (this.beta1 !== undefined) state.exp_avg = zerosLike(parameter);
  }

  #learningRate(step: MxArray, parameterRms: MxArray): MxArray {
    let size: MxArray;
    if (this.relativeStep) {
      const minStep = this.warmupInit ? multiply(1e-6, step) : 1e-2;
      size = minimum(minStep, rsqrt(step));
    } else {
      size = this.learningRate;
    }
    size = astype(size, parameterRms.dtype);
    if (!this.scaleParameter) return size;
    return multiply(maximum(this.eps[1], parameterRms), size);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const step = this.step;
    const parameterRms = rms(parameter);
    const lr = this.#learningRate(step, parameterRms);
    using decayRate = array(this.decayRate, float32);
    const beta2 = subtract(1.0, astype(power(step, decayRate), parameterRms.dtype));
    let update = add(square(gradient), this.eps[0]);
    if (gradient.ndim >= 2) {
      const row = add(
        multiply(beta2, state.exp_avg_sq_row!),
        multiply(subtract(1, beta2), mean(update, { axis: -1 })),
      );
      const col = add(
        multiply(beta2, state.exp_avg_sq_col!),
        multiply(subtract(1, beta2), mean(update, { axis: -2 })),
      );
      state.exp_avg_sq_row = row;
      state.exp_avg_sq_col = col;
      const rowFactor = rsqrt(divide(row, mean(row, { axis: -1, keepdims: true })));
      const colFactor = rsqrt(col);
      update = multiply(multiply(expandDims(rowFactor, -1), expandDims(colFactor, -2)), gradient);
    } else {
      const avg = add(multiply(beta2, state.exp_avg_sq!), multiply(subtract(1, beta2), update));
      state.exp_avg_sq = avg;
      update = multiply(rsqrt(avg), gradient);
    }
    update = divide(update, maximum(1.0, divide(rms(update), this.clipThreshold)));
    update = multiply(lr, update);
    if (this.beta1 !== undefined) {
      const avg = add(multiply(this.beta1, state.exp_avg!), multiply(1 - this.beta1, update));
      state.exp_avg = avg;
      update = avg;
    }
    const decayed = this.weightDecay !== 0
      ? add(parameter, multiply(parameter, multiply(-this.weightDecay, lr)))
      : parameter;
    return subtract(decayed, update);
  }
}
