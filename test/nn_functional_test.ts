/**
 * mx.nn activations, mx.nn.losses and mx.nn.init against MLX 0.32.4 (mlx.nn) fixtures from
 * scripts/fixtures/gen_nn_functional.py: values and dtypes for every op, option and
 * reduction, gradients of the losses, initializers after the same seed; error messages.
 */

import { readFileSync } from "node:fs";
import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { decode, dtypeByName, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

interface FnCase {
  name: string;
  op: string;
  inputs: number[];
  options: Record<string, unknown>;
  expected: TensorSpec;
}

interface InitCase {
  name: string;
  op: string;
  seed: number;
  shape: number[];
  builder: Record<string, unknown>;
  call: Record<string, unknown>;
  expected: TensorSpec;
}

const fixture = JSON.parse(
  readFileSync(
    decodeURIComponent(new URL("./fixtures/nn_functional.json", import.meta.url).pathname),
    "utf8",
  ),
) as {
  activations: FnCase[];
  losses: FnCase[];
  grads: FnCase[];
  activationGrads: FnCase[];
  init: InitCase[];
  tensors: TensorSpec[];
};

type Fn = (...args: never[]) => mx.MxArray;
const activations = mx.nn as unknown as Record<string, Fn>;
const losses = mx.nn.losses as unknown as Record<string, Fn>;

/** Tolerances by result dtype: MLX's float32 transcendental functions differ from ours in
 * the last bits; half precision rounds each step. */
function tolerance(dtype: string): { rtol: number; atol: number } {
  if (dtype === "float16") return { rtol: 4e-3, atol: 2e-3 };
  if (dtype === "bfloat16") return { rtol: 2e-2, atol: 1e-2 };
  return { rtol: 2e-5, atol: 2e-6 };
}

function expectedValues(spec: TensorSpec): unknown {
  return decode(spec.data, false, spec.shape.length);
}

function checkResult(got: mx.MxArray, expected: TensorSpec): void {
  assertEquals(got.dtype.name, expected.dtype, "dtype");
  assertEquals(got.shape, expected.shape, "shape");
  const values = mx.astype(got, mx.float32);
  assertAllClose(values.tolist(), expectedValues(expected), tolerance(expected.dtype));
  values.dispose();
}

/** The call a case describes: positional inputs, then options (`{ input: i }` = an array). */
function run(fn: Fn, c: FnCase): mx.MxArray {
  return mx.tidy(() => {
    const arrays = c.inputs.map((i) => makeArray(fixture.tensors[i]!));
    const named = new Set<number>();
    const options: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(c.options)) {
      if (value !== null && typeof value === "object" && "input" in value) {
        const i = (value as { input: number }).input;
        named.add(i);
        options[key] = arrays[i];
      } else {
        options[key] = value;
      }
    }
    const positional = arrays.filter((_, i) => !named.has(i));
    const args = Object.keys(options).length > 0 || fn.length > positional.length
      ? [...positional, options]
      : positional;
    return (fn as unknown as (...a: unknown[]) => mx.MxArray)(...args);
  });
}

testFixtureGroups(fixture.activations, {
  title: (op, n) => `nn.${op}() matches mlx.nn on ${n} fixture cases (dtypes, options, empty and 0-d)`,
  check: (c) => {
    using got = run(activations[c.op]!, c);
    checkResult(got, c.expected);
  },
});

testFixtureGroups(fixture.losses, {
  title: (op, n) => `nn.losses.${op}() matches mlx.nn.losses on ${n} fixture cases (options, reductions)`,
  check: (c) => {
    using got = run(losses[c.op]!, c);
    checkResult(got, c.expected);
  },
});

testFixtureGroups(fixture.grads, {
  title: (op, n) => `grad of nn.losses.${op}() matches MLX's on ${n} fixture cases`,
  check: (c) => {
    const fn = losses[c.op]!;
    using got = mx.tidy(() => {
      const arrays = c.inputs.map((i) => makeArray(fixture.tensors[i]!));
      const rest = arrays.slice(1);
      const g = mx.grad((first: mx.MxArray) =>
        (fn as unknown as (...a: unknown[]) => mx.MxArray)(first, ...rest, c.options)
      );
      return g(arrays[0]!) as mx.MxArray;
    });
    checkResult(got, c.expected);
  },
});

testFixtureGroups(fixture.activationGrads, {
  title: (op) => `grad of sum(nn.${op}(x)) matches MLX's`,
  check: (c) => {
    const fn = activations[c.op]! as unknown as (x: mx.MxArray) => mx.MxArray;
    using got = mx.tidy(() => {
      const x = makeArray(fixture.tensors[c.inputs[0]!]!);
      return mx.grad((v: mx.MxArray) => mx.sum(fn(v)))(x) as mx.MxArray;
    });
    const { rtol } = tolerance(c.expected.dtype);
    assertEquals(got.shape, c.expected.shape, "shape");
    // softmax-like gradients are ~0: compare absolutely at float32 rounding of their terms
    assertAllClose(got.tolist(), expectedValues(c.expected), { rtol, atol: 1e-6 });
  },
});

test("nn activations compile to the same values (MLX compiles them)", () => {
  using x = mx.array([[-3, -0.5, 0, 0.5, 2, 9]]);
  for (const name of ["gelu", "geluApprox", "silu", "mish", "logSoftmax", "hardswish", "celu"]) {
    const fn = activations[name]! as unknown as (x: mx.MxArray) => mx.MxArray;
    const compiled = mx.compile(fn);
    using plain = fn(x);
    using fused = compiled(x) as mx.MxArray;
    assertAllClose(fused.tolist(), plain.tolist(), { rtol: 1e-6, atol: 1e-7, label: name });
  }
});

/** Builder arguments as the TypeScript signatures take them. */
function initializer(c: InitCase): (a: mx.MxArray, options?: Record<string, unknown>) => mx.MxArray {
  const options: Record<string, unknown> = { ...c.builder };
  if (typeof options.dtype === "string") options.dtype = dtypeByName(options.dtype);
  const init = mx.nn.init as unknown as Record<string, (...a: unknown[]) => unknown>;
  if (c.op === "constant") {
    const { value, ...rest } = options;
    return init.constant!(value, rest) as ReturnType<typeof initializer>;
  }
  if (c.op === "sparse") {
    const { sparsity, ...rest } = options;
    return init.sparse!(sparsity, rest) as ReturnType<typeof initializer>;
  }
  return init[c.op]!(options) as ReturnType<typeof initializer>;
}

testFixtureGroups(fixture.init, {
  title: (op, n) => `nn.init.${op}() gives mlx.nn.init's values after the same mx.random.seed (${n} cases)`,
  check: (c) => {
    const make = initializer(c);
    mx.random.seed(c.seed);
    using zeros = mx.zeros(c.shape);
    using got = make(zeros, c.call);
    checkResult(got, c.expected);
  },
});

test("nn.init.sparse() zeroes the same number of entries in every row", () => {
  mx.random.seed(3);
  using zeros = mx.zeros([5, 7]);
  using w = mx.nn.init.sparse(0.4)(zeros);
  using isZero = mx.equal(w, 0);
  using counts = mx.sum(isZero, { axis: 1 });
  assertEquals(counts.tolist(), [3, 3, 3, 3, 3]);
});

const messageDifference = "knownDifference: MxError naming the TypeScript function, shapes as [2,3] " +
  "(MLX: ValueError, Python tuples)";

test(`nn.losses reject an invalid reduction, naming the loss; ${messageDifference}`, () => {
  using a = mx.array([1, 2]);
  const reduction = "avg" as unknown as mx.nn.losses.Reduction;
  for (
    const [name, call] of [
      ["mseLoss", () => mx.nn.losses.mseLoss(a, a, { reduction })],
      ["crossEntropy", () => mx.nn.losses.crossEntropy(a, a, { reduction })],
      ["hingeLoss", () => mx.nn.losses.hingeLoss(a, a, { reduction })],
    ] as const
  ) {
    assertThrows(
      call,
      mx.MxError,
      `[${name}] Invalid reduction 'avg'. Must be one of 'none', 'mean', 'sum'.`,
    );
  }
});

test(`nn.losses shape checks name the loss and both shapes; ${messageDifference}`, () => {
  using logits = mx.zeros([2, 3]);
  using badTargets = mx.zeros([3], mx.int32);
  assertThrows(
    () => mx.nn.losses.crossEntropy(logits, badTargets),
    mx.MxError,
    "[crossEntropy] Targets shape [3] does not match logits shape [2,3].",
  );
  using targets = mx.zeros([2], mx.int32);
  using weights = mx.ones([3]);
  assertThrows(
    () => mx.nn.losses.crossEntropy(logits, targets, { weights }),
    mx.MxError,
    "[crossEntropy] Weights with shape [3] is not the same as output loss with shape [2].",
  );
  for (const labelSmoothing of [-0.1, 1, NaN]) {
    assertThrows(
      () => mx.nn.losses.crossEntropy(logits, targets, { labelSmoothing }),
      mx.MxError,
      `[crossEntropy] Label smoothing must be in [0, 1), got ${labelSmoothing}.`,
    );
  }
  assertThrows(
    () => mx.nn.losses.crossEntropy(logits, targets, { axis: 2 }),
    mx.MxError,
    "[crossEntropy] axis 2",
  );
  using x = mx.zeros([2, 2]);
  using y = mx.zeros([4]);
  assertThrows(
    () => mx.nn.losses.mseLoss(x, y),
    mx.MxError,
    "[mseLoss] Predictions shape [2,2] does not match targets shape [4].",
  );
  assertThrows(() => mx.nn.losses.l1Loss(x, y), mx.MxError, "[l1Loss] Predictions shape [2,2]");
  assertThrows(() => mx.nn.losses.smoothL1Loss(x, y), mx.MxError, "[smoothL1Loss] Predictions shape [2,2]");
  assertThrows(
    () => mx.nn.losses.binaryCrossEntropy(x, y),
    mx.MxError,
    "[binaryCrossEntropy] Inputs shape [2,2] does not match targets shape [4].",
  );
  assertThrows(
    () => mx.nn.losses.gaussianNllLoss(x, x, y),
    mx.MxError,
    "[gaussianNllLoss] Inputs shape [2,2] does not match vars shape [4].",
  );
  assertThrows(
    () => mx.nn.losses.marginRankingLoss(x, x, y),
    mx.MxError,
    "[marginRankingLoss] The shapes of the arguments do not match: inputs1 [2,2], inputs2 [2,2], targets [4].",
  );
  assertThrows(
    () => mx.nn.losses.mseLoss(x, 3 as unknown as mx.MxArray),
    mx.MxError,
    "[mseLoss] targets must be an MxArray; got number",
  );
});

test("nn.losses.crossEntropy() of an empty batch raises, as MLX's logsumexp does", () => {
  using logits = mx.zeros([0, 5]);
  using targets = mx.zeros([0], mx.int32);
  assertThrows(() => mx.eval(mx.nn.losses.crossEntropy(logits, targets)), mx.MxError);
});

test("nn.logSoftmax() of an empty array raises, as MLX's logsumexp does", () => {
  using empty = mx.zeros([0, 3]);
  assertThrows(
    () => mx.nn.logSoftmax(empty),
    mx.MxError,
    "[logsumexp] received an empty array (shape [0,3])",
  );
});

test("nn activations check their arguments", () => {
  using odd = mx.zeros([2, 3]);
  assertThrows(() => mx.nn.glu(odd), mx.MxError, "[split]");
  assertThrows(() => mx.nn.relu([1, 2] as unknown as mx.MxArray), mx.MxError, "[relu] x must be an MxArray");
  using x = mx.array([1]);
  assertThrows(
    () => mx.nn.prelu(x, 0.25 as unknown as mx.MxArray),
    mx.MxError,
    "[prelu] alpha must be an MxArray",
  );
});

test(`nn.init initializers reject shapes MLX rejects; ${messageDifference}`, () => {
  using vector = mx.zeros([3]);
  using rect = mx.zeros([2, 3]);
  using cube = mx.zeros([2, 2, 2]);
  assertThrows(
    () => mx.nn.init.glorotUniform()(vector),
    mx.MxError,
    "[init.glorotUniform] Glorot / He initialization requires at least 2 dimensional input but input with 1 dimensions.",
  );
  assertThrows(() => mx.nn.init.heNormal()(vector), mx.MxError, "[init.heNormal] Glorot / He");
  assertThrows(
    () => mx.nn.init.heUniform()(rect, { mode: "fan" as unknown as mx.nn.init.FanMode }),
    mx.MxError,
    "[init.heUniform] Invalid mode: fan. Valid modes are: fan_in, fan_out",
  );
  assertThrows(
    () => mx.nn.init.identity()(rect),
    mx.MxError,
    "[init.identity] The input array must be a square matrix but got shape [2,3].",
  );
  assertThrows(() => mx.nn.init.orthogonal()(cube), mx.MxError, "requires a 2D array but got a 3D array.");
  assertThrows(() => mx.nn.init.sparse(0.5)(cube), mx.MxError, "[init.sparse] Only arrays with 2 dimensions");
});

test("nn functions leave no temporaries behind", () => {
  using logits = mx.array([[1, 2, 3], [0, 0, 1]]);
  using targets = mx.array([2, 0], mx.int32);
  mx.eval(logits, targets);
  const start = mx.memory.liveArrays();
  using loss = mx.nn.losses.crossEntropy(logits, targets, { labelSmoothing: 0.1, reduction: "mean" });
  using act = mx.nn.geluApprox(logits);
  mx.eval(loss, act);
  assertEquals(mx.memory.liveArrays() - start, 2);
});
