/**
 * Derivative rules of the elementwise primitives (unary, binary, where): float64 central
 * differences for every rule, broadcasting, second derivatives, and MLX's own vector-Jacobian
 * products (test/fixtures/grad_elementwise.json, float32 / float16 / bfloat16 / complex64).
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { decode, dtypeByName, loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";
import { input, numericGrad } from "./support/grad.ts";

type Fn = (...args: mx.MxArray[]) => mx.MxArray;

/** Checks `mx.grad` of `fn` for every argument against central differences. */
function checkGrad(fn: Fn, args: mx.MxArray[], tolerance = 1e-6): void {
  const argnums = args.map((_, k) => k);
  const grads = mx.grad(fn, { argnums })(...args) as mx.MxArray[];
  try {
    args.forEach((arg, k) => {
      const got = grads[k]!;
      assertEquals(got.shape, arg.shape, `gradient ${k} shape`);
      assertEquals(got.dtype, mx.float64, `gradient ${k} dtype`);
      assertAllClose(Array.from(got.toTypedArray() as Float64Array), numericGrad(fn, args, k), {
        rtol: tolerance,
        atol: tolerance,
        label: `gradient ${k}`,
      });
    });
  } finally {
    mx.dispose(grads);
  }
}

/** Runs `check` on float64 inputs `input(shape, offset, span)` and disposes them. */
function withInputs(specs: [number[], number, number][], check: (args: mx.MxArray[]) => void): void {
  const args = specs.map(([shape, offset, span]) => input(shape, offset, span));
  try {
    check(args);
  } finally {
    mx.dispose(args);
  }
}

// Each unary op on [2, 3] values in [offset, offset + span), inside its domain; the loss
// weights the outputs so the cotangent is not all ones.
const unaryDomains: [string, (x: mx.MxArray) => mx.MxArray, number, number][] = [
  ["tan", mx.tan, -1.2, 2.4],
  ["arcsin", mx.arcsin, -0.9, 1.8],
  ["arccos", mx.arccos, -0.9, 1.8],
  ["arctan", mx.arctan, -3, 6],
  ["sinh", mx.sinh, -2, 4],
  ["cosh", mx.cosh, -2, 4],
  ["arcsinh", mx.arcsinh, -3, 6],
  ["arccosh", mx.arccosh, 1.1, 4],
  ["arctanh", mx.arctanh, -0.9, 1.8],
  ["erf", mx.erf, -2, 4],
  ["erfinv", mx.erfinv, -0.9, 1.8],
  ["log2", mx.log2, 0.2, 4],
  ["log10", mx.log10, 0.2, 4],
  ["rsqrt", mx.rsqrt, 0.2, 4],
  ["degrees", mx.degrees, -2, 4],
  ["radians", mx.radians, -90, 180],
  ["conjugate", mx.conjugate, -2, 4],
  ["real", mx.real, -2, 4],
  ["imag", mx.imag, -2, 4],
  ["sigmoid", mx.sigmoid, -3, 6],
  ["sqrt", mx.sqrt, 0.2, 4],
  ["tanh", mx.tanh, -2, 4],
  ["reciprocal", mx.reciprocal, 0.3, 3],
  ["sign", mx.sign, -2, 4],
  ["floor", mx.floor, -1.97, 4],
];

for (const [name, f, offset, span] of unaryDomains) {
  test(`grad() of ${name} matches float64 finite differences`, () => {
    using weights = input([2, 3], -0.7, 1.9);
    withInputs(
      [[[2, 3], offset, span]],
      (args) => checkGrad((x) => mx.sum(mx.multiply(f(x), weights)), args),
    );
  });
}

// Binary ops with broadcasting ([2, 3] with [3], [2, 1] with [1, 3]); arctan2 in all four
// quadrants; remainder away from its jumps.
type Binary = (a: mx.MxArray, b: mx.MxArray) => mx.MxArray;
const binaryCases: [string, Binary, [number[], number, number][]][] = [
  ["maximum", (a, b) => mx.maximum(a, b), [[[2, 3], -1, 2], [[3], -0.55, 1.3]]],
  ["minimum", (a, b) => mx.minimum(a, b), [[[2, 1], -1, 2], [[1, 3], -0.55, 1.3]]],
  ["logaddexp", (a, b) => mx.logaddexp(a, b), [[[2, 3], -2, 4], [[3], -1, 3]]],
  ["arctan2", (a, b) => mx.arctan2(a, b), [[[2, 3], -1, 2], [[3], -1.3, 2.2]]],
  ["arctan2 [2,1] [1,3]", (a, b) => mx.arctan2(a, b), [[[2, 1], -1, 2], [[1, 3], -1.3, 2.2]]],
  ["remainder", (a, b) => mx.remainder(a, b), [[[2, 3], -3.1, 6.3], [[3], 0.7, 1]]],
  ["remainder negative divisor", (a, b) => mx.remainder(a, b), [[[2, 1], -3.1, 6.3], [[1, 3], -1.7, 1]]],
  ["power", (a, b) => mx.power(a, b), [[[2, 3], 0.3, 2], [[1, 3], -1.5, 3]]],
];

for (const [name, f, specs] of binaryCases) {
  test(`grad() of ${name} (broadcast) matches float64 finite differences`, () => {
    withInputs(specs, (args) => checkGrad((a, b) => mx.sum(mx.square(f(a!, b!))), args));
  });
}

test("grad() of where sends the cotangent to x or y by the condition, summed over broadcast axes", () => {
  using rows = mx.array([[true], [false]]);
  using grid = mx.array([[true, false, true], [false, false, true]]);
  withInputs([[[2, 3], -1, 2], [[3], 0.5, 1]], (args) => {
    checkGrad((x, y) => mx.sum(mx.square(mx.where(rows, x!, y!))), args);
    checkGrad((x, y) => mx.sum(mx.exp(mx.where(grid, x!, y!))), args);
  });
  withInputs([[[], 0.25, 1], [[2, 1], -1, 2]], (args) => {
    checkGrad((x, y) => mx.sum(mx.sin(mx.where(grid, x!, y!))), args);
  });
  // A condition computed from the input: |x| written with where.
  withInputs([[[2, 3], -1, 2]], (args) => {
    checkGrad((x) => mx.sum(mx.where(mx.greater(x!, 0), mx.square(x!), mx.negative(x!))), args);
  });
  // The condition gets a zero gradient.
  using x = mx.array([1, 2, 3]);
  using condition = mx.array([1, 0, 2]);
  const [dc, dx] = mx.grad((c: mx.MxArray, v: mx.MxArray) => mx.sum(mx.where(c, v, 0)), {
    argnums: [0, 1],
  })(condition, x) as mx.MxArray[];
  assertEquals([dc!.tolist(), dx!.tolist()], [[0, 0, 0], [1, 0, 1]]);
  mx.dispose([dc, dx]);
});

test("grad() of maximum/minimum gives a tie to the second argument and NaN to neither, as MLX", () => {
  using a = mx.array([1, 2, -1, NaN, 0]);
  using b = mx.array([1, 1, -1, 1, -0]);
  for (
    const [f, da, db] of [
      [mx.maximum, [0, 1, 0, 0, 0], [1, 0, 1, 0, 1]],
      [mx.minimum, [0, 0, 0, 0, 0], [1, 1, 1, 0, 1]],
    ] as const
  ) {
    const [ga, gb] = mx.grad((x: mx.MxArray, y: mx.MxArray) => mx.sum(f(x, y)), { argnums: [0, 1] })(
      a,
      b,
    ) as mx.MxArray[];
    assertEquals([ga!.tolist(), gb!.tolist()], [da, db]);
    mx.dispose([ga, gb]);
  }
});

test("grad() of power at a zero base: 0 for the exponent where the power is 0, as MLX", () => {
  using a = mx.array([0, 0, 0, 0], mx.float64);
  using b = mx.array([2, 1, 0.5, 0], mx.float64);
  const [da, db] = mx.grad((x: mx.MxArray, y: mx.MxArray) => mx.sum(mx.power(x, y)), { argnums: [0, 1] })(
    a,
    b,
  ) as mx.MxArray[];
  // d/da: b a^(b-1) = 0, 1, inf, 0 * inf; d/db: a^b log a = 0 where a^b = 0, else 1 * -inf
  assertEquals(da!.tolist(), [0, 1, Infinity, NaN]);
  assertEquals(db!.tolist(), [0, 0, 0, -Infinity]);
  mx.dispose([da, db]);
});

// Second derivatives: the gradient of sum(grad(f)) against its own finite differences.
const secondOrder: [string, Fn, [number[], number, number][]][] = [
  ["tanh", (x) => mx.sum(mx.tanh(x)), [[[2, 3], -2, 4]]],
  ["erf", (x) => mx.sum(mx.erf(x)), [[[2, 3], -2, 4]]],
  ["erfinv", (x) => mx.sum(mx.erfinv(x)), [[[2, 3], -0.8, 1.6]]],
  ["arcsin", (x) => mx.sum(mx.arcsin(x)), [[[2, 3], -0.8, 1.6]]],
  ["rsqrt", (x) => mx.sum(mx.rsqrt(x)), [[[2, 3], 0.3, 3]]],
  ["arctan2", (a, b) => mx.sum(mx.arctan2(a!, b!)), [[[2, 3], -1, 2], [[3], -1.3, 2.2]]],
  ["maximum", (a, b) => mx.sum(mx.multiply(mx.maximum(a!, b!), a!)), [[[2, 3], -1, 2], [[3], -0.55, 1.3]]],
  ["logaddexp", (a, b) => mx.sum(mx.logaddexp(a!, b!)), [[[2, 3], -2, 4], [[3], -1, 3]]],
  ["where", (a, b) => mx.sum(mx.where(mx.greater(a!, 0), mx.sin(a!), mx.square(b!))), [[[3], -1, 2], [
    [3],
    -1,
    2,
  ]]],
];

for (const [name, f, specs] of secondOrder) {
  test(`grad() of grad() of ${name} matches finite differences of the first gradient`, () => {
    withInputs(specs, (args) => {
      const argnums = args.map((_, k) => k);
      const first: Fn = (...xs) => {
        const grads = mx.grad(f, { argnums })(...xs) as mx.MxArray[];
        return grads.map((g) => mx.sum(g)).reduce((s, g) => mx.add(s, g));
      };
      checkGrad(first, args, 1e-5);
    });
  });
}

/** A 1-D complex64 array from [re, im, re, im, ...]. */
function complexArray(parts: number[]): mx.MxArray {
  return fromBytes(Float32Array.from(parts), mx.complex64, [parts.length / 2]);
}

test("vjp() of a complex64 function conjugates the derivative, as MLX", () => {
  // f(z) = z^2: the cotangent of z is c * conj(2 z).
  using z = complexArray([1, 2, -0.5, 0.25]);
  using c = complexArray([1, 0, 0, 1]);
  const [outs, [dz]] = mx.vjp((v) => mx.square(v), [z], [c]);
  assertEquals(dz!.tolist(), [{ re: 2, im: -4 }, { re: 0.5, im: -1 }]);
  // real() and imag(): the real cotangent goes to the real part, i times it to the imaginary.
  using r = mx.array([3, 5]);
  const [, [dr]] = mx.vjp((v) => mx.real(v), [z], [r]);
  const [, [di]] = mx.vjp((v) => mx.imag(v), [z], [r]);
  assertEquals([dr!.tolist(), di!.tolist()], [
    [{ re: 3, im: 0 }, { re: 5, im: 0 }],
    [{ re: 0, im: 3 }, { re: 0, im: 5 }],
  ]);
  mx.dispose([outs, dz, dr, di]);
});

test("grad() of logaddexp of complex64 is a named unsupported error, as MLX", () => {
  using z = complexArray([1, 2]);
  const error = assertThrows(
    () => mx.grad((v: mx.MxArray) => mx.sum(mx.real(mx.logaddexp(v, v))))(z),
    mx.MxError,
    "[vjp] the derivative of logaddexp is not defined for complex64 (as in MLX)",
  );
  assertEquals(error.code, "unsupported");
});

// ---------------------------------------------------------------------------------------------
// MLX's gradients at fixed inputs.

interface GradCase {
  name: string;
  op: string;
  inputs: TensorSpec[];
  cotangent?: TensorSpec;
  grads: TensorSpec[];
  order?: number;
}

const camel = (op: string) => op.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

function opFunction(op: string): Fn {
  const f = (mx as unknown as Record<string, unknown>)[camel(op)];
  if (typeof f !== "function") throw new Error(`no op ${op}`);
  return (...args) => (f as (...xs: mx.MxArray[]) => mx.MxArray)(...args);
}

/** Elements as numbers (complex as re, im pairs; bool as 0/1). */
function flatValues(a: mx.MxArray): number[] {
  if (a.dtype === mx.complex64) return Array.from(a.toTypedArray() as Float32Array);
  using wide = mx.astype(a, mx.float64);
  return Array.from(wide.toTypedArray() as Float64Array);
}

function expectedValues(spec: TensorSpec): number[] {
  return [spec.data].flat(Infinity).map((v) => Number(decode(v, false, 0)));
}

function tolerance(dtype: string): { rtol: number; atol: number } {
  switch (dtype) {
    case "float16":
      return { rtol: 4e-3, atol: 2e-3 };
    case "bfloat16":
      return { rtol: 3e-2, atol: 2e-2 };
    default:
      // float32 rounding of a few chained ops (our float32 math is within 2 ulp, MLX's too)
      return { rtol: 2e-5, atol: 2e-6 };
  }
}

function gradients(c: GradCase, args: mx.MxArray[]): mx.MxArray[] {
  const f = opFunction(c.op);
  const argnums = args.map((_, k) => k);
  if (c.order === 2) {
    const first: Fn = (...xs) =>
      (mx.grad((...ys: mx.MxArray[]) => mx.sum(f(...ys)), { argnums })(...xs) as mx.MxArray[])
        .map((g) => mx.sum(g)).reduce((s, g) => mx.add(s, g));
    return mx.grad(first, { argnums })(...args) as mx.MxArray[];
  }
  using cotangent = makeArray(c.cotangent!);
  const [outputs, grads] = mx.vjp(f, args, [cotangent]);
  mx.dispose(outputs);
  return grads;
}

/** Gradients whose dtype differs from MLX's (the values are still compared). */
function knownDifference(c: GradCase, argnum: number): string | undefined {
  if (c.op === "where" && argnum === 0 && c.grads[0]!.dtype !== "bool") {
    return "the gradient of where's boolean condition is bool zeros; MLX gives int32 zeros " +
      "when the condition was broadcast (its broadcast's rule sums the bool zeros)";
  }
  return undefined;
}

function checkFixture(c: GradCase): void {
  const args = c.inputs.map(makeArray);
  const grads = gradients(c, args);
  try {
    c.grads.forEach((spec, k) => {
      const got = grads[k]!;
      const dtype = knownDifference(c, k) ? got.dtype : dtypeByName(spec.dtype);
      assertEquals([got.dtype, got.shape], [dtype, spec.shape], `gradient ${k}`);
      assertAllClose(flatValues(got), expectedValues(spec), {
        ...tolerance(spec.dtype),
        label: `gradient ${k}`,
      });
    });
  } finally {
    mx.dispose([args, grads]);
  }
}

const fixtureCases = loadCases("grad_elementwise.json") as unknown as GradCase[];
testFixtureGroups(fixtureCases, {
  title: (op, count) => `vjp() of ${camel(op)} matches MLX's on ${count} fixture cases`,
  check: checkFixture,
});

test("the elementwise rules release every node they make (memory stays flat)", () => {
  const run = () => {
    for (const c of fixtureCases) {
      const args = c.inputs.map(makeArray);
      const grads = gradients(c, args);
      mx.eval(grads);
      mx.dispose([args, grads]);
    }
    using z = complexArray([1, 2]);
    assertThrows(() => mx.grad((v: mx.MxArray) => mx.sum(mx.real(mx.logaddexp(v, v))))(z), mx.MxError);
  };
  run();
  const live = mx.memory.liveArrays();
  const active = mx.memory.activeBytes();
  for (let i = 0; i < 3; i++) run();
  assertEquals(mx.memory.liveArrays(), live);
  assertEquals(mx.memory.activeBytes(), active);
});
