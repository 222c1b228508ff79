/**
 * `mx.optimizers`: optimizers, learning-rate schedules and gradient clipping (MLX's
 * `mlx.optimizers`).
 *
 * @module
 */

export {
  type LearningRate,
  MultiOptimizer,
  Optimizer,
  type ParameterFilter,
  type ParameterState,
  type Schedule,
  type StateDict,
} from "./optimizer.ts";
export {
  AdaDelta,
  type AdaDeltaOptions,
  Adagrad,
  RMSprop,
  type RmspropOptions,
  SGD,
  type SgdOptions,
} from "./sgd.ts";
export { Adam, Adamax, type AdamOptions, AdamW, type AdamWOptions, Lion, type LionOptions } from "./adam.ts";
export { Adafactor, type AdafactorOptions } from "./adafactor.ts";
export { Muon, type MuonOptions } from "./muon.ts";
export {
  cosineDecay,
  exponentialDecay,
  joinSchedules,
  linearSchedule,
  type ScheduleFn,
  stepDecay,
} from "./schedules.ts";
export { clipGradNorm } from "./clip.ts";
