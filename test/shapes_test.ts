/**
 * Creation, shape and joining ops against MLX's results (test/fixtures/shapes.json, made by
 * scripts/fixtures/gen_shapes.py), for the ops that exist so far; the fixture also holds
 * cases for indexing and sorting ops, which arrive next.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { type Case, complexParts, decode, dtypeByName, loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

type P = Record<string, unknown>;
type ShapeCase = Omit<Case, "expected"> & { params: P; expected: TensorSpec | TensorSpec[]; error?: string };
const cases = loadCases("shapes.json") as unknown as ShapeCase[];

const dt = (name: unknown) => (name === null || name === undefined ? undefined : dtypeByName(name as string));
const num = (v: unknown) => (v === null || v === undefined ? undefined : (v as number));

type Runner = (inputs: mx.MxArray[], p: P) => mx.MxArray | mx.MxArray[];
const runners: Record<string, Runner> = {
  zeros: (_, p) => mx.zeros(p.shape as number[], dt(p.dtype)),
  ones: (_, p) => mx.ones(p.shape as number[], dt(p.dtype)),
  full: (inputs, p) => mx.full(p.shape as number[], inputs[0] ?? (p.vals as number), dt(p.dtype)),
  arange: (_, p) => mx.arange(p.start as number, p.stop as number, { step: p.step as number, dtype: dt(p.dtype) }),
  linspace: (_, p) =>
    mx.linspace(p.start as number, p.stop as number, {
      num: p.num as number,
      endpoint: p.endpoint as boolean,
      dtype: dt(p.dtype),
    }),
  eye: (_, p) => mx.eye(p.n as number, { m: num(p.m), k: num(p.k), dtype: dt(p.dtype) }),
  identity: (_, p) => mx.identity(p.n as number, dt(p.dtype)),
  tri: (_, p) => mx.tri(p.n as number, { m: num(p.m), k: num(p.k), dtype: dt(p.dtype) }),
  tril: (inputs, p) => mx.tril(inputs[0]!, { k: p.k as number }),
  triu: (inputs, p) => mx.triu(inputs[0]!, { k: p.k as number }),
  meshgrid: (inputs, p) => mx.meshgrid(inputs, { indexing: p.indexing as "xy" | "ij", sparse: p.sparse as boolean }),
  reshape: (inputs, p) => mx.reshape(inputs[0]!, p.shape as number[]),
  flatten: (inputs, p) => mx.flatten(inputs[0]!, { startAxis: p.start_axis as number, endAxis: p.end_axis as number }),
  unflatten: (inputs, p) => mx.unflatten(inputs[0]!, p.axis as number, p.shape as number[]),
  squeeze: (inputs, p) => mx.squeeze(inputs[0]!, { axis: (p.axis ?? undefined) as number | undefined }),
  expand_dims: (inputs, p) => mx.expandDims(inputs[0]!, p.axis as number),
  transpose: (inputs, p) => mx.transpose(inputs[0]!, { axes: (p.axes ?? undefined) as number[] | undefined }),
  swapaxes: (inputs, p) => mx.swapaxes(inputs[0]!, p.axis1 as number, p.axis2 as number),
  moveaxis: (inputs, p) => mx.moveaxis(inputs[0]!, p.source as number, p.destination as number),
  broadcast_to: (inputs, p) => mx.broadcastTo(inputs[0]!, p.shape as number[]),
  broadcast_arrays: (inputs) => mx.broadcastArrays(...inputs),
  atleast_1d: (inputs) => mx.atleast1d(...inputs),
  atleast_2d: (inputs) => mx.atleast2d(...inputs),
  atleast_3d: (inputs) => mx.atleast3d(...inputs),
  concatenate: (inputs, p) => mx.concatenate(inputs, { axis: p.axis as number | null }),
  stack: (inputs, p) => mx.stack(inputs, { axis: p.axis as number }),
  split: (inputs, p) =>
    mx.split(inputs[0]!, p.indices_or_sections as number | number[], { axis: p.axis as number }),
  repeat: (inputs, p) => mx.repeat(inputs[0]!, p.repeats as number, { axis: num(p.axis) }),
  tile: (inputs, p) => mx.tile(inputs[0]!, p.reps as number | number[]),
  pad: (inputs, p) =>
    mx.pad(inputs[0]!, p.pad_width as mx.PadWidth, {
      mode: p.mode as "constant" | "edge",
      constantValues: decode(p.constant_values, false, 0) as number | boolean,
    }),
  roll: (inputs, p) =>
    mx.roll(inputs[0]!, p.shift as number | number[], { axis: (p.axis ?? undefined) as number | number[] | undefined }),
};

/** MLX behaviours we do not reproduce, on purpose. */
function knownDifference(c: ShapeCase): string | undefined {
  if (c.op === "full" && c.params.dtype !== null && c.inputs.length === 0) {
    const dtype = c.params.dtype as string;
    const value = c.params.vals;
    const integral = dtype.startsWith("int") || dtype.startsWith("uint") || dtype === "bool" || dtype === "complex64";
    if (integral && (typeof value !== "number" || !Number.isInteger(value))) {
      return "MLX's full keeps a float value as float32 whatever dtype is asked; we give the dtype asked for";
    }
    if (dtype === "bool" && typeof value === "number") return "MLX's full(int, bool) gives int32; we give bool";
  }
  if (c.op === "full" && c.params.dtype === null && typeof c.params.vals === "number" &&
    Number.isInteger(c.params.vals) && !("error" in c)) {
    return "JavaScript numbers carry no int/float distinction: full(shape, 2) gives float32 (MLX: int32 for a Python int)";
  }
  if (c.op === "full" && "error" in c && c.params.vals === 300) {
    return "MLX's full refuses an out-of-range Python int; our numbers wrap as in mx.array (300 as uint8 is 44)";
  }
  if (c.op === "full" && c.inputs.length > 0 && c.params.dtype !== null) {
    return "MLX's full keeps an array value's own dtype; we convert it to the dtype asked for";
  }
  if (c.op === "pad" && c.params.mode === "edge" && padsEmptyAxis(c)) {
    return "MLX edge-pads an empty axis with zeros (it fills before copying edges); there is no " +
      "edge to repeat, so we throw, as NumPy does";
  }
  return undefined;
}

function padsEmptyAxis(c: ShapeCase): boolean {
  const widths = c.params.pad_width as number | number[] | number[][];
  const pair = (axis: number): number[] => {
    if (typeof widths === "number") return [widths, widths];
    if (!Array.isArray(widths[0])) return widths as number[];
    const pairs = widths as number[][];
    return pairs.length === 1 ? pairs[0]! : pairs[axis]!;
  };
  return c.inputs[0]!.shape.some((dim, axis) => dim === 0 && pair(axis).some((w) => w > 0));
}


function compare(out: mx.MxArray, expected: TensorSpec, label: string): void {
  assertEquals(out.dtype.name, expected.dtype, `${label}: dtype`);
  assertEquals(out.shape, expected.shape, `${label}: shape`);
  const want = decode(expected.data, expected.dtype === "complex64", expected.shape.length);
  const tol = expected.dtype === "float16" || expected.dtype === "bfloat16" ? 1e-2 : 1e-6;
  const got = out.tolist();
  if (expected.shape.reduce((a, b) => a * b, 1) === 0) {
    assertEquals(out.size, 0, label);
    return;
  }
  assertAllClose(complexParts(got), complexParts(want), { rtol: tol, atol: tol, label });
}

function checkCase(c: ShapeCase): void {
  const inputs = c.inputs.map(makeArray);
  try {
    const runner = runners[c.op]!;
    if (c.error !== undefined) {
      assertThrows(() => runner(inputs, c.params), mx.MxError);
      return;
    }
    const result = runner(inputs, c.params);
    const outs = Array.isArray(result) ? result : [result];
    const expected = Array.isArray(c.expected) ? c.expected : [c.expected];
    assertEquals(outs.length, expected.length, `${c.name}: count`);
    outs.forEach((o, i) => compare(o, expected[i]!, c.name));
    for (const o of outs) o.dispose();
  } finally {
    for (const input of inputs) input.dispose();
  }
}

testFixtureGroups(cases.filter((c) => c.op in runners), {
  title: (op, count) => `${op}() matches MLX on ${count} fixture cases`,
  check: checkCase,
  skip: knownDifference,
  maxSkipped: 8,
});

test("reshape() of a contiguous array is a view; of a transposed one, a copy", () => {
  using a = mx.arange(6);
  using r = mx.reshape(a, [2, 3]);
  mx.eval(r);
  const before = mx.memory.activeBytes();
  using t = mx.transpose(r);
  using flat = mx.reshape(t, [6]);
  assertEquals(flat.tolist(), [0, 3, 1, 4, 2, 5]);
  assertEquals(mx.memory.activeBytes() - before, 24); // the copy behind the strided reshape
  assertThrows(() => mx.reshape(a, [4, 2]), mx.MxError, "[reshape] cannot reshape an array of shape [6]");
  assertThrows(() => mx.reshape(a, [-1, -1]), mx.MxError, "[reshape] only one dimension can be -1");
});

test("copies of transposes (tiled past 32 x 32) hold every element, converted and batched", () => {
  // [3, 70, 45] with axes [0, 2, 1]: partial tiles both ways, three planes; then a dtype
  // conversion on the way, and a negative-stride input (flipped rows).
  const [b, r, c] = [3, 70, 45];
  using a = mx.reshape(mx.arange(b * r * c, { dtype: mx.int32 }), [b, r, c]);
  using t = mx.transpose(a, { axes: [0, 2, 1] });
  using flat = mx.reshape(t, [-1]);
  const expected: number[] = [];
  for (let i = 0; i < b; i++) for (let j = 0; j < c; j++) for (let k = 0; k < r; k++) expected.push((i * r + k) * c + j);
  assertEquals(flat.tolist(), expected);
  using converted = mx.astype(t, mx.float32);
  using convertedFlat = mx.reshape(converted, [-1]);
  assertEquals(convertedFlat.tolist(), expected);
  using m = mx.reshape(mx.arange(40 * 33, { dtype: mx.float32 }), [40, 33]);
  using flipped = mx.index(m, mx.slice(null, null, -1));
  using flippedT = mx.transpose(flipped);
  using ft = mx.reshape(flippedT, [-1]);
  const want: number[] = [];
  for (let j = 0; j < 33; j++) for (let i = 39; i >= 0; i--) want.push(i * 33 + j);
  assertEquals(ft.tolist(), want);
});

test("broadcastTo() and slices of views read the right elements", () => {
  using a = mx.arange(3);
  using b = mx.broadcastTo(a, [2, 3]);
  using t = mx.transpose(b);
  assertEquals(t.tolist(), [[0, 0], [1, 1], [2, 2]]);
  assertEquals(mx.sum(t, { axis: 1 }).tolist(), [0, 2, 4]);
  assertThrows(() => mx.broadcastTo(a, [2, 4]), mx.MxError, "[broadcast_to] shape [3] cannot be broadcast to [2,4]");
});
