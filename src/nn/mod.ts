/**
 * `mx.nn`: modules, layers, activation functions (as MLX's `nn.relu`, `nn.gelu`, ...),
 * `nn.losses` and `nn.init` (MLX's `mlx.nn`).
 *
 * @module
 */

export {
  type FreezeOptions,
  Module,
  type ModuleFilter,
  type ParameterTree,
  type Parameters,
  valueAndGrad,
} from "./module.ts";
export { Bilinear, Identity, Linear, Sequential, type UnaryLayer } from "./layers/linear.ts";
export * from "./activations.ts";
export {
  CELU,
  ELU,
  GELU,
  type GeluApproximation,
  GLU,
  HardShrink,
  Hardswish,
  HardTanh,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  PReLU,
  ReLU,
  ReLU2,
  ReLU6,
  SELU,
  Sigmoid,
  SiLU,
  Softmax,
  Softmin,
  Softplus,
  Softshrink,
  Softsign,
  Step,
  Tanh,
} from "./layers/activations.ts";
export * as losses from "./losses.ts";
export * as init from "./init.ts";
