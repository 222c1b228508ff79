/**
 * `loadModel`: a language model and its tokenizer from an MLX-community or Hugging Face
 * folder, quantized as its config says (or on load when asked).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { MxArray } from "../array.ts";
import { MxError } from "../errors.ts";
import { quantize as quantizeModel, type QuantizeLayerOptions } from "../nn/layers/quantized.ts";
import { treeFlatten } from "../utils.ts";
import { type ModelConfig, quantizationOf, readConfig, readWeights } from "./folder.ts";
import { Tokenizer } from "./tokenizer.ts";
import { architectureOf, Transformer } from "./transformer.ts";

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Quantize a float checkpoint while loading (ignored when the folder is already quantized). */
  quantize?: QuantizeLayerOptions;
  /** Load `tokenizer.json` too (default true when the folder has one). */
  tokenizer?: boolean;
}

/** What `loadModel` returns. */
export interface LoadedModel {
  model: Transformer;
  /** The folder's tokenizer, when it has `tokenizer.json`. */
  tokenizer?: Tokenizer;
  config: ModelConfig;
}

/**
 * Loads a model folder: `config.json`, the safetensors weights (sharded or not; float or
 * quantized with MLX's `quantization` entry, per-layer overrides included) and the tokenizer.
 * Missing, extra or misshapen tensors are errors naming the tensor and its file.
 *
 * @param dir The folder (as `mlx_lm.convert` writes it, or a Hugging Face snapshot).
 * @param options `quantize` a float model on load; `tokenizer`.
 * @returns The model (in evaluation mode), its tokenizer and its config.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const { model, tokenizer } = mx.models.loadModel("test/fixtures/models/qwen3-4bit");
 * const ids = tokenizer!.encode("Once upon a time");
 * console.log(model.forward(mx.array([ids], mx.int32)).shape); // [ 1, 8, 384 ]
 * ```
 */
export function loadModel(dir: string, options: LoadModelOptions = {}): LoadedModel {
  const config = readConfig(dir);
  const configPath = join(dir, "config.json");
  const model = new Transformer(architectureOf(config));
  const { arrays, files } = readWeights(dir);
  model.sanitize(arrays);
  const quantization = quantizationOf(config, configPath);
  if (quantization !== undefined) {
    const { overrides } = quantization;
    quantizeModel(model, {
      ...quantization,
      classPredicate: (path) => {
        const override = overrides.get(path);
        if (override !== undefined) return override;
        return arrays.has(`${path}.scales`);
      },
    });
  }
  const expected = new Map(treeFlatten(model.parameters()) as [string, MxArray][]);
  const where = (key: string) => `${files.get(key)} in ${dir}`;
  for (const [key, value] of expected) {
    const incoming = arrays.get(key);
    if (incoming === undefined) {
      throw new MxError("invalid_argument", `[loadModel] missing tensor "${key}" (${model.arch.modelType} model in ${dir})`);
    }
    if (incoming.shape.join(",") !== value.shape.join(",")) {
      throw new MxError(
        "shape_mismatch",
        `[loadModel] tensor "${key}" in ${where(key)} has shape [${incoming.shape}] but the model expects [${value.shape}]`,
      );
    }
    if ((incoming.dtype.name === "uint32") !== (value.dtype.name === "uint32")) {
      throw new MxError("invalid_argument", `[loadModel] tensor "${key}" in ${where(key)} is ${incoming.dtype}, expected ${value.dtype}`);
    }
  }
  for (const key of arrays.keys()) {
    if (!expected.has(key)) {
      throw new MxError("invalid_argument", `[loadModel] unexpected tensor "${key}" in ${where(key)} (not part of a ${model.arch.modelType} model)`);
    }
  }
  model.loadWeights([...arrays]);
  // Quantize-on-load: a float checkpoint quantized once its weights are in.
  if (quantization === undefined && options.quantize !== undefined) quantizeModel(model, options.quantize);
  model.eval();
  const wantTokenizer = options.tokenizer ?? existsSync(join(dir, "tokenizer.json"));
  const tokenizer = wantTokenizer ? Tokenizer.fromDir(dir) : undefined;
  return { model, tokenizer, config };
}
