/**
 * mx.optimizers against MLX 0.32.4 (scripts/fixtures/gen_optimizers.py): parameters and
 * state after a few steps for every optimizer and its main options, schedules, clipGradNorm,
 * a small model trained with nn.valueAndGrad; state round trips, ownership, errors.
 */

import * as mx from "mlx-ts";
import { dtypeByName, loadJson } from "./fixtures.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

interface Encoded {
  dtype: string;
  shape: number[];
  data: number[];
}
type Flat = Record<string, Encoded>;
interface ScheduleSpec {
  kind: string;
  args: unknown[];
}
interface OptimizerCase {
  optimizer: string;
  lr: number | ScheduleSpec | null;
  options: Record<string, unknown>;
  dtype: string;
  params: Flat;
  state: Flat;
}
interface Fixture {
  steps: number;
  params: Flat;
  grads: Flat[];
  optimizers: OptimizerCase[];
  multi: { params: Flat; state: Flat };
  schedules: { spec: ScheduleSpec; dtype: string; values: number[] }[];
  scheduled_lr: number[];
  clip: { maxNorm: number; dtype: string; clipped: Flat; total: number; totalDtype: string }[];
  train: {
    params: Flat;
    x: Encoded;
    y: Encoded;
    cases: {
      optimizer: string;
      lr: number;
      options: Record<string, unknown>;
      losses: number[];
      params: Flat;
    }[];
  };
}

const fixture = loadJson<Fixture>("optimizers.json");
const opt = mx.optimizers;

function decode(e: Encoded, dtype: mx.Dtype = dtypeByName(e.dtype)): mx.MxArray {
  using values = mx.reshape(mx.array(Float32Array.from(e.data)), e.shape);
  return mx.astype(values, dtype);
}

function tree(flat: Flat, dtype?: mx.Dtype): Record<string, unknown> {
  return mx.utils.treeUnflatten(
    Object.entries(flat).map(([k, v]) => [k, decode(v, dtype)] as const),
  ) as Record<string, unknown>;
}

function values(a: mx.MxArray): number[] {
  using f = mx.astype(a, mx.float32);
  return Array.from(mx.reshape(f, [-1]).tolist() as number[]);
}

/** Tolerances per dtype: float32 results differ from MLX's by rounding of reductions. */
function tolerance(dtype: string): { rtol: number; atol: number } {
  if (dtype === "float16") return { rtol: 2e-3, atol: 2e-3 };
  if (dtype === "bfloat16") return { rtol: 1.6e-2, atol: 1.6e-2 };
  return { rtol: 2e-5, atol: 1e-6 };
}

function assertFlat(got: Record<string, unknown>, expected: Flat, label: string, dtype: string): void {
  const flat = Object.fromEntries(mx.utils.treeFlatten(got));
  assertEquals(Object.keys(flat).sort(), Object.keys(expected).sort(), `${label} keys`);
  for (const [key, e] of Object.entries(expected)) {
    const a = flat[key] as mx.MxArray;
    assertEquals(a.shape, e.shape, `${label} ${key} shape`);
    assertEquals(a.dtype.name, e.dtype, `${label} ${key} dtype`);
    assertAllClose(values(a), e.data, { ...tolerance(dtype), label: `${label} ${key}` });
  }
}

function schedule(spec: ScheduleSpec): mx.optimizers.ScheduleFn {
  const a = spec.args as number[];
  switch (spec.kind) {
    case "exponentialDecay":
      return opt.exponentialDecay(a[0]!, a[1]!);
    case "stepDecay":
      return opt.stepDecay(a[0]!, a[1]!, a[2]!);
    case "cosineDecay":
      return opt.cosineDecay(a[0]!, a[1]!, a.length > 2 ? { end: a[2]! } : {});
    case "linearSchedule":
      return opt.linearSchedule(a[0]!, a[1]!, a[2]!);
    case "joinSchedules":
      return opt.joinSchedules((spec.args[0] as ScheduleSpec[]).map(schedule), spec.args[1] as number[]);
  }
  throw new Error(`unknown schedule ${spec.kind}`);
}

function build(
  name: string,
  lr: OptimizerCase["lr"],
  options: Record<string, unknown>,
): mx.optimizers.Optimizer {
  const rate = lr === null ? undefined : typeof lr === "number" ? lr : schedule(lr);
  const o = options as never;
  switch (name) {
    case "SGD":
      return new opt.SGD(rate!, o);
    case "RMSprop":
      return new opt.RMSprop(rate!, o);
    case "Adagrad":
      return new opt.Adagrad(rate!, o);
    case "AdaDelta":
      return new opt.AdaDelta(rate!, o);
    case "Adam":
      return new opt.Adam(rate!, o);
    case "AdamW":
      return new opt.AdamW(rate!, o);
    case "Adamax":
      return new opt.Adamax(rate!, o);
    case "Lion":
      return new opt.Lion(rate!, o);
    case "Adafactor":
      return new opt.Adafactor({ ...options, ...(rate === undefined ? {} : { learningRate: rate }) });
    case "Muon":
      return new opt.Muon(rate!, o);
  }
  throw new Error(`unknown optimizer ${name}`);
}

function describeCase(
  c: { optimizer: string; options: Record<string, unknown>; lr: unknown },
  dtype = "float32",
) {
  return `${c.optimizer}(${JSON.stringify(c.lr)}, ${JSON.stringify(c.options)}) ${dtype}`;
}

test("every optimizer's parameters and state after N steps equal MLX's (float32, float16, bfloat16)", () => {
  const failures: string[] = [];
  for (const c of fixture.optimizers) {
    const label = describeCase(c, c.dtype);
    try {
      mx.tidy(() => {
        const dtype = dtypeByName(c.dtype);
        const o = build(c.optimizer, c.lr, c.options);
        let params: unknown = tree(fixture.params, dtype);
        for (const g of fixture.grads) {
          params = o.applyGradients(tree(g, dtype), params);
          mx.eval(params, o.state);
        }
        assertFlat(params as Record<string, unknown>, c.params, `${label} params`, c.dtype);
        assertFlat(o.state, c.state, `${label} state`, c.dtype);
        assertEquals(Number(o.step.item()), fixture.steps);
      });
    } catch (error) {
      failures.push(`${label}: ${(error as Error).message}`);
    }
  }
  assert(failures.length === 0, `${failures.length} cases differ:\n${failures.slice(0, 5).join("\n")}`);
});

test("MultiOptimizer routes gradients by path and keeps MLX's { states: [...] } state", () => {
  const multi = new opt.MultiOptimizer(
    [new opt.SGD(0.1, { momentum: 0.9 }), new opt.Adam(0.01)],
    [(path) => path.startsWith("b")],
  );
  let params: unknown = tree(fixture.params);
  for (const g of fixture.grads) {
    params = multi.applyGradients(tree(g), params);
    mx.eval(params, multi.state);
  }
  assertFlat(params as Record<string, unknown>, fixture.multi.params, "MultiOptimizer params", "float32");
  assertFlat(multi.state, fixture.multi.state, "MultiOptimizer state", "float32");
  assertEquals(Number(multi.step.item()), fixture.steps);
  multi.learningRate = 0.5;
  assertEquals([multi.optimizers[0]!.learningRate.item(), multi.optimizers[1]!.learningRate.item()], [
    0.5,
    0.5,
  ]);
});

test("schedules give MLX's values at steps 0..12 (uint64 steps and numbers)", () => {
  for (const c of fixture.schedules) {
    const fn = schedule(c.spec);
    const got = c.values.map((_, step) => {
      using s = mx.array(step, mx.uint64);
      using v = fn(s);
      assertEquals(v.dtype.name, c.dtype, JSON.stringify(c.spec));
      return v.item() as number;
    });
    assertAllClose(got, c.values, { rtol: 1e-6, atol: 1e-7, label: JSON.stringify(c.spec) });
    using three = fn(3);
    assertAllClose(three.item() as number, c.values[3]!, { rtol: 1e-6, atol: 1e-7 });
  }
});

test("a scheduled learning rate is the schedule at the step before each update (MLX's step counting)", () => {
  const sgd = new opt.SGD(opt.stepDecay(1, 0.5, 2));
  const model = new mx.nn.Linear(1, 1);
  const lrs = [sgd.learningRate.item() as number];
  for (let i = 0; i < 6; i++) {
    sgd.update(model, {});
    lrs.push(sgd.learningRate.item() as number);
  }
  assertEquals(lrs, fixture.scheduled_lr);
  assertEquals(sgd.step.dtype, mx.uint64);
  assertEquals(Number(sgd.step.item()), 6);
});

test("clipGradNorm gives MLX's clipped gradients and total norm (float32, float16, bfloat16)", () => {
  for (const c of fixture.clip) {
    const label = `clipGradNorm(${c.maxNorm}) ${c.dtype}`;
    const grads = tree(fixture.grads[0]!, dtypeByName(c.dtype));
    const [clipped, total] = opt.clipGradNorm(grads, c.maxNorm);
    assertFlat(clipped, c.clipped, label, c.dtype);
    assertEquals(total.dtype.name, c.totalDtype, label);
    assertAllClose(total.item() as number, c.total, { ...tolerance(c.totalDtype), label });
  }
  const [empty, norm] = opt.clipGradNorm({}, 1);
  assertEquals(empty, {});
  assertEquals(norm.item(), 0);
});

class Mlp extends mx.nn.Module {
  layers = [new mx.nn.Linear(3, 5), new mx.nn.Linear(5, 2)];
  forward(x: mx.MxArray): mx.MxArray {
    return this.layers[1]!.forward(mx.maximum(this.layers[0]!.forward(x), 0));
  }
}

test("an MLP trained with nn.valueAndGrad and optimizer.update gives MLX's losses and parameters", () => {
  const x = decode(fixture.train.x);
  const y = decode(fixture.train.y);
  for (const c of fixture.train.cases) {
    const label = describeCase(c);
    const model = new Mlp();
    model.loadWeights(Object.entries(fixture.train.params).map(([k, v]) => [k, decode(v)]));
    const optimizer = build(c.optimizer, c.lr, c.options);
    const lossAndGrad = mx.nn.valueAndGrad(
      model,
      (a: mx.MxArray, b: mx.MxArray) => mx.mean(mx.square(mx.subtract(model.forward(a), b))),
    );
    const losses: number[] = [];
    for (let i = 0; i < c.losses.length; i++) {
      const loss = mx.tidy(() => {
        const [value, grads] = lossAndGrad(x, y);
        optimizer.update(model, grads);
        mx.eval(model.parameters(), optimizer.state);
        return value;
      });
      losses.push(loss.item() as number);
      loss.dispose();
    }
    assertAllClose(losses, c.losses, { rtol: 1e-5, atol: 1e-6, label });
    assertFlat(model.parameters(), c.params, label, "float32");
  }
});

test("stateDict/loadStateDict round-trip: a restored optimizer continues exactly like the original", () => {
  for (const c of fixture.optimizers.filter((c) => c.dtype === "float32")) {
    mx.tidy(() => {
      const label = describeCase(c);
      const a = build(c.optimizer, c.lr, c.options);
      let params: unknown = tree(fixture.params);
      params = a.applyGradients(tree(fixture.grads[0]!), params);
      params = a.applyGradients(tree(fixture.grads[1]!), params);
      const saved = Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [k, mx.copy(v)]));
      const b = build(c.optimizer, c.lr, c.options);
      b.loadStateDict(saved);
      const pa = a.applyGradients(tree(fixture.grads[2]!), params) as Record<string, unknown>;
      const pb = b.applyGradients(tree(fixture.grads[2]!), params) as Record<string, unknown>;
      const fa = mx.utils.treeFlatten(pa) as [string, mx.MxArray][];
      const fb = Object.fromEntries(mx.utils.treeFlatten(pb)) as Record<string, mx.MxArray>;
      for (const [k, v] of fa) {
        assertAllClose(values(fb[k]!), values(v), { rtol: 0, atol: 0, label: `${label} ${k}` });
      }
      assertEquals(Object.keys(b.stateDict()).sort(), Object.keys(a.stateDict()).sort(), label);
      assertEquals(Number(b.step.item()), 3, label);
    });
  }
});

test("stateDict keys follow MLX (step, learning_rate, dotted parameter paths with MLX's state names)", () => {
  const adafactor = new opt.Adafactor({ beta1: 0.9 });
  adafactor.init({ w: mx.zeros([2, 3]), layers: [{ b: mx.zeros([3]) }] });
  assertEquals(Object.keys(adafactor.stateDict()), [
    "step",
    "w.exp_avg_sq_row",
    "w.exp_avg_sq_col",
    "w.exp_avg",
    "layers.0.b.exp_avg_sq",
    "layers.0.b.exp_avg",
  ]);
  const multi = new opt.MultiOptimizer([new opt.SGD(0.1), new opt.Lion(0.1)], [(p) => p === "a"]);
  multi.init({ a: mx.zeros([1]), b: mx.zeros([1]) });
  const dict = multi.stateDict();
  assertEquals(Object.keys(dict), [
    "states.0.step",
    "states.0.learning_rate",
    "states.0.a.v",
    "states.1.step",
    "states.1.learning_rate",
    "states.1.b.m",
  ]);
  const restored = new opt.MultiOptimizer([new opt.SGD(0.1), new opt.Lion(0.1)], [(p) => p === "a"]);
  restored.loadStateDict(dict);
  assertEquals(Object.keys(restored.stateDict()), Object.keys(dict));
});

test("init keeps existing state and adds state for new parameters; learningRate can be set", () => {
  const adam = new opt.Adam(0.1);
  adam.init({ w: mx.zeros([2]) });
  const m = (adam.state.w as Record<string, mx.MxArray>).m;
  adam.init({ w: mx.zeros([2]), extra: [mx.zeros([3])] });
  assert((adam.state.w as Record<string, mx.MxArray>).m === m, "existing state kept");
  assertEquals(((adam.state.extra as Record<string, mx.MxArray>[])[0]!.v!).shape, [3]);
  adam.learningRate = 0.25;
  assertEquals(adam.learningRate.item(), 0.25);
  assertEquals(adam.learningRate.dtype, mx.float32);
});

test("an update is lazy, evaluates with one mx.eval, and frees what it replaced", () => {
  const model = new Mlp();
  const optimizer = new opt.Adam(0.01);
  const x = mx.ones([4, 3]);
  const y = mx.zeros([4, 2]);
  const lossAndGrad = mx.nn.valueAndGrad(
    model,
    (a: mx.MxArray, b: mx.MxArray) => mx.mean(mx.square(mx.subtract(model.forward(a), b))),
  );
  const step = () =>
    mx.tidy(() => {
      const [, grads] = lossAndGrad(x, y);
      optimizer.update(model, grads);
    });
  step();
  mx.eval(model.parameters(), optimizer.state);
  const oldParams = mx.utils.treeFlatten(model.parameters()).map(([, v]) => v as mx.MxArray);
  const { learning_rate: lr, ...replacedState } = optimizer.stateDict();
  const oldState = Object.values(replacedState);
  step();
  // The new arrays survived the tidy scope and are lazy until evaluated.
  const newParams = mx.utils.treeFlatten(model.parameters()).map(([, v]) => v as mx.MxArray);
  assert(newParams.every((p) => !p.disposed && !mx.isEvaluated(p)), "new parameters are alive and lazy");
  assert(oldParams.every((p) => p.disposed), "replaced parameters are disposed");
  assert(oldState.every((s) => s.disposed), "replaced state arrays are disposed");
  assert(lr === optimizer.learningRate && !lr!.disposed, "a constant learning rate stays");
  mx.eval(model.parameters(), optimizer.state);
  assert(newParams.every((p) => mx.isEvaluated(p)), "one eval computes the step");
  // Many steps do not accumulate live arrays.
  mx.eval(model.parameters(), optimizer.state);
  const before = mx.memory.liveArrays();
  for (let i = 0; i < 5; i++) {
    step();
    mx.eval(model.parameters(), optimizer.state);
  }
  const after = mx.memory.liveArrays();
  assertEquals(after, before);
});

test("optimizer constructors reject bad arguments with errors naming the optimizer", () => {
  const cases: [() => unknown, string][] = [
    [
      () => new opt.SGD(0.1, { nesterov: true }),
      "[SGD] Nesterov momentum requires a momentum and zero dampening",
    ],
    [() => new opt.SGD(0.1, { momentum: 0.9, dampening: 0.1, nesterov: true }), "[SGD] Nesterov"],
    [() => new opt.SGD(Number.NaN), "[SGD] learningRate should be a finite number; got NaN"],
    [() => new opt.RMSprop(0.1, { alpha: -1 }), "[RMSprop] alpha should be >= 0; got -1"],
    [() => new opt.RMSprop(0.1, { eps: 0 }), "[RMSprop] eps should be > 0; got 0"],
    [() => new opt.Adagrad(0.1, { eps: -1 }), "[Adagrad] eps should be > 0"],
    [() => new opt.AdaDelta(0.1, { rho: -0.5 }), "[AdaDelta] rho should be >= 0"],
    [() => new opt.Adam(0.1, { betas: [1, 0.9] }), "[Adam] beta1 should be in [0, 1); got 1"],
    [() => new opt.AdamW(0.1, { betas: [0.9, -0.1] }), "[AdamW] beta2 should be in [0, 1); got -0.1"],
    [() => new opt.Adamax(0.1, { eps: -1 }), "[Adamax] eps should be >= 0"],
    [
      () => new opt.Adam(0.1, { betas: [0.9] as unknown as [number, number] }),
      "[Adam] betas should be a list of two numbers",
    ],
    [() => new opt.Lion(0.1, { betas: [0.9, 1.5] }), "[Lion] beta2 should be in [0, 1)"],
    [
      () => new opt.Adafactor({ relativeStep: false }),
      "[Adafactor] a learningRate is needed when relativeStep is false",
    ],
    [() => new opt.Muon(0.1, { nsSteps: 1.5 }), "[Muon] nsSteps should be a non-negative integer"],
    [
      () => new opt.MultiOptimizer([new opt.SGD(1), new opt.SGD(1)]),
      "[MultiOptimizer] given 0 filters but 1 needed",
    ],
    [() => new opt.MultiOptimizer([]), "[MultiOptimizer] expects a non-empty list of optimizers"],
    [() => opt.clipGradNorm({}, -1), "[clipGradNorm] maxNorm should be >= 0; got -1"],
    [() => opt.stepDecay(0.1, 0.9, 0), "[stepDecay] stepSize must be an integer greater than 0; got 0"],
    [() => opt.cosineDecay(0.1, 0), "[cosineDecay] decaySteps must be an integer greater than 0; got 0"],
    [() => opt.linearSchedule(0, 1, -2), "[linearSchedule] steps must be an integer greater than 0; got -2"],
    [() => opt.joinSchedules([], []), "[joinSchedules] must be given at least 1 schedule"],
    [
      () => opt.joinSchedules([opt.exponentialDecay(1, 0.5)], [3]),
      "[joinSchedules] received 1 boundaries but expected 0",
    ],
    [() => opt.exponentialDecay(1, 0.5)(-1), "[schedule] step should be a non-negative integer; got -1"],
  ];
  for (const [fn, message] of cases) assertThrows(fn, mx.MxError, message);
});

test("bad state and gradients raise errors naming the optimizer", () => {
  const sgd = new opt.SGD(0.1);
  assertThrows(
    () => sgd.loadStateDict({ learning_rate: mx.array(0.1) }),
    mx.MxError,
    '[SGD] the state must be an object with a "step" array',
  );
  assertThrows(
    () => sgd.loadStateDict({ step: mx.array(1, mx.uint64), w: 3 as unknown as mx.MxArray }),
    mx.MxError,
    '[SGD] state entry "w" is not an MxArray',
  );
  assertThrows(
    () => sgd.applyGradients({ w: mx.ones([2]) }, {}),
    mx.MxError,
    '[SGD] the gradient "w" has no parameter array',
  );
  const adam = new opt.Adam(0.1);
  adam.init({ w: mx.zeros([2]) });
  adam.state = { step: mx.array(0, mx.uint64), learning_rate: mx.array(0.1), w: [] };
  assertThrows(() => adam.applyGradients({ w: mx.ones([2]) }, { w: mx.ones([2]) }), mx.MxError, "[Adam]");
  const multi = new opt.MultiOptimizer([new opt.SGD(1)]);
  assertThrows(
    () => (multi.state = { states: [] }),
    mx.MxError,
    "[MultiOptimizer] the state must be { states: [...] } with 1 entries",
  );
  class Bare extends opt.Optimizer {}
  assertThrows(
    () => new Bare().applyGradients({ w: mx.ones([1]) }, { w: mx.ones([1]) }),
    mx.MxError,
    "[Bare] initSingle is not implemented",
  );
});

test("update() leaves frozen parameters in place (not replaced, not disposed)", () => {
  const model = new mx.nn.Linear(2, 1);
  model.freeze({ keys: "bias" });
  const bias = model.bias!;
  const weight = model.weight;
  const lossAndGrad = mx.nn.valueAndGrad(model, (x: mx.MxArray) => mx.sum(model.forward(x)));
  const [, grads] = lossAndGrad(mx.ones([3, 2]));
  assertEquals(Object.keys(grads), ["weight"]);
  new opt.SGD(0.1).update(model, grads);
  assert(model.bias === bias && !bias.disposed, "the frozen bias is untouched");
  assert(model.weight !== weight && weight.disposed, "the replaced weight is disposed");
  assertEquals(model.weight.shape, [1, 2]);
});

test("knownDifference: schedules take integral hyperparameters as floats (MLX keeps Python ints integral)", () => {
  // MLX: linear_schedule(0, 10, 10) with Python ints gives uint64 values; mlx-ts cannot tell 10
  // from 10.0 and always computes in float32, as MLX does for floats.
  using v = opt.linearSchedule(0, 10, 10)(3);
  assertEquals([v.dtype, v.item()], [mx.float32, 3]);
  using e = opt.exponentialDecay(2, 1)(5);
  assertEquals([e.dtype, e.item()], [mx.float32, 2]);
});

test("knownDifference: Adafactor with relativeStep false needs a learningRate at construction (MLX: KeyError at the first update)", () => {
  assertThrows(
    () => new opt.Adafactor({ relativeStep: false }),
    mx.MxError,
    "[Adafactor] a learningRate is needed",
  );
  const ok = new opt.Adafactor({ relativeStep: false, learningRate: 0.1 });
  assertEquals(ok.learningRate.item(), 0.10000000149011612);
});
