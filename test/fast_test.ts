/**
 * mx.fast against MLX 0.32.4's mx.fast (test/fixtures/fast.json, scripts/fixtures/gen_fast.py):
 * rmsNorm, layerNorm, rope (both layouts, partial dims, scale, offset, custom freqs) and
 * scaledDotProductAttention (grouped-query heads, causal / boolean / additive masks), float32
 * and float16: outputs and the gradients of sum(output * cotangent) with respect to every
 * input. Bad shapes raise MxError.
 */

import * as mx from "mlx-ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { dtypeByName, loadJson } from "./fixtures.ts";

interface Formula {
  shape: number[];
  mul: number;
  mod: number;
  shift: number;
  scale: number;
  dtype: string;
}

interface Case {
  name: string;
  op: "rmsNorm" | "layerNorm" | "rope" | "sdpa";
  inputs: Formula[];
  params: Record<string, unknown>;
  shape: number[];
  dtype: string;
  output: number[];
  grads: number[][];
  cotangent: Formula;
}

const { cases } = loadJson<{ cases: Case[] }>("fast.json");

function formula(f: Formula, dtype = f.dtype): mx.MxArray {
  const size = f.shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, i) => (((i * f.mul) % f.mod) - f.shift) * f.scale);
  using x = mx.array(values);
  using shaped = mx.reshape(x, f.shape);
  return mx.astype(shaped, dtypeByName(dtype));
}

function floats(a: mx.MxArray): number[] {
  using f = mx.astype(a, mx.float32);
  return Array.from(f.toTypedArray() as Float32Array);
}

function apply(c: Case, inputs: mx.MxArray[]): mx.MxArray {
  const p = c.params;
  switch (c.op) {
    case "rmsNorm":
      return mx.fast.rmsNorm(inputs[0]!, inputs[1]!, p.eps as number);
    case "layerNorm":
      return mx.fast.layerNorm(inputs[0]!, inputs[1]!, inputs[2]!, p.eps as number);
    case "rope":
      return mx.fast.rope(inputs[0]!, p.dims as number, {
        traditional: p.traditional as boolean,
        base: p.base as number | undefined,
        scale: p.scale as number,
        offset: p.offset as number,
        freqs: inputs[1],
      });
    case "sdpa": {
      let mask: "causal" | mx.MxArray | undefined = p.mask as "causal" | undefined;
      if (p.boolMask) mask = mx.greater(formula(p.boolMask as Formula), 1);
      if (p.addMask) mask = formula(p.addMask as Formula);
      return mx.fast.scaledDotProductAttention(inputs[0]!, inputs[1]!, inputs[2]!, { scale: p.scale as number, mask });
    }
  }
}

for (const c of cases) {
  test(`fast ${c.name}: output and gradient equal MLX's`, () => {
    mx.tidy(() => {
      const inputs = c.inputs.map((f) => formula(f));
      const out = apply(c, inputs);
      assertEquals(out.shape, c.shape);
      assertEquals(out.dtype.name, c.dtype);
      const half = c.dtype === "float16";
      const tol = half ? { rtol: 1e-2, atol: 1e-2 } : { rtol: 1e-5, atol: 1e-5 };
      assertAllClose(floats(out), c.output, { ...tol, label: `${c.name} output` });
      const cot = formula(c.cotangent, "float32");
      const argnums = inputs.map((_, i) => i);
      const grads = mx.grad(
        (...xs: mx.MxArray[]) => mx.sum(mx.multiply(mx.astype(apply(c, xs), mx.float32), cot)),
        { argnums },
      )(...inputs) as mx.MxArray[];
      assertEquals(grads.length, c.grads.length);
      grads.forEach((g, i) => {
        assertEquals(g.shape, inputs[i]!.shape);
        const gtol = half ? 3e-2 : 1e-4;
        assertAllClose(floats(g), c.grads[i]!, { rtol: gtol, atol: gtol, label: `${c.name} grad ${i}` });
      });
    });
  });
}

test("fast: bad shapes and arguments raise MxError naming the op", () => {
  mx.tidy(() => {
    const x = mx.ones([2, 8]);
    assertThrows(() => mx.fast.rmsNorm(x, mx.ones([4]), 1e-5), mx.MxError, "[rms_norm] weight must have shape (8)");
    assertThrows(() => mx.fast.layerNorm(x, null, mx.ones([3]), 1e-5), mx.MxError, "[layer_norm] bias must have shape (8)");
    assertThrows(() => mx.fast.rmsNorm(mx.ones([2], mx.int32), null, 1e-5), mx.MxError, "[rms_norm] x must be a real floating type; got int32");
    assertThrows(() => mx.fast.rope(x, 10, {}), mx.MxError, "[rope] dims must be a positive even integer at most 8");
    assertThrows(() => mx.fast.rope(x, 8, { freqs: mx.ones([3]) }), mx.MxError, "[rope] freqs must have shape (4)");
    const q = mx.ones([1, 3, 2, 4]);
    const kv = mx.ones([1, 2, 2, 4]);
    assertThrows(() => mx.fast.scaledDotProductAttention(q, kv, kv, { scale: 1 }), mx.MxError, "not a multiple of 2 key heads");
    assertThrows(() => mx.fast.scaledDotProductAttention(x, x, x, { scale: 1 }), mx.MxError, "[scaled_dot_product_attention] queries must be");
  });
});
