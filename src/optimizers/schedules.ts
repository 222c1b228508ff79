/**
 * Learning-rate schedules (MLX's `mlx.optimizers.schedulers`): functions of the step (a
 * uint64 scalar, as optimizers pass it; a number is taken as one) returning a float32 scalar.
 * Hyperparameters enter as float32 scalars, as MLX's Python floats do, so integral values
 * (`2` vs `2.0`) give the same result.
 *
 * @module
 */

import { array, MxArray } from "../array.ts";
import { float32, uint64 } from "../dtype.ts";
import { add, cos, floorDivide, less, minimum, multiply, power, subtract } from "../elementwise.ts";
import { MxError } from "../errors.ts";
import { where } from "../ops.ts";
import { checkNumber } from "./optimizer.ts";

/** A schedule as these functions make it: always returns an array. */
export type ScheduleFn = (step: MxArray | number) => MxArray;

/** Calls `fn` with the step as an array (a number becomes a uint64 scalar, disposed after). */
function withStep(step: MxArray | number, fn: (step: MxArray) => MxArray): MxArray {
  if (step instanceof MxArray) return fn(step);
  const integral = (v: number) => Number.isInteger(v) && v >= 0;
  using s = array(checkNumber("schedule", "step", step, integral, "a non-negative integer"), uint64);
  return fn(s);
}

function f32(value: number): MxArray {
  return array(value, float32);
}

function checkCount(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new MxError(
      "invalid_argument",
      `[${op}] ${name} must be an integer greater than 0; got ${String(value)}`,
    );
  }
  return value;
}

/**
 * `init * decayRate ** step`.
 *
 * @param init The initial value.
 * @param decayRate The factor per step.
 * @returns The schedule.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const lr = mx.optimizers.exponentialDecay(0.1, 0.5);
 * console.log(lr(2).item()); // 0.02500000037252903
 * ```
 */
export function exponentialDecay(init: number, decayRate: number): ScheduleFn {
  checkNumber("exponentialDecay", "init", init);
  checkNumber("exponentialDecay", "decayRate", decayRate);
  return (step) =>
    withStep(step, (s) => {
      using rate = f32(decayRate);
      using decay = power(rate, s);
      return multiply(init, decay);
    });
}

/**
 * `init * decayRate ** floor(step / stepSize)`.
 *
 * @param init The initial value.
 * @param decayRate The factor per `stepSize` steps.
 * @param stepSize Steps between decays (an integer >= 1).
 * @returns The schedule.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const lr = mx.optimizers.stepDecay(1, 0.5, 10);
 * console.log(lr(9).item(), lr(10).item()); // 1 0.5
 * ```
 */
export function stepDecay(init: number, decayRate: number, stepSize: number): ScheduleFn {
  checkNumber("stepDecay", "init", init);
  checkNumber("stepDecay", "decayRate", decayRate);
  checkCount("stepDecay", "stepSize", stepSize);
  return (step) =>
    withStep(step, (s) => {
      using count = floorDivide(s, stepSize);
      using rate = f32(decayRate);
      using decay = power(rate, count);
      return multiply(init, decay);
    });
}

/**
 * Half a cosine from `init` at step 0 to `end` at `decaySteps`, then `end`.
 *
 * @param init The initial value.
 * @param decaySteps Steps to decay over (an integer >= 1).
 * @param options `end`: the final value (default 0).
 * @returns The schedule.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const lr = mx.optimizers.cosineDecay(0.1, 100);
 * console.log(lr(50).item(), lr(200).item()); // 0.04999999701976776 0
 * ```
 */
export function cosineDecay(init: number, decaySteps: number, options: { end?: number } = {}): ScheduleFn {
  const end = options.end ?? 0;
  checkNumber("cosineDecay", "init", init);
  checkCount("cosineDecay", "decaySteps", decaySteps);
  checkNumber("cosineDecay", "end", end);
  return (step) =>
    withStep(step, (s) => {
      using clamped = minimum(s, decaySteps);
      using rate = f32(Math.PI / decaySteps);
      using angle = multiply(rate, clamped);
      using c = cos(angle);
      using shifted = add(1.0, c);
      using decay = multiply(0.5, shifted);
      using span = multiply(decay, init - end);
      return add(end, span);
    });
}

/**
 * A straight line from `init` at step 0 to `end` at `steps`, then `end`.
 *
 * @param init The initial value.
 * @param end The final value.
 * @param steps Steps to get there (an integer >= 1).
 * @returns The schedule.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const warmup = mx.optimizers.linearSchedule(0, 1, 4);
 * console.log(warmup(1).item(), warmup(9).item()); // 0.25 1
 * ```
 */
export function linearSchedule(init: number, end: number, steps: number): ScheduleFn {
  checkNumber("linearSchedule", "init", init);
  checkNumber("linearSchedule", "end", end);
  checkCount("linearSchedule", "steps", steps);
  return (step) =>
    withStep(step, (s) => {
      using clamped = minimum(s, steps);
      using slope = f32((end - init) / steps);
      using line = multiply(clamped, slope);
      return add(line, init);
    });
}

/**
 * Runs `schedules[0]` until `boundaries[0]`, then `schedules[1]` with the step counted from
 * that boundary, and so on.
 *
 * @param schedules The schedules (at least one).
 * @param boundaries The steps where each next schedule starts (one fewer than `schedules`).
 * @returns The schedule.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const warmup = mx.optimizers.linearSchedule(0, 0.1, 10);
 * const decay = mx.optimizers.cosineDecay(0.1, 100);
 * const lr = mx.optimizers.joinSchedules([warmup, decay], [10]);
 * console.log(lr(5).item(), lr(10).item()); // 0.05000000074505806 0.10000000149011612
 * ```
 */
export function joinSchedules(
  schedules: readonly ((step: MxArray) => MxArray)[],
  boundaries: readonly number[],
): ScheduleFn {
  if (!Array.isArray(schedules) || schedules.length === 0) {
    throw new MxError("invalid_argument", "[joinSchedules] must be given at least 1 schedule");
  }
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    throw new MxError(
      "invalid_argument",
      `[joinSchedules] received ${
        Array.isArray(boundaries) ? boundaries.length : String(boundaries)
      } boundaries but expected ${schedules.length - 1}`,
    );
  }
  for (const b of boundaries) {
    checkNumber(
      "joinSchedules",
      "a boundary",
      b,
      (v) => Number.isInteger(v) && v >= 0,
      "a non-negative integer",
    );
  }
  return (step) =>
    withStep(step, (s) => {
      let output = schedules[0]!(s);
      boundaries.forEach((boundary, i) => {
        using before = less(s, boundary);
        using shifted = subtract(s, boundary);
        using next = schedules[i + 1]!(shifted);
        const joined = where(before, output, next);
        output.dispose();
        output = joined;
      });
      return output;
    });
}
