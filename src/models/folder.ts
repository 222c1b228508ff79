/**
 * Reading a model folder as `mlx_lm.convert` / Hugging Face write it: `config.json`,
 * `model*.safetensors` (one file, or shards listed by `model.safetensors.index.json`), and the
 * `quantization` entry of the config (global group size / bits / mode, per-layer overrides).
 * Every failure names the file, and the key when there is one.
 *
 * @module
 */

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { MxArray } from "../array.ts";
import { MxError } from "../errors.ts";
import { load } from "../io/mod.ts";
import { readJsonFile } from "./tokenizer.ts";

/** A model's `config.json`: `model_type` plus the architecture's fields (snake_case, as written). */
export interface ModelConfig {
  model_type: string;
  [key: string]: unknown;
}

/** How one layer is quantized (MLX's `nn.quantize` parameters). */
export interface LayerQuantization {
  groupSize: number;
  bits: number;
  mode: "affine" | "mxfp4";
}

/** A config's `quantization`: the default and the per-layer overrides (`false`: left in float). */
export interface QuantizationConfig extends LayerQuantization {
  overrides: Map<string, LayerQuantization | false>;
}

/** The weights of a folder by name, with the file each came from. */
export interface FolderWeights {
  arrays: Map<string, MxArray>;
  files: Map<string, string>;
}

/**
 * Reads `config.json`; it must be an object with a string `model_type`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.models.readConfig("test/fixtures/models/qwen3-f16").model_type); // "qwen3"
 * ```
 */
export function readConfig(dir: string): ModelConfig {
  const path = join(dir, "config.json");
  if (!existsSync(path)) {
    throw new MxError("invalid_argument", `[loadModel] ${path} not found (a model folder needs config.json)`);
  }
  const config = readJsonFile("loadModel", path);
  if (typeof config.model_type !== "string") {
    throw new MxError("invalid_argument", `[loadModel] ${path} has no "model_type" string`);
  }
  return config as ModelConfig;
}

/**
 * Loads every weight of a folder: the shards named by `model.safetensors.index.json`, or else
 * every `model*.safetensors`. A key in two files, or an index entry whose file is missing or
 * lacks the key, is an error naming both.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const { arrays, files } = mx.models.readWeights("test/fixtures/models/llama-f16");
 * console.log(arrays.size > 0, files.get("model.norm.weight")); // true model-00004-of-00004.safetensors
 * ```
 */
export function readWeights(dir: string): FolderWeights {
  const indexPath = join(dir, "model.safetensors.index.json");
  let names: string[];
  let weightMap: Map<string, string> | undefined;
  if (existsSync(indexPath)) {
    const index = readJsonFile("loadModel", indexPath);
    const map = index.weight_map;
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
      throw new MxError("invalid_argument", `[loadModel] ${indexPath} has no "weight_map" object`);
    }
    weightMap = new Map();
    for (const [key, file] of Object.entries(map as Record<string, unknown>)) {
      if (typeof file !== "string" || file.includes("/") || file.includes("\\")) {
        throw new MxError("invalid_argument", `[loadModel] ${indexPath}: "${key}" maps to ${JSON.stringify(file)}, not a file name`);
      }
      weightMap.set(key, file);
    }
    names = [...new Set(weightMap.values())].sort();
  } else {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (e) {
      throw new MxError("invalid_argument", `[loadModel] Cannot read the folder ${dir}: ${(e as Error).message}`);
    }
    names = entries.filter((f) => f.startsWith("model") && f.endsWith(".safetensors")).sort();
  }
  if (names.length === 0) {
    throw new MxError("invalid_argument", `[loadModel] No model*.safetensors in ${dir}`);
  }
  const arrays = new Map<string, MxArray>();
  const files = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    if (!existsSync(path)) {
      throw new MxError("invalid_argument", `[loadModel] ${path} is listed in ${indexPath} but missing`);
    }
    const loaded = load(path, { format: "safetensors" });
    for (const [key, array] of Object.entries(loaded)) {
      const previous = files.get(key);
      if (previous !== undefined) {
        throw new MxError("invalid_argument", `[loadModel] "${key}" is in both ${previous} and ${name} (in ${dir})`);
      }
      arrays.set(key, array);
      files.set(key, name);
    }
  }
  if (weightMap !== undefined) {
    for (const [key, file] of weightMap) {
      if (files.get(key) !== file) {
        throw new MxError("invalid_argument", `[loadModel] ${indexPath} puts "${key}" in ${file}, but that file has no such tensor`);
      }
    }
  }
  return { arrays, files };
}

function layerQuantization(path: string, key: string, value: Record<string, unknown>, base?: LayerQuantization): LayerQuantization {
  const groupSize = value.group_size ?? base?.groupSize;
  const bits = value.bits ?? base?.bits;
  const mode = value.mode ?? base?.mode ?? "affine";
  if (typeof groupSize !== "number" || typeof bits !== "number") {
    throw new MxError("invalid_argument", `[loadModel] ${path}: quantization ${key} needs numeric "group_size" and "bits"`);
  }
  if (mode !== "affine" && mode !== "mxfp4") {
    throw new MxError("unsupported", `[loadModel] ${path}: quantization mode ${JSON.stringify(mode)} of ${key} is not supported (affine, mxfp4)`);
  }
  return { groupSize, bits, mode };
}

/**
 * The `quantization` entry of a config (mlx-lm also writes it as `quantization_config`), or
 * undefined for a float model. Other tools' `quantization_config` (GPTQ, AWQ, bitsandbytes)
 * are rejected: their tensors are not MLX's.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const q = mx.models.quantizationOf(mx.models.readConfig("test/fixtures/models/qwen3-4bit"), "config.json");
 * console.log(q?.bits, q?.groupSize, q?.overrides.get("model.layers.0.mlp.gate_proj")); // 4 64 { groupSize: 64, bits: 8, mode: "affine" }
 * ```
 */
export function quantizationOf(config: ModelConfig, path: string): QuantizationConfig | undefined {
  const raw = config.quantization ?? config.quantization_config;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new MxError("invalid_argument", `[loadModel] ${path}: "quantization" must be an object`);
  }
  const entry = raw as Record<string, unknown>;
  if (typeof entry.quant_method === "string") {
    throw new MxError("unsupported", `[loadModel] ${path}: ${entry.quant_method} quantization is not MLX's; convert the model with mlx_lm.convert`);
  }
  const base = layerQuantization(path, "(default)", entry);
  const overrides = new Map<string, LayerQuantization | false>();
  for (const [key, value] of Object.entries(entry)) {
    if (key === "group_size" || key === "bits" || key === "mode") continue;
    if (value === false) overrides.set(key, false);
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      overrides.set(key, layerQuantization(path, key, value as Record<string, unknown>, base));
    }
  }
  return { ...base, overrides };
}
