/**
 * nn layers (convolution, pooling, normalization, dropout, embedding, upsample) and
 * mx.asStrided against MLX (test/fixtures/nn_layers.json from
 * scripts/fixtures/gen_nn_layers.py): seeded initial parameters, forward outputs on MLX's
 * weights and inputs (training and evaluation mode, BatchNorm's running statistics, Dropout's
 * seeded masks), gradients through nn.valueAndGrad and mx.grad; error messages naming the
 * layer.
 */

import * as mx from "mlx-ts";
import { dtypeByName, loadJson } from "./fixtures.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

interface Encoded {
  shape: number[];
  dtype: string;
  data: number[];
}
type Params = Record<string, Encoded>;
interface BatchStep {
  x: Encoded;
  y: Encoded;
  running_mean: Encoded;
  running_var: Encoded;
}
interface ForwardCase {
  id: string;
  params: Params;
  x: Encoded;
  y: Encoded;
  seed?: number;
  steps?: BatchStep[];
  linear_x?: Encoded;
  linear_y?: Encoded;
}
interface GradCase {
  id: string;
  train: boolean;
  params: Params;
  x: Encoded;
  cotangent: Encoded;
  value: number;
  grads: Params;
  grad_x: Encoded;
}
interface AsStridedCase {
  x: Encoded;
  transpose: boolean;
  shape: number[];
  strides: number[];
  offset: number;
  cotangent: Encoded;
  y: Encoded;
  grad: Encoded;
}
interface Fixture {
  init: { id: string; seed: number; params: Params }[];
  forward: ForwardCase[];
  grad: GradCase[];
  as_strided: AsStridedCase[];
}

const fixture = loadJson<Fixture>("nn_layers.json");
const nn = mx.nn;

function decode(e: Encoded): mx.MxArray {
  if (e.dtype === "int32") return mx.reshape(mx.array(Int32Array.from(e.data)), e.shape);
  const values = mx.reshape(mx.array(Float32Array.from(e.data)), e.shape);
  // float16 / bfloat16 values are stored as their exact float32 values.
  return e.dtype === "float32" ? values : mx.astype(values, dtypeByName(e.dtype));
}

const halfTolerance = { rtol: 2e-2, atol: 2e-2 };

function flatData(a: mx.MxArray): number[] {
  return Array.from(mx.reshape(a, [-1]).tolist() as number[]);
}

function weightsOf(params: Params): [string, mx.MxArray][] {
  return Object.entries(params).map(([k, v]) => [k, decode(v)]);
}

function assertArray(
  got: mx.MxArray,
  expected: Encoded,
  label: string,
  tol: { rtol: number; atol: number } = { rtol: 1e-4, atol: 1e-5 },
): void {
  assertEquals(got.shape, expected.shape, `${label} shape`);
  assertAllClose(flatData(got), expected.data, { ...tol, label });
}

type Layer = mx.nn.Module & { forward(x: mx.MxArray): mx.MxArray };

const initMakers: Record<string, () => mx.nn.Module> = {
  Conv1d: () => new nn.Conv1d(3, 4, 3),
  Conv2d: () => new nn.Conv2d(4, 6, [3, 2], { groups: 2 }),
  Conv3d: () => new nn.Conv3d(2, 3, 2, { bias: false }),
  ConvTranspose1d: () => new nn.ConvTranspose1d(2, 3, 3),
  ConvTranspose2d: () => new nn.ConvTranspose2d(3, 2, [2, 3]),
  ConvTranspose3d: () => new nn.ConvTranspose3d(1, 2, 2),
  Embedding: () => new nn.Embedding(10, 4),
  BatchNorm: () => new nn.BatchNorm(3),
  GroupNorm: () => new nn.GroupNorm(2, 4),
  InstanceNormAffine: () => new nn.InstanceNorm(3, { affine: true }),
  LayerNormNoBias: () => new nn.LayerNorm(5, { bias: false }),
  RMSNorm: () => new nn.RMSNorm(5),
};

const forwardMakers: Record<string, () => Layer> = {
  conv1d: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1 }),
  conv1d_groups_dilation: () => new nn.Conv1d(4, 6, 3, { dilation: 2, groups: 2 }),
  conv2d: () => new nn.Conv2d(3, 5, [3, 2], { stride: [2, 1], padding: 1 }),
  conv2d_nobias: () => new nn.Conv2d(2, 3, 3, { bias: false }),
  conv3d: () => new nn.Conv3d(2, 3, 2, { padding: 1 }),
  conv_transpose1d: () => new nn.ConvTranspose1d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  conv_transpose2d: () => new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, dilation: 2 }),
  conv_transpose3d: () => new nn.ConvTranspose3d(2, 2, 2, { stride: 2 }),
  max_pool1d: () => new nn.MaxPool1d(3, { stride: 2, padding: 1 }),
  max_pool2d_tiled: () => new nn.MaxPool2d(2),
  max_pool2d_strided: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
  max_pool2d_rect: () => new nn.MaxPool2d([2, 3], { stride: [1, 2] }),
  max_pool3d: () => new nn.MaxPool3d(2, { stride: 1 }),
  avg_pool1d: () => new nn.AvgPool1d(2),
  avg_pool2d_tiled: () => new nn.AvgPool2d(2),
  avg_pool2d_padded: () => new nn.AvgPool2d([2, 3], { stride: [1, 2], padding: 1 }),
  avg_pool3d: () => new nn.AvgPool3d(2, { stride: 2, padding: 1 }),
  layer_norm: () => new nn.LayerNorm(6),
  layer_norm_plain: () => new nn.LayerNorm(6, { affine: false }),
  layer_norm_nobias: () => new nn.LayerNorm(6, { bias: false }),
  rms_norm: () => new nn.RMSNorm(6, { eps: 1e-6 }),
  group_norm: () => new nn.GroupNorm(2, 6),
  group_norm_pytorch: () => new nn.GroupNorm(3, 6, { pytorchCompatible: true }),
  group_norm_plain: () => new nn.GroupNorm(2, 4, { affine: false }),
  instance_norm: () => new nn.InstanceNorm(4),
  instance_norm_affine: () => new nn.InstanceNorm(4, { affine: true }),
  batch_norm_eval: () => new nn.BatchNorm(4),
  batch_norm_no_track: () => new nn.BatchNorm(3, { trackRunningStats: false, affine: false }),
  embedding: () => new nn.Embedding(7, 3),
  upsample_nearest: () => new nn.Upsample(2),
  upsample_nearest_2d: () => new nn.Upsample([2, 3]),
  upsample_nearest_frac: () => new nn.Upsample(1.5),
  upsample_nearest_down: () => new nn.Upsample(0.5),
  upsample_linear: () => new nn.Upsample(2, { mode: "linear" }),
  upsample_linear_corners: () => new nn.Upsample(2.5, { mode: "linear", alignCorners: true }),
  upsample_linear_2d: () => new nn.Upsample([2, 1.5], { mode: "linear" }),
  upsample_cubic: () => new nn.Upsample(2, { mode: "cubic" }),
  upsample_cubic_corners: () => new nn.Upsample(2, { mode: "cubic", alignCorners: true }),
  upsample_linear_antialias: () => new nn.Upsample(0.5, { mode: "linear", antialias: true }),
  upsample_cubic_antialias: () => new nn.Upsample(0.5, { mode: "cubic", antialias: true }),
  conv2d_f16: () => new nn.Conv2d(2, 3, 3, { padding: 1 }),
  conv1d_bf16: () => new nn.Conv1d(2, 3, 2),
  max_pool2d_tiled_bf16: () => new nn.MaxPool2d(2),
  max_pool2d_strided_f16: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
  avg_pool1d_f16: () => new nn.AvgPool1d(3, { stride: 2 }),
  layer_norm_f16: () => new nn.LayerNorm(6),
  rms_norm_bf16: () => new nn.RMSNorm(6),
  group_norm_f16: () => new nn.GroupNorm(2, 4),
  batch_norm_eval_bf16: () => new nn.BatchNorm(4),
  upsample_linear_f16: () => new nn.Upsample(2, { mode: "linear" }),
  upsample_nearest_bf16: () => new nn.Upsample(2),
  batch_norm_train: () => new nn.BatchNorm(4),
  batch_norm_train_4d: () => new nn.BatchNorm(3, { momentum: 0.3 }),
  dropout: () => new nn.Dropout(0.3),
  dropout2d: () => new nn.Dropout2d(0.5),
  dropout3d: () => new nn.Dropout3d(0.25),
};

const gradMakers: Record<string, () => Layer> = {
  conv2d: () => new nn.Conv2d(2, 3, 3, { stride: 2, padding: 1 }),
  max_pool2d_tiled: () => new nn.MaxPool2d(2),
  max_pool2d_strided: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
  avg_pool2d_strided: () => new nn.AvgPool2d(2, { stride: 1 }),
  batch_norm: () => new nn.BatchNorm(3),
  layer_norm: () => new nn.LayerNorm(5),
  group_norm: () => new nn.GroupNorm(2, 4),
};

test("nn layers draw MLX's initial parameters for the same seed", () => {
  assertEquals(Object.keys(initMakers).sort(), fixture.init.map((c) => c.id).sort());
  for (const c of fixture.init) {
    mx.random.seed(c.seed);
    const layer = initMakers[c.id]!();
    const ours = Object.fromEntries(mx.utils.treeFlatten(layer.parameters())) as Record<string, mx.MxArray>;
    assertEquals(Object.keys(ours).sort(), Object.keys(c.params).sort(), `${c.id} parameter names`);
    for (const [key, expected] of Object.entries(c.params)) {
      // The fixture stores the shortest decimal of each float32: round it back exactly.
      // knownDifference: normal draws (Embedding) may differ from MLX's in the last 2 ulp
      // (our erfinv is within 1 ulp of correctly rounded); uniform draws are bit-equal.
      const tol = c.id === "Embedding" ? { rtol: 3e-7, atol: 0 } : { rtol: 0, atol: 0 };
      assertArray(ours[key]!, { ...expected, data: expected.data.map(Math.fround) }, `${c.id}.${key}`, tol);
    }
  }
});

test("nn layers' forward (evaluation mode) matches MLX on MLX's weights", () => {
  const failures: string[] = [];
  for (const c of fixture.forward) {
    if (c.steps !== undefined || c.seed !== undefined) continue;
    const layer = forwardMakers[c.id];
    assert(layer !== undefined, `no maker for ${c.id}`);
    try {
      const model = layer().loadWeights(weightsOf(c.params)).eval();
      const y = model.forward(decode(c.x));
      assertEquals(String(y.dtype), c.y.dtype, `${c.id} dtype`);
      // Half precision: MLX's fused norms compute in float32, ours op by op.
      assertArray(y, c.y, c.id, c.y.dtype === "float32" ? undefined : halfTolerance);
      if (c.linear_x !== undefined) {
        assertArray((model as mx.nn.Embedding).asLinear(decode(c.linear_x)), c.linear_y!, `${c.id} asLinear`);
      }
    } catch (e) {
      failures.push(`${c.id}: ${(e as Error).message.slice(0, 300)}`);
    }
  }
  assertEquals(failures, []);
});

test("BatchNorm in training mode matches MLX's outputs and running statistics", () => {
  for (const c of fixture.forward.filter((f) => f.steps !== undefined)) {
    const model = forwardMakers[c.id]!().loadWeights(weightsOf(c.params));
    assert(model.training);
    c.steps!.forEach((step, k) => {
      assertArray(model.forward(decode(step.x)), step.y, `${c.id} step ${k} output`);
      const bn = model as mx.nn.BatchNorm;
      assertArray(bn.running_mean!, step.running_mean, `${c.id} step ${k} running_mean`);
      assertArray(bn.running_var!, step.running_var, `${c.id} step ${k} running_var`);
    });
    model.eval();
    assertArray(model.forward(decode(c.x)), c.y, `${c.id} eval`);
    assertEquals(Object.keys(model.trainableParameters()).sort(), ["bias", "weight"]);
    model.unfreeze();
    assertEquals(
      Object.keys(model.trainableParameters()).sort(),
      ["bias", "weight"],
      "running stats stay frozen",
    );
  }
});

test("Dropout, Dropout2d, Dropout3d draw MLX's masks for the same seed; identity in eval mode", () => {
  for (const c of fixture.forward.filter((f) => f.seed !== undefined)) {
    const model = forwardMakers[c.id]!();
    const x = decode(c.x);
    mx.random.seed(c.seed!);
    assertArray(model.forward(x), c.y, c.id, { rtol: 1e-6, atol: 1e-7 });
    model.eval();
    assertEquals(flatData(model.forward(x)), flatData(x), `${c.id} eval`);
  }
});

test("nn.valueAndGrad and mx.grad through Conv2d, pooling, BatchNorm, LayerNorm, GroupNorm match MLX", () => {
  const failures: string[] = [];
  for (const c of fixture.grad) {
    try {
      const model = gradMakers[c.id]!().loadWeights(weightsOf(c.params)).train(c.train);
      const x = decode(c.x);
      const cot = decode(c.cotangent);
      const loss = (input: mx.MxArray) => mx.sum(mx.multiply(model.forward(input), cot));
      if (Object.keys(c.grads).length > 0) {
        const [value, grads] = nn.valueAndGrad(model, loss)(x);
        assertAllClose(value.item() as number, c.value, { rtol: 1e-4, atol: 1e-4, label: `${c.id} value` });
        const flat = Object.fromEntries(mx.utils.treeFlatten(grads)) as Record<string, mx.MxArray>;
        assertEquals(Object.keys(flat).sort(), Object.keys(c.grads).sort(), `${c.id} gradient names`);
        for (const [key, expected] of Object.entries(c.grads)) {
          assertArray(flat[key]!, expected, `${c.id} d/d${key}`);
        }
      }
      model.loadWeights(weightsOf(c.params));
      assertArray(mx.grad(loss)(x), c.grad_x, `${c.id} d/dx`);
    } catch (e) {
      failures.push(`${c.id}: ${(e as Error).message.slice(0, 300)}`);
    }
  }
  assertEquals(failures, []);
});

test("asStrided views and gradients match mx.as_strided", () => {
  fixture.as_strided.forEach((c, i) => {
    const base = decode(c.x);
    const x = c.transpose ? mx.transpose(base) : base;
    const options = { strides: c.strides, offset: c.offset };
    const exact = { ...c.y, data: c.y.data.map(Math.fround) };
    assertArray(mx.asStrided(x, c.shape, options), exact, `case ${i} view`, { rtol: 0, atol: 0 });
    const cot = decode(c.cotangent);
    const g = mx.grad((a: mx.MxArray) => mx.sum(mx.multiply(mx.asStrided(a, c.shape, options), cot)))(x);
    assertArray(g, c.grad, `case ${i} gradient`, { rtol: 1e-5, atol: 1e-6 });
  });
});

test("asStrided views, bounds and gradient", () => {
  const x = mx.arange(6);
  const t0 = () => mx.transpose(mx.transpose(mx.reshape(x, [2, 3])));
  assertEquals(mx.asStrided(x, [2, 3]).tolist(), [[0, 1, 2], [3, 4, 5]]);
  assertEquals(mx.asStrided(t0()).tolist(), [[0, 1, 2], [3, 4, 5]], "default shape: the input's, row-major");
  assertEquals(mx.asStrided(x, [3, 2], { strides: [2, 1] }).tolist(), [[0, 1], [2, 3], [4, 5]]);
  assertEquals(mx.asStrided(x, [2, 2], { strides: [1, 0], offset: 4 }).tolist(), [[4, 4], [5, 5]]);
  assertEquals(mx.asStrided(x, [3], { strides: [-2], offset: 5 }).tolist(), [5, 3, 1]);
  assertEquals(mx.asStrided(x, [0, 4], { strides: [100, 100], offset: 0 }).shape, [0, 4]);
  // A strided (transposed) input is flattened row-major first, as MLX does.
  const t = mx.transpose(mx.reshape(x, [2, 3]));
  assertEquals(mx.asStrided(t, [6]).tolist(), [0, 3, 1, 4, 2, 5]);
  const g = mx.grad((a: mx.MxArray) => mx.sum(mx.asStrided(a, [4, 3], { strides: [1, 1] })))(mx.ones([6]));
  assertEquals(g.tolist(), [1, 2, 3, 3, 2, 1]);
  // Every dtype; 0-d input; under compile (replayed on new values) and vmap.
  assertEquals(mx.asStrided(mx.array([true, false, true]), [2, 2], { strides: [1, 1] }).tolist(), [[
    true,
    false,
  ], [
    false,
    true,
  ]]);
  assertEquals(mx.asStrided(mx.array([1, 2, 3], mx.int64), [2], { strides: [2] }).tolist(), [1, 3]);
  assertEquals(mx.asStrided(mx.array([1, 2, 3], mx.float16), [2], { strides: [1], offset: 1 }).tolist(), [
    2,
    3,
  ]);
  assertEquals(mx.asStrided(mx.array(5), [3], { strides: [0] }).tolist(), [5, 5, 5]);
  const pairs = mx.compile((a: mx.MxArray) =>
    mx.sum(mx.asStrided(a, [3, 2], { strides: [1, 1] }), { axis: 1 })
  );
  assertEquals(pairs(mx.arange(4)).tolist(), [1, 3, 5]);
  assertEquals(pairs(mx.array([1, 10, 100, 1000])).tolist(), [11, 110, 1100]);
  const rows = mx.vmap((a: mx.MxArray) => mx.asStrided(a, [2, 2], { strides: [1, 1] }));
  assertEquals(rows(mx.reshape(x, [2, 3])).tolist(), [[[0, 1], [1, 2]], [[3, 4], [4, 5]]]);
  assertThrows(
    () => mx.asStrided(x, [3, 3], { strides: [2, 1] }),
    mx.MxError,
    "[as_strided] the view of shape [3,3]",
  );
  assertThrows(() => mx.asStrided(x, [2], { strides: [-1] }), mx.MxError, "outside an input of 6 elements");
  assertThrows(() => mx.asStrided(x, [2], { strides: [1, 1] }), mx.MxError, "[asStrided] 2 strides given");
  assertThrows(() => mx.asStrided(x, [2], { strides: [0.5] }), mx.MxError, "not an integer");
  assertThrows(() => mx.asStrided(x, [-1]), mx.MxError, "[asStrided] dimensions must be integers >= 0");
});

test("nn layers reject bad arguments with an MxError naming the layer", () => {
  const cases: [() => unknown, string][] = [
    [
      () => new nn.Conv2d(3, 4, 3).forward(mx.ones([2, 5, 5])),
      "[Conv2d] expects a 4-D input (NHWC); got shape [2,5,5]",
    ],
    [() => new nn.Conv2d(3, 4, 3).forward(mx.ones([1, 5, 5, 2])), "[Conv2d] expects 3 input channels"],
    [
      () => new nn.Conv1d(3, 4, 3, { groups: 2 }),
      "[Conv1d] the number of input channels (3) must be divisible",
    ],
    [() => new nn.Conv2d(3, 4, [3, 0]), "[Conv2d] kernelSize must be an integer or 2 integers >= 1"],
    [() => new nn.Conv3d(3, 4, [3, 3]), "[Conv3d] kernelSize must be an integer or 3 integers >= 1"],
    [
      () => new nn.ConvTranspose1d(2, 2, 2).forward(mx.ones([1, 4, 3])),
      "[ConvTranspose1d] expects 2 input channels",
    ],
    [
      () => new nn.Conv2d(1, 1, 5).forward(mx.ones([1, 3, 3, 1])),
      "[Conv2d] the kernel (5, 5) (dilation (1, 1)) spans 5 positions on spatial axis 0",
    ],
    [() => new nn.MaxPool2d(0), "[MaxPool2d] kernelSize must be an integer or 2 integers >= 1"],
    [() => new nn.AvgPool1d(2, { padding: -1 }), "[AvgPool1d] padding must be an integer >= 0"],
    [() => new nn.MaxPool2d(2).forward(mx.ones([4, 4, 1])), "[MaxPool2d] expects a 4-D input (NHWC)"],
    [() => new nn.MaxPool1d(5).forward(mx.ones([1, 3, 1])), "[MaxPool1d] kernel size (5,) is larger than"],
    [() => new nn.LayerNorm(4).forward(mx.ones([2, 3])), "[LayerNorm] expects 4 features on the last axis"],
    [() => new nn.LayerNorm(4, { eps: 0 }), "[LayerNorm] eps must be positive"],
    [() => new nn.RMSNorm(4).forward(mx.ones([2, 3])), "[RMSNorm] expects 4 features"],
    [
      () => new nn.GroupNorm(3, 4),
      "[GroupNorm] the number of features (4) must be divisible by the number of groups (3)",
    ],
    [
      () => new nn.InstanceNorm(2).forward(mx.ones([3, 2])),
      "[InstanceNorm] expects an input of at least 3 dimensions",
    ],
    [
      () => new nn.BatchNorm(2).forward(mx.ones([2, 2, 2, 2, 2])),
      "[BatchNorm] expects an input of 2, 3 or 4 dimensions",
    ],
    [
      () => new nn.BatchNorm(2).forward(mx.ones([1, 2])),
      "[BatchNorm] training needs more than one value per feature",
    ],
    [() => new nn.BatchNorm(3).forward(mx.ones([4, 2])), "[BatchNorm] expects 3 features"],
    [() => new nn.Dropout(1), "[Dropout] the dropout probability 1 is not in [0, 1)"],
    [() => new nn.Dropout2d().forward(mx.ones([2, 2])), "[Dropout2d] expects a 3-D or 4-D input"],
    [() => new nn.Dropout3d().forward(mx.ones([2, 2, 2])), "[Dropout3d] expects a 4-D or 5-D input"],
    [
      () => new nn.Embedding(4, 2).forward(mx.array([1.5])),
      "[Embedding] indices must be integers; got float32",
    ],
    [() => new nn.Embedding(4, 2).asLinear(mx.ones([3])), "[Embedding] asLinear expects 2 features"],
    [() => new nn.Embedding(0, 2), "[Embedding] numEmbeddings must be a positive integer"],
    [
      () => new nn.Upsample(2).forward(mx.ones([2, 3])),
      "[Upsample] the input needs at least one spatial axis",
    ],
    [
      () => new nn.Upsample([2, 2]).forward(mx.ones([1, 3, 1])),
      "[Upsample] one scale per spatial axis is required",
    ],
    [
      () => new nn.Upsample(2, { mode: "nearest", antialias: true }),
      "[Upsample] antialiasing is not supported",
    ],
    [() => new nn.Upsample(0), "[Upsample] scale factors must be positive"],
  ];
  for (const [fn, message] of cases) assertThrows(fn, mx.MxError, message);
});

test("nn layers print MLX's repr", () => {
  assertEquals(
    String(new nn.Conv2d(3, 8, 3, { padding: 1 })),
    "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, bias=true)",
  );
  assertEquals(
    String(new nn.Conv1d(2, 4, 3)),
    "Conv1d(2, 4, kernel_size=3, stride=1, padding=0, dilation=1, groups=1, bias=true)",
  );
  assertEquals(String(new nn.MaxPool2d(2)), "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  assertEquals(
    String(new nn.BatchNorm(4)),
    "BatchNorm(4, eps=0.00001, momentum=0.1, affine=true, track_running_stats=true)",
  );
  assertEquals(String(new nn.Embedding(10, 4)), "Embedding(10, 4)");
  assertEquals(String(new nn.Dropout(0.25)), "Dropout(p=0.25)");
  assertEquals(
    String(new nn.Upsample(0.5, { mode: "linear", antialias: true })),
    "Upsample(scale_factor=0.5, mode='linear', align_corners=false, antialias=true)",
  );
});

test("MaxPool2d 2x2 on [N,28,28,C] takes the reshape path (no strided view) and trains", () => {
  const pool = new nn.MaxPool2d(2);
  const x = mx.random.normal({ shape: [4, 28, 28, 8], key: mx.random.key(1) });
  const y = pool.forward(x);
  assertEquals(y.shape, [4, 14, 14, 8]);
  const g = mx.grad((a: mx.MxArray) => mx.sum(pool.forward(a)))(x);
  // Exactly one 1 per window (normal draws have no ties).
  assertEquals(mx.sum(g).item(), 4 * 14 * 14 * 8);
  assertEquals(mx.max(g).item(), 1);
});

test("nn layers accept empty batches and size-1 windows (knownDifference: GroupNorm and InstanceNorm of an empty batch work; MLX raises)", () => {
  const empty: [mx.nn.Module & { forward(x: mx.MxArray): mx.MxArray }, number[], number[]][] = [
    [new nn.Conv2d(2, 3, 3, { padding: 1 }), [0, 4, 4, 2], [0, 4, 4, 3]],
    [new nn.ConvTranspose1d(2, 3, 2, { stride: 2 }), [0, 3, 2], [0, 6, 3]],
    [new nn.MaxPool2d(2), [0, 4, 4, 1], [0, 2, 2, 1]],
    [new nn.MaxPool2d(3, { stride: 2 }), [0, 5, 5, 1], [0, 2, 2, 1]],
    [new nn.AvgPool1d(2, { stride: 1 }), [0, 3, 2], [0, 2, 2]],
    [new nn.LayerNorm(6), [0, 6], [0, 6]],
    [new nn.RMSNorm(6), [0, 6], [0, 6]],
    [new nn.GroupNorm(2, 4), [0, 3, 4], [0, 3, 4]],
    [new nn.GroupNorm(2, 4, { pytorchCompatible: true }), [0, 3, 4], [0, 3, 4]],
    [new nn.InstanceNorm(2), [0, 3, 2], [0, 3, 2]],
    [new nn.BatchNorm(2).eval(), [0, 2], [0, 2]],
    [new nn.Dropout(0.5), [0, 2], [0, 2]],
    [new nn.Upsample(2, { mode: "linear" }), [0, 3, 1], [0, 6, 1]],
    [new nn.Upsample(2, { mode: "cubic" }), [0, 3, 1], [0, 6, 1]],
  ];
  for (const [layer, input, output] of empty) {
    const y = layer.forward(mx.zeros(input));
    mx.eval(y);
    assertEquals(y.shape, output, layer.constructor.name);
  }
  assertEquals(new nn.Embedding(4, 2).forward(mx.zeros([0], mx.int32)).shape, [0, 2]);
  const x = mx.reshape(mx.array([1, -2, 3, 4]), [1, 2, 2]);
  assertEquals(new nn.MaxPool1d(1).forward(x).tolist(), x.tolist());
  assertEquals(new nn.AvgPool1d(1).forward(x).tolist(), x.tolist());
  assertEquals(new nn.Upsample(1).forward(x).tolist(), x.tolist());
  // One position per group: GroupNorm normalizes a single value per group to 0.
  assertEquals(new nn.GroupNorm(2, 2, { affine: false }).forward(mx.ones([1, 1, 2])).tolist(), [[[0, 0]]]);
});

test("reductions over middle axes with kept rows (the pooling layout) match a direct loop", () => {
  // [A, R1, B, R2, C] reduced over R1 and R2: kept rows of C contiguous elements.
  const shape = [3, 2, 4, 3, 9];
  const size = shape.reduce((p, d) => p * d, 1);
  const values = Array.from({ length: size }, (_, i) => ((i * 37) % 23) - 11 + (i % 3) * 0.25);
  const at = (a: number, r1: number, b: number, r2: number, c: number) =>
    values[(((a * 2 + r1) * 4 + b) * 3 + r2) * 9 + c]!;
  const expect = (combine: (acc: number, v: number) => number, init: number, map = (v: number) => v) => {
    const out: number[] = [];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 4; b++) {
        for (let c = 0; c < 9; c++) {
          let acc = init;
          for (let r1 = 0; r1 < 2; r1++) {
            for (let r2 = 0; r2 < 3; r2++) acc = combine(acc, map(at(a, r1, b, r2, c)));
          }
          out.push(acc);
        }
      }
    }
    return out;
  };
  const x = mx.reshape(mx.array(Float32Array.from(values)), shape);
  const axis = [1, 3];
  assertAllClose(flatData(mx.sum(x, { axis })), expect((p, v) => p + v, 0), { rtol: 1e-6, label: "sum" });
  assertEquals(flatData(mx.max(x, { axis })), expect(Math.max, -Infinity), "max");
  assertEquals(flatData(mx.min(x, { axis })), expect(Math.min, Infinity), "min");
  assertAllClose(flatData(mx.prod(x, { axis })), expect((p, v) => p * v, 1), { rtol: 1e-5, label: "prod" });
  const positive = mx.greater(x, 0);
  assertEquals(
    flatData(mx.sum(positive, { axis })),
    expect((p, v) => p + v, 0, (v) => (v > 0 ? 1 : 0)),
    "sum bool",
  );
  assertEquals(
    mx.reshape(mx.any(positive, { axis }), [-1]).tolist(),
    expect((p, v) => p + v, 0, (v) => (v > 0 ? 1 : 0)).map((n) => n > 0),
    "any",
  );
  const ints = mx.astype(x, mx.int32);
  assertEquals(flatData(mx.sum(ints, { axis })), expect((p, v) => p + v, 0, Math.trunc), "sum int32");
  assertAllClose(flatData(mx.sum(mx.astype(x, mx.float16), { axis })), expect((p, v) => p + v, 0), {
    rtol: 1e-2,
    atol: 1e-2,
    label: "sum float16",
  });
  // A transposed (strided) input takes the same path.
  const t = mx.transpose(mx.reshape(x, [3, 2, 4, 27]), { axes: [0, 2, 1, 3] });
  assertEquals(t.shape, [3, 4, 2, 27]);
  assertAllClose(
    flatData(mx.sum(t, { axis: 2 })),
    flatData(mx.add(mx.index(t, ":", ":", 0), mx.index(t, ":", ":", 1))),
    {
      rtol: 1e-6,
      label: "strided sum",
    },
  );
});
