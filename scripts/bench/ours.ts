/**
 * The benchmark cases (cases.ts) in mlx-ts, under the runtime running this file (Deno or Bun).
 * Reads cases as JSON lines on stdin and answers each with one JSON line, `{ runtime, case, ns }`
 * (best time, evaluation included) or `{ runtime, case, skip }`. `scripts/bench/run` keeps one
 * per runtime running beside the references and hands every case to each in turn.
 *
 * usage: deno run cases.ts [FILTER...] | ours.ts [--models=DIR]   (DIR: generate_models.py's)
 */

import process from "node:process";
import { createInterface } from "node:readline";
import * as mx from "mlx-ts";
import { native } from "../../ffi/loader.ts";
import { Cnn } from "../examples/mnist_model.ts";
import type { BenchCase, BenchDtype } from "./cases.ts";

const { nn, optimizers } = mx;

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
const modelsDir = process.argv.find((a) => a.startsWith("--models="))?.slice("--models=".length);

const dtypes: Record<BenchDtype, mx.Dtype> = {
  float32: mx.float32,
  float16: mx.float16,
  bfloat16: mx.bfloat16,
};

/** A timed body, or a time the case measured itself (per token). */
type Bench = { call: () => void; dispose?: () => void } | { ns: number };

/**
 * Best time of one call in nanoseconds: a warm-up call (the only sample if it took 5 s or
 * more), then calls until 20 ms have passed (the first sample and the per-call estimate), then
 * rounds filling about a second (1 to 10), each of one call, or of enough calls to last 20 ms
 * when a call takes under a millisecond. `reference.py` times the same way.
 */
function measure(call: () => void): number {
  let start = performance.now();
  call();
  const warmup = performance.now() - start;
  if (warmup >= 5000) return warmup * 1e6;
  let calls = 0;
  start = performance.now();
  do {
    call();
    calls++;
  } while (performance.now() - start < 20);
  const estimate = (performance.now() - start) / calls;
  let best = estimate;
  const inner = estimate < 1 ? Math.ceil(20 / estimate) : 1;
  const rounds = Math.min(10, Math.max(1, Math.floor(1000 / (estimate * inner))));
  for (let round = 0; round < rounds; round++) {
    start = performance.now();
    for (let i = 0; i < inner; i++) call();
    best = Math.min(best, (performance.now() - start) / inner);
  }
  return best * 1e6;
}

/** A `shape` array of sin(i * (0.37 + seed)), values in [-1, 1]; reference.py makes the same. */
function wave(shape: number[], seed: number, dtype: BenchDtype = "float32"): mx.MxArray {
  return mx.tidy(() => {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = mx.sin(mx.multiply(mx.arange(0, count, { dtype: mx.float32 }), 0.37 + seed));
    const result = mx.astype(mx.reshape(values, shape), dtypes[dtype]);
    mx.eval(result);
    return result;
  });
}

/** A body that builds the graph and evaluates it, freeing everything it made. */
function evaluated(inputs: mx.MxArray[], make: () => mx.MxArray): Bench {
  return { call: () => mx.tidy(() => mx.eval(make())), dispose: () => mx.dispose(inputs) };
}

const unaryOps = { exp: mx.exp, tanh: mx.tanh, sigmoid: mx.sigmoid, log: mx.log, sin: mx.sin, erf: mx.erf };

function gelu(x: mx.MxArray): mx.MxArray {
  return mx.multiply(mx.multiply(x, 0.5), mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1));
}

function normChain(x: mx.MxArray, w: mx.MxArray, b: mx.MxArray): mx.MxArray {
  const mean = mx.mean(x, { axis: -1, keepdims: true });
  const centered = mx.subtract(x, mean);
  const variance = mx.mean(mx.square(centered), { axis: -1, keepdims: true });
  return mx.add(mx.multiply(mx.multiply(centered, mx.rsqrt(mx.add(variance, 1e-5))), w), b);
}

function kernel(c: BenchCase): Bench {
  switch (c.kind) {
    case "matmul": {
      const a = wave([c.m, c.k], 1, c.dtype);
      const b = wave(c.transposeB ? [c.n, c.k] : [c.k, c.n], 2, c.dtype);
      return evaluated([a, b], () => mx.matmul(a, c.transposeB ? mx.transpose(b) : b));
    }
    case "unary": {
      const x = mx.tidy(() => mx.add(wave([c.n], 1), c.offset));
      mx.eval(x);
      return evaluated([x], () => unaryOps[c.op](x));
    }
    case "binary": {
      const a = wave([c.n], 1), b = wave([c.n], 2);
      return evaluated([a, b], () => c.op === "add" ? mx.add(a, b) : mx.add(mx.multiply(a, b), a));
    }
    case "astype": {
      const x = wave([c.n], 1);
      return evaluated([x], () => mx.astype(x, dtypes[c.dtype]));
    }
    case "random": {
      const key = mx.random.key(7);
      const sample = c.dist === "normal" ? mx.random.normal : mx.random.uniform;
      return evaluated([key], () => sample({ shape: [c.n], key }));
    }
    case "transpose": {
      const x = wave([c.n, c.n], 1);
      return evaluated([x], () => mx.copy(mx.transpose(x)));
    }
    case "reduce": {
      const x = wave(c.shape, 1);
      const axis = c.axis === null ? {} : { axis: c.axis };
      const op = { sum: mx.sum, max: mx.max, cumsum: mx.cumsum }[c.op];
      return evaluated([x], () => op(x, axis));
    }
    case "softmax":
    case "layerNorm":
    case "rmsNorm": {
      const x = wave([c.rows, c.cols], 1, c.dtype);
      const w = wave([c.cols], 2, c.dtype), b = wave([c.cols], 3, c.dtype);
      const make = {
        softmax: () => mx.softmax(x, { axis: -1 }),
        layerNorm: () => mx.fast.layerNorm(x, w, b, 1e-5),
        rmsNorm: () => mx.fast.rmsNorm(x, w, 1e-5),
      }[c.kind];
      return evaluated([x, w, b], make);
    }
    case "conv2d": {
      const x = wave(c.input, 1), w = wave(c.weight, 2);
      return evaluated([x, w], () => mx.conv2d(x, w, { stride: c.stride, padding: c.padding }));
    }
    case "quantized": {
      const x = wave([c.m, c.k], 1, c.dtype);
      const w = wave([c.n, c.k], 2, c.dtype);
      const options = { groupSize: c.groupSize, bits: c.bits };
      const [wq, scales, biases] = mx.quantize(w, options);
      mx.eval(wq, scales, biases);
      w.dispose();
      return evaluated(
        [x, wq, scales, biases],
        () => mx.quantizedMatmul(x, wq, scales, biases, { ...options, transpose: true }),
      );
    }
    case "sdpa": {
      const q = wave([c.b, c.h, c.l, c.d], 1);
      const k = wave([c.b, c.hkv, c.s, c.d], 2), v = wave([c.b, c.hkv, c.s, c.d], 3);
      const options = c.causal
        ? { scale: 1 / Math.sqrt(c.d), mask: "causal" as const }
        : { scale: 1 / Math.sqrt(c.d) };
      return evaluated([q, k, v], () => mx.fast.scaledDotProductAttention(q, k, v, options));
    }
    default:
      return composite(c);
  }
}

function composite(c: BenchCase): Bench {
  switch (c.kind) {
    case "train":
      return trainStep(c.model, c.batch);
    case "encoder": {
      const model = new nn.TransformerEncoder(c.layers, c.dims, c.heads);
      const x = wave([c.batch, c.length, c.dims], 1);
      mx.eval(model.parameters());
      return evaluated([x], () => model.forward(x));
    }
    case "overhead":
      return overhead(c.op);
    case "compile": {
      const x = mx.tidy(() => mx.reshape(wave([c.rows * c.cols], 1), [c.rows, c.cols]));
      const w = mx.ones([c.cols]), b = mx.zeros([c.cols]);
      mx.eval(x, w, b);
      if (c.fn === "gelu") {
        const f = c.compiled ? mx.compile(gelu) : gelu;
        return evaluated([x, w, b], () => f(x));
      }
      const f = c.compiled ? mx.compile(normChain) : normChain;
      return evaluated([x, w, b], () => f(x, w, b));
    }
    case "prompt":
    case "decode": {
      if (modelsDir === undefined) throw new Error("no --models folder");
      const times = generation(`${modelsDir}/${c.model}`, c.promptTokens, c.genTokens);
      return { ns: c.kind === "prompt" ? times.prompt : times.decode };
    }
    default:
      throw new Error(`unknown case kind ${c.kind}`);
  }
}

function trainStep(kind: "cnn" | "mlp", batch: number): Bench {
  const model: mx.nn.Module & { forward(x: mx.MxArray): mx.MxArray } = kind === "cnn"
    ? new Cnn()
    : new nn.Sequential(
      new nn.Linear(784, 512),
      new nn.ReLU(),
      new nn.Linear(512, 512),
      new nn.ReLU(),
      new nn.Linear(512, 10),
    );
  const optimizer = new optimizers.Adam(1e-3);
  const x = mx.random.uniform({ shape: kind === "cnn" ? [batch, 28, 28, 1] : [batch, 784] });
  const y = mx.random.randint(0, 10, { shape: [batch] });
  mx.eval(x, y, model.parameters());
  const lossAndGrad = nn.valueAndGrad(
    model,
    (input: mx.MxArray, target: mx.MxArray) =>
      nn.losses.crossEntropy(model.forward(input), target, { reduction: "mean" }),
  );
  const call = () =>
    mx.tidy(() => {
      const [loss, grads] = lossAndGrad(x, y);
      optimizer.update(model, grads);
      mx.eval(loss, model.parameters(), optimizer.state);
    });
  return { call, dispose: () => mx.dispose([x, y]) };
}

function overhead(op: "version" | "create" | "record" | "eval" | "roundtrip"): Bench {
  const data = new Float32Array([1, 2, 3, 4]);
  const a = mx.array(data), b = mx.array(data);
  const calls = {
    version: () => void native.version(),
    create: () => mx.array(data).dispose(),
    record: () => mx.add(a, b).dispose(),
    eval: () => {
      const c = mx.add(a, b);
      mx.eval(c);
      c.dispose();
    },
    roundtrip: () => {
      const x = mx.array(data);
      const c = mx.add(x, b);
      c.toTypedArray();
      c.dispose();
      x.dispose();
    },
  };
  return { call: calls[op], dispose: () => mx.dispose([a, b]) };
}

const generations = new Map<string, { prompt: number; decode: number }>();

/** Prompt and decode ns per token of one model folder (greedy, best of 2 runs; the prompt ids
 * are reference.py's), measured once for both cases. */
function generation(
  dir: string,
  promptTokens: number,
  genTokens: number,
): { prompt: number; decode: number } {
  const known = generations.get(dir);
  if (known !== undefined) return known;
  const { model } = mx.models.loadModel(dir, { tokenizer: false });
  const prompt = Array.from({ length: promptTokens }, (_, i) => ((i * 7919) % 31000) + 100);
  const times = { prompt: Infinity, decode: Infinity };
  for (let round = 0; round < 2; round++) {
    const start = performance.now();
    let first = 0;
    let count = 0;
    for (const _ of mx.models.generateTokens(model, prompt, { maxTokens: genTokens })) {
      count++;
      if (count === 1) first = performance.now();
    }
    const end = performance.now();
    times.prompt = Math.min(times.prompt, ((first - start) * 1e6) / promptTokens);
    times.decode = Math.min(times.decode, ((end - first) * 1e6) / (count - 1));
  }
  generations.set(dir, times);
  return times;
}

function run(c: BenchCase): Record<string, unknown> {
  try {
    const bench = kernel(c);
    if ("ns" in bench) return { ns: Math.round(bench.ns) };
    try {
      return { ns: Math.round(measure(bench.call)) };
    } finally {
      bench.dispose?.();
    }
  } catch (e) {
    return { skip: e instanceof Error ? e.message : String(e) };
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const c = JSON.parse(line) as BenchCase;
  console.log(JSON.stringify({ runtime, case: c.name, ...run(c) }));
}
