/**
 * Quantization against MLX 0.32.4 (test/fixtures/quant.json, scripts/fixtures/gen_quant.py):
 * quantize and dequantize bit for bit for every bits x group size pair (float32, and float16 /
 * bfloat16 for a few), quantized_matmul within float tolerance on the decode (1 row), prompt
 * (9 rows), batched and non-transposed paths, mxfp4; MLX's errors for bad input.
 */

import { Buffer } from "node:buffer";
import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { dtypeByName, loadJson } from "./fixtures.ts";

interface Stored {
  dtype: string;
  shape: number[];
  b64: string;
}

interface Formula {
  shape: number[];
  mul: number;
  mod: number;
  shift: number;
  scale: number;
}

interface Fixture {
  w: Stored;
  quantize: { dtype: string; bits: number; groupSize: number; wq: Stored; scales: Stored; biases: Stored; dequantized: Stored }[];
  formulas: Record<string, Formula>;
  matmul: { bits: number; groupSize: number; wqSum: number; outputs: Record<string, Stored> }[];
  mxfp4: {
    wq: Stored;
    scales: Stored;
    dequantized: Stored;
    dequantizedFloat32: Stored;
    x1: Formula;
    x9: Formula;
    y1: Stored;
    y9: Stored;
  };
  grads: {
    name: string;
    w: Formula;
    batched: boolean;
    transpose: boolean;
    groupSize: number;
    bits: number;
    x: Formula;
    cotangent: Formula;
    dx: Stored;
    dscales: Stored;
    dbiases: Stored;
  }[];
}

const fixture = loadJson<Fixture>("quant.json");

/** A stored array in its dtype (floats are stored as float32, which holds them exactly). */
function restore(s: Stored): mx.MxArray {
  const bytes = Buffer.from(s.b64, "base64");
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const dtype = dtypeByName(s.dtype);
  if (dtype === mx.uint32) return fromBytes(new Uint32Array(copy.buffer), mx.uint32, s.shape);
  if (dtype === mx.uint8) return fromBytes(copy, mx.uint8, s.shape);
  using f32 = fromBytes(new Float32Array(copy.buffer), mx.float32, s.shape);
  return mx.astype(f32, dtype);
}

function formula(f: Formula, dtype: mx.Dtype = mx.float32): mx.MxArray {
  const size = f.shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, i) => (((i * f.mul) % f.mod) - f.shift) * f.scale);
  using x = fromBytes(values, mx.float32, f.shape);
  return mx.astype(x, dtype);
}

/** Bit-for-bit equality: same dtype, shape and bytes. */
function assertIdentical(actual: mx.MxArray, expected: mx.MxArray, label: string): void {
  assertEquals(actual.dtype.name, expected.dtype.name, `${label} dtype`);
  assertEquals(actual.shape, expected.shape, `${label} shape`);
  // float16/bfloat16 -> float32 is exact, so equal float32 values mean equal bits.
  const isFloat = actual.dtype.category === "floating";
  using a = isFloat ? mx.astype(actual, mx.float32) : mx.astype(actual, actual.dtype);
  using e = isFloat ? mx.astype(expected, mx.float32) : mx.astype(expected, expected.dtype);
  const av = a.toTypedArray();
  const ev = e.toTypedArray();
  for (let i = 0; i < av.length; i++) {
    if (!Object.is(av[i], ev[i])) throw new Error(`${label}: element ${i} differs (${av[i]} vs MLX ${ev[i]})`);
  }
}

function floats(a: mx.MxArray): number[] {
  using f = mx.astype(a, mx.float32);
  return Array.from(f.toTypedArray() as Float32Array);
}

test("quantize / dequantize: bit-exact with MLX for every bits x group size (float32, float16, bfloat16)", () => {
  using w32 = restore(fixture.w);
  let checked = 0;
  for (const c of fixture.quantize) {
    const label = `${c.dtype} bits=${c.bits} groupSize=${c.groupSize}`;
    using w = mx.astype(w32, dtypeByName(c.dtype));
    const [wq, scales, biases] = mx.quantize(w, { groupSize: c.groupSize, bits: c.bits });
    using _wq = wq, _s = scales, _b = biases;
    using ewq = restore(c.wq), es = restore(c.scales), eb = restore(c.biases), ed = restore(c.dequantized);
    assertIdentical(wq, ewq, `${label} codes`);
    assertIdentical(scales, es, `${label} scales`);
    assertIdentical(biases, eb, `${label} biases`);
    // Dequantize MLX's own codes: the same bits again.
    using deq = mx.dequantize(ewq, es, eb, { groupSize: c.groupSize, bits: c.bits });
    assertIdentical(deq, ed, `${label} dequantized`);
    checked++;
  }
  assertEquals(checked, 18 + 2 * 4);
});

test("quantizedMatmul: equal to MLX on decode, prompt, batched and non-transposed products", () => {
  using w = formula(fixture.formulas.w!);
  using wt = formula(fixture.formulas.wt!);
  for (const c of fixture.matmul) {
    const label = `bits=${c.bits} groupSize=${c.groupSize}`;
    const options = { groupSize: c.groupSize, bits: c.bits };
    const [wq, scales, biases] = mx.quantize(w, options);
    using _wq = wq, _s = scales, _b = biases;
    using total = mx.sum(mx.astype(wq, mx.uint64));
    assertEquals(Number(total.item()), c.wqSum, `${label} codes checksum`);
    for (const [name, stored] of Object.entries(c.outputs)) {
      using expected = restore(stored);
      let y: mx.MxArray;
      if (name.endsWith("_float16")) {
        using x = formula(fixture.formulas[name.replace("_float16", "")]!, mx.float16);
        using s16 = mx.astype(scales, mx.float16), b16 = mx.astype(biases, mx.float16);
        y = mx.quantizedMatmul(x, wq, s16, b16, options);
        // MLX's CPU kernel accumulates float16 in float16; ours in float32.
        assertAllClose(floats(y), floats(expected), { rtol: 2e-2, atol: 0.5, label: `${label} ${name}` });
      } else if (name === "x3d_batched_w") {
        using x = formula(fixture.formulas.x3d!);
        using negated = mx.negative(w);
        using wb = mx.stack([w, negated]);
        const [bq, bs, bb] = mx.quantize(wb, options);
        using _bq = bq, _bs = bs, _bb = bb;
        y = mx.quantizedMatmul(x, bq, bs, bb, options);
        assertAllClose(floats(y), floats(expected), { rtol: 1e-5, atol: 1e-4, label: `${label} ${name}` });
      } else if (name === "x3_notranspose") {
        using x = formula(fixture.formulas.x3!);
        const [tq, ts, tb] = mx.quantize(wt, options);
        using _tq = tq, _ts = ts, _tb = tb;
        y = mx.quantizedMatmul(x, tq, ts, tb, { ...options, transpose: false });
        assertAllClose(floats(y), floats(expected), { rtol: 1e-5, atol: 1e-4, label: `${label} ${name}` });
      } else {
        using x = formula(fixture.formulas[name]!);
        y = mx.quantizedMatmul(x, wq, scales, biases, options);
        assertAllClose(floats(y), floats(expected), { rtol: 1e-5, atol: 1e-4, label: `${label} ${name}` });
      }
      assertEquals(y.shape, expected.shape, `${label} ${name} shape`);
      assertEquals(y.dtype.name, expected.dtype.name, `${label} ${name} dtype`);
      y.dispose();
    }
  }
});

test("quantizedMatmul of a 1-D x gives a 1-D result; transpose: false matches dequantize then matmul", () => {
  using w = formula({ shape: [8, 64], mul: 7, mod: 19, shift: 9, scale: 0.125 });
  const [wq, s, b] = mx.quantize(w, { groupSize: 32 });
  using _wq = wq, _s = s, _b = b;
  using x = formula({ shape: [64], mul: 3, mod: 11, shift: 5, scale: 0.25 });
  using y = mx.quantizedMatmul(x, wq, s, b, { groupSize: 32 });
  assertEquals(y.shape, [8]);
  using deq = mx.dequantize(wq, s, b, { groupSize: 32 });
  using reference = mx.matmul(deq, x);
  assertAllClose(floats(y), floats(reference), { rtol: 1e-5, atol: 1e-5 });
});

test("mxfp4: quantize, dequantize and quantizedMatmul equal MLX", () => {
  using w = restore(fixture.w);
  const [wq, scales] = mx.quantize(w, { mode: "mxfp4" });
  using _wq = wq, _s = scales;
  using ewq = restore(fixture.mxfp4.wq), es = restore(fixture.mxfp4.scales);
  assertIdentical(wq, ewq, "mxfp4 codes");
  assertIdentical(scales, es, "mxfp4 scales");
  using deq = mx.dequantize(ewq, es, null, { mode: "mxfp4" });
  using edeq = restore(fixture.mxfp4.dequantized);
  assertIdentical(deq, edeq, "mxfp4 dequantized (bfloat16)");
  using deq32 = mx.dequantize(ewq, es, null, { mode: "mxfp4", dtype: mx.float32 });
  using edeq32 = restore(fixture.mxfp4.dequantizedFloat32);
  assertIdentical(deq32, edeq32, "mxfp4 dequantized (float32)");
  for (const [xs, ys] of [[fixture.mxfp4.x1, fixture.mxfp4.y1], [fixture.mxfp4.x9, fixture.mxfp4.y9]] as const) {
    using x = formula(xs);
    using y = mx.quantizedMatmul(x, wq, scales, null, { mode: "mxfp4" });
    using e = restore(ys);
    assertAllClose(floats(y), floats(e), { rtol: 1e-5, atol: 1e-4 });
  }
});

test("quantizedMatmul: the gradient with respect to x is the product with the transposed weights", () => {
  using w = formula({ shape: [16, 64], mul: 7, mod: 19, shift: 9, scale: 0.125 });
  const [wq, s, b] = mx.quantize(w, { groupSize: 32, bits: 8 });
  using _wq = wq, _s = s, _b = b;
  using x = formula({ shape: [2, 64], mul: 3, mod: 11, shift: 5, scale: 0.25 });
  const loss = (input: mx.MxArray) => mx.sum(mx.square(mx.quantizedMatmul(input, wq, s, b, { groupSize: 32, bits: 8 })));
  using g = mx.grad(loss)(x);
  using deq = mx.dequantize(wq, s, b, { groupSize: 32, bits: 8 });
  const reference = (input: mx.MxArray) => mx.sum(mx.square(mx.matmul(input, mx.transpose(deq))));
  using gr = mx.grad(reference)(x);
  assertAllClose(floats(g), floats(gr), { rtol: 1e-4, atol: 1e-4 });
  assertThrows(() => mx.grad((v: mx.MxArray) => mx.sum(mx.quantizedMatmul(x, v, s, b, { groupSize: 32, bits: 8 })))(wq), mx.MxError);
});

test("quantizedMatmul: gradients with respect to x, scales and biases equal MLX's", () => {
  for (const c of fixture.grads) {
    using base = formula(c.w);
    using negated = mx.negative(base);
    using stacked = c.batched ? mx.stack([base, negated]) : null;
    const w = stacked ?? base;
    const options = { transpose: c.transpose, groupSize: c.groupSize, bits: c.bits };
    const [wq, s, b] = mx.quantize(w, options);
    using _wq = wq, _s = s, _b = b;
    using x = formula(c.x);
    using cotangent = formula(c.cotangent);
    const loss = (input: mx.MxArray, scales: mx.MxArray, biases: mx.MxArray) => {
      using y = mx.quantizedMatmul(input, wq, scales, biases, options);
      using weighted = mx.multiply(y, cotangent);
      return mx.sum(weighted);
    };
    const grads = mx.grad(loss, { argnums: [0, 1, 2] })(x, s, b) as mx.MxArray[];
    const expectations = [[c.dx, "x"], [c.dscales, "scales"], [c.dbiases, "biases"]] as const;
    for (const [i, [stored, label]] of expectations.entries()) {
      using got = grads[i]!;
      using expected = restore(stored);
      assertEquals(got.shape, expected.shape, `${c.name}: d${label} shape`);
      assertAllClose(floats(got), floats(expected), { rtol: 1e-4, atol: 1e-3, label: `${c.name}: d${label}` });
    }
  }
});

test("quantizedMatmul: a 1-D x's gradients with respect to scales and biases follow dequantize then matmul", () => {
  using w = formula({ shape: [8, 64], mul: 7, mod: 19, shift: 9, scale: 0.125 });
  const [wq, s, b] = mx.quantize(w, { groupSize: 32, bits: 4 });
  using _wq = wq, _s = s, _b = b;
  using x = formula({ shape: [64], mul: 3, mod: 11, shift: 5, scale: 0.25 });
  const loss = (scales: mx.MxArray, biases: mx.MxArray) => mx.sum(mx.square(mx.quantizedMatmul(x, wq, scales, biases, { groupSize: 32, bits: 4 })));
  const [ds, db] = mx.grad(loss, { argnums: [0, 1] })(s, b) as mx.MxArray[];
  using _ds = ds!, _db = db!;
  // The reference: w = scales * codes + biases per group of 32, codes from unit scales and zero biases.
  using unit = mx.onesLike(s);
  using zero = mx.zerosLike(b);
  using codes = mx.reshape(mx.dequantize(wq, unit, zero, { groupSize: 32, bits: 4 }), [8, 2, 32]);
  const reference = (scales: mx.MxArray, biases: mx.MxArray) => {
    const deq = mx.reshape(mx.add(mx.multiply(codes, mx.expandDims(scales, -1)), mx.expandDims(biases, -1)), [8, 64]);
    return mx.sum(mx.square(mx.matmul(deq, x)));
  };
  const [rs, rb] = mx.grad(reference, { argnums: [0, 1] })(s, b) as mx.MxArray[];
  using _rs = rs!, _rb = rb!;
  assertAllClose(floats(_ds), floats(_rs), { rtol: 1e-4, atol: 1e-3 });
  assertAllClose(floats(_db), floats(_rb), { rtol: 1e-4, atol: 1e-3 });
  const [mq, ms] = mx.quantize(w, { mode: "mxfp4" });
  using _mq = mq, _ms = ms;
  assertThrows(() => mx.grad((v: mx.MxArray) => mx.sum(mx.quantizedMatmul(x, mq, v, null, { mode: "mxfp4" })))(ms), mx.MxError, "no gradient");
});

test("quantization errors are MLX's, named by the op", () => {
  using w = mx.ones([4, 64]);
  assertThrows(() => mx.quantize(w, { groupSize: 48 }), mx.MxError, "[quantize] The requested group size 48 is not supported");
  assertThrows(() => mx.quantize(w, { bits: 7 }), mx.MxError, "The supported bits are 2, 3, 4, 5, 6 and 8");
  using odd = mx.ones([4, 96]);
  assertThrows(() => mx.quantize(odd), mx.MxError, "needs to be divisible by the quantization group size 64");
  using vector = mx.ones([64]);
  assertThrows(() => mx.quantize(vector), mx.MxError, "at least 2 dimensions");
  using ints = mx.ones([4, 64], mx.int32);
  assertThrows(() => mx.quantize(ints), mx.MxError, "Only real floating types can be quantized");
  assertThrows(() => mx.quantize(w, { mode: "mxfp4", groupSize: 64 }), mx.MxError, "mxfp4 quantization requires group size 32");
  const [wq, s, b] = mx.quantize(w);
  using _wq = wq, _s = s, _b = b;
  using x = mx.ones([2, 32]);
  assertThrows(() => mx.quantizedMatmul(x, wq, s, b), mx.MxError, "does not match the expanded quantized matrix");
  assertThrows(() => mx.quantizedMatmul(x, wq, s, null), mx.MxError, "Biases must be provided for affine quantization");
  assertThrows(() => mx.dequantize(wq, s, b, { bits: 8 }), mx.MxError, "incompatible based on bits and group_size");
  using wf = mx.ones([4, 8]);
  assertThrows(() => mx.dequantize(wf, s, b), mx.MxError, "The weight matrix should be uint32");
  using s2 = mx.ones([4, 2]);
  assertThrows(() => mx.dequantize(wq, s, s2), mx.MxError, "Scales and biases should have the same shape");
  assert(mx.quantize(w, { mode: "mxfp4" }).length === 2);
});

test("gatherQmm: experts picked by index equal MLX's gather_qmm", () => {
  const g = (fixture as unknown as { gatherQmm: { experts: Formula; x2: Formula; x5: Formula; both: Stored; rhsOnly: Stored } }).gatherQmm;
  using experts = formula(g.experts);
  const [eq, es, eb] = mx.quantize(experts, { groupSize: 32, bits: 4 });
  using _eq = eq, _es = es, _eb = eb;
  const options = { groupSize: 32, bits: 4 };
  using x2 = formula(g.x2);
  using lhs = mx.array([[0, 1], [1, 0]], mx.uint32);
  using rhs = mx.array([[3, 2], [0, 1]], mx.uint32);
  using both = mx.gatherQmm(x2, eq, es, eb, { ...options, lhsIndices: lhs, rhsIndices: rhs });
  using eboth = restore(g.both);
  assertEquals(both.shape, eboth.shape);
  assertAllClose(floats(both), floats(eboth), { rtol: 1e-5, atol: 1e-4 });
  using x5 = formula(g.x5);
  using rhs5 = mx.array([2, 0, 3, 3, 1], mx.uint32);
  using rhsOnly = mx.gatherQmm(x5, eq, es, eb, { ...options, rhsIndices: rhs5 });
  using erhs = restore(g.rhsOnly);
  assertEquals(rhsOnly.shape, erhs.shape);
  assertAllClose(floats(rhsOnly), floats(erhs), { rtol: 1e-5, atol: 1e-4 });
  using bad = mx.array([4], mx.uint32);
  assertThrows(() => mx.gatherQmm(x5, eq, es, eb, { ...options, rhsIndices: bad }).item(), mx.MxError);
});
