/**
 * Indexing against MLX's results (the getitem, setitem, at_*, take, take_along_axis and
 * put_along_axis cases of test/fixtures/shapes.json): integers, slices with negative steps
 * and clamped bounds, new axes, ellipsis, integer arrays (NumPy's placement rules), updates
 * with repeated indices; plus out-of-range errors.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { complexParts, decode, loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

type Item = { int?: number; slice?: (number | null)[]; newaxis?: boolean; ellipsis?: boolean; array?: TensorSpec };
type IndexCase = {
  name: string;
  op: string;
  inputs: TensorSpec[];
  params: { index?: Item[]; axis?: number | null; k?: number; offset?: number; axis1?: number; axis2?: number; dtype?: string | null };
  expected: TensorSpec;
  error?: string;
};
const cases = (loadCases("shapes.json") as unknown as IndexCase[]).filter((c) =>
  ["getitem", "setitem", "at_add", "at_max", "at_multiply", "take", "take_along_axis", "put_along_axis", "diag",
    "diagonal", "trace"].includes(c.op)
);

function toIndex(items: Item[], owned: mx.MxArray[]): mx.Index[] {
  return items.map((item) => {
    if (item.int !== undefined) return item.int;
    if (item.slice) return mx.slice(item.slice[0], item.slice[1], item.slice[2]);
    if (item.newaxis) return mx.newaxis;
    if (item.ellipsis) return "...";
    const array = makeArray(item.array!);
    owned.push(array);
    return array;
  });
}

function run(c: IndexCase, inputs: mx.MxArray[], owned: mx.MxArray[]): mx.MxArray {
  const axis = c.params.axis ?? undefined;
  switch (c.op) {
    case "getitem":
      return mx.index(inputs[0]!, ...toIndex(c.params.index!, owned));
    case "setitem":
      return mx.at(inputs[0]!, ...toIndex(c.params.index!, owned)).set(inputs[1]!);
    case "at_add":
      return mx.at(inputs[0]!, ...toIndex(c.params.index!, owned)).add(inputs[1]!);
    case "at_max":
      return mx.at(inputs[0]!, ...toIndex(c.params.index!, owned)).maximum(inputs[1]!);
    case "at_multiply":
      return mx.at(inputs[0]!, ...toIndex(c.params.index!, owned)).multiply(inputs[1]!);
    case "take":
      return mx.take(inputs[0]!, inputs[1]!, { axis });
    case "take_along_axis":
      return mx.takeAlongAxis(inputs[0]!, inputs[1]!, { axis });
    case "put_along_axis":
      return mx.putAlongAxis(inputs[0]!, inputs[1]!, inputs[2]!, { axis });
    case "diag":
      return mx.diag(inputs[0]!, { k: c.params.k });
    case "diagonal":
      return mx.diagonal(inputs[0]!, { offset: c.params.offset, axis1: c.params.axis1, axis2: c.params.axis2 });
    case "trace":
      return mx.trace(inputs[0]!, {
        offset: c.params.offset,
        axis1: c.params.axis1,
        axis2: c.params.axis2,
        dtype: c.params.dtype ? mx.dtypes.find((d) => d.name === c.params.dtype) : undefined,
      });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}


function checkCase(c: IndexCase): void {
  const inputs = c.inputs.map(makeArray);
  const owned: mx.MxArray[] = [];
  try {
    if (c.error !== undefined) {
      assertThrows(() => mx.eval(run(c, inputs, owned)), mx.MxError);
      return;
    }
    using out = run(c, inputs, owned);
    assertEquals(out.dtype.name, c.expected.dtype, `${c.name}: dtype`);
    assertEquals(out.shape, c.expected.shape, `${c.name}: shape`);
    const want = decode(c.expected.data, c.expected.dtype === "complex64", c.expected.shape.length);
    assertAllClose(complexParts(out.tolist()), complexParts(want), { rtol: 0, atol: 0, label: c.name });
  } finally {
    for (const a of [...inputs, ...owned]) a.dispose();
  }
}

testFixtureGroups(cases, { title: (op, count) => `${op} matches MLX on ${count} fixture cases`, check: checkCase });

test("out-of-range indices are errors, never out-of-bounds reads or writes", () => {
  using a = mx.reshape(mx.arange(12), [3, 4]);
  assertThrows(() => mx.index(a, 3), mx.MxError, "[index] index 3 is out of bounds for axis 0 with size 3");
  assertThrows(() => mx.index(a, 0, -5), mx.MxError, "[index] index -5 is out of bounds for axis 1 with size 4");
  using far = mx.array([0, 7], mx.int32);
  using gathered = mx.take(a, far, { axis: 1 });
  assertThrows(() => gathered.tolist(), mx.MxError, "[gather] index 7 is out of bounds for axis 1 with size 4");
  // The failed evaluation leaves no half-made result behind; a good index still works.
  using good = mx.take(a, [3, -4], { axis: 1 });
  assertEquals(good.tolist(), [[3, 0], [7, 4], [11, 8]]);
  assertThrows(() => mx.at(a, far).add(1).tolist(), mx.MxError, "[scatter] index 7 is out of bounds for axis 0 with size 3");
  assertThrows(() => mx.index(a, 0, 0, 0), mx.MxError, "[index] too many indices (3) for an array of shape [3,4]");
  assertThrows(() => mx.index(a, "...", "..."), mx.MxError, "only one ellipsis");
  assertThrows(() => mx.index(a, "1:2:0"), mx.MxError, "[index] slice step cannot be zero");
  using f = mx.array([0.5]);
  assertThrows(() => mx.index(a, f), mx.MxError, "[index] index arrays must be integers, got float32");
});

test("basic indexing returns views that share memory", () => {
  using a = mx.arange(10);
  mx.eval(a);
  const before = mx.memory.activeBytes();
  using v = a.get("8:1:-3");
  assertEquals(v.tolist(), [8, 5, 2]);
  assertEquals(mx.memory.activeBytes(), before);
  using e = mx.index(mx.reshape(a, [2, 5]), "...", 1, mx.newaxis);
  assertEquals([e.shape, e.tolist()], [[2, 1], [[1], [6]]]);
});

test("a large take (embedding-style lookup) is exact", () => {
  const vocab = 1000;
  const dim = 64;
  using table = mx.reshape(mx.arange(vocab * dim, undefined, { dtype: mx.float32 }), [vocab, dim]);
  const tokens = Int32Array.from({ length: 300 }, (_, i) => (i * 37) % vocab);
  using rows = mx.take(table, mx.array(tokens), { axis: 0 });
  const got = rows.toTypedArray() as Float32Array;
  for (let t = 0; t < tokens.length; t += 17) {
    for (const j of [0, 31, 63]) assertEquals(got[t * dim + j], tokens[t]! * dim + j);
  }
});

test("slice() and sliceUpdate() take dynamic starts like MLX, and refuse blocks outside the array", () => {
  using a = mx.reshape(mx.arange(12), [3, 4]);
  using starts = mx.array([1, 1], mx.int32);
  assertEquals(mx.slice(a, starts, [0, 1], [2, 2]).tolist(), [[5, 6], [9, 10]]);
  assertEquals(mx.slice(a, [2], [0], [1, 4]).tolist(), [[8, 9, 10, 11]]);
  using update = mx.array([[100, 101]], mx.int32);
  assertEquals(mx.sliceUpdate(a, update, [1, 2], [0, 1]).tolist(), [[0, 1, 2, 3], [4, 5, 100, 101], [8, 9, 10, 11]]);
  using outside = mx.slice(a, [2], [0], [2, 4]);
  assertThrows(() => outside.tolist(), mx.MxError, "[gather] index 3 is out of bounds for axis 0 with size 3");
  using outsideUpdate = mx.sliceUpdate(a, update, [2, 3], [0, 1]);
  assertThrows(() => outsideUpdate.tolist(), mx.MxError, "[scatter] index 4 is out of bounds for axis 1 with size 4");
  assertThrows(() => mx.slice(a, [0], [0], [2]), mx.MxError, "[slice] 1 slice sizes given for an array of shape [3,4]");
  assertThrows(() => mx.sliceUpdate(a, mx.array([1], mx.int32), [0], [0]), mx.MxError, "[slice_update] the update");
  assertEquals(mx.slice(1, 3, null), { start: 1, stop: 3, step: null });
});
