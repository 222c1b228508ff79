/**
 * einsum and einsumPath: the MLX fixtures (scripts/fixtures/gen_einsum.py) — results, dtypes,
 * contraction paths and errors — plus options, arrays left alive, and our own checks.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

interface EinsumCase {
  name: string;
  op: "einsum";
  subscripts: string;
  inputs: TensorSpec[];
  expected?: TensorSpec;
  path?: number[][];
  error?: string;
}

const cases = loadCases("einsum.json") as unknown as EinsumCase[];

function rtolOf(dtype: string): number {
  if (dtype === "float16") return 2e-3;
  if (dtype === "bfloat16") return 1e-2;
  if (dtype === "float64") return 1e-12;
  return 1e-5;
}

function checkCase(c: EinsumCase): void {
  const inputs = c.inputs.map((spec) => makeArray(spec));
  try {
    if (c.error !== undefined) {
      // MLX's own op names the failure: "[einsum] ..." or, for integer products, "[matmul] ...".
      const op = c.error.slice(0, c.error.indexOf("]") + 1);
      assertThrows(() => mx.einsum(c.subscripts, ...inputs).dispose(), mx.MxError, op);
      return;
    }
    using out = mx.einsum(c.subscripts, ...inputs);
    const want = c.expected!;
    assertEquals(out.dtype.name, want.dtype, "dtype");
    assertEquals(out.shape, want.shape, "shape");
    const rtol = rtolOf(want.dtype);
    assertAllClose(out.tolist(), want.data, { rtol, atol: rtol });
    const [path] = mx.einsumPath(c.subscripts, ...inputs);
    assertEquals(path, c.path, "path");
  } finally {
    for (const a of inputs) a.dispose();
  }
}

testFixtureGroups(cases, {
  title: (_op, count) => `einsum() and einsumPath() match MLX on ${count} fixture cases`,
  check: checkCase,
});

test("einsumPath() reports MLX's FLOP counts and scaling", () => {
  using a = mx.zeros([2, 50]);
  using b = mx.zeros([50, 60]);
  using c = mx.zeros([60, 3]);
  const [path, summary] = mx.einsumPath("ij,jk,kl->il", a, b, c);
  assertEquals(path, [[1, 2], [0, 1]]);
  assertEquals(
    summary,
    "  Complete contraction:  ij,jk,kl->il\n         Naive scaling:  4\n     Optimized scaling:  3\n" +
      "      Naive FLOP count:  54000\n  Optimized FLOP count:  18600\n",
  );
});

test("einsum() takes trailing options, leaves its operands alive and returns a new array", () => {
  using a = mx.array([[1, 2], [3, 4]]);
  using b = mx.array([[5, 6], [7, 8]]);
  const before = mx.memory.liveArrays();
  using out = mx.einsum("ij,jk->ik", a, b, { stream: mx.cpu });
  assertEquals(out.tolist(), [[19, 22], [43, 50]]);
  // Every intermediate is disposed: only the result is new.
  assertEquals(mx.memory.liveArrays(), before + 1);
  using same = mx.einsum("ij->ij", a);
  assertEquals(same === a, false);
  a.dispose();
  assertEquals(same.tolist(), [[1, 2], [3, 4]]);
  assertThrows(() => mx.einsum("ij", a), mx.MxError, "[einsum] the array was used after dispose()");
});

test("einsum() of three operands equals the product contracted by hand", () => {
  using a = mx.reshape(mx.arange(0, 24, { dtype: mx.float32 }), [2, 3, 4]);
  using b = mx.reshape(mx.arange(0, 20, { dtype: mx.float32 }), [4, 5]);
  using c = mx.reshape(mx.arange(0, 30, { dtype: mx.float32 }), [5, 6]);
  using ab = mx.tensordot(a, b, { axes: 1 });
  using want = mx.tensordot(ab, c, { axes: 1 });
  using got = mx.einsum("abc,cd,de->abe", a, b, c);
  assertAllClose(got.tolist(), want.tolist(), { rtol: 1e-6 });
});

test("einsum() rejects bad subscripts and operands with clear errors", () => {
  using a = mx.zeros([3, 4]);
  assertThrows(
    () => mx.einsum("ij->ik", a),
    mx.MxError,
    "[einsum] output subscript 'k' does not appear in any input",
  );
  assertThrows(() => mx.einsum("ij,jk", a), mx.MxError, "[einsum] 1 operands for 2 input subscripts");
  assertThrows(() => mx.einsum("ij"), mx.MxError, "[einsum] at least one operand is required");
  assertThrows(() => mx.einsum("i-j", a), mx.MxError, "[einsum] subscripts must be letters; got '-'");
  assertThrows(
    () => mx.einsum("ij", [1, 2] as unknown as mx.MxArray),
    mx.MxError,
    "[einsum] operand 0 must be an MxArray",
  );
  using b = mx.zeros([5, 6]);
  const error = assertThrows(
    () => mx.einsum("ij,jk->ik", a, b),
    mx.MxError,
    "cannot broadcast dimension 0 of operand 1",
  );
  assertEquals(error.code, "shape_mismatch");
  assertThrows(() => mx.einsum("ij", a, { stream: mx.gpu }), mx.MxError);
});
