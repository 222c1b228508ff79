/**
 * Train-step time: one optimizer step (forward, backward, Adam update, evaluation) of the
 * MNIST demo's CNN and of an MLP, float32, batch 128, best of several rounds, for the runtime
 * running it. `scripts/bench/train` runs it beside MLX (mlx-cpu) and PyTorch CPU
 * (train_reference.py, the same models) and prints a table.
 */

import * as mx from "mlx-ts";
import { Cnn } from "../examples/mnist_model.ts";
import { cases } from "./train_cases.ts";

const { nn, optimizers } = mx;

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
for (const c of cases) {
  const model: mx.nn.Module & { forward(x: mx.MxArray): mx.MxArray } = c.model === "cnn"
    ? new Cnn()
    : new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
  const optimizer = new optimizers.Adam(1e-3);
  const x = mx.random.uniform({ shape: c.model === "cnn" ? [c.batch, 28, 28, 1] : [c.batch, 784] });
  const y = mx.random.randint(0, 10, { shape: [c.batch] });
  mx.eval(x, y, model.parameters());
  const lossAndGrad = nn.valueAndGrad(
    model,
    (input: mx.MxArray, target: mx.MxArray) => nn.losses.crossEntropy(model.forward(input), target, { reduction: "mean" }),
  );
  const step = () =>
    mx.tidy(() => {
      const [loss, grads] = lossAndGrad(x, y);
      optimizer.update(model, grads);
      mx.eval(loss, model.parameters(), optimizer.state);
    });
  for (let i = 0; i < 3; i++) step();
  let best = Infinity;
  for (let round = 0; round < c.rounds; round++) {
    const start = performance.now();
    step();
    best = Math.min(best, performance.now() - start);
  }
  console.log(JSON.stringify({ runtime, case: c.name, ns: Math.round(best * 1e6) }));
}
