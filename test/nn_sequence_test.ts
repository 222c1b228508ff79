/**
 * Recurrent, attention, transformer and positional layers against MLX: initial parameters for
 * a seed, outputs on given weights and inputs, gradients through nn.valueAndGrad (LSTM and
 * MultiHeadAttention), and the errors for bad arguments.
 */

import * as mx from "mlx-ts";
import { loadJson } from "./fixtures.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

interface Encoded {
  shape: number[];
  dtype?: "bool";
  data: number[];
}
type Params = Record<string, Encoded>;
interface Fixture {
  inputs: Record<string, Encoded>;
  init: { layer: string; seed: number; params: Params }[];
  recurrent: {
    layer: "RNN" | "GRU" | "LSTM";
    bias: boolean;
    nonlinearity?: "relu" | null;
    params: Params;
    runs: { x: string; hidden: string | null; cell?: string | null; y: Encoded; c?: Encoded }[];
  }[];
  attention: {
    options: Record<string, number | boolean>;
    params: Params;
    queries: Encoded;
    keys: Encoded;
    values: Encoded;
    mask_kind: "none" | "additive" | "bool" | "causal";
    mask: Encoded | null;
    y: Encoded;
  }[];
  causal_mask: Encoded;
  transformer: {
    kind: "encoder" | "decoder" | "transformer";
    norm_first: boolean;
    activation?: "tanh";
    params: Params;
    src?: Encoded;
    tgt?: Encoded;
    memory?: Encoded;
    tgt_mask?: Encoded;
    y: Encoded;
  }[];
  positional: {
    layer: "RoPE" | "SinusoidalPositionalEncoding" | "ALiBi";
    options?: Record<string, number | boolean>;
    offset?: number;
    x: Encoded;
    mask?: Encoded | null;
    y: Encoded;
  }[];
  grad: {
    layer: "LSTM" | "MultiHeadAttention";
    params: Params;
    x?: Encoded;
    hidden?: Encoded;
    cell?: Encoded;
    target?: Encoded;
    queries?: Encoded;
    keys?: Encoded;
    mask?: Encoded;
    value: number;
    grads: Params;
  }[];
}

const fixture = loadJson<Fixture>("nn_sequence.json");

function decode(e: Encoded): mx.MxArray {
  if (e.dtype === "bool") return mx.reshape(mx.array(e.data.map((v) => v !== 0)), e.shape);
  return mx.reshape(mx.array(Float32Array.from(e.data)), e.shape);
}

function weightsOf(params: Params): [string, mx.MxArray][] {
  return Object.entries(params).map(([k, v]) => [k, decode(v)]);
}

function flatData(a: mx.MxArray): number[] {
  return Array.from(mx.reshape(a, [-1]).tolist() as number[]);
}

/** Compares with MLX's float32 values (stored with 9 significant digits: exact after fround). */
function assertMatches(
  got: mx.MxArray,
  expected: Encoded,
  label: string,
  tol = { rtol: 1e-4, atol: 1e-5 },
): void {
  assertEquals(got.shape, expected.shape, `${label} shape`);
  assertAllClose(flatData(got), expected.data.map(Math.fround), { ...tol, label });
}

function assertParams(module: mx.nn.Module, expected: Params, label: string, exact = false): void {
  const ours = Object.fromEntries(mx.utils.treeFlatten(module.parameters())) as Record<string, mx.MxArray>;
  assertEquals(Object.keys(ours).sort(), Object.keys(expected).sort(), `${label} parameter names`);
  for (const [key, e] of Object.entries(expected)) {
    assertMatches(
      ours[key]!,
      e,
      `${label}.${key}`,
      exact ? { rtol: 0, atol: 0 } : { rtol: 1e-4, atol: 1e-5 },
    );
  }
}

const relu = (x: mx.MxArray) => mx.maximum(x, 0);

test("RNN, GRU, LSTM, MultiHeadAttention and TransformerEncoderLayer draw MLX's initial weights for a seed", () => {
  for (const c of fixture.init) {
    mx.random.seed(c.seed);
    const layer = c.layer === "RNN"
      ? new mx.nn.RNN(3, 4)
      : c.layer === "GRU"
      ? new mx.nn.GRU(3, 4)
      : c.layer === "LSTM"
      ? new mx.nn.LSTM(3, 4)
      : c.layer === "MultiHeadAttention"
      ? new mx.nn.MultiHeadAttention(8, 2, { bias: true })
      : new mx.nn.TransformerEncoderLayer(8, 2, { mlpDims: 12 });
    assertParams(layer, c.params, c.layer, true);
  }
});

test("RNN, GRU and LSTM match MLX: batched and unbatched, with and without initial states and biases", () => {
  const inputs = Object.fromEntries(Object.entries(fixture.inputs).map(([k, v]) => [k, decode(v)]));
  for (const c of fixture.recurrent) {
    const label = `${c.layer}(bias=${c.bias}${c.nonlinearity ? `, ${c.nonlinearity}` : ""})`;
    const options = { bias: c.bias };
    const layer = c.layer === "RNN"
      ? new mx.nn.RNN(3, 4, { ...options, nonlinearity: c.nonlinearity === "relu" ? relu : undefined })
      : c.layer === "GRU"
      ? new mx.nn.GRU(3, 4, options)
      : new mx.nn.LSTM(3, 4, options);
    layer.loadWeights(weightsOf(c.params));
    for (const run of c.runs) {
      const x = inputs[run.x]!;
      const hidden = run.hidden === null ? undefined : inputs[run.hidden];
      const where = `${label} x=${run.x} hidden=${run.hidden} cell=${run.cell ?? null}`;
      if (layer instanceof mx.nn.LSTM) {
        const cell = run.cell === null || run.cell === undefined ? undefined : inputs[run.cell];
        const [h, cs] = layer.forward(x, hidden, cell);
        assertMatches(h, run.y, `${where} hidden`);
        assertMatches(cs, run.c!, `${where} cell`);
      } else {
        assertMatches(layer.forward(x, hidden), run.y, where);
      }
    }
  }
});

function attentionOptions(o: Record<string, number | boolean>): mx.nn.MultiHeadAttentionOptions {
  return {
    keyInputDims: o.key_input_dims as number | undefined,
    valueInputDims: o.value_input_dims as number | undefined,
    valueDims: o.value_dims as number | undefined,
    valueOutputDims: o.value_output_dims as number | undefined,
    bias: o.bias as boolean | undefined,
  };
}

test("MultiHeadAttention matches MLX: input and value dims, bias, additive / boolean / causal masks", () => {
  for (const c of fixture.attention) {
    const layer = new mx.nn.MultiHeadAttention(
      c.options.dims as number,
      c.options.num_heads as number,
      attentionOptions(c.options),
    );
    layer.loadWeights(weightsOf(c.params));
    const mask = c.mask_kind === "causal" ? "causal" : c.mask === null ? undefined : decode(c.mask);
    const y = layer.forward(decode(c.queries), decode(c.keys), decode(c.values), mask);
    assertMatches(y, c.y, `MultiHeadAttention ${JSON.stringify(c.options)} mask=${c.mask_kind}`);
  }
  const mask = mx.nn.MultiHeadAttention.createAdditiveCausalMask(4);
  assertEquals(String(mask.dtype), "float32");
  assertMatches(mask, fixture.causal_mask, "createAdditiveCausalMask", { rtol: 0, atol: 0 });
  assertEquals(mx.nn.MultiHeadAttention.createAdditiveCausalMask(2, mx.bfloat16).tolist(), [
    [-0, -3.3895313892515355e38],
    [-0, -0],
  ]);
  assertEquals(mx.nn.MultiHeadAttention.createAdditiveCausalMask(0).shape, [0, 0]);
});

test("TransformerEncoder, TransformerDecoder and Transformer match MLX (norm first and after)", () => {
  for (const c of fixture.transformer) {
    const label = `${c.kind}(normFirst=${c.norm_first})`;
    if (c.kind === "encoder") {
      const layers = c.norm_first ? 2 : 1;
      const model = new mx.nn.TransformerEncoder(layers, 4, 2, { mlpDims: 8, normFirst: c.norm_first });
      model.loadWeights(weightsOf(c.params));
      assertMatches(model.forward(decode(c.src!)), c.y, label);
    } else if (c.kind === "decoder") {
      const model = new mx.nn.TransformerDecoder(1, 4, 2, { mlpDims: 8, normFirst: c.norm_first });
      model.loadWeights(weightsOf(c.params));
      assertMatches(model.forward(decode(c.tgt!), decode(c.memory!), decode(c.tgt_mask!)), c.y, label);
    } else {
      const model = new mx.nn.Transformer({
        dims: 4,
        numHeads: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        mlpDims: 8,
        activation: (x) => mx.tanh(x),
      });
      model.loadWeights(weightsOf(c.params));
      const y = model.forward(decode(c.src!), decode(c.tgt!), undefined, decode(c.tgt_mask!));
      assertMatches(y, c.y, label);
    }
  }
});

test("Dropout in transformer layers: identity for p = 0 and in eval mode, random in training", () => {
  const layer = new mx.nn.TransformerEncoderLayer(4, 2, { dropout: 0.5 });
  const x = mx.random.normal({ shape: [2, 3, 4], key: mx.random.key(1) });
  layer.eval();
  const a = flatData(layer.forward(x));
  assertEquals(flatData(layer.forward(x)), a, "eval mode is deterministic");
  layer.train();
  mx.random.seed(0);
  const b = flatData(layer.forward(x));
  mx.random.seed(0);
  assertEquals(flatData(layer.forward(x)), b, "training mode follows the seed");
  assert(b.some((v, i) => v !== a[i]), "training mode drops");
  assertThrows(() => new mx.nn.TransformerEncoderLayer(4, 2, { dropout: 1 }), mx.MxError, "[Dropout]");
});

test("RoPE, SinusoidalPositionalEncoding and ALiBi match MLX", () => {
  for (const c of fixture.positional) {
    const o = c.options ?? {};
    const x = decode(c.x);
    let y: mx.MxArray;
    if (c.layer === "RoPE") {
      const rope = new mx.nn.RoPE(o.dims as number, {
        traditional: o.traditional as boolean | undefined,
        base: o.base as number | undefined,
        scale: o.scale as number | undefined,
      });
      y = rope.forward(x, c.offset);
    } else if (c.layer === "SinusoidalPositionalEncoding") {
      const encoding = new mx.nn.SinusoidalPositionalEncoding(o.dims as number, {
        minFreq: o.min_freq as number | undefined,
        maxFreq: o.max_freq as number | undefined,
        scale: o.scale as number | undefined,
        cosFirst: o.cos_first as boolean | undefined,
        fullTurns: o.full_turns as boolean | undefined,
      });
      y = encoding.forward(x);
    } else {
      y = new mx.nn.ALiBi().forward(x, c.offset, c.mask ? decode(c.mask) : undefined);
    }
    assertMatches(y, c.y, `${c.layer} ${JSON.stringify(o)} offset=${c.offset ?? 0}`, {
      rtol: 1e-5,
      atol: 2e-6,
    });
  }
});

test("RoPE with per-batch array offsets equals RoPE with each offset; float16 keeps its dtype", () => {
  const x = mx.random.normal({ shape: [2, 3, 8], key: mx.random.key(3) });
  const rope = new mx.nn.RoPE(8);
  const both = rope.forward(x, mx.array([1, 4], mx.int32));
  const first = rope.forward(mx.index(x, "0:1"), 1);
  const second = rope.forward(mx.index(x, "1:2"), 4);
  assertAllClose(flatData(both), [...flatData(first), ...flatData(second)], { rtol: 1e-6, atol: 1e-6 });
  assertAllClose(flatData(rope.forward(x, mx.array(2, mx.int32))), flatData(rope.forward(x, 2)), {
    rtol: 0,
    atol: 0,
  });
  const half = rope.forward(mx.astype(x, mx.float16));
  assertEquals(String(half.dtype), "float16");
  assertAllClose(flatData(half), flatData(rope.forward(x)), { rtol: 1e-2, atol: 1e-2 });
  assertEquals(rope.forward(mx.zeros([2, 0, 8])).shape, [2, 0, 8]);
  // more than 4 axes: the middle ones are heads, as MLX's [B, N, T, D] view
  const x5 = mx.random.normal({ shape: [2, 2, 3, 4, 8], key: mx.random.key(5) });
  const flat = rope.forward(mx.reshape(x5, [2, 6, 4, 8]), 3);
  assertAllClose(flatData(rope.forward(x5, 3)), flatData(flat), { rtol: 0, atol: 0 });
  assertThrows(
    () => new mx.nn.MultiHeadAttention(8, 2).forward(x, x, x, "future" as unknown as "causal"),
    mx.MxError,
    'mask must be an MxArray or "causal"',
  );
  assertEquals(String(rope), "RoPE(8, traditional=false)");
});

test("nn.valueAndGrad through an LSTM and a MultiHeadAttention gives MLX's value and gradients", () => {
  for (const c of fixture.grad) {
    let value: mx.MxArray;
    let grads: mx.nn.Parameters;
    if (c.layer === "LSTM") {
      const model = new mx.nn.LSTM(3, 4).loadWeights(weightsOf(c.params));
      const loss = (x: mx.MxArray, h: mx.MxArray, cell: mx.MxArray, t: mx.MxArray) => {
        const [hs, cs] = model.forward(x, h, cell);
        return mx.add(mx.mean(mx.square(mx.subtract(hs, t))), mx.mean(cs));
      };
      [value, grads] = mx.nn.valueAndGrad(model, loss)(
        decode(c.x!),
        decode(c.hidden!),
        decode(c.cell!),
        decode(c.target!),
      );
    } else {
      const model = new mx.nn.MultiHeadAttention(8, 2, { keyInputDims: 6, bias: true }).loadWeights(
        weightsOf(c.params),
      );
      const loss = (q: mx.MxArray, k: mx.MxArray, m: mx.MxArray) =>
        mx.sum(mx.square(model.forward(q, k, k, m)));
      [value, grads] = mx.nn.valueAndGrad(model, loss)(decode(c.queries!), decode(c.keys!), decode(c.mask!));
    }
    assertAllClose(value.item() as number, c.value, { rtol: 1e-5, label: `${c.layer} loss` });
    const flat = Object.fromEntries(mx.utils.treeFlatten(grads)) as Record<string, mx.MxArray>;
    assertEquals(Object.keys(flat).sort(), Object.keys(c.grads).sort());
    for (const [key, expected] of Object.entries(c.grads)) {
      assertMatches(flat[key]!, expected, `${c.layer} d${key}`, { rtol: 1e-4, atol: 1e-5 });
    }
  }
});

test("checkpoint: encoder and decoder stacks give the same values and gradients with and without it", () => {
  mx.random.seed(5);
  const plain = new mx.nn.TransformerEncoder(2, 4, 2, { mlpDims: 8 });
  const saved = new mx.nn.TransformerEncoder(2, 4, 2, { mlpDims: 8, checkpoint: true });
  saved.update(plain.parameters());
  const x = mx.random.normal({ shape: [2, 3, 4], key: mx.random.key(2) });
  const mask = mx.nn.MultiHeadAttention.createAdditiveCausalMask(3);
  for (const m of [mask, "causal" as const, undefined]) {
    const [v1, g1] = mx.nn.valueAndGrad(plain, (a: mx.MxArray) => mx.sum(mx.square(plain.forward(a, m))))(x);
    const [v2, g2] = mx.nn.valueAndGrad(saved, (a: mx.MxArray) => mx.sum(mx.square(saved.forward(a, m))))(x);
    assertAllClose(v2.item() as number, v1.item() as number, { rtol: 1e-6 });
    const f1 = mx.utils.treeFlatten(g1) as [string, mx.MxArray][];
    const f2 = Object.fromEntries(mx.utils.treeFlatten(g2)) as Record<string, mx.MxArray>;
    for (const [k, g] of f1) {
      assertAllClose(flatData(f2[k]!), flatData(g), { rtol: 1e-5, atol: 1e-6, label: k });
    }
  }
  const decoder = new mx.nn.TransformerDecoder(1, 4, 2, { mlpDims: 8, checkpoint: true });
  const reference = new mx.nn.TransformerDecoder(1, 4, 2, { mlpDims: 8 });
  reference.update(decoder.parameters());
  const memory = mx.random.normal({ shape: [2, 5, 4], key: mx.random.key(4) });
  const [d1, h1] = mx.nn.valueAndGrad(
    decoder,
    (a: mx.MxArray) => mx.sum(decoder.forward(a, memory, "causal")),
  )(x);
  const [d2, h2] = mx.nn.valueAndGrad(
    reference,
    (a: mx.MxArray) => mx.sum(reference.forward(a, memory, "causal")),
  )(x);
  assertAllClose(d1.item() as number, d2.item() as number, { rtol: 1e-6 });
  const r = Object.fromEntries(mx.utils.treeFlatten(h2)) as Record<string, mx.MxArray>;
  for (const [k, g] of mx.utils.treeFlatten(h1) as [string, mx.MxArray][]) {
    assertAllClose(flatData(g), flatData(r[k]!), { rtol: 1e-5, atol: 1e-6, label: k });
  }
});

test("dtypes: integer inputs promote to float32 as in MLX; float16 and bfloat16 models keep their dtype", () => {
  mx.random.seed(1);
  const lstm = new mx.nn.LSTM(3, 4);
  const ints = mx.reshape(mx.arange(12), [2, 2, 3]);
  const [h32] = lstm.forward(ints);
  assertEquals(String(h32.dtype), "float32");
  assertEquals(String(new mx.nn.GRU(3, 4).forward(mx.ones([2, 3], mx.int32)).dtype), "float32");
  assertEquals(String(new mx.nn.RNN(3, 4).forward(mx.ones([2, 3], mx.uint8)).dtype), "float32");
  for (const dtype of [mx.float16, mx.bfloat16]) {
    const low = new mx.nn.LSTM(3, 4);
    low.update(lstm.parameters());
    low.setDtype(dtype);
    const [h] = low.forward(mx.astype(ints, dtype));
    assertEquals(String(h.dtype), String(dtype));
    assertAllClose(flatData(mx.astype(h, mx.float32)), flatData(h32), {
      rtol: 0,
      atol: 3e-2,
      label: String(dtype),
    });
  }
  const mha = new mx.nn.MultiHeadAttention(4, 2);
  const q = mx.random.normal({ shape: [1, 3, 4], key: mx.random.key(7) });
  const y32 = mha.forward(q, q, q, "causal");
  mha.setDtype(mx.float16);
  const q16 = mx.astype(q, mx.float16);
  for (const mask of ["causal" as const, mx.nn.MultiHeadAttention.createAdditiveCausalMask(3, mx.float16)]) {
    const y16 = mha.forward(q16, q16, q16, mask);
    assertEquals(String(y16.dtype), "float16");
    assertAllClose(flatData(mx.astype(y16, mx.float32)), flatData(y32), { rtol: 0, atol: 1e-2 });
  }
  // integer masks are additive in the attention's dtype; a wider float mask is an error, as in MLX
  assertEquals(String(mha.forward(q16, q16, q16, mx.zeros([3, 3], mx.int32)).dtype), "float16");
  assertThrows(
    () => mha.forward(q16, q16, q16, mx.zeros([3, 3])),
    mx.MxError,
    "[MultiHeadAttention] the mask's dtype float32 must promote to the attention's dtype float16",
  );
});

test("parameter names, toString and degenerate shapes", () => {
  const mha = new mx.nn.MultiHeadAttention(4, 2, { bias: true });
  assertEquals(mx.utils.treeFlatten(mha.parameters()).map(([k]) => k), [
    "query_proj.weight",
    "query_proj.bias",
    "key_proj.weight",
    "key_proj.bias",
    "value_proj.weight",
    "value_proj.bias",
    "out_proj.weight",
    "out_proj.bias",
  ]);
  assertEquals(String(new mx.nn.LSTM(3, 4)), "LSTM(input_dims=3, hidden_size=4, bias=true)");
  assertEquals(String(new mx.nn.GRU(3, 4, { bias: false })), "GRU(input_dims=3, hidden_size=4, bias=false)");
  assertEquals(Object.keys(new mx.nn.GRU(3, 4, { bias: false }).parameters()), ["Wx", "Wh"]);
  assertEquals(Object.keys(new mx.nn.SinusoidalPositionalEncoding(4).parameters()), []);
  // size-1 sequence, batch and hidden
  assertEquals(new mx.nn.LSTM(1, 1).forward(mx.ones([1, 1, 1]))[0].shape, [1, 1, 1]);
  assertEquals(new mx.nn.RNN(2, 3).forward(mx.ones([1, 2])).shape, [1, 3]);
  // empty batch, and no queries
  assertEquals(new mx.nn.GRU(2, 3).forward(mx.ones([0, 4, 2])).shape, [0, 4, 3]);
  assertEquals(mha.forward(mx.zeros([2, 0, 4]), mx.zeros([2, 3, 4]), mx.zeros([2, 3, 4])).shape, [2, 0, 4]);
  assertEquals(new mx.nn.SinusoidalPositionalEncoding(4).forward(mx.zeros([0])).shape, [0, 4]);
});

test("bad arguments raise MxError naming the layer", () => {
  assertThrows(() => new mx.nn.RNN(0, 4), mx.MxError, "[RNN] inputSize must be a positive integer");
  assertThrows(() => new mx.nn.LSTM(3, 2.5), mx.MxError, "[LSTM] hiddenSize");
  const lstm = new mx.nn.LSTM(3, 4);
  assertThrows(
    () => lstm.forward(mx.ones([2, 5, 2])),
    mx.MxError,
    "[LSTM] the input's last axis must be input_size 3",
  );
  assertThrows(() => lstm.forward(mx.ones([3])), mx.MxError, "[LSTM] the input must be [N, L, D] or [L, D]");
  assertThrows(
    () => lstm.forward(mx.ones([2, 5, 3]), mx.ones([3, 4])),
    mx.MxError,
    "[LSTM] the hidden state must have shape [2,4]",
  );
  assertThrows(
    () => lstm.forward(mx.ones([5, 3]), undefined, mx.ones([2, 4])),
    mx.MxError,
    "[LSTM] the cell state must have shape [4]",
  );
  assertThrows(
    () => new mx.nn.RNN(3, 4).forward(mx.ones([2, 0, 3])),
    mx.MxError,
    "[RNN] the sequence is empty",
  );
  assertThrows(
    () => new mx.nn.MultiHeadAttention(6, 4),
    mx.MxError,
    "[MultiHeadAttention] the feature dimensions should be divisible",
  );
  const mha = new mx.nn.MultiHeadAttention(4, 2);
  const q = mx.ones([2, 3, 4]);
  assertThrows(
    () => mha.forward(q, mx.ones([2, 3, 5]), q),
    mx.MxError,
    "[MultiHeadAttention] keys must have shape [batch, length, 4]",
  );
  assertThrows(
    () => mha.forward(q, q, mx.ones([1, 3, 4])),
    mx.MxError,
    "[MultiHeadAttention] queries [2,3,4], keys [2,3,4] and values [1,3,4]",
  );
  assertThrows(
    () => mha.forward(q, q, q, mx.ones([4, 4])),
    mx.MxError,
    "[MultiHeadAttention] the mask of shape [4,4] does not broadcast",
  );
  assertThrows(
    () => mx.nn.MultiHeadAttention.createAdditiveCausalMask(3, mx.int32),
    mx.MxError,
    "dtype must be floating point",
  );
  assertThrows(() => new mx.nn.TransformerEncoder(0, 4, 2), mx.MxError, "[TransformerEncoder] numLayers");
  assertThrows(
    () => new mx.nn.TransformerDecoderLayer(4, 2, { mlpDims: -1 }),
    mx.MxError,
    "[TransformerDecoderLayer] mlpDims",
  );
  assertThrows(() => new mx.nn.RoPE(3), mx.MxError, "[RoPE] dims must be a positive even integer");
  const rope = new mx.nn.RoPE(4);
  assertThrows(() => rope.forward(mx.ones([3, 4])), mx.MxError, "[RoPE] the input must have at least 3 axes");
  assertThrows(
    () => rope.forward(mx.ones([1, 3, 2])),
    mx.MxError,
    "[RoPE] dims 4 exceeds the input's last axis",
  );
  assertThrows(
    () => rope.forward(mx.ones([1, 3, 4], mx.int32)),
    mx.MxError,
    "[RoPE] the input must be floating point",
  );
  assertThrows(
    () => rope.forward(mx.ones([2, 3, 4]), mx.array([1, 2, 3], mx.int32)),
    mx.MxError,
    "[RoPE] offset must be a scalar or a vector of 2",
  );
  assertThrows(
    () => rope.forward(mx.ones([2, 3, 4]), mx.array([1.5, 2])),
    mx.MxError,
    "[RoPE] offset must be an integer array",
  );
  assertThrows(
    () => new mx.nn.SinusoidalPositionalEncoding(5),
    mx.MxError,
    "[SinusoidalPositionalEncoding] dims must be positive and even",
  );
  assertThrows(
    () => new mx.nn.ALiBi().forward(mx.ones([3, 4])),
    mx.MxError,
    "[ALiBi] the attention scores must be",
  );
  assertThrows(() => mx.nn.ALiBi.createAlibiSlope(0), mx.MxError, "[ALiBi] the number of heads");
});
