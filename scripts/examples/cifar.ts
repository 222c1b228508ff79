/**
 * CIFAR-10-style training (the seed workflow: augment, train, test) on the official binary
 * files, which are not shipped: pass the folder of `cifar-10-batches-bin`.
 *
 *   deno run -A scripts/examples/cifar.ts --data DIR [--epochs N] [--batch N] [--out DIR]
 *   bun scripts/examples/cifar.ts --data DIR ...
 *
 * A VGG-style CNN (conv-BN-ReLU pairs, max pooling, dropout) trained with AdamW on random
 * resized crops and horizontal flips, normalised with CIFAR-10's channel statistics; test
 * accuracy after each epoch, the weights saved as safetensors, the curve as an SVG.
 * `trainCifar` is what the CLI runs; test/examples_test.ts runs it on small generated files.
 */

import * as mx from "mlx-ts";
import { bar, type CurvePoint, curveSvg, writeLine } from "./plot.ts";
import { writeFileSync } from "node:fs";
import process from "node:process";

const { nn, optimizers, data } = mx;

/** CIFAR-10's per-channel mean and standard deviation (of the training images in [0, 1]). */
const channelMean = [0.4914, 0.4822, 0.4465];
const channelStd = [0.247, 0.2435, 0.2616];

/** conv3x3-BN-ReLU twice, then 2x2 max pooling. */
class Stage extends nn.Module {
  conv1: mx.nn.Conv2d;
  norm1: mx.nn.BatchNorm;
  conv2: mx.nn.Conv2d;
  norm2: mx.nn.BatchNorm;
  pool = new nn.MaxPool2d(2);

  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, outChannels, 3, { padding: 1, bias: false });
    this.norm1 = new nn.BatchNorm(outChannels);
    this.conv2 = new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.norm2 = new nn.BatchNorm(outChannels);
  }

  forward(x: mx.MxArray): mx.MxArray {
    const y = nn.relu(this.norm1.forward(this.conv1.forward(x)));
    return this.pool.forward(nn.relu(this.norm2.forward(this.conv2.forward(y))));
  }
}

/** Two stages (32, 64 channels) on 32x32x3 images, then a 128-unit hidden layer. */
export class CifarNet extends nn.Module {
  stages = [new Stage(3, 32), new Stage(32, 64)];
  dropout = new nn.Dropout(0.3);
  fc1 = new nn.Linear(8 * 8 * 64, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: mx.MxArray): mx.MxArray {
    let y = x;
    for (const stage of this.stages) y = stage.forward(y);
    y = mx.reshape(y, [y.shape[0]!, -1]);
    return this.fc2.forward(this.dropout.forward(nn.relu(this.fc1.forward(y))));
  }
}

/** Options of `trainCifar`. */
export interface CifarOptions {
  /** The folder with data_batch_1.bin ... data_batch_5.bin and test_batch.bin. */
  directory: string;
  epochs?: number;
  batchSize?: number;
  /** Where to write the weights and the SVG (default: none written). */
  outDir?: string;
  /** Print progress (default true). */
  verbose?: boolean;
  seed?: number;
}

/** What `trainCifar` measured. */
export interface CifarResult {
  /** Mean training loss of each epoch. */
  epochLoss: number[];
  /** Test accuracy after each epoch, in [0, 1]. */
  testAccuracy: number[];
  samplesPerSecond: number;
}

/** uint8 NHWC images -> normalised float32, with the training augmentations when `augment`. */
function prepare(images: mx.MxArray, augment: boolean): mx.MxArray {
  let x = data.toFloat(images);
  if (augment) {
    x = data.randomResizedCrop(x, 32, { scale: [0.6, 1], ratio: [0.8, 1.25] });
    x = data.randomHorizontalFlip(x);
  }
  return data.normalize(x, channelMean, channelStd);
}

/** Trains `CifarNet` on the files in `options.directory`; returns the measurements. */
export function trainCifar(options: CifarOptions): CifarResult {
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 128;
  const verbose = options.verbose ?? true;
  const log = (text: string) => verbose && console.log(text);
  mx.random.seed(options.seed ?? 0);
  const train = data.cifar10({ directory: options.directory, split: "train" });
  const test = data.cifar10({ directory: options.directory, split: "test" });
  const trainCount = train.images.shape[0]!;
  log(`CIFAR-10: ${trainCount} training images, ${test.images.shape[0]} test images; ${epochs} epochs, batch ${batchSize}`);

  const model = new CifarNet();
  mx.eval(model.parameters());
  const steps = epochs * Math.ceil(trainCount / batchSize);
  const optimizer = new optimizers.AdamW(optimizers.cosineDecay(2e-3, steps, { end: 1e-4 }), { weightDecay: 5e-4 });
  const lossAndGrad = nn.valueAndGrad(model, (x: mx.MxArray, y: mx.MxArray) => {
    const logits = model.forward(x);
    return [nn.losses.crossEntropy(logits, y, { reduction: "mean" }), mx.sum(mx.equal(mx.argmax(logits, { axis: 1 }), y))];
  });

  const evaluateTest = (): number => {
    model.eval();
    let correct = 0;
    for (const batch of data.batches({ images: test.images, labels: test.labels }, { batchSize: 500 })) {
      correct += mx.tidy(() => {
        const predicted = mx.argmax(model.forward(prepare(batch.images, false)), { axis: 1 });
        return mx.sum(mx.equal(predicted, batch.labels)).item() as number;
      });
      mx.dispose(batch);
    }
    model.train();
    return correct / test.images.shape[0]!;
  };

  const loader = data.batches({ images: train.images, labels: train.labels }, { batchSize, shuffle: true, seed: options.seed ?? 0 });
  const result: CifarResult = { epochLoss: [], testAccuracy: [], samplesPerSecond: 0 };
  const curve: CurvePoint[] = [];
  const testCurve: { samples: number; accuracy: number }[] = [];
  let seen = 0;
  let trainMs = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    let lossSum = 0;
    let correctSum = 0;
    let count = 0;
    for (const batch of loader) {
      const n = batch.labels.size;
      const [loss, correct] = mx.tidy(() => {
        const [[value, right], grads] = lossAndGrad(prepare(batch.images, true), batch.labels);
        optimizer.update(model, grads);
        mx.eval(value, right, model.parameters(), optimizer.state);
        return [value.item() as number, right.item() as number];
      });
      mx.dispose(batch);
      lossSum += loss * n;
      correctSum += correct;
      count += n;
      seen += n;
      if (verbose) {
        const rate = count / ((performance.now() - start) / 1000);
        writeLine(
          `epoch ${epoch}/${epochs} ${bar(count / trainCount)} loss ${(lossSum / count).toFixed(4)} ` +
            `acc ${(100 * correctSum / count).toFixed(1)}% ${rate.toFixed(0)} samples/s`,
        );
      }
    }
    trainMs += performance.now() - start;
    curve.push({ samples: seen, loss: lossSum / count, accuracy: correctSum / count });
    result.epochLoss.push(lossSum / count);
    const accuracy = evaluateTest();
    result.testAccuracy.push(accuracy);
    testCurve.push({ samples: seen, accuracy });
    if (verbose) writeLine("");
    log(`epoch ${epoch}/${epochs}: train loss ${(lossSum / count).toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)}%`);
  }
  result.samplesPerSecond = seen / (trainMs / 1000);
  if (options.outDir !== undefined) {
    const weights = `${options.outDir}/cifar_net.safetensors`;
    model.saveWeights(weights);
    const svg = `${options.outDir}/cifar_curve.svg`;
    writeFileSync(svg, curveSvg(`CIFAR-10 CNN (mlx-ts, ${epochs} epochs)`, curve, testCurve));
    log(`saved ${weights}; curve: ${svg}`);
  }
  return result;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const directory = option("data");
  if (directory === undefined) {
    console.error("usage: cifar.ts --data DIR (the cifar-10-batches-bin folder) [--epochs N] [--batch N] [--out DIR]");
    throw new mx.MxError("invalid_argument", "[cifar] --data DIR is required: CIFAR-10 is not shipped");
  }
  trainCifar({
    directory,
    epochs: Number(option("epochs") ?? 10),
    batchSize: Number(option("batch") ?? 128),
    outDir: option("out"),
  });
}
