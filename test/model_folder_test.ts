/**
 * Model folders as mlx_lm.convert writes them (test/fixtures/models/, made by
 * scripts/fixtures/gen_models.py): config, shards and index, quantization entries; broken
 * folders raise MxError naming the file and the key.
 */

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "mlx-ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";

const modelDir = (name: string) => decodeURIComponent(new URL(`./fixtures/models/${name}`, import.meta.url).pathname);

/** A scratch copy of a fixture folder, removed after `fn`. */
function withCopy(name: string, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "mlxts-folder-"));
  try {
    for (const f of readdirSync(modelDir(name))) copyFileSync(join(modelDir(name), f), join(dir, f));
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("model folder: sharded weights load through the index, each key from its file", () => {
  const { arrays, files } = mx.models.readWeights(modelDir("llama-f16"));
  const index = JSON.parse(readFileSync(join(modelDir("llama-f16"), "model.safetensors.index.json"), "utf8")) as {
    weight_map: Record<string, string>;
  };
  assertEquals([...arrays.keys()].sort(), Object.keys(index.weight_map).sort());
  for (const [key, file] of Object.entries(index.weight_map)) assertEquals(files.get(key), file, key);
  const embed = arrays.get("model.embed_tokens.weight")!;
  assertEquals(embed.shape, [384, 64]);
  assertEquals(embed.dtype, mx.float16);
});

test("model folder: quantization entries with per-layer overrides", () => {
  const config = mx.models.readConfig(modelDir("phi3-4bit"));
  const q = mx.models.quantizationOf(config, "config.json")!;
  assertEquals([q.groupSize, q.bits, q.mode], [64, 4, "affine"]);
  assertEquals(q.overrides.get("model.layers.0.mlp.down_proj"), { groupSize: 64, bits: 8, mode: "affine" });
  assertEquals(mx.models.quantizationOf(mx.models.readConfig(modelDir("phi3-f16")), "config.json"), undefined);
  assertThrows(
    () => mx.models.quantizationOf({ model_type: "llama", quantization_config: { quant_method: "gptq", bits: 4 } }, "c.json"),
    mx.MxError,
    "gptq quantization is not MLX's",
  );
  assertThrows(
    () => mx.models.quantizationOf({ model_type: "llama", quantization: { group_size: 64, bits: 4, mode: "nvfp9" } }, "c.json"),
    mx.MxError,
    "nvfp9",
  );
});

test("model folder: missing and broken files are named", () => {
  const empty = mkdtempSync(join(tmpdir(), "mlxts-folder-"));
  try {
    assertThrows(() => mx.models.readConfig(empty), mx.MxError, join(empty, "config.json"));
    assertThrows(() => mx.models.readWeights(empty), mx.MxError, "No model*.safetensors");
    writeFileSync(join(empty, "config.json"), JSON.stringify({ hidden_size: 2 }));
    assertThrows(() => mx.models.readConfig(empty), mx.MxError, 'has no "model_type"');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  withCopy("llama-f16", (dir) => {
    unlinkSync(join(dir, "model-00002-of-00004.safetensors"));
    assertThrows(() => mx.models.readWeights(dir), mx.MxError, "model-00002-of-00004.safetensors is listed in");
  });
  withCopy("llama-f16", (dir) => {
    const indexPath = join(dir, "model.safetensors.index.json");
    const index = JSON.parse(readFileSync(indexPath, "utf8"));
    index.weight_map["model.extra.weight"] = "model-00001-of-00004.safetensors";
    writeFileSync(indexPath, JSON.stringify(index));
    assertThrows(() => mx.models.readWeights(dir), mx.MxError, '"model.extra.weight" in model-00001-of-00004.safetensors');
  });
  withCopy("qwen3-f16", (dir) => {
    unlinkSync(join(dir, "model.safetensors.index.json"));
    const bytes = readFileSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "model.safetensors"), bytes.subarray(0, bytes.length - 100));
    const error = assertThrows(() => mx.models.readWeights(dir), mx.MxError);
    assert(error.message.includes("model.safetensors"), error.message);
    copyFileSync(join(modelDir("qwen3-f16"), "model.safetensors"), join(dir, "model.safetensors"));
    copyFileSync(join(dir, "model.safetensors"), join(dir, "model-b.safetensors"));
    assertThrows(() => mx.models.readWeights(dir), mx.MxError, "is in both model-b.safetensors and model.safetensors");
  });
});
