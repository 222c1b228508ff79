/**
 * `mx.models`: language models from MLX-community / Hugging Face folders and llama2.c files,
 * their tokenizers, and generation (what `mlx_lm` is to Python MLX).
 *
 * @module
 */

export {
  type ChatMessage,
  type ChatTemplateOptions,
  type DecodeOptions,
  type EncodeOptions,
  StreamingDecoder,
  Tokenizer,
} from "./tokenizer.ts";
export {
  type FolderWeights,
  type LayerQuantization,
  type ModelConfig,
  type QuantizationConfig,
  quantizationOf,
  readConfig,
  readWeights,
} from "./folder.ts";
export { type AttentionMask, type Cache, KVCache, RotatingKVCache } from "./cache.ts";
export { type Architecture, architectureOf, Norm, supportedModelTypes, Transformer } from "./transformer.ts";
export { type LoadedModel, loadModel, type LoadModelOptions } from "./load.ts";
export {
  applyMinP,
  applyRepetitionPenalty,
  applyTopK,
  applyTopP,
  makeSampler,
  type Sampler,
  type SamplerOptions,
} from "./sample.ts";
export {
  generate,
  type GenerateOptions,
  type GeneratedToken,
  type GenerationChunk,
  type GenerationResult,
  generateTokens,
  type LanguageModel,
  streamGenerate,
  type StreamingTextDecoder,
  type TextTokenizer,
} from "./generate.ts";
export { type Llama2cHeader, Llama2cTokenizer, loadLlama2c, parseLlama2cHeader } from "./llama2c.ts";
export { loadGguf } from "./gguf.ts";
