/**
 * mx.fft: the MLX fixtures (scripts/fixtures/gen_fft.py: lengths 1 to 1024 with small, prime
 * and mixed factors, N-D with axes and sizes, padding and truncation, dtypes, norms, empty
 * and size-1 shapes, shifts, frequencies, error messages), a float64 DFT computed here over
 * every length up to 130 and a few large ones, strided and threaded batches, and memory
 * returning to its baseline. Tolerances are float32's, relative to the signal's 2-norm.
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";
import { loadCases, makeArray, type TensorSpec, testFixtureGroups } from "./fixtures.ts";

type Formula = { scale: number; offset: number; mod: number | null };
type InputSpec = TensorSpec & { transpose?: number[]; imag?: Formula };

interface FFTCase {
  name: string;
  op: string;
  inputs: InputSpec[];
  params: Record<string, unknown>;
  expected?: { dtype: mx.DtypeName; shape: number[]; data: unknown[] };
  result?: { dtype: mx.DtypeName; shape: number[] };
  samples?: [number, number, number][];
  norm?: number;
  error?: string;
}

const cases = loadCases("fft.json") as unknown as FFTCase[];

/** Element i of a fixture formula, computed in float64. */
function formulaValue(f: Formula, i: number): number {
  return (f.mod === null ? i : i % f.mod) * f.scale + f.offset;
}

/** A fixture input; complex ones have a second formula for the imaginary parts. */
function makeInput(spec: InputSpec): mx.MxArray {
  if (spec.imag === undefined) return makeArray(spec);
  const size = spec.shape.reduce((x, y) => x * y, 1);
  const pairs = new Float32Array(2 * size);
  for (let i = 0; i < size; i++) {
    pairs[2 * i] = formulaValue(spec.gen!, i);
    pairs[2 * i + 1] = formulaValue(spec.imag, i);
  }
  const host = fromBytes(pairs, mx.complex64, spec.shape);
  if (!spec.transpose) return host;
  using owned = host;
  return mx.transpose(owned, { axes: spec.transpose });
}

/** MLX's keyword arguments as our options. */
function run(c: FFTCase, inputs: mx.MxArray[]): mx.MxArray {
  const p = c.params;
  const fft = mx.fft as unknown as Record<string, (...args: unknown[]) => mx.MxArray>;
  if (c.op === "fftfreq" || c.op === "rfftfreq") return fft[c.op]!(p.n, { d: p.d });
  if (c.op === "fftshift" || c.op === "ifftshift") return fft[c.op]!(inputs[0], { axes: p.axes });
  if (["fft", "ifft", "rfft", "irfft"].includes(c.op)) {
    return fft[c.op]!(inputs[0], { n: p.n, axis: p.axis, norm: p.norm });
  }
  return fft[c.op]!(inputs[0], { s: p.s, axes: p.axes, norm: p.norm });
}

/** Flat [re, im] pairs (imaginary 0 for real dtypes) of an evaluated array. */
function complexValues(a: mx.MxArray): Float64Array {
  using wide = a.dtype === mx.complex64 ? mx.copy(a) : mx.astype(a, mx.float64);
  const flat = wide.toTypedArray();
  const out = new Float64Array(2 * a.size);
  if (a.dtype === mx.complex64) {
    out.set(flat as Float32Array);
  } else {
    (flat as Float64Array).forEach((v, i) => (out[2 * i] = v));
  }
  return out;
}

function fixtureValues(data: unknown[]): Float64Array {
  const out = new Float64Array(2 * data.length);
  data.forEach((v, i) => {
    if (Array.isArray(v)) {
      out[2 * i] = v[0] as number;
      out[2 * i + 1] = v[1] as number;
    } else {
      out[2 * i] = typeof v === "boolean" ? Number(v) : (v as number);
    }
  });
  return out;
}

function norm2(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum);
}

/** Float32 accuracy of a transform: each element within `rel` of the signal's 2-norm. */
const rel = 2e-6;

function assertClose(got: Float64Array, want: Float64Array, scale: number, label: string): void {
  assertEquals(got.length, want.length, `${label}: length`);
  const atol = rel * scale + 1e-6;
  for (let i = 0; i < got.length; i++) {
    const error = Math.abs(got[i]! - want[i]!);
    if (!(error <= atol)) {
      const part = i % 2 === 0 ? "re" : "im";
      throw new Error(`${label}: element ${i >> 1} ${part}: got ${got[i]}, want ${want[i]} (atol ${atol})`);
    }
  }
}

/** MLX cases that raise an IndexError with no op name ("SmallVector out of range.") when it
 * indexes the shape with a bad axis or a 0-d input; ours name the op and the problem. */
function knownDifference(c: FFTCase): string | undefined {
  return c.error !== undefined && !c.error.startsWith("[") ? "MLX: unnamed IndexError" : undefined;
}

function checkCase(c: FFTCase): void {
  const inputs = c.inputs.map(makeInput);
  try {
    if (c.error !== undefined) {
      const message = knownDifference(c) ? "[" : c.error;
      assertThrows(() => run(c, inputs).dispose(), mx.MxError, message);
      return;
    }
    using out = run(c, inputs);
    const spec = c.expected ?? c.result!;
    assertEquals(out.dtype.name, spec.dtype, "dtype");
    assertEquals(out.shape, spec.shape, "shape");
    const got = complexValues(out);
    if (c.expected !== undefined) {
      const want = fixtureValues(c.expected.data);
      assertClose(got, want, norm2(want), "values");
      return;
    }
    const scale = c.norm!;
    for (const [index, re, im] of c.samples!) {
      assertClose(got.subarray(2 * index, 2 * index + 2), Float64Array.of(re, im), scale, `element ${index}`);
    }
    const norm = norm2(got);
    assert(Math.abs(norm - scale) <= 1e-5 * scale, `norm ${norm}, want ${scale}`);
  } finally {
    for (const a of inputs) a.dispose();
  }
}

testFixtureGroups(cases, {
  title: (op, count) => `fft.${op}() matches MLX on ${count} fixture cases`,
  check: checkCase,
});

test("fft knownDifference: a bad axis or a 0-d input is a named MxError (MLX: IndexError)", () => {
  using a = mx.zeros([2, 3]);
  assertThrows(
    () => mx.fft.fft(a, { axis: 2 }),
    mx.MxError,
    "[fftn] Invalid axis received for array with 2 dimensions.",
  );
  assertThrows(
    () => mx.fft.fftn(a, { axes: [0, 5] }),
    mx.MxError,
    "[fftn] Invalid axis received for array with 2 dimensions.",
  );
  using scalar = mx.array(1);
  assertThrows(() => mx.fft.fft(scalar), mx.MxError, "[fftn] Requires array with at least one dimension.");
  using vector = mx.zeros([4]);
  assertThrows(
    () => mx.fft.fft2(vector),
    mx.MxError,
    "[fftn] Invalid axis received for array with 1 dimensions.",
  );
});

/** Deterministic pseudo-random values in [-1, 1), rounded to float32. */
function randomValues(count: number, seed: number): Float64Array {
  const values = new Float64Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = Math.fround(state / 2 ** 31 - 1);
  }
  return values;
}

/** The DFT of interleaved [re, im] values by its definition, in float64. */
function referenceDft(x: Float64Array, inverse: boolean): Float64Array {
  const n = x.length / 2;
  const out = new Float64Array(2 * n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      const angle = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      re += x[2 * j]! * c - x[2 * j + 1]! * s;
      im += x[2 * j]! * s + x[2 * j + 1]! * c;
    }
    out[2 * k] = inverse ? re / n : re;
    out[2 * k + 1] = inverse ? im / n : im;
  }
  return out;
}

function checkLength(n: number): void {
  const x = randomValues(2 * n, n);
  using signal = fromBytes(Float32Array.from(x), mx.complex64, [n]);
  const want = referenceDft(x, false);
  using forward = mx.fft.fft(signal);
  assertClose(complexValues(forward), want, norm2(want), `fft length ${n}`);
  using back = mx.fft.ifft(forward);
  assertClose(complexValues(back), x, norm2(x), `ifft(fft) length ${n}`);
  const realPart = Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? x[i]! : 0));
  using realSignal = mx.real(signal);
  using half = mx.fft.rfft(realSignal);
  const wantHalf = referenceDft(realPart, false).subarray(0, 2 * (Math.floor(n / 2) + 1));
  assertClose(complexValues(half), wantHalf, norm2(wantHalf), `rfft length ${n}`);
  using restored = mx.fft.irfft(half, { n });
  assertClose(complexValues(restored), realPart, norm2(realPart), `irfft(rfft) length ${n}`);
}

test("fft, ifft, rfft and irfft match a float64 DFT at every length 1..130 and large ones", () => {
  for (let n = 1; n <= 130; n++) checkLength(n);
  for (const n of [210, 256, 289, 331, 509, 1000, 1009, 1024, 2048, 3000]) checkLength(n);
});

test("fft of a strided, threaded batch matches per-line transforms", () => {
  const rows = 300;
  const length = 97;
  const x = randomValues(2 * rows * length, 7);
  using stored = fromBytes(Float32Array.from(x), mx.complex64, [length, rows]);
  using lines = mx.transpose(stored); // [rows, length], strided along the transformed axis
  using out = mx.fft.fft(lines);
  const got = complexValues(out);
  for (const row of [0, 1, 150, 299]) {
    const line = new Float64Array(2 * length);
    for (let j = 0; j < length; j++) {
      line[2 * j] = x[2 * (j * rows + row)]!;
      line[2 * j + 1] = x[2 * (j * rows + row) + 1]!;
    }
    const want = referenceDft(line, false);
    assertClose(got.subarray(2 * row * length, 2 * (row + 1) * length), want, norm2(want), `row ${row}`);
  }
});

test("fft2 of a transposed view equals fft along both axes in either order", () => {
  const x = randomValues(2 * 12 * 35, 3);
  using stored = fromBytes(Float32Array.from(x), mx.complex64, [35, 12]);
  using a = mx.transpose(stored);
  using both = mx.fft.fft2(a);
  using rowsFirst = mx.fft.fft(a, { axis: 1 });
  using thenColumns = mx.fft.fft(rowsFirst, { axis: 0 });
  const want = complexValues(thenColumns);
  assertClose(complexValues(both), want, norm2(want), "fft2");
  using inverse = mx.fft.ifft2(both);
  assertClose(complexValues(inverse), complexValues(a), norm2(x), "ifft2(fft2)");
});

test("irfftn inverts rfftn over three axes with odd and even sizes", () => {
  const x = randomValues(5 * 6 * 7, 11);
  using a = fromBytes(Float32Array.from(x), mx.float32, [5, 6, 7]);
  using spectrum = mx.fft.rfftn(a);
  assertEquals(spectrum.shape, [5, 6, 4]);
  using back = mx.fft.irfftn(spectrum, { s: [5, 6, 7], axes: [0, 1, 2] });
  assertEquals(back.shape, [5, 6, 7]);
  assertClose(complexValues(back), complexValues(a), norm2(x), "irfftn(rfftn)");
});

test("fft errors name the op, the sizes and the axes", () => {
  using a = mx.zeros([2, 3]);
  assertThrows(() => mx.fft.fft(a, { n: 0 }), mx.MxError, "[fftn] Invalid FFT output size requested (0)");
  assertThrows(() => mx.fft.fft(a, { n: 1.5 }), mx.MxError, "[fft] n must be an integer; got 1.5");
  assertThrows(() => mx.fft.fftn(a, { axes: [1, -1] }), mx.MxError, "[fftn] Duplicated axis received (1,-1)");
  assertThrows(
    () => mx.fft.fftn(a, { s: [2], axes: [0, 1] }),
    mx.MxError,
    "[fftn] Shape and axes have different sizes.",
  );
  assertThrows(
    () => mx.fft.rfft2(a, { s: [2, 3], axes: [0, 1], norm: "bad" as mx.fft.FFTNorm }),
    mx.MxError,
    "[rfft2] Invalid norm.",
  );
  assertThrows(
    () => mx.fft.fftshift(a, { axes: [2] }),
    mx.MxError,
    "[fftshift] Invalid axis 2 for array with 2 dimensions.",
  );
  assertThrows(() => mx.fft.rfftfreq(2.5), mx.MxError, "[rfftfreq] `n` must be an integer; got 2.5");
});

test("fft with empty axes returns the input unchanged, dtype included", () => {
  using a = mx.array([[1, 2], [3, 4]], mx.int32);
  using same = mx.fft.fftn(a, { axes: [] });
  assertEquals(same.dtype, mx.int32);
  assertEquals(same.tolist(), [[1, 2], [3, 4]]);
});

test("fft releases its intermediates: memory returns to the baseline", () => {
  mx.memory.clearCache();
  const before = mx.memory.activeBytes();
  {
    using a = mx.ones([16, 97]);
    using padded = mx.fft.rfft2(a, { s: [20, 200] });
    using back = mx.fft.irfft2(padded, { s: [20, 200] });
    mx.eval(back);
    assertEquals(back.shape, [20, 200]);
  }
  assertEquals(mx.memory.activeBytes(), before);
});
