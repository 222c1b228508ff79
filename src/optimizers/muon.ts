/**
 * Muon: momentum orthogonalised by MLX's quintic Newton-Schulz iteration.
 *
 * @module
 */

import type { MxArray } from "../array.ts";
import { add, divide, multiply, subtract } from "../elementwise.ts";
import { MxError } from "../errors.ts";
import { norm } from "../linalg.ts";
import { addmm, matmul } from "../linalg_basic.ts";
import { astype } from "../ops.ts";
import { reshape, transpose } from "../shapes.ts";
import { zerosLike } from "../creation.ts";
import { checkNumber, type LearningRate, Optimizer, type ParameterState } from "./optimizer.ts";

/** Options of `Muon`. */
export interface MuonOptions {
  /** Momentum strength (default 0.95). */
  momentum?: number;
  /** L2 penalty added to the gradient (default 0.01). */
  weightDecay?: number;
  /** Nesterov momentum (default true). */
  nesterov?: boolean;
  /** Newton-Schulz iterations (default 5). */
  nsSteps?: number;
}

/** The coefficients of MLX's quintic iteration `X <- a X + (b A + c A^2) X`, `A = X X^T`. */
const newtonSchulz = { a: 3.4445, b: -4.775, c: 2.0315 } as const;

/** Approximately orthogonalises a matrix: MLX's `_zeropower_via_newtonschulz5`. */
function orthogonalize(matrix: MxArray, steps: number): MxArray {
  const tall = matrix.shape[0]! > matrix.shape[1]!;
  let x = tall ? transpose(matrix) : matrix;
  x = divide(x, add(norm(x, undefined, { keepdims: true }), 1e-7));
  for (let i = 0; i < steps; i++) {
    const a = matmul(x, transpose(x));
    const b = addmm(multiply(newtonSchulz.b, a), a, a, { beta: 1.0, alpha: newtonSchulz.c });
    x = addmm(multiply(newtonSchulz.a, x), b, x, { beta: 1.0, alpha: 1.0 });
  }
  return tall ? transpose(x) : x;
}

/**
 * Muon: SGD momentum (Nesterov by default) whose update, for parameters of rank >= 2
 * (flattened after the first axis), is orthogonalised by Newton-Schulz iterations and scaled
 * by `sqrt(max(1, rows / cols))`. Meant for hidden layers; use e.g. AdamW for embeddings,
 * output layers and vectors (`MultiOptimizer`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.Muon(0.1, { weightDecay: 0 });
 * const p = opt.applyGradients({ w: mx.array([[3, 0], [0, 1]]) }, { w: mx.zeros([2, 2]) }) as Record<string, mx.MxArray>;
 * console.log(p.w!.shape); // [ 2, 2 ]
 * ```
 */
export class Muon extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly nsSteps: number;

  constructor(learningRate: LearningRate, options: MuonOptions = {}) {
    super();
    this.momentum = checkNumber("Muon", "momentum", options.momentum ?? 0.95);
    this.weightDecay = checkNumber("Muon", "weightDecay", options.weightDecay ?? 0.01);
    this.nesterov = options.nesterov ?? true;
    const steps = options.nsSteps ?? 5;
    if (!Number.isInteger(steps) || steps < 0) {
      throw new MxError(
        "invalid_argument",
        `[Muon] nsSteps should be a non-negative integer; got ${String(steps)}`,
      );
    }
    this.nsSteps = steps;
    this.maybeSchedule("learning_rate", learningRate);
  }

  override initSingle(parameter: MxArray, state: ParameterState): void {
    state.v = zerosLike(parameter);
  }

  override applySingle(gradient: MxArray, parameter: MxArray, state: ParameterState): MxArray {
    const g = this.weightDecay !== 0 ? add(gradient, multiply(this.weightDecay, parameter)) : gradient;
    const v = add(multiply(this.momentum, state.v!), multiply(1 - this.momentum, g));
    state.v = v;
    let update = this.nesterov ? add(multiply(g, 1 - this.momentum), multiply(v, this.momentum)) : v;
    let lr = astype(this.learningRate, g.dtype);
    if (update.ndim >= 2) {
      const shape = update.shape;
      const flat = update.ndim > 2 ? reshape(update, [shape[0]!, -1]) : update;
      update = reshape(orthogonalize(flat, this.nsSteps), shape);
      lr = multiply(lr, Math.sqrt(Math.max(1, shape[shape.length - 2]! / shape[shape.length - 1]!)));
    }
    return subtract(parameter, multiply(lr, update));
  }
}
