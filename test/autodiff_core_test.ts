/**
 * The core derivative rules against MLX's gradients (scripts/fixtures/gen_grad_core.py):
 * the same functions, the same float32 inputs, MLX's value and gradient for every argument.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals } from "./harness.ts";
import { loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

interface GradCase {
  name: string;
  op: "grad";
  fn: string;
  inputs: TensorSpec[];
  value: TensorSpec;
  grads: TensorSpec[];
}

type Fn = (...args: mx.MxArray[]) => mx.MxArray;
const x1 = (f: (x: mx.MxArray) => mx.MxArray): Fn => (x) => mx.sum(mx.multiply(f(x), x));

/** The functions of gen_grad_core.py, written with our ops. */
const functions: Record<string, Fn> = {
  exp: x1(mx.exp),
  expm1: x1(mx.expm1),
  log: x1(mx.log),
  log1p: x1(mx.log1p),
  sin: x1(mx.sin),
  cos: x1(mx.cos),
  tanh: x1(mx.tanh),
  sigmoid: x1(mx.sigmoid),
  sqrt: x1(mx.sqrt),
  square: x1(mx.square),
  abs: x1(mx.abs),
  reciprocal: x1(mx.reciprocal),
  negative: x1(mx.negative),
  stop_gradient: x1(mx.stopGradient),
  add: (a, b) => mx.sum(mx.square(mx.add(a, b))),
  subtract: (a, b) => mx.sum(mx.square(mx.subtract(a, b))),
  multiply: (a, b) => mx.sum(mx.multiply(mx.multiply(a, b), a)),
  divide: (a, b) => mx.sum(mx.divide(a, b)),
  power: (a, b) => mx.sum(mx.power(a, b)),
  sum_axes: (x) => mx.sum(mx.square(mx.sum(x, { axis: [0, 2], keepdims: true }))),
  mean: (x) => mx.mean(mx.square(x)),
  transpose_reshape: (x) => mx.sum(mx.sin(mx.transpose(mx.reshape(x, [3, 4])))),
  broadcast_to: (x) => mx.sum(mx.square(mx.broadcastTo(x, [4, 2, 3]))),
  matmul: (a, b) => mx.sum(mx.square(mx.matmul(a, b))),
  matmul_vectors: (a, b) => mx.square(mx.matmul(a, b)),
};

const cases = loadCases("grad_core.json") as unknown as GradCase[];

testFixtureGroups(cases, {
  title: (_op, count) => `grad() matches MLX's gradients on ${count} fixture cases`,
  check: (c) => {
    const fn = functions[c.fn];
    if (fn === undefined) throw new Error(`no function ${c.fn}`);
    const inputs = c.inputs.map((spec) => makeArray(spec));
    try {
      const [value, grads] = mx.valueAndGrad(fn, { argnums: inputs.map((_, k) => k) })(...inputs);
      assertAllClose(value.item(), c.value.data, { rtol: 1e-5, atol: 1e-6, label: "value" });
      (grads as mx.MxArray[]).forEach((g, k) => {
        assertEquals(g.dtype.name, c.grads[k]!.dtype, `gradient ${k} dtype`);
        assertEquals(g.shape, c.grads[k]!.shape, `gradient ${k} shape`);
        assertAllClose(g.tolist(), c.grads[k]!.data, { rtol: 1e-5, atol: 1e-6, label: `gradient ${k}` });
      });
      mx.dispose([value, grads]);
    } finally {
      for (const a of inputs) a.dispose();
    }
  },
});
