/**
 * Joining, splitting and rearranging beyond the MLX fixtures (test/shapes_test.ts runs those):
 * flip, large inputs (the threaded copy), non-contiguous inputs (transposed, flipped,
 * broadcast), error messages, and memory returning to its baseline.
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";

/** A [rows, columns] int32 array counting from `start`. */
function counting(rows: number, columns: number, start = 0): mx.MxArray {
  const values = Int32Array.from({ length: rows * columns }, (_, i) => start + i);
  return fromBytes(values, mx.int32, [rows, columns]);
}

test("flip() reverses the given axes (default all) as a view", () => {
  using a = counting(2, 3);
  mx.eval(a);
  const before = mx.memory.activeBytes();
  using rows = mx.flip(a, { axis: 0 });
  using columns = mx.flip(a, { axis: -1 });
  using both = mx.flip(a);
  using again = mx.flip(both, { axis: [0, 1] });
  mx.eval(rows, columns, both, again);
  assertEquals(mx.memory.activeBytes(), before, "flips allocate nothing");
  assertEquals(rows.tolist(), [[3, 4, 5], [0, 1, 2]]);
  assertEquals(columns.tolist(), [[2, 1, 0], [5, 4, 3]]);
  assertEquals(both.tolist(), [[5, 4, 3], [2, 1, 0]]);
  assertEquals(again.tolist(), [[0, 1, 2], [3, 4, 5]]);
  using seven = mx.array(7, mx.int32);
  using scalar = mx.flip(seven);
  assertEquals(scalar.tolist(), 7);
  using nothing = mx.zeros([0, 2]);
  using empty = mx.flip(nothing);
  assertEquals(empty.shape, [0, 2]);
  assertThrows(() => mx.flip(a, { axis: [0, 0] }), mx.MxError, "[flip] repeated axes");
  assertThrows(() => mx.flip(a, { axis: 2 }), mx.MxError, "[flip] axis 2 is out of bounds for 2 dimensions");
});

test("concatenate() of two 100k arrays runs the threaded copy and matches element by element", () => {
  const n = 100_000;
  using a = fromBytes(Float32Array.from({ length: n }, (_, i) => i), mx.float32, [n]);
  using b = fromBytes(Int32Array.from({ length: n }, (_, i) => -i), mx.int32, [n]);
  using joined = mx.concatenate([a, b]);
  assertEquals(joined.dtype, mx.float32);
  assertEquals(joined.shape, [2 * n]);
  const values = joined.toTypedArray() as Float32Array;
  for (let i = 0; i < n; i++) {
    if (values[i] !== i || values[n + i] !== -i) throw new Error(`wrong value near ${i}`);
  }
  // Column blocks: each input's rows land 1000 elements apart in the output.
  using left = counting(400, 300);
  using right = counting(400, 700, 1_000_000);
  using wide = mx.concatenate([left, right], { axis: 1 });
  assertEquals(wide.shape, [400, 1000]);
  const flat = wide.toTypedArray() as Int32Array;
  for (let row = 0; row < 400; row++) {
    for (let column = 0; column < 1000; column++) {
      const want = column < 300 ? row * 300 + column : 1_000_000 + row * 700 + column - 300;
      if (flat[row * 1000 + column] !== want) throw new Error(`wrong value at ${row}, ${column}`);
    }
  }
});

test("joining ops read transposed, flipped and broadcast inputs by their strides", () => {
  using a = counting(3, 2);
  using t = mx.transpose(a); // [[0, 2, 4], [1, 3, 5]], not contiguous
  using f = mx.flip(a, { axis: 0 }); // [[4, 5], [2, 3], [0, 1]], negative strides
  using fT = mx.transpose(f); // [[4, 2, 0], [5, 3, 1]]
  using small = mx.array([9, 8, 7], mx.int32);
  using row = mx.broadcastTo(small, [2, 3]); // stride 0
  using rows = mx.concatenate([t, fT, row]);
  assertEquals(rows.tolist(), [[0, 2, 4], [1, 3, 5], [4, 2, 0], [5, 3, 1], [9, 8, 7], [9, 8, 7]]);
  using columns = mx.concatenate([t, fT], { axis: 1 });
  assertEquals(columns.tolist(), [[0, 2, 4, 4, 2, 0], [1, 3, 5, 5, 3, 1]]);
  using stacked = mx.stack([t, fT], { axis: 2 });
  assertEquals(stacked.tolist(), [[[0, 4], [2, 2], [4, 0]], [[1, 5], [3, 3], [5, 1]]]);
  using padded = mx.pad(fT, [[1, 0], [0, 1]], { mode: "edge" });
  assertEquals(padded.tolist(), [[4, 2, 0, 0], [4, 2, 0, 0], [5, 3, 1, 1]]);
  using rolled = mx.roll(t, [1, -1], { axis: [0, 1] });
  assertEquals(rolled.tolist(), [[3, 5, 1], [2, 4, 0]]);
  using repeated = mx.repeat(f, 2, { axis: 1 });
  assertEquals(repeated.tolist(), [[4, 4, 5, 5], [2, 2, 3, 3], [0, 0, 1, 1]]);
  using tiled = mx.tile(fT, [1, 2]);
  assertEquals(tiled.tolist(), [[4, 2, 0, 4, 2, 0], [5, 3, 1, 5, 3, 1]]);
  const pieces = mx.split(fT, [1], { axis: 1 });
  assertEquals(pieces.map((p) => p.tolist()), [[[4], [5]], [[2, 0], [3, 1]]]);
  for (const piece of pieces) piece.dispose();
});

test("concatenate() and stack() errors name the op and the shapes", () => {
  using a = counting(2, 3);
  using b = counting(2, 2);
  using c = mx.arange(3);
  let error = assertThrows(
    () => mx.concatenate([a, b]),
    mx.MxError,
    "[concatenate] all dimensions except axis 0 must match; got shapes [2,3], [2,2]",
  );
  assertEquals(error.code, "shape_mismatch");
  assertThrows(
    () => mx.concatenate([a, c]),
    mx.MxError,
    "[concatenate] all arrays must have the same number of dimensions; got 2 and 1 (shapes [2,3], [3])",
  );
  error = assertThrows(
    () => mx.concatenate([a, a], { axis: 2 }),
    mx.MxError,
    "[concatenate] axis 2 is out of bounds",
  );
  assertEquals(error.code, "invalid_argument");
  assertThrows(() => mx.concatenate([]), mx.MxError, "[concatenate] no arrays given");
  assertThrows(
    () => mx.concatenate([a, a], { axis: 0.5 }),
    mx.MxError,
    "[concatenate] axis must be an integer",
  );
  assertThrows(
    () => mx.stack([a, b]),
    mx.MxError,
    "[stack] all arrays must have the same shape; got [2,3], [2,2]",
  );
  assertThrows(
    () => mx.stack([a, a], { axis: 3 }),
    mx.MxError,
    "[stack] axis 3 is out of bounds for 3 dimensions",
  );
  assertThrows(() => mx.stack([]), mx.MxError, "[stack] no arrays given");
  const disposed = mx.arange(2);
  disposed.dispose();
  assertThrows(
    () => mx.concatenate([c, disposed]),
    mx.MxError,
    "[concatenate] the array was used after dispose()",
  );
});

test("split(), repeat(), tile(), pad() and roll() reject bad arguments with clear messages", () => {
  using a = counting(2, 3);
  using six = mx.arange(6);
  assertThrows(
    () => mx.split(six, 4),
    mx.MxError,
    "[split] axis 0 of shape [6] cannot be split into 4 equal sections",
  );
  assertThrows(
    () => mx.split(six, 0),
    mx.MxError,
    "[split] the number of sections must be an integer >= 1; got 0",
  );
  assertThrows(() => mx.split(six, [1.5]), mx.MxError, "[split] indices must be integers");
  assertThrows(() => mx.split(six, 2, { axis: 1 }), mx.MxError, "[split] axis 1 is out of bounds");
  assertThrows(
    () => mx.repeat(a, -1, { axis: 0 }),
    mx.MxError,
    "[repeat] repeats must be an integer >= 0; got -1",
  );
  assertThrows(() => mx.repeat(a, 2, { axis: 2 }), mx.MxError, "[repeat] axis 2 is out of bounds");
  assertThrows(() => mx.tile(a, [2, -1]), mx.MxError, "[tile] reps must be an integer >= 0; got -1");
  assertThrows(
    () => mx.pad(a, -1),
    mx.MxError,
    "[pad] padding widths must be integers >= 0; got -1 before axis 0",
  );
  assertThrows(() => mx.pad(a, [[1, 1], [1, 1], [1, 1]]), mx.MxError, "[pad] give one pair, or one per axis");
  assertThrows(() => mx.pad(a, [1, 2, 3]), mx.MxError, "[pad] each pair is [before, after]");
  assertThrows(
    () => mx.pad(a, 1, { mode: "reflect" as "edge" }),
    mx.MxError,
    '[pad] mode must be "constant" or "edge"; got reflect',
  );
  using empty = mx.zeros([0, 3]);
  assertThrows(
    () => mx.pad(empty, 1, { mode: "edge" }),
    mx.MxError,
    "[pad] cannot edge-pad axis 0 of size 0",
  );
  using values = mx.array([1, 2]);
  assertThrows(
    () => mx.pad(a, 1, { constantValues: values }),
    mx.MxError,
    "[pad] constantValues must be a scalar",
  );
  assertThrows(() => mx.roll(a, [1, 2, 3], { axis: [0, 1] }), mx.MxError, "[roll] 3 shifts given for 2 axes");
  assertThrows(() => mx.roll(a, 1, { axis: 2 }), mx.MxError, "[roll] axis 2 is out of bounds");
  assertThrows(() => mx.roll(a, 0.5), mx.MxError, "[roll] shifts must be integers");
});

test("split() gives views: no memory until a piece is copied", () => {
  using a = counting(4, 6);
  mx.eval(a);
  const before = mx.memory.activeBytes();
  const pieces = [...mx.split(a, 2), ...mx.split(a, [2, -1, 9], { axis: 1 })];
  mx.eval(pieces);
  assertEquals(mx.memory.activeBytes(), before);
  assertEquals(pieces.map((p) => p.shape), [[2, 6], [2, 6], [4, 2], [4, 3], [4, 1], [4, 0]]);
  assertEquals(pieces[4]!.tolist(), [[5], [11], [17], [23]]);
  for (const piece of pieces) piece.dispose();
});

test("joining ops return memory and handles to the baseline once disposed", () => {
  const bytesBefore = mx.memory.activeBytes();
  const liveBefore = mx.memory.liveArrays();
  {
    using a = counting(50, 40);
    using b = mx.astype(a, mx.float16);
    using t = mx.transpose(b);
    using joined = mx.concatenate([a, b, a]);
    mx.eval(joined);
    // a, b and the float16 output: the promoted copy of a is freed by the evaluation.
    assertEquals(joined.dtype, mx.float16);
    assertEquals(mx.memory.activeBytes(), bytesBefore + 50 * 40 * (4 + 2) + 150 * 40 * 2);
    const results = [
      mx.concatenate([a, b], { axis: null }),
      mx.stack([t, t, t]),
      mx.repeat(t, 3),
      mx.tile(a, [2, 1, 3]),
      mx.pad(t, [[1, 2], [3, 4]], { constantValues: 1.5 }),
      mx.pad(a, 2, { mode: "edge" }),
      mx.roll(t, [3, -7], { axis: [1, 0] }),
      mx.flip(a),
      ...mx.split(t, 5, { axis: 1 }),
    ];
    mx.eval(results);
    using padded = mx.pad(a, [[1, 1], [2, 2]]);
    assertEquals(padded.shape, [52, 44]);
    mx.eval(padded);
    assert(mx.memory.activeBytes() > bytesBefore);
    for (const result of results) result.dispose();
  }
  assertEquals(mx.memory.liveArrays(), liveBefore);
  assertEquals(mx.memory.activeBytes(), bytesBefore);
});
