/**
 * The examples run end to end: the CIFAR-10 training example on small generated files in the
 * official binary format (CIFAR-10 itself cannot be shipped), with a class-dependent colour so
 * there is something to learn; weights are saved and the curve written.
 */

import * as mx from "mlx-ts";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainCifar } from "../scripts/examples/cifar.ts";
import { assert, assertEquals, test } from "./harness.ts";

/** `count` CIFAR-10 records: label byte, then 3 x 32 x 32 channel planes; class c is tinted. */
function cifarRecords(count: number, seed: number): Uint8Array {
  const record = 1 + 3 * 32 * 32;
  const bytes = new Uint8Array(count * record);
  let state = seed;
  const noise = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % 40;
  };
  for (let i = 0; i < count; i++) {
    const label = (i + seed) % 10;
    const at = i * record;
    bytes[at] = label;
    for (let c = 0; c < 3; c++) {
      const level = c === label % 3 ? 40 + 20 * label : 100;
      for (let p = 0; p < 1024; p++) bytes[at + 1 + c * 1024 + p] = Math.min(255, level + noise());
    }
  }
  return bytes;
}

test("the CIFAR-10 example trains on generated files in the real format, saves weights and an SVG", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlx-ts-cifar-"));
  try {
    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `data_batch_${i}.bin`), cifarRecords(40, i));
    writeFileSync(join(dir, "test_batch.bin"), cifarRecords(50, 11));
    const result = trainCifar({ directory: dir, epochs: 3, batchSize: 20, outDir: dir, verbose: false, seed: 1 });
    assertEquals(result.epochLoss.length, 3);
    assertEquals(result.testAccuracy.length, 3);
    assert(result.epochLoss.every(Number.isFinite), `finite losses: ${result.epochLoss}`);
    assert(result.epochLoss[2]! < result.epochLoss[0]!, `the loss falls: ${result.epochLoss}`);
    assert(result.testAccuracy.every((a) => a >= 0 && a <= 1), `accuracies: ${result.testAccuracy}`);
    assert(result.samplesPerSecond > 0);
    const svg = readFileSync(join(dir, "cifar_curve.svg"), "utf8");
    assert(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), "an SVG document");
    const weights = mx.load(join(dir, "cifar_net.safetensors"), { format: "safetensors" });
    assertEquals(weights["fc2.weight"]!.shape, [10, 128]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
