/**
 * The benchmark registry: every case `scripts/bench/run` measures, as plain data (group, name,
 * what to compute, and the work it stands for). `deno run cases.ts [FILTER...]` prints the
 * selected cases as JSON lines; `ours.ts` runs them in mlx-ts, `reference.py` in NumPy, MLX and
 * PyTorch, `driver.py` hands each case to all of them in turn, `table.py` prints the table.
 *
 * Work: `flops` (floating-point operations, 2 per multiply-add) gives a GFLOP/s column;
 * `bytes` (what the op must read and write once: no temporaries, no write-allocate) gives
 * GB/s; `perToken` (the time is per token) gives tokens/s. A case has at most one of them.
 *
 * @module
 */

export type BenchDtype = "float32" | "float16" | "bfloat16";

/** What a case computes; `reference.py` implements the same kinds. */
export type Spec =
  /** `a [m, k] @ b [k, n]`, or `a @ w.T` with `w [n, k]` (a Linear layer) when `transposeB`. */
  | { kind: "matmul"; m: number; k: number; n: number; dtype: BenchDtype; transposeB: boolean }
  /** One unary op on `n` float32 values (`offset` added to the input first, e.g. for log). */
  | { kind: "unary"; op: "exp" | "tanh" | "sigmoid" | "log" | "sin" | "erf"; n: number; offset: number }
  /** `a + b`, or the chain `a * b + a`, on `n` float32 values. */
  | { kind: "binary"; op: "add" | "multiplyAdd"; n: number }
  | { kind: "astype"; n: number; dtype: BenchDtype }
  /** `n` float32 samples of the standard normal or of uniform [0, 1), from a fixed key or seed. */
  | { kind: "random"; dist: "normal" | "uniform"; n: number }
  /** A contiguous copy of the transpose of a float32 `[n, n]` matrix. */
  | { kind: "transpose"; n: number }
  /** `sum`/`max` of a float32 array over `axis` (null: all), or `cumsum` of a vector. */
  | { kind: "reduce"; op: "sum" | "max" | "cumsum"; shape: number[]; axis: number | null }
  /** Over the last axis of `[rows, cols]`, with `cols` weights (and biases). */
  | { kind: "softmax" | "layerNorm" | "rmsNorm"; rows: number; cols: number; dtype: BenchDtype }
  /** float32 conv2d, channels last: input `[N, H, W, C_in]`, weight `[C_out, KH, KW, C_in]`. */
  | { kind: "conv2d"; input: number[]; weight: number[]; stride: number; padding: number }
  /** `x [m, k] @ dequantize(w).T`, `w [n, k]` quantized (affine) along `k`. */
  | { kind: "quantized"; m: number; k: number; n: number; bits: number; groupSize: number; dtype: BenchDtype }
  /** float32 attention, queries `[b, h, l, d]`, keys and values `[b, hkv, s, d]`. */
  | { kind: "sdpa"; b: number; h: number; hkv: number; l: number; s: number; d: number; causal: boolean }
  /** One optimizer step (forward, backward, Adam update), float32. "cnn": the MNIST demo's CNN on
   * `[batch, 28, 28, 1]`; "mlp": 784-512-512-10 on `[batch, 784]`. */
  | { kind: "train"; model: "cnn" | "mlp"; batch: number }
  /** Forward pass of a pre-norm transformer encoder (nn.TransformerEncoder), float32. */
  | { kind: "encoder"; layers: number; dims: number; heads: number; batch: number; length: number }
  /** Per-call overhead on 4-element float32 arrays. */
  | { kind: "overhead"; op: "version" | "create" | "record" | "eval" | "roundtrip" }
  /** A GELU (erf form) or a layer-norm chain of elementwise ops, eager or compiled. */
  | { kind: "compile"; fn: "gelu" | "norm"; rows: number; cols: number; compiled: boolean }
  /** Per-token time of a random-weight Llama (generate_models.py) prompt or greedy decoding. */
  | { kind: "prompt" | "decode"; model: string; promptTokens: number; genTokens: number };

export type BenchCase = Spec & {
  group: string;
  name: string;
  flops?: number;
  bytes?: number;
  perToken?: true;
};

const size: Record<BenchDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };
const short: Record<BenchDtype, string> = { float32: "f32", float16: "f16", bfloat16: "bf16" };
const M = 1 << 20;

function matmuls(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const dtype of ["float32", "float16", "bfloat16"] as const) {
    for (const n of [256, 1024, 4096]) {
      out.push({
        group: "matmul",
        name: `matmul ${short[dtype]} ${n}`,
        kind: "matmul",
        m: n,
        k: n,
        n,
        dtype,
        transposeB: false,
        flops: 2 * n ** 3,
      });
    }
  }
  return out;
}

/** Skinny products as a Linear layer runs them (decoding): bound by reading the weights. */
function linears(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const dtype of ["float32", "float16", "bfloat16"] as const) {
    for (const [m, n] of [[1, 4096], [1, 14336], [8, 14336]] as const) {
      const k = 4096;
      out.push({
        group: "linear",
        name: `linear ${short[dtype]} ${m}x${k} @ ${n}x${k}.T`,
        kind: "matmul",
        m,
        k,
        n,
        dtype,
        transposeB: true,
        bytes: (n * k + m * k + m * n) * size[dtype],
      });
    }
  }
  return out;
}

function elementwise(): BenchCase[] {
  const group = "elementwise";
  const n16 = 16 * M;
  const unary = (op: Extract<Spec, { kind: "unary" }>["op"], offset = 0): BenchCase => ({
    group,
    name: `${op} f32 1M`,
    kind: "unary",
    op,
    n: M,
    offset,
    bytes: 8 * M,
  });
  return [
    { group, name: "add f32 16M", kind: "binary", op: "add", n: n16, bytes: 12 * n16 },
    { group, name: "multiply-add chain f32 16M", kind: "binary", op: "multiplyAdd", n: n16, bytes: 12 * n16 },
    unary("exp"),
    unary("tanh"),
    unary("sigmoid"),
    unary("log", 2),
    unary("sin"),
    unary("erf"),
    { group, name: "random normal f32 16M", kind: "random", dist: "normal", n: n16, bytes: 4 * n16 },
    { group, name: "random uniform f32 16M", kind: "random", dist: "uniform", n: n16, bytes: 4 * n16 },
    { group, name: "astype f32->f16 16M", kind: "astype", n: n16, dtype: "float16", bytes: 6 * n16 },
    { group, name: "astype f32->bf16 16M", kind: "astype", n: n16, dtype: "bfloat16", bytes: 6 * n16 },
    { group, name: "transpose copy f32 4096x4096", kind: "transpose", n: 4096, bytes: 8 * n16 },
  ];
}

function reductions(): BenchCase[] {
  const group = "reduce";
  const n16 = 16 * M;
  return [
    { group, name: "sum f32 16M", kind: "reduce", op: "sum", shape: [n16], axis: null, bytes: 4 * n16 },
    {
      group,
      name: "sum rows f32 4096x4096",
      kind: "reduce",
      op: "sum",
      shape: [4096, 4096],
      axis: 1,
      bytes: 4 * n16,
    },
    {
      group,
      name: "sum columns f32 4096x4096",
      kind: "reduce",
      op: "sum",
      shape: [4096, 4096],
      axis: 0,
      bytes: 4 * n16,
    },
    { group, name: "max f32 16M", kind: "reduce", op: "max", shape: [n16], axis: null, bytes: 4 * n16 },
    { group, name: "cumsum f32 1M", kind: "reduce", op: "cumsum", shape: [M], axis: 0, bytes: 8 * M },
  ];
}

function norms(): BenchCase[] {
  const rows = 4096, cols = 4096;
  const make = (kind: "softmax" | "layerNorm" | "rmsNorm", label: string, dtype: BenchDtype): BenchCase => ({
    group: "norm",
    name: `${label} ${short[dtype]} ${rows}x${cols}`,
    kind,
    rows,
    cols,
    dtype,
    bytes: 2 * rows * cols * size[dtype],
  });
  return [
    make("softmax", "softmax", "float32"),
    make("layerNorm", "layer norm", "float32"),
    make("rmsNorm", "rms norm", "float32"),
    make("rmsNorm", "rms norm", "float16"),
  ];
}

function conv(n: number, hw: number, cin: number, cout: number, k: number, stride: number): BenchCase {
  const padding = (k - 1) >> 1;
  const out = Math.floor((hw + 2 * padding - k) / stride) + 1;
  return {
    group: "conv",
    name: `conv2d f32 N${n} ${hw}x${hw} ${cin}->${cout} ${k}x${k}${stride > 1 ? ` s${stride}` : ""}`,
    kind: "conv2d",
    input: [n, hw, hw, cin],
    weight: [cout, k, k, cin],
    stride,
    padding,
    flops: 2 * n * out * out * cout * k * k * cin,
  };
}

/** Quantized x @ w.T, groups of 64: GB/s of the packed weights, scales and biases (decoding),
 * GFLOP/s for a 128-row prompt. */
function quantized(): BenchCase[] {
  const out: BenchCase[] = [];
  const make = (m: number, n: number, bits: number, dtype: BenchDtype): BenchCase => {
    const k = 4096, groupSize = 64;
    const weights = (n * k * bits) / 8 + 2 * n * (k / groupSize) * size[dtype];
    const work = m >= 128 ? { flops: 2 * m * n * k } : { bytes: weights + (m * k + m * n) * size[dtype] };
    return {
      group: "quantized",
      name: `quantized ${bits}-bit ${short[dtype]} ${m}x${k} @ ${n}x${k}.T`,
      kind: "quantized",
      m,
      k,
      n,
      bits,
      groupSize,
      dtype,
      ...work,
    };
  };
  for (const bits of [4, 8]) {
    for (const n of [4096, 14336]) out.push(make(1, n, bits, "float16"));
  }
  out.push(make(1, 4096, 4, "float32"));
  out.push(make(128, 4096, 4, "float16"));
  out.push(make(128, 4096, 4, "float32"));
  return out;
}

function attention(): BenchCase[] {
  const group = "attention";
  const d = 128, h = 32, hkv = 8;
  return [
    {
      group,
      name: `sdpa decode f32 H${h}/${hkv} L1 S1024 D${d}`,
      kind: "sdpa",
      b: 1,
      h,
      hkv,
      l: 1,
      s: 1024,
      d,
      causal: false,
      bytes: 4 * (2 * hkv * 1024 * d + 2 * h * d),
    },
    {
      group,
      name: `sdpa prompt f32 causal H${h}/${hkv} L512 S512 D${d}`,
      kind: "sdpa",
      b: 1,
      h,
      hkv,
      l: 512,
      s: 512,
      d,
      causal: true,
      // q k^T and p v, half of the scores masked out.
      flops: (4 * h * 512 * 512 * d) / 2,
    },
  ];
}

function overhead(): BenchCase[] {
  const group = "overhead";
  const out: BenchCase[] = [
    { group, name: "native call (version)", kind: "overhead", op: "version" },
    { group, name: "create 4 x f32 + dispose", kind: "overhead", op: "create" },
    { group, name: "add (record) + dispose", kind: "overhead", op: "record" },
    { group, name: "add + eval + dispose", kind: "overhead", op: "eval" },
    { group, name: "create + add + eval + read + dispose", kind: "overhead", op: "roundtrip" },
  ];
  for (const [rows, cols] of [[16, 64], [1024, 1024]] as const) {
    for (const fn of ["gelu", "norm"] as const) {
      for (const compiled of [false, true]) {
        const label = fn === "gelu" ? "gelu (erf)" : "layer-norm chain";
        out.push({
          group,
          name: `${label} ${rows}x${cols} ${compiled ? "compiled" : "eager"}`,
          kind: "compile",
          fn,
          rows,
          cols,
          compiled,
        });
      }
    }
  }
  return out;
}

function llm(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const model of ["llama-120m-f16", "llama-120m-4bit", "llama-1.1b-4bit"]) {
    for (const kind of ["prompt", "decode"] as const) {
      out.push({
        group: "llm",
        name: `${model} ${kind}`,
        kind,
        model,
        promptTokens: 128,
        genTokens: 32,
        perToken: true,
      });
    }
  }
  return out;
}

export const cases: BenchCase[] = [
  ...matmuls(),
  ...linears(),
  ...elementwise(),
  ...reductions(),
  ...norms(),
  conv(8, 32, 64, 64, 3, 1),
  conv(8, 56, 64, 64, 3, 1),
  conv(8, 56, 64, 64, 1, 1),
  conv(8, 56, 64, 128, 3, 2),
  ...quantized(),
  ...attention(),
  { group: "train", name: "cnn train step b128", kind: "train", model: "cnn", batch: 128 },
  { group: "train", name: "mlp 784-512-512-10 train step b128", kind: "train", model: "mlp", batch: 128 },
  {
    group: "model",
    name: "transformer encoder forward 4x256 h4 b8x128",
    kind: "encoder",
    layers: 4,
    dims: 256,
    heads: 4,
    batch: 8,
    length: 128,
    flops: 4 * (24 * 8 * 128 * 256 ** 2 + 4 * 8 * 128 ** 2 * 256),
  },
  ...overhead(),
  ...llm(),
];

/** The cases whose name or group contains one of the filters (case-insensitive); all without. */
export function select(filters: string[]): BenchCase[] {
  const wanted = filters.map((f) => f.toLowerCase());
  if (wanted.length === 0) return cases;
  return cases.filter((c) =>
    wanted.some((f) => c.name.toLowerCase().includes(f) || c.group.toLowerCase().includes(f))
  );
}

if (import.meta.main) {
  const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? [];
  for (const c of select(args)) console.log(JSON.stringify(c));
}
