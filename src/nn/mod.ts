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
export {
  Conv1d,
  Conv2d,
  Conv3d,
  type ConvLayerOptions,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvTransposeLayerOptions,
  type SpatialSize,
} from "./layers/convolution.ts";
export { AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d, type PoolOptions } from "./layers/pooling.ts";
export {
  BatchNorm,
  type BatchNormOptions,
  GroupNorm,
  type GroupNormOptions,
  InstanceNorm,
  LayerNorm,
  type LayerNormOptions,
  RMSNorm,
} from "./layers/normalization.ts";
export { Dropout, Dropout2d, Dropout3d } from "./layers/dropout.ts";
export { Embedding } from "./layers/embedding.ts";
export { Upsample, type UpsampleMode, type UpsampleOptions } from "./layers/upsample.ts";
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
export {
  quantize,
  type QuantizeLayerOptions,
  type QuantizeModelOptions,
  type QuantizePredicateResult,
  QuantizedEmbedding,
  type QuantizedEmbeddingOptions,
  QuantizedLinear,
  type QuantizedLinearOptions,
} from "./layers/quantized.ts";
