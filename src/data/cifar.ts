/**
 * CIFAR-10's binary format: records of one label byte and 3,072 pixel bytes (the 32x32 red
 * plane, then green, then blue), 10,000 records per official batch file.
 *
 * @module
 */

import { join } from "node:path";
import { fromBytes, type MxArray } from "../array.ts";
import { int32, uint8 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { index, slice } from "../indexing.ts";
import { concatenate } from "../joining.ts";
import { astype, evaluate } from "../ops.ts";
import { copy, reshape, transpose } from "../shapes.ts";
import { fileError, readFileBytes } from "./files.ts";
import type { ImageDataset, Split } from "./mnist.ts";

const side = 32;
const channels = 3;
const recordBytes = 1 + channels * side * side;
const classCount = 10;

/** CIFAR-10's class names, by label. */
export const cifar10Classes: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

/**
 * Reads CIFAR-10 binary batch files (`data_batch_1.bin`, ..., `test_batch.bin`; any number
 * of records) into NHWC images, in file order. The pixel planes are transposed natively.
 *
 * @param paths One file or several (concatenated in order).
 * @returns `{ images: uint8 [N, 32, 32, 3], labels: int32 [N] }`.
 * @throws {MxError} Naming the file: unreadable, empty, a size that is not a whole number of
 *   3,073-byte records, or a label above 9.
 *
 * @example One generated record
 * ```ts
 * import * as mx from "mlx-ts";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * const path = `${mkdtempSync(`${tmpdir()}/cifar-`)}/data_batch_1.bin`;
 * const record = new Uint8Array(3073);
 * record[0] = 6; // frog
 * record[1] = 255; // red of the top-left pixel
 * writeFileSync(path, record);
 * const { images, labels } = mx.data.readCifar10(path);
 * console.log(images.shape, labels.tolist()); // [1, 32, 32, 3] [6]
 * console.log(mx.index(images, 0, 0, 0).tolist()); // [255, 0, 0]
 * ```
 */
export function readCifar10(paths: string | readonly string[]): ImageDataset {
  const files = typeof paths === "string" ? [paths] : paths;
  if (files.length === 0) throw new MxError("invalid_argument", "[readCifar10] no files given");
  const parts = files.map((path) => readBatchFile(path));
  if (parts.length === 1) return parts[0]!;
  try {
    return {
      images: concatenate(parts.map((p) => p.images), { axis: 0 }),
      labels: concatenate(parts.map((p) => p.labels), { axis: 0 }),
    };
  } finally {
    for (const part of parts) {
      part.images.dispose();
      part.labels.dispose();
    }
  }
}

function readBatchFile(path: string): ImageDataset {
  const op = "readCifar10";
  const bytes = readFileBytes(op, path);
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    throw fileError(
      op,
      path,
      `${bytes.length} bytes is not a whole number of ${recordBytes}-byte records (label + 3x32x32 pixels)`,
    );
  }
  const n = bytes.length / recordBytes;
  for (let i = 0; i < n; i++) {
    const label = bytes[i * recordBytes]!;
    if (label >= classCount) throw fileError(op, path, `record ${i} has label ${label}; CIFAR-10 labels are 0-9`);
  }
  using records = fromBytes(bytes, uint8, [n, recordBytes]);
  using labelColumn = index(records, ":", 0);
  using planes = index(records, ":", slice(1, null));
  using chw = reshape(planes, [n, channels, side, side]);
  using hwc = transpose(chw, { axes: [0, 2, 3, 1] });
  const dataset = { images: copy(hwc), labels: astype(labelColumn, int32) };
  evaluate(dataset);
  return dataset;
}

/** Options of `cifar10`. */
export interface Cifar10Options {
  /** The folder of the binary version (`cifar-10-batches-bin`). */
  directory: string;
  /** "train" (`data_batch_1.bin` to `data_batch_5.bin`, the default) or "test" (`test_batch.bin`). */
  split?: Split;
}

/**
 * CIFAR-10 from a folder of the official binary files (`cifar-10-batches-bin`; not shipped:
 * supply your own copy).
 *
 * @param options `directory`, `split`.
 * @returns `{ images: uint8 [N, 32, 32, 3], labels: int32 [N] }`.
 * @throws {MxError} For a bad split, or a missing or malformed file (naming it).
 *
 * @example The class names
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.data.cifar10Classes[3]); // "cat"
 * ```
 */
export function cifar10(options: Cifar10Options): ImageDataset {
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") {
    throw new MxError("invalid_argument", `[cifar10] split must be "train" or "test"; got ${String(split)}`);
  }
  const names = split === "train" ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ["test_batch.bin"];
  return readCifar10(names.map((name) => join(options.directory, name)));
}
