/**
 * Derivatives of slicing, indexing and joining: slice (negative steps), gather, scatter (set,
 * add, maximum, minimum; broadcast updates, repeated indices), slice_update and concatenate,
 * and the TypeScript ops composed from them, against float64 central differences and MLX's
 * float32 gradients (test/fixtures/grad_indexing.json from scripts/fixtures/gen_grad_indexing.py).
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { readFileSync } from "node:fs";
import { input, numericGrad } from "./support/grad.ts";
import { assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

/** The scalar loss every case differentiates: sum(y * sin(y)) (non-uniform cotangents). */
function loss(y: mx.MxArray): mx.MxArray {
  return mx.sum(mx.multiply(y, mx.sin(y)));
}

const ints = (values: number[] | number[][]) => mx.array(values, mx.int32);

type Fn = (...args: mx.MxArray[]) => mx.MxArray;

/** The functions of the fixture, by the names gen_grad_indexing.py gives them. */
const fixtureFunctions: Record<string, Fn> = {
  "get slices with a negative step": (a) => mx.index(a, "1:", "::-2"),
  "get int, newaxis, slice": (a) => mx.index(a, 1, mx.newaxis, "2:4"),
  "get repeated integer array": (a) => mx.index(a, ints([0, 2, 0, 0])),
  "get ellipsis and two arrays": (a) => mx.index(a, "...", ints([0, 2, 2]), ints([1, 3, 1])),
  "take axis 1 repeated": (a) => mx.take(a, ints([2, 0, 2, 1]), { axis: 1 }),
  "take flat": (a) => mx.take(a, ints([[5, 0], [5, 5]])),
  "takeAlongAxis": (a) => mx.takeAlongAxis(a, ints([[0, 3], [1, 1], [2, 0]]), { axis: 1 }),
  "at add repeated, broadcast values": (a, v) => mx.at(a, ints([1, 3, 1])).add(v!),
  "putAlongAxis repeated (MLX's set rule: every duplicate gets the gradient)": (a, v) =>
    mx.putAlongAxis(a, ints([[1, 1, 1], [3, 3, 3], [1, 1, 1]]), v!, { axis: 0 }),
  "at maximum": (a, v) => mx.at(a, ints([0, 2, 4])).maximum(v!),
  "at minimum": (a, v) => mx.at(a, ints([0, 2, 4])).minimum(v!),
  "putAlongAxis": (a, v) => mx.putAlongAxis(a, ints([[3, 0], [1, 2]]), v!, { axis: 1 }),
  "sliceUpdate": (a, u) => mx.sliceUpdate(a, u!, ints([1, 2]), [0, 1]),
  "concatenate": (a, b) => mx.concatenate([a, b!], { axis: 1 }),
  "stack and split": (a, b) => mx.split(mx.stack([a, b!], { axis: 1 }), [1], { axis: 2 })[1]!,
  "pad edge": (a) => mx.pad(a, [[1, 0], [2, 1]], { mode: "edge" }),
  "pad constant": (a) => mx.pad(a, [[0, 1], [1, 1]], { constantValues: 2 }),
  "repeat axis 0": (a) => mx.repeat(a, 3, { axis: 0 }),
  "tile": (a) => mx.tile(a, [2, 1, 2]),
  "roll": (a) => mx.roll(a, [1, -2], { axis: [0, 1] }),
  "flip": (a) => mx.index(a, "::-1", "::-1"),
  "diagonal offset 1": (a) => mx.diagonal(a, { offset: 1 }),
  "trace": (a) => mx.trace(a, { axis1: 1, axis2: 2 }),
  "squeeze expandDims": (a) => mx.expandDims(mx.squeeze(a), 0),
};

interface GradCase {
  name: string;
  fn: Fn;
  shapes: number[][];
}

/** Cases beyond the fixture's (float64 only). */
const extraCases: GradCase[] = [
  { name: "get strided negative range 4:0:-2", fn: (a) => a.get("4:0:-2", ":"), shapes: [[6, 2]] },
  { name: "get with an empty slice", fn: (a) => mx.add(mx.sum(a.get("2:2")), mx.sum(a)), shapes: [[4]] },
  { name: "flip one axis", fn: (a) => mx.flip(a, { axis: 1 }), shapes: [[2, 3, 2]] },
  { name: "flip all axes", fn: (a) => mx.flip(a), shapes: [[3, 2]] },
  {
    name: "split into sections",
    fn: (a) => mx.multiply(...(mx.split(a, 2, { axis: 1 }) as [mx.MxArray, mx.MxArray])),
    shapes: [[2, 4]],
  },
  { name: "stack axis 0", fn: (a, b) => mx.stack([a, b!, a]), shapes: [[3], [3]] },
  {
    name: "concatenate three along axis 0",
    fn: (a, b, c) => mx.concatenate([a, b!, c!, a]),
    shapes: [[1, 2], [3, 2], [2, 2]],
  },
  { name: "repeat flat", fn: (a) => mx.repeat(a, 2), shapes: [[2, 2]] },
  { name: "tile 1-d", fn: (a) => mx.tile(a, 3), shapes: [[3]] },
  { name: "roll flat", fn: (a) => mx.roll(a, 4), shapes: [[2, 3]] },
  { name: "pad constant both sides", fn: (a) => mx.pad(a, 2), shapes: [[2]] },
  { name: "diagonal negative offset", fn: (a) => mx.diagonal(a, { offset: -1 }), shapes: [[4, 3]] },
  { name: "diag of a vector (scatter set into zeros)", fn: (a) => mx.diag(a, { k: 1 }), shapes: [[3]] },
  { name: "take scalar index", fn: (a) => mx.take(a, 2, { axis: 0 }), shapes: [[4, 2]] },
  { name: "dynamic slice", fn: (a) => mx.slice(a, ints([1, 0]), [0, 1], [2, 2]), shapes: [[3, 3]] },
  {
    name: "at set broadcast values (no repeats)",
    fn: (a, v) => mx.at(a, ints([2, 0])).set(v!),
    shapes: [[3, 4], [1, 4]],
  },
  { name: "at add scalar-shaped values", fn: (a, v) => mx.at(a, ints([1, 1, 1])).add(v!), shapes: [[3], []] },
  {
    name: "at maximum repeated indices",
    fn: (a, v) => mx.at(a, ints([1, 3, 1])).maximum(v!),
    shapes: [[4], [3]],
  },
  {
    name: "at with slices and arrays",
    fn: (a, v) => mx.at(a, "1:", ints([0, 2])).add(v!),
    shapes: [[3, 3], [2]],
  },
  { name: "squeeze axis", fn: (a) => mx.squeeze(a, { axis: 0 }), shapes: [[1, 3]] },
  {
    name: "second derivative through slice and slice_update",
    fn: (a) => loss(mx.grad((x: mx.MxArray) => mx.sum(mx.power(x.get("::-2"), 3)))(a)),
    shapes: [[5]],
  },
  {
    name: "second derivative through gather and scatter add",
    fn: (a) => loss(mx.grad((x: mx.MxArray) => mx.sum(mx.power(mx.take(x, ints([0, 2, 0])), 3)))(a)),
    shapes: [[3]],
  },
  {
    name: "second derivative through concatenate",
    fn: (a, b) => loss(mx.grad((x: mx.MxArray) => mx.sum(mx.power(mx.concatenate([x, b!, x]), 3)))(a)),
    shapes: [[2], [2]],
  },
];

interface GradFixture {
  cases: {
    name: string;
    inputs: { shape: number[]; data: number[] }[];
    grads: { shape: number[]; data: number[] }[];
  }[];
}

const fixturePath = decodeURIComponent(new URL("./fixtures/grad_indexing.json", import.meta.url).pathname);
const fixture = JSON.parse(readFileSync(fixturePath, "utf8")) as GradFixture;
const fdCases: GradCase[] = [
  ...fixture.cases.map((c) => ({
    name: c.name,
    fn: fixtureFunctions[c.name]!,
    shapes: c.inputs.map((i) => i.shape),
  })),
  ...extraCases,
];

/** Cases whose gradient is not the function's derivative, by MLX's rule (see the fixture). */
function notADerivative(name: string): string | undefined {
  if (name.startsWith("putAlongAxis repeated")) {
    return "MLX's rule for set gives every duplicate index the gradient, not only the last write";
  }
  return undefined;
}

for (const c of fdCases) {
  if (notADerivative(c.name)) continue;
  test(`grad() of ${c.name} matches float64 finite differences`, () => {
    const args = c.shapes.map((shape, k) => input(shape, 0.5 + 0.1 * k));
    try {
      const fn = (...xs: mx.MxArray[]) => loss(c.fn(...xs));
      const argnums = args.map((_, k) => k);
      const grads = mx.grad(fn, { argnums })(...args) as mx.MxArray[];
      args.forEach((arg, k) => {
        const got = grads[k]!;
        assertEquals(got.shape, arg.shape, `gradient ${k} shape`);
        assertEquals(got.dtype, mx.float64, `gradient ${k} dtype`);
        assertAllClose(Array.from(got.toTypedArray() as Float64Array), numericGrad(fn, args, k), {
          rtol: 1e-6,
          atol: 1e-6,
          label: `gradient ${k}`,
        });
        got.dispose();
      });
    } finally {
      for (const a of args) a.dispose();
    }
  });
}

test("grad() of slicing, indexing and joining matches MLX's float32 gradients", () => {
  const failures: string[] = [];
  for (const c of fixture.cases) {
    const fn = fixtureFunctions[c.name];
    if (!fn) {
      failures.push(`${c.name}: no function`);
      continue;
    }
    const args = c.inputs.map((spec) => fromBytes(Float32Array.from(spec.data), mx.float32, spec.shape));
    try {
      const grads = mx.grad((...xs: mx.MxArray[]) => loss(fn(...xs)), { argnums: args.map((_, k) => k) })(
        ...args,
      ) as mx.MxArray[];
      try {
        c.grads.forEach((want, k) => {
          const got = grads[k]!;
          assertEquals(got.shape, want.shape, `${c.name}: gradient ${k} shape`);
          assertEquals(got.dtype, mx.float32, `${c.name}: gradient ${k} dtype`);
          assertAllClose(Array.from(got.toTypedArray() as Float32Array), want.data, {
            rtol: 1e-5,
            atol: 1e-6,
            label: `${c.name}: gradient ${k}`,
          });
        });
      } catch (error) {
        failures.push((error as Error).message);
      } finally {
        mx.dispose(grads);
      }
    } finally {
      for (const a of args) a.dispose();
    }
  }
  assertEquals(failures, []);
});

test("grad() with repeated set indices follows MLX: every duplicate update gets the gradient", () => {
  using a = mx.zeros([3], mx.float64);
  using v = mx.array([1, 2, 3], mx.float64);
  const [ga, gv] = mx.grad(
    (x: mx.MxArray, u: mx.MxArray) =>
      mx.sum(mx.multiply(mx.at(x, ints([1, 1, 2])).set(u), mx.array([1, 10, 100], mx.float64))),
    {
      argnums: [0, 1],
    },
  )(a, v) as mx.MxArray[];
  assertEquals(ga!.tolist(), [1, 0, 0]);
  assertEquals(gv!.tolist(), [10, 10, 100]);
  mx.dispose([ga, gv]);
});

/**
 * Where we differ from MLX on purpose: indices computed from a differentiated input (argsort,
 * argmax) get no gradient; MLX raises "[gather] Cannot calculate VJP with respect to indices"
 * (and the same for scatter) unless they go through stopGradient.
 */
const knownDifference = "indices computed from the input get no gradient (MLX raises)";

test(`grad() flows through scatter and gather values; ${knownDifference}`, () => {
  using x = mx.array([3, 1, 2], mx.float64);
  using g = mx.grad((v: mx.MxArray) => mx.sum(mx.square(mx.take(v, mx.argsort(v)))))(x);
  assertEquals(g.tolist(), [6, 2, 4]);
  using h = mx.grad((v: mx.MxArray) => mx.sum(mx.at(v, mx.argmax(v)).add(v.get("0:1"))))(x);
  assertEquals(h.tolist(), [2, 1, 1]);
});

test("grad() through at(...).multiply is unsupported, as in MLX", () => {
  using x = mx.array([1, 2, 3]);
  const error = assertThrows(
    () => mx.grad((v: mx.MxArray) => mx.sum(mx.at(v, ints([0])).multiply(2)))(x),
    mx.MxError,
    "[vjp] the derivative of scatter with multiply (at(...).multiply) is not implemented, as in MLX",
  );
  assertEquals(error.code, "unsupported");
});

test("grad() of indexing keeps dtypes and handles empty and size-1 shapes", () => {
  using x = mx.array([[1, 2]], mx.float16);
  using g = mx.grad((v: mx.MxArray) =>
    mx.sum(mx.multiply(mx.index(v, 0, "::-1"), mx.array([3, 4], mx.float16)))
  )(x);
  assertEquals([g.dtype, g.shape, g.tolist()], [mx.float16, [1, 2], [[4, 3]]]);
  using e = mx.zeros([0, 3]);
  using ge = mx.grad((v: mx.MxArray) =>
    mx.sum(mx.concatenate([v.get("::-1"), mx.take(v, ints([]), { axis: 0 })]))
  )(e);
  assertEquals(ge.shape, [0, 3]);
  using s = mx.array(2);
  using gs = mx.grad((v: mx.MxArray) => mx.sum(mx.square(mx.stack([v, v]))))(s);
  assertEquals(gs.tolist(), 8);
});
