/**
 * Derivatives of convolution, FFT and inverse: float64 central differences across the
 * parameters of each primitive and the TypeScript ops composed from them, grad of grad, and
 * MLX's float32 gradients (fixture grad_numerics.json).
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { input, numericGrad } from "./support/grad.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { loadCases, makeArray } from "./fixtures.ts";

interface GradCase {
  name: string;
  fn: (...args: mx.MxArray[]) => mx.MxArray;
  shapes: number[][];
  offset?: number;
  /** Finite-difference step and tolerance: float64 paths use 1e-6 / 1e-6; the FFT computes
   * in float32 (complex64), so its losses are quadratic (exact differences at any step) and
   * compared at float32 accuracy. */
  h?: number;
  tolerance?: number;
}

function checkCase(c: GradCase): void {
  const args = c.shapes.map((shape, k) => input(shape, (c.offset ?? 0.5) + 0.1 * k));
  try {
    const argnums = args.map((_, k) => k);
    const grads = mx.grad(c.fn, { argnums })(...args) as mx.MxArray[];
    args.forEach((arg, k) => {
      const got = grads[k]!;
      assertEquals(got.shape, arg.shape, `gradient ${k} shape`);
      assertEquals(got.dtype, mx.float64, `gradient ${k} dtype`);
      const tolerance = c.tolerance ?? 1e-6;
      assertAllClose(
        Array.from(got.toTypedArray() as Float64Array),
        numericGrad(c.fn, args, k, c.h ?? 1e-6),
        { rtol: tolerance, atol: tolerance, label: `gradient ${k}` },
      );
      got.dispose();
    });
  } finally {
    for (const a of args) a.dispose();
  }
}

/** sum(sin(y)): a cotangent that differs from element to element. */
const sinSum = (y: mx.MxArray) => mx.sum(mx.sin(y));

// ---------------------------------------------------------------------------------------------
// Convolution

const convCases: GradCase[] = [
  { name: "conv1d", fn: (x, w) => sinSum(mx.conv1d(x, w)), shapes: [[2, 7, 3], [4, 3, 3]] },
  {
    name: "conv1d stride 2, padding 1",
    fn: (x, w) => sinSum(mx.conv1d(x, w, { stride: 2, padding: 1 })),
    shapes: [[1, 8, 2], [3, 3, 2]],
  },
  {
    name: "conv1d stride 3 (the last inputs unused)",
    fn: (x, w) => sinSum(mx.conv1d(x, w, { stride: 3 })),
    shapes: [[1, 8, 2], [2, 3, 2]],
  },
  {
    name: "conv1d dilation 2, padding 2",
    fn: (x, w) => sinSum(mx.conv1d(x, w, { dilation: 2, padding: 2 })),
    shapes: [[1, 9, 2], [2, 3, 2]],
  },
  {
    name: "conv1d groups 2",
    fn: (x, w) => sinSum(mx.conv1d(x, w, { groups: 2 })),
    shapes: [[2, 6, 4], [4, 3, 2]],
  },
  {
    name: "conv2d stride 2, padding 1, groups 2",
    fn: (x, w) => sinSum(mx.conv2d(x, w, { stride: 2, padding: 1, groups: 2 })),
    shapes: [[1, 5, 6, 4], [6, 3, 2, 2]],
  },
  {
    name: "conv2d stride [1,2], dilation [2,1], groups 3",
    fn: (x, w) => sinSum(mx.conv2d(x, w, { stride: [1, 2], dilation: [2, 1], groups: 3 })),
    shapes: [[2, 6, 5, 3], [3, 2, 2, 1]],
  },
  {
    name: "conv3d stride [1,2,1], padding 1",
    fn: (x, w) => sinSum(mx.conv3d(x, w, { stride: [1, 2, 1], padding: 1 })),
    shapes: [[1, 3, 4, 3, 2], [2, 2, 3, 2, 2]],
  },
  {
    name: "convGeneral asymmetric padding [2] | [0]",
    fn: (x, w) => sinSum(mx.convGeneral(x, w, { padding: [[2], [0]] })),
    shapes: [[1, 5, 2], [2, 3, 2]],
  },
  {
    name: "convGeneral asymmetric padding [0] | [3], stride 2",
    fn: (x, w) => sinSum(mx.convGeneral(x, w, { padding: [[0], [3]], stride: 2 })),
    shapes: [[1, 6, 2], [2, 3, 2]],
  },
  {
    name: "convGeneral padding wider than the kernel, input dilation 2",
    fn: (x, w) => sinSum(mx.convGeneral(x, w, { padding: [[5], [4]], inputDilation: 2 })),
    shapes: [[1, 4, 1], [2, 2, 1]],
  },
  {
    name: "convGeneral input dilation, kernel dilation and stride",
    fn: (x, w) =>
      sinSum(mx.convGeneral(x, w, { inputDilation: [2, 3], kernelDilation: [1, 2], stride: [2, 1] })),
    shapes: [[1, 4, 3, 2], [2, 2, 2, 2]],
  },
  {
    name: "convGeneral flip",
    fn: (x, w) => sinSum(mx.convGeneral(x, w, { flip: true, padding: [[1, 0], [2, 1]] })),
    shapes: [[1, 4, 4, 2], [3, 2, 3, 2]],
  },
  {
    name: "convGeneral flip, groups 2, stride 2, kernel dilation 2",
    fn: (x, w) =>
      sinSum(mx.convGeneral(x, w, { flip: true, groups: 2, stride: 2, kernelDilation: 2, padding: 1 })),
    shapes: [[1, 7, 4], [4, 2, 2]],
  },
  {
    name: "convTranspose1d stride 2, padding 1, outputPadding 1",
    fn: (x, w) => sinSum(mx.convTranspose1d(x, w, { stride: 2, padding: 1, outputPadding: 1 })),
    shapes: [[1, 4, 2], [3, 3, 2]],
  },
  {
    name: "convTranspose2d stride 2, dilation 2, groups 2",
    fn: (x, w) => sinSum(mx.convTranspose2d(x, w, { stride: 2, dilation: 2, groups: 2 })),
    shapes: [[1, 3, 3, 4], [2, 2, 2, 2]],
  },
  {
    name: "convTranspose3d stride [2,1,1], padding 1",
    fn: (x, w) => sinSum(mx.convTranspose3d(x, w, { stride: [2, 1, 1], padding: 1 })),
    shapes: [[1, 2, 3, 3, 2], [2, 3, 2, 2, 2]],
  },
];

for (const c of convCases) {
  test(`grad() of ${c.name} matches float64 finite differences`, () => checkCase(c));
}

test("grad of grad through convolution (the rules are convolutions)", () => {
  const weightGrad = (x: mx.MxArray, w: mx.MxArray) =>
    mx.grad((v: mx.MxArray) => sinSum(mx.conv2d(x, v, { stride: 2, padding: 1, groups: 2 })))(
      w,
    ) as mx.MxArray;
  const inputGrad = (x: mx.MxArray, w: mx.MxArray) =>
    mx.grad((u: mx.MxArray) => sinSum(mx.conv2d(u, w, { stride: 2, padding: 1, groups: 2 })))(
      x,
    ) as mx.MxArray;
  checkCase({
    name: "second order, weight",
    fn: (x, w) => mx.sum(mx.square(weightGrad(x, w))),
    shapes: [[1, 4, 5, 4], [2, 3, 2, 2]],
  });
  checkCase({
    name: "second order, input",
    fn: (x, w) => mx.sum(mx.square(inputGrad(x, w))),
    shapes: [[1, 4, 5, 4], [2, 3, 2, 2]],
  });
});

test("convolution gradients in float32 keep float32 and match the float64 ones", () => {
  using x64 = input([2, 5, 5, 3]);
  using w64 = input([4, 3, 3, 3], 0.2);
  const loss = (a: mx.MxArray, b: mx.MxArray) => sinSum(mx.conv2d(a, b, { stride: 2, padding: 1 }));
  const gradOf = mx.grad(loss, { argnums: [0, 1] });
  using x = mx.astype(x64, mx.float32);
  using w = mx.astype(w64, mx.float32);
  const got = gradOf(x, w) as mx.MxArray[];
  const want = gradOf(x64, w64) as mx.MxArray[];
  got.forEach((g, k) => {
    assertEquals(g.dtype, mx.float32, `gradient ${k} dtype`);
    assertEquals(g.shape, want[k]!.shape, `gradient ${k} shape`);
    assertAllClose(
      Array.from(g.toTypedArray() as Float32Array),
      Array.from(want[k]!.toTypedArray() as Float64Array),
      {
        rtol: 1e-4,
        atol: 1e-4,
        label: `gradient ${k}`,
      },
    );
  });
  mx.dispose([got, want]);
});

// ---------------------------------------------------------------------------------------------
// FFT: checked through mx.vjp with complex cotangents (the transforms are linear, so central
// differences are exact at any step; the transforms compute in float32). For a real primal the
// vjp is Re(sum conj(c) d out / d x); for a complex one, the derivatives along the real and
// imaginary parts are its real and imaginary parts (MLX's convention).

/** A fixed complex64 array: element i is cos(i + 1) + i sin(2 i + 1). */
function complexWeight(shape: number[]): mx.MxArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const parts = new Float32Array(2 * size);
  for (let i = 0; i < size; i++) {
    parts[2 * i] = Math.cos(i + 1);
    parts[2 * i + 1] = Math.sin(2 * i + 1);
  }
  return fromBytes(parts, mx.complex64, shape);
}

/** A complex64 primal: element i is (i % 5) / 4 - 0.5 + i ((i % 3) / 4 - 0.25). */
function complexInput(shape: number[]): mx.MxArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const parts = new Float32Array(2 * size);
  for (let i = 0; i < size; i++) {
    parts[2 * i] = (i % 5) / 4 - 0.5;
    parts[2 * i + 1] = (i % 3) / 4 - 0.25;
  }
  return fromBytes(parts, mx.complex64, shape);
}

/** Real values, or interleaved real and imaginary parts for complex64. */
function partsOf(a: mx.MxArray): number[] {
  return Array.from(a.toTypedArray() as ArrayLike<number>);
}

/** The cotangent for `out`: the complex weight, or its real part for a real output. */
function cotangentFor(out: mx.MxArray): mx.MxArray {
  const w = complexWeight(out.shape);
  if (out.dtype === mx.complex64) return w;
  using _w = w;
  return mx.astype(w, mx.float32);
}

interface FftCase {
  name: string;
  fn: (x: mx.MxArray) => mx.MxArray;
  shape: number[];
  complex?: boolean;
}

function checkFft(c: FftCase): void {
  using x = c.complex ? complexInput(c.shape) : input(c.shape);
  using y = c.fn(x);
  using cotangent = cotangentFor(y);
  const [outputs, grads] = mx.vjp(c.fn, [x], [cotangent]);
  const weights = partsOf(cotangent);
  const base = partsOf(x);
  const h = 0.5;
  const expected = base.map((_, i) => {
    const at = (delta: number): number[] => {
      const values = Float64Array.from(base);
      values[i]! += delta;
      using moved = c.complex
        ? fromBytes(Float32Array.from(values), mx.complex64, x.shape)
        : fromBytes(values, mx.float64, x.shape);
      using out = c.fn(moved);
      return partsOf(out);
    };
    const plus = at(h);
    const minus = at(-h);
    // Re(conj(c) d) = c_re d_re + c_im d_im (a real output: c d).
    let sum = 0;
    for (let k = 0; k < plus.length; k++) sum += weights[k]! * (plus[k]! - minus[k]!) / (2 * h);
    return sum;
  });
  const got = grads[0]!;
  assertEquals(got.shape, x.shape, "gradient shape");
  assertEquals(got.dtype, x.dtype, "gradient dtype");
  const scale = Math.max(1, ...expected.map(Math.abs));
  assertAllClose(partsOf(got), expected, { rtol: 1e-4, atol: 1e-5 * scale, label: "vjp" });
  mx.dispose([outputs, grads]);
}

const fftCases: FftCase[] = [
  { name: "fft", fn: (x) => mx.fft.fft(x), shape: [6] },
  { name: "fft of complex input", fn: (x) => mx.fft.fft(x), shape: [5], complex: true },
  { name: "ifft of complex input", fn: (x) => mx.fft.ifft(x), shape: [2, 4], complex: true },
  { name: "fft2", fn: (x) => mx.fft.fft2(x), shape: [3, 4] },
  {
    name: "ifftn axes [2, 0]",
    fn: (x) => mx.fft.ifftn(x, { axes: [2, 0] }),
    shape: [3, 2, 4],
    complex: true,
  },
  { name: "rfft even length", fn: (x) => mx.fft.rfft(x), shape: [2, 8] },
  { name: "rfft odd length", fn: (x) => mx.fft.rfft(x), shape: [7] },
  { name: "rfft2", fn: (x) => mx.fft.rfft2(x), shape: [3, 6] },
  { name: "rfftn odd last axis", fn: (x) => mx.fft.rfftn(x, { axes: [0, 1] }), shape: [4, 5] },
  { name: "rfft ortho norm", fn: (x) => mx.fft.rfft(x, { norm: "ortho" }), shape: [6] },
  { name: "irfft (even output)", fn: (x) => mx.fft.irfft(x), shape: [5], complex: true },
  { name: "irfft odd output n", fn: (x) => mx.fft.irfft(x, { n: 9 }), shape: [2, 5], complex: true },
  { name: "irfft2", fn: (x) => mx.fft.irfft2(x), shape: [3, 4], complex: true },
  {
    name: "irfftn odd last axis",
    fn: (x) => mx.fft.irfftn(x, { s: [3, 7], axes: [0, 1] }),
    shape: [3, 4],
    complex: true,
  },
];

for (const c of fftCases) {
  test(`vjp() of ${c.name} matches finite differences`, () => checkFft(c));
}

test("grad of a real loss through rfft and irfft", () => {
  checkCase({
    name: "irfft(rfft(x)) * x",
    fn: (x) => mx.sum(mx.multiply(mx.fft.irfft(mx.fft.rfft(x), { n: 7 }), x)),
    shapes: [[7]],
    h: 0.25,
    tolerance: 1e-4,
  });
});

test("grad of grad through rfft and irfft (the rules are transforms)", () => {
  const inner = (x: mx.MxArray) =>
    mx.grad((v: mx.MxArray) => mx.sum(mx.sin(mx.fft.irfft(mx.fft.rfft(mx.multiply(v, v)), { n: 6 }))))(
      x,
    ) as mx.MxArray;
  checkCase({
    name: "second order",
    fn: (x) => mx.sum(mx.square(inner(x))),
    shapes: [[6]],
    h: 1e-2,
    tolerance: 2e-3,
  });
});

// ---------------------------------------------------------------------------------------------
// Linear algebra

/** A well-conditioned matrix: `x + 3 I` (batched over the leading axes). */
function shifted(x: mx.MxArray): mx.MxArray {
  const n = x.shape[x.ndim - 1]!;
  using eye = mx.eye(n, { dtype: mx.float64 });
  using three = mx.multiply(eye, 3);
  return mx.add(x, three);
}

const linalgCases: GradCase[] = [
  { name: "inv", fn: (a) => sinSum(mx.linalg.inv(shifted(a))), shapes: [[3, 3]] },
  { name: "inv batched", fn: (a) => sinSum(mx.linalg.inv(shifted(a))), shapes: [[2, 3, 3]] },
  { name: "triInv lower", fn: (a) => sinSum(mx.linalg.triInv(shifted(a))), shapes: [[4, 4]] },
  {
    name: "triInv upper",
    fn: (a) => sinSum(mx.linalg.triInv(shifted(a), { upper: true })),
    shapes: [[2, 3, 3]],
  },
  {
    name: "solveTriangular (both arguments)",
    fn: (a, b) => sinSum(mx.linalg.solveTriangular(shifted(a), b, { upper: true })),
    shapes: [[3, 3], [3, 2]],
  },
  {
    name: "inv of inv (grad of a composition)",
    fn: (a) => sinSum(mx.linalg.inv(mx.linalg.inv(shifted(a)))),
    shapes: [[3, 3]],
  },
];

for (const c of linalgCases) {
  test(`grad() of ${c.name} matches float64 finite differences`, () => checkCase(c));
}

test("knownDifference: inv has a derivative (MLX 0.32.4: Not implemented for Inverse)", () => {
  using a = mx.array([[2, 0], [0, 4]], mx.float64);
  using g = mx.grad((m: mx.MxArray) => mx.sum(mx.linalg.inv(m)))(a) as mx.MxArray;
  // -X^T 1 X^T with X = diag(1/2, 1/4).
  assertEquals(g.tolist(), [[-0.25, -0.125], [-0.125, -0.0625]]);
});

test("grad of grad through inv", () => {
  const inner = (a: mx.MxArray) =>
    mx.grad((m: mx.MxArray) => sinSum(mx.linalg.inv(shifted(m))))(a) as mx.MxArray;
  checkCase({ name: "inv second order", fn: (a) => mx.sum(mx.square(inner(a))), shapes: [[3, 3]] });
});

test("cholesky has no derivative (as in MLX)", () => {
  // luFactor and the decompositions answer the same (their outputs are slices of one node,
  // so the slice rule runs first).
  using a = shifted(input([3, 3]));
  assertThrows(
    () => mx.grad((m: mx.MxArray) => mx.sum(mx.linalg.cholesky(m)))(a),
    mx.MxError,
    "[vjp] the derivative of cholesky is not defined (MLX has none)",
  );
});

// ---------------------------------------------------------------------------------------------
// Ops composed in TypeScript from differentiable primitives

const composedCases: GradCase[] = [
  {
    name: "addmm",
    fn: (c, a, b) => sinSum(mx.addmm(c, a, b, { alpha: 0.5, beta: 2 })),
    shapes: [[3], [2, 4], [4, 3]],
  },
  {
    name: "tensordot",
    fn: (a, b) => sinSum(mx.tensordot(a, b, { axes: [[1, 2], [0, 1]] })),
    shapes: [[2, 3, 4], [3, 4, 2]],
  },
  { name: "einsum ij,jk->ik", fn: (a, b) => sinSum(mx.einsum("ij,jk->ik", a, b)), shapes: [[2, 3], [3, 4]] },
  {
    name: "einsum bij,bjk->bik",
    fn: (a, b) => sinSum(mx.einsum("bij,bjk->bik", a, b)),
    shapes: [[2, 2, 3], [2, 3, 2]],
  },
  { name: "einsum ij,ij->i", fn: (a, b) => sinSum(mx.einsum("ij,ij->i", a, b)), shapes: [[2, 3], [2, 3]] },
  { name: "norm (default: 2)", fn: (a) => mx.linalg.norm(a), shapes: [[2, 3]] },
  {
    name: "norm ord 2 along an axis",
    fn: (a) => mx.sum(mx.linalg.norm(a, 2, { axis: 1 })),
    shapes: [[2, 3]],
  },
  {
    name: "norm ord 1",
    fn: (a) => mx.sum(mx.linalg.norm(a, 1, { axis: 0 })),
    shapes: [[2, 3]],
    offset: -0.6,
  },
  { name: "norm ord 3", fn: (a) => mx.sum(mx.linalg.norm(a, 3, { axis: -1 })), shapes: [[2, 3]] },
];

for (const c of composedCases) {
  test(`grad() of ${c.name} matches float64 finite differences`, () => checkCase(c));
}

// ---------------------------------------------------------------------------------------------
// MLX's gradients (float32)

interface GradFixture {
  name: string;
  op: string;
  inputs: Parameters<typeof makeArray>[0][];
  options: Record<string, unknown>;
  grads: Parameters<typeof makeArray>[0][];
}

/** The function each fixture case differentiates (scripts/fixtures/gen_grad_numerics.py):
 * convolutions through grad of sum(sin(.)), transforms through vjp with `cotangentFor`. */
function fixtureFunction(c: GradFixture): (...args: mx.MxArray[]) => mx.MxArray {
  const o = c.options;
  switch (c.op) {
    case "conv1d":
      return (x, w) => sinSum(mx.conv1d(x!, w!, o));
    case "conv2d":
      return (x, w) => sinSum(mx.conv2d(x!, w!, o));
    case "conv3d":
      return (x, w) => sinSum(mx.conv3d(x!, w!, o));
    case "conv_transpose2d":
      return (x, w) => sinSum(mx.convTranspose2d(x!, w!, o));
    case "conv_general":
      return (x, w) =>
        sinSum(mx.convGeneral(x!, w!, {
          stride: o.stride as number[],
          padding: [o.padding_lo as number[], o.padding_hi as number[]],
          kernelDilation: o.kernel_dilation as number[],
          inputDilation: o.input_dilation as number[],
          groups: o.groups as number,
          flip: o.flip as boolean,
        }));
    case "fft":
      return (x) => mx.fft.fft(x!);
    case "rfft":
      return (x) => mx.fft.rfft(x!);
    case "rfft2":
      return (x) => mx.fft.rfft2(x!);
    case "irfft":
      return (x) => mx.fft.irfft(x!, o);
    case "irfft2":
      return (x) => mx.fft.irfft2(x!);
    default:
      throw new Error(`unknown fixture op ${c.op}`);
  }
}

/** The fixture case's gradients: grad for convolutions, vjp for transforms. */
function fixtureGrads(c: GradFixture, args: mx.MxArray[]): mx.MxArray[] {
  const fn = fixtureFunction(c);
  if (c.op.startsWith("conv")) {
    return mx.grad(fn, { argnums: args.map((_, k) => k) })(...args) as mx.MxArray[];
  }
  using y = fn(...args);
  using cotangent = cotangentFor(y);
  const [outputs, grads] = mx.vjp(fn, args, [cotangent]);
  mx.dispose(outputs);
  return grads;
}

for (const c of loadCases("grad_numerics.json") as unknown as GradFixture[]) {
  test(`grad() of ${c.name} matches MLX's`, () => {
    const args = c.inputs.map(makeArray);
    try {
      const grads = fixtureGrads(c, args);
      c.grads.forEach((spec, k) => {
        using want = makeArray(spec);
        using got = grads[k]!;
        assertEquals(got.shape, want.shape, `gradient ${k} shape`);
        assertEquals(got.dtype, want.dtype, `gradient ${k} dtype`);
        const scale = Math.max(1, ...partsOf(want).map(Math.abs));
        assertAllClose(
          partsOf(got),
          partsOf(want),
          { rtol: 1e-4, atol: 1e-4 * scale, label: `gradient ${k}` },
        );
      });
    } finally {
      for (const a of args) a.dispose();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Cases that also run through other families' rules (slice, concatenate, gather, max).

const dependentCases: [string[], GradCase][] = [
  [["slice"], {
    name: "convGeneral negative padding (a crop)",
    fn: (x, w) => sinSum(mx.convGeneral(x, w, { padding: [[-1, 1], [2, -2]] })),
    shapes: [[1, 5, 6, 2], [2, 2, 2, 2]],
  }],
  [["slice"], {
    name: "fft with n below the input length",
    fn: (x) => mx.sum(mx.square(mx.astype(mx.fft.fft(x, { n: 4 }), mx.float32))),
    shapes: [[6]],
    h: 0.25,
    tolerance: 1e-4,
  }],
  [["concatenate", "slice"], {
    name: "rfft with n above the input length",
    fn: (x) => mx.sum(mx.square(mx.astype(mx.fft.rfft(x, { n: 8 }), mx.float32))),
    shapes: [[5]],
    h: 0.25,
    tolerance: 1e-4,
  }],
  [["gather", "slice"], {
    name: "solve with respect to b (vector)",
    fn: (b) => sinSum(mx.linalg.solve(shiftedConstant(3), b)),
    shapes: [[3]],
  }],
  [["gather", "slice"], {
    name: "solve with respect to b (matrix)",
    fn: (b) => sinSum(mx.linalg.solve(shiftedConstant(3), b)),
    shapes: [[3, 2]],
  }],
  [["max", "slice"], {
    name: "norm ord inf",
    fn: (a) => mx.sum(mx.linalg.norm(a, Infinity, { axis: 1 })),
    shapes: [[2, 3]],
  }],
];

/** A constant well-conditioned n x n float64 matrix (not a primal). */
function shiftedConstant(n: number): mx.MxArray {
  using base = input([n, n], 0.1);
  return shifted(base);
}

for (const [rules, c] of dependentCases) {
  test(`grad() of ${c.name} matches float64 finite differences (with the ${rules[0]} rule)`, () =>
    checkCase(c));
}

test("solve has no derivative with respect to a (as in MLX: lu_factor has none)", () => {
  using a = shiftedConstant(3);
  using b = input([3]);
  const error = assertThrows(() => mx.grad((m: mx.MxArray) => mx.sum(mx.linalg.solve(m, b)))(a), mx.MxError);
  // MLX raises at the gather of the pivoted rows; here lu_factor's own error.
  assert(error.message.includes("[vjp] the derivative of lu_factor is not defined"), error.message);
});

test("convolution gradients of an empty batch are zeros of the weight's shape", () => {
  using x = input([0, 5, 2]);
  using w = input([3, 2, 2]);
  const [gx, gw] = mx.grad((a: mx.MxArray, b: mx.MxArray) => mx.sum(mx.conv1d(a, b, { stride: 2 })), {
    argnums: [0, 1],
  })(x, w) as mx.MxArray[];
  assertEquals(gx!.shape, [0, 5, 2]);
  assertEquals(gw!.shape, [3, 2, 2]);
  assertEquals(partsOf(gw!), new Array<number>(12).fill(0));
  mx.dispose([gx, gw]);
});
