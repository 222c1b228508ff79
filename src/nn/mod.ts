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
export { GRU, LSTM, type RecurrentOptions, RNN, type RnnOptions } from "./layers/recurrent.ts";
export {
  type AttentionMask,
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerLayerOptions,
  type TransformerOptions,
  type TransformerStackOptions,
} from "./layers/transformer.ts";
export {
  ALiBi,
  RoPE,
  type RoPEOptions,
  SinusoidalPositionalEncoding,
  type SinusoidalPositionalEncodingOptions,
} from "./layers/positional_encoding.ts";
