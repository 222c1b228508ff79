/**
 * `mx.nn`: modules, layers, activations, losses and initialisers (MLX's `mlx.nn`).
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
