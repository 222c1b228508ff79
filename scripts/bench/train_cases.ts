/**
 * The train-step benchmark cases, shared by train.ts and (as JSON, `deno run
 * train_cases.ts`) train_reference.py.
 *
 * @module
 */

export interface TrainBenchCase {
  name: string;
  /** "cnn": the MNIST demo's CNN on [batch, 28, 28, 1]; "mlp": 784-512-512-10 on [batch, 784]. */
  model: "cnn" | "mlp";
  batch: number;
  rounds: number;
}

export const cases: TrainBenchCase[] = [
  { name: "cnn train step b128", model: "cnn", batch: 128, rounds: 8 },
  { name: "mlp 784-512-512-10 train step b128", model: "mlp", batch: 128, rounds: 20 },
];

if (import.meta.main) console.log(JSON.stringify(cases));
