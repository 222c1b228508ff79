/**
 * nn.Module and the basic layers: parameter trees, update, freeze, train/eval, loadWeights,
 * setDtype, toString; Linear/Bilinear/Sequential against MLX (same seeds, same weights);
 * nn.valueAndGrad against mlx.nn.value_and_grad.
 */

import * as mx from "mlx-ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadJson } from "./fixtures.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

interface Encoded {
  shape: number[];
  data: number[];
}
interface Fixture {
  init: { layer: string; args: number[]; seed: number; params: Record<string, Encoded> }[];
  forward: { layer: string; args: number[]; params: Record<string, Encoded>; x: Encoded; x2?: Encoded; y: Encoded }[];
  grad: { params: Record<string, Encoded>; x: Encoded; target: Encoded; value: number; grads: Record<string, Encoded> }[];
}

const fixture = loadJson<Fixture>("nn_module.json");

function decode(e: Encoded): mx.MxArray {
  return mx.reshape(mx.array(Float32Array.from(e.data)), e.shape);
}

function weightsOf(params: Record<string, Encoded>): [string, mx.MxArray][] {
  return Object.entries(params).map(([k, v]) => [k, decode(v)]);
}

function flatData(a: mx.MxArray): number[] {
  return Array.from(mx.reshape(a, [-1]).tolist() as number[]);
}

class Mlp extends mx.nn.Module {
  layers = [new mx.nn.Linear(3, 5), new mx.nn.Linear(5, 2)];
  forward(x: mx.MxArray): mx.MxArray {
    return this.layers[1]!.forward(mx.maximum(this.layers[0]!.forward(x), 0));
  }
}

test("Linear and Bilinear draw MLX's initial weights for the same seed", () => {
  for (const c of fixture.init) {
    mx.random.seed(c.seed);
    const [a, b, d] = c.args as [number, number, number];
    const layer = c.layer === "Linear" ? new mx.nn.Linear(a, b) : new mx.nn.Bilinear(a, b, d);
    const ours = Object.fromEntries(mx.utils.treeFlatten(layer.parameters()));
    assertEquals(Object.keys(ours), Object.keys(c.params));
    for (const [key, expected] of Object.entries(c.params)) {
      const got = ours[key] as mx.MxArray;
      assertEquals(got.shape, expected.shape, `${c.layer}.${key}`);
      assertAllClose(flatData(got), expected.data, { rtol: 0, atol: 0, label: `${c.layer}.${key}` });
    }
  }
});

test("Linear (with and without bias) and Bilinear forward match MLX", () => {
  for (const c of fixture.forward) {
    const [a, b, d] = c.args as [number, number, number];
    const layer = c.layer === "Bilinear"
      ? new mx.nn.Bilinear(a, b, d)
      : new mx.nn.Linear(a, b, { bias: c.layer === "Linear" });
    layer.loadWeights(weightsOf(c.params));
    const x = decode(c.x);
    const y = layer instanceof mx.nn.Bilinear ? layer.forward(x, decode(c.x2!)) : layer.forward(x);
    assertEquals(y.shape, c.y.shape);
    assertAllClose(flatData(y), c.y.data, { rtol: 1e-5, atol: 1e-6, label: c.layer });
  }
});

test("nn.valueAndGrad gives MLX's value and gradients for an MLP, and leaves the model's arrays in place", () => {
  const c = fixture.grad[0]!;
  const model = new Mlp().loadWeights(weightsOf(c.params));
  const before = mx.utils.treeFlatten(model.parameters()).map(([, v]) => v);
  const x = decode(c.x);
  const target = decode(c.target);
  const loss = (input: mx.MxArray, y: mx.MxArray) => mx.mean(mx.square(mx.subtract(model.forward(input), y)));
  const [value, grads] = mx.nn.valueAndGrad(model, loss)(x, target);
  assertAllClose(value.item() as number, c.value, { rtol: 1e-5 });
  const flat = Object.fromEntries(mx.utils.treeFlatten(grads));
  assertEquals(Object.keys(flat).sort(), Object.keys(c.grads).sort());
  for (const [key, expected] of Object.entries(c.grads)) {
    assertAllClose(flatData(flat[key] as mx.MxArray), expected.data, { rtol: 1e-4, atol: 1e-6, label: key });
  }
  const after = mx.utils.treeFlatten(model.parameters()).map(([, v]) => v);
  assert(before.every((v, i) => v === after[i]), "the model holds its own arrays after the call");
  // The model still works after the call (its arrays were not disposed with the trace).
  assertEquals(model.forward(x).shape, [4, 2]);
});

test("parameters, trainableParameters, children, leafModules and namedModules walk nested modules", () => {
  const model = new mx.nn.Sequential(new Mlp(), new mx.nn.Identity(), (x: mx.MxArray) => x);
  const names = mx.utils.treeFlatten(model.parameters()).map(([k]) => k);
  assertEquals(names, [
    "layers.0.layers.0.weight",
    "layers.0.layers.0.bias",
    "layers.0.layers.1.weight",
    "layers.0.layers.1.bias",
  ]);
  assertEquals(model.namedModules().map(([k, m]) => `${k}:${m.constructor.name}`), [
    ":Sequential",
    "layers.1:Identity",
    "layers.0:Mlp",
    "layers.0.layers.1:Linear",
    "layers.0.layers.0:Linear",
  ]);
  const leaves = mx.utils.treeFlatten(model.leafModules(), { isLeaf: (v) => v instanceof mx.nn.Module });
  assertEquals(leaves.map(([k]) => k), ["layers.0.layers.0", "layers.0.layers.1", "layers.1"]);
  assertEquals(model.modules().length, 5);
  // private (_) members and non-array values are not parameters
  class WithState extends mx.nn.Module {
    weight = mx.zeros([2]);
    _cache = mx.ones([2]);
    sizes = [1, 2];
    name = "x";
  }
  assertEquals(Object.keys(new WithState().parameters()), ["weight", "sizes"]);
  assertEquals(mx.utils.treeFlatten(new WithState().parameters()).map(([k]) => k), ["weight"]);
});

test("freeze and unfreeze select what is trainable, recursively or by key", () => {
  const model = new Mlp();
  const trainable = () => mx.utils.treeFlatten(model.trainableParameters()).map(([k]) => k);
  model.freeze();
  assertEquals(trainable(), []);
  model.unfreeze({ keys: "bias" });
  assertEquals(trainable(), ["layers.0.bias", "layers.1.bias"]);
  model.unfreeze();
  model.layers[0]!.freeze({ keys: ["weight"] });
  assertEquals(trainable(), ["layers.0.bias", "layers.1.weight", "layers.1.bias"]);
  assertEquals(model.layers[0]!.frozenKeys, ["weight"]);
  model.freeze({ recurse: false }); // Mlp has no arrays of its own
  assertEquals(trainable().length, 3);
  assertThrows(() => model.freeze({ keys: "nope", strict: true }), mx.MxError, 'no module has a member "nope"');
  assertThrows(
    () => model.layers[0]!.freeze({ keys: "nope", recurse: false, strict: true }),
    mx.MxError,
    'the module has no member "nope"',
  );
  // gradients only for what is trainable
  const x = mx.ones([2, 3]);
  const [, grads] = mx.nn.valueAndGrad(model, (v: mx.MxArray) => mx.sum(model.forward(v)))(x);
  assertEquals(mx.utils.treeFlatten(grads).map(([k]) => k), ["layers.0.bias", "layers.1.weight", "layers.1.bias"]);
});

test("update, updateModules, apply, setDtype, train/eval", () => {
  const model = new Mlp();
  model.update({ layers: [{}, { bias: mx.array([1, 2]) }] });
  assertEquals(model.layers[1]!.bias!.tolist(), [1, 2]);
  assertThrows(() => model.update({ nope: mx.zeros([1]) }), mx.MxError, 'has no parameter "nope"');
  assertThrows(() => model.update({ layers: [{ weight: 3 }] }), mx.MxError, '"layers.0.weight" expects an MxArray');
  assertThrows(
    () => model.update({ layers: [{}, {}, {}] }),
    mx.MxError,
    'index 2 of "layers" is out of range for a list of 2',
  );
  model.update({ nope: mx.zeros([1]) }, false); // non-strict ignores unknown keys
  model.setDtype(mx.float16);
  assertEquals(String(model.layers[0]!.weight.dtype), "float16");
  model.apply((w) => mx.astype(w, mx.float32));
  assertEquals(String(model.layers[1]!.bias!.dtype), "float32");
  model.updateModules({ layers: [new mx.nn.Linear(3, 5, { bias: false })] });
  assertEquals(model.layers[0]!.bias, undefined);
  assertThrows(() => model.updateModules({ other: new mx.nn.Identity() }), mx.MxError, 'no submodule "other"');
  assertEquals(model.training, true);
  model.eval();
  assert(model.modules().every((m) => !m.training), "eval reaches every module");
  model.train();
  assert(model.modules().every((m) => m.training), "train reaches every module");
});

test("loadWeights checks names and shapes in strict mode and names what is wrong", () => {
  const layer = new mx.nn.Linear(2, 1);
  assertThrows(
    () => layer.loadWeights([["weight", mx.zeros([1, 2])]]),
    mx.MxError,
    "missing 1 parameter: bias",
  );
  assertThrows(
    () => layer.loadWeights([["weight", mx.zeros([1, 2])], ["bias", mx.zeros([1])], ["extra", mx.zeros([1])]]),
    mx.MxError,
    "received 1 parameter not in the model: extra",
  );
  assertThrows(
    () => layer.loadWeights([["weight", mx.zeros([2, 2])], ["bias", mx.zeros([1])]]),
    mx.MxError,
    '"weight" has shape [2,2] but the model expects [1,2]',
  );
  layer.loadWeights([["bias", mx.array([4])]], { strict: false });
  assertEquals(layer.bias!.tolist(), [4]);
  assertEquals(String(layer), "Linear(input_dims=2, output_dims=1, bias=true)");
  assertThrows(() => new mx.nn.Linear(0, 2), mx.MxError, "[Linear] inputDims must be a positive integer; got 0");
});

test("activation layers apply their functions with the stored options", () => {
  const x = mx.array([[-3, -0.5, 0, 0.5, 3, 7]]);
  const same = (layer: { forward(x: mx.MxArray): mx.MxArray }, expected: mx.MxArray, label: string) =>
    assertAllClose(layer.forward(x).tolist(), expected.tolist(), { rtol: 0, atol: 0, label });
  same(new mx.nn.ReLU(), mx.nn.relu(x), "ReLU");
  same(new mx.nn.ReLU6(), mx.nn.relu6(x), "ReLU6");
  same(new mx.nn.LeakyReLU({ negativeSlope: 0.2 }), mx.nn.leakyRelu(x, { negativeSlope: 0.2 }), "LeakyReLU");
  same(new mx.nn.ELU({ alpha: 0.5 }), mx.nn.elu(x, { alpha: 0.5 }), "ELU");
  same(new mx.nn.GELU(), mx.nn.gelu(x), "GELU");
  same(new mx.nn.GELU({ approx: "tanh" }), mx.nn.geluApprox(x), "GELU tanh");
  same(new mx.nn.GELU({ approx: "fast" }), mx.nn.geluFastApprox(x), "GELU fast");
  same(new mx.nn.Softmax(), mx.nn.softmax(x, { axis: -1 }), "Softmax");
  same(new mx.nn.HardTanh({ minVal: -2, maxVal: 2 }), mx.clip(x, -2, 2), "HardTanh");
  same(new mx.nn.Step({ threshold: 0.5 }), mx.nn.step(x, { threshold: 0.5 }), "Step");
  assertEquals(new mx.nn.PReLU({ init: 0.5 }).forward(mx.array([-4, 2])).tolist(), [-2, 2]);
  assertEquals(mx.utils.treeFlatten(new mx.nn.PReLU({ numParameters: 3 }).parameters()).map(([k]) => k), ["weight"]);
  assertThrows(() => new mx.nn.GELU({ approx: "erf" as "none" }), mx.MxError, '[GELU] approx must be');
  const model = new mx.nn.Sequential(new mx.nn.Linear(6, 3), new mx.nn.SiLU(), new mx.nn.Linear(3, 2));
  assertEquals(model.forward(x).shape, [1, 2]);
  assertEquals(String(model).split("\n")[2], "  (layers.1): SiLU()");
});

interface InteropEntry {
  dtype?: string;
  shape: number[];
  data: (number | string | boolean)[];
}
interface Interop {
  mlx_arrays: Record<string, InteropEntry>;
  mlx_metadata: Record<string, string>;
  safetensors_numpy: Record<string, InteropEntry>;
  safetensors_metadata: Record<string, string>;
  numpy_npz: Record<string, InteropEntry>;
  mlx_linear_safetensors: InteropEntry;
  mlx_linear_npz: InteropEntry;
  numpy_linear: Record<string, InteropEntry>;
  mlx_saved_linear: InteropEntry;
}

function asInterop(a: mx.MxArray): (number | string | boolean)[] {
  if (a.dtype === mx.int64) return Array.from(a.toTypedArray() as BigInt64Array, String);
  using wide = a.dtype === mx.bool ? mx.astype(a, mx.bool) : mx.astype(a, mx.float32);
  const values = mx.reshape(wide, [-1]).tolist() as (number | boolean)[];
  return a.dtype === mx.bool ? values : values.map(Number);
}

test("files we write load in Python (MLX, safetensors, NumPy), and our writer still makes those bytes", async () => {
  const { interopContents } = await import("../scripts/fixtures/write_interop.ts");
  const interop = loadJson<Interop>("interop.json");
  const { model, arrays, metadata } = interopContents();
  const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/io/${name}`, import.meta.url)));
  // The committed files, which Python read, are exactly what we write today.
  const flatWeights = Object.fromEntries(mx.utils.treeFlatten(model.parameters())) as Record<string, mx.MxArray>;
  assertEquals(mx.saveBytes("safetensors", flatWeights), fixture("ours_linear.safetensors"));
  assertEquals(mx.saveBytes("safetensors", arrays, metadata), fixture("ours_arrays.safetensors"));
  const { bf16: _bf16, ...numpyFriendly } = arrays;
  assertEquals(mx.saveBytes("npz", numpyFriendly), fixture("ours_arrays.npz"));
  // What MLX, the safetensors package and NumPy read from them.
  for (const [name, a] of Object.entries(arrays)) {
    const seen = interop.mlx_arrays[name]!;
    assertEquals([seen.dtype, seen.shape], [a.dtype.name, a.shape], `MLX read ${name}`);
    assertEquals(seen.data, asInterop(a), `MLX read ${name}`);
    if (name !== "bf16") {
      assertEquals(interop.safetensors_numpy[name]!.data, asInterop(a), `safetensors read ${name}`);
      assertEquals(interop.numpy_npz[name]!.data, asInterop(a), `NumPy read ${name}`);
    }
  }
  assertEquals(interop.mlx_metadata, metadata);
  assertEquals(interop.safetensors_metadata, metadata);
  for (const [name, a] of Object.entries(flatWeights)) {
    assertEquals(interop.numpy_linear[name]!.data, asInterop(a), `NumPy read ${name}`);
  }
  const y = model.forward(mx.array([[1, -2, 0.5]]));
  assertAllClose(mx.reshape(y, [-1]).tolist(), interop.mlx_linear_safetensors.data as number[], { rtol: 1e-6 });
  assertAllClose(mx.reshape(y, [-1]).tolist(), interop.mlx_linear_npz.data as number[], { rtol: 1e-6 });
  // The other way: a Linear MLX saved with save_weights.
  const theirs = new mx.nn.Linear(3, 2).loadWeights(decodeURIComponent(new URL("./fixtures/io/mlx_linear.safetensors", import.meta.url).pathname));
  const z = theirs.forward(mx.array([[1, -2, 0.5]]));
  assertAllClose(mx.reshape(z, [-1]).tolist(), interop.mlx_saved_linear.data as number[], { rtol: 1e-6 });
});

test("saveWeights/loadWeights round-trip through .safetensors and .npz; MLX-written weights load", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlx-ts-weights-"));
  try {
    const model = new Mlp();
    const x = mx.ones([2, 3]);
    for (const name of ["w.safetensors", "w.npz"]) {
      model.saveWeights(join(dir, name));
      const copy = new Mlp().loadWeights(join(dir, name));
      assertEquals(copy.forward(x).tolist(), model.forward(x).tolist(), name);
    }
    assertThrows(() => model.saveWeights(join(dir, "w.bin")), mx.MxError, "unsupported file extension");
    assertThrows(() => model.loadWeights(join(dir, "w.bin")), mx.MxError, "unsupported file extension");
    assertThrows(() => model.loadWeights(join(dir, "missing.safetensors")), mx.MxError, "missing.safetensors");
    // A file for another model: strict loading names what is wrong.
    new mx.nn.Linear(3, 2).saveWeights(join(dir, "linear.safetensors"));
    assertThrows(() => model.loadWeights(join(dir, "linear.safetensors")), mx.MxError, "not in the model: bias, weight");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
