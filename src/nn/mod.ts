/**
 * `mx.nn`: neural-network building blocks. Activation functions at this level (as MLX's
 * `nn.relu`, `nn.gelu`, ...), `nn.losses` and `nn.init`.
 *
 * @module
 */

export * from "./activations.ts";
export * as losses from "./losses.ts";
export * as init from "./init.ts";
