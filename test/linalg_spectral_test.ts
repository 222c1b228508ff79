/**
 * mx.linalg qr, svd, eigh, eigvalsh, eig, eigvals and pinv against MLX fixtures
 * (scripts/fixtures/gen_linalg_spectral.py). Decompositions are unique only up to signs
 * (phases for eig): values (singular values, eigenvalues) and pinv compare directly, vectors
 * compare up to sign where they are unique (distinct values, full rank), and every result is
 * also checked by reconstruction (Q R = A with Q orthonormal, U S Vt = A with U, V
 * orthogonal, A V = V diag(w)). Error paths assert the messages.
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../src/array.ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { dtypeByName, loadCases, testFixtureGroups } from "./fixtures.ts";

interface Spec {
  dtype: mx.DtypeName;
  shape: number[];
  data?: unknown;
}

interface SpectralCase {
  name: string;
  op: "qr" | "svd" | "eigh" | "eigvalsh" | "eig" | "eigvals" | "pinv";
  input: Spec & { lcg?: number; transpose?: number[] };
  params: { computeUv?: boolean; UPLO?: "L" | "U" };
  outputs?: Spec[];
  error?: string;
}

const cases = loadCases("linalg_spectral.json") as unknown as SpectralCase[];

/** The generator's inputs: the i-th draw of a 32-bit LCG mapped to [-1, 1). */
function lcgValues(count: number, seed: number): Float64Array {
  const values = new Float64Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

function makeInput(spec: SpectralCase["input"]): mx.MxArray {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype === "complex64") {
    // [re, im] pairs.
    const pairs = Float32Array.from([spec.data].flat(Infinity) as number[]);
    return fromBytes(pairs, mx.complex64, spec.shape);
  }
  const values = spec.lcg !== undefined
    ? lcgValues(size, spec.lcg)
    : Float64Array.from([spec.data].flat(Infinity) as number[]);
  using host = fromBytes(values, mx.float64, spec.shape);
  using converted = mx.astype(host, dtypeByName(spec.dtype));
  return spec.transpose ? mx.copy(mx.transpose(converted, { axes: spec.transpose })) : mx.copy(converted);
}

/** A batch of row-major matrices (complex when `im` is set). */
interface Host {
  shape: number[];
  re: Float64Array;
  im?: Float64Array;
}

function toHost(a: mx.MxArray): Host {
  if (a.dtype === mx.complex64) {
    using re = mx.astype(mx.real(a), mx.float64);
    using im = mx.astype(mx.imag(a), mx.float64);
    return { shape: a.shape, re: re.toTypedArray() as Float64Array, im: im.toTypedArray() as Float64Array };
  }
  using wide = mx.astype(a, mx.float64);
  return { shape: a.shape, re: wide.toTypedArray() as Float64Array };
}

function fromSpec(spec: Spec): Host {
  const flat = [spec.data].flat(Infinity) as number[];
  if (spec.dtype !== "complex64") return { shape: spec.shape, re: Float64Array.from(flat) };
  const re = new Float64Array(flat.length / 2);
  const im = new Float64Array(flat.length / 2);
  for (let i = 0; i < re.length; i++) {
    re[i] = flat[2 * i]!;
    im[i] = flat[2 * i + 1]!;
  }
  return { shape: spec.shape, re, im };
}

/** Tolerance scale: float32 results are accurate to ~1e-6 of the input's norm. */
function tolOf(dtype: string): number {
  return dtype === "float64" ? 1e-9 : 2e-5;
}

/** Element (i, j) of matrix `b` of a host batch of r x c matrices. */
function at(x: Float64Array, b: number, r: number, c: number, i: number, j: number): number {
  return x[b * r * c + i * c + j]!;
}

function frobenius(x: Float64Array, start: number, count: number): number {
  let sum = 0;
  for (let i = start; i < start + count; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum);
}

/** The sign (+1/-1) that best aligns vector u with vector v. */
function alignSign(u: number[], v: number[]): number {
  let dot = 0;
  for (let i = 0; i < u.length; i++) dot += u[i]! * v[i]!;
  return dot < 0 ? -1 : 1;
}

function column(x: Float64Array, b: number, rows: number, cols: number, j: number, count = rows): number[] {
  return Array.from({ length: count }, (_, i) => at(x, b, rows, cols, i, j));
}

function rowOf(x: Float64Array, b: number, rows: number, cols: number, i: number): number[] {
  return Array.from({ length: cols }, (_, j) => at(x, b, rows, cols, i, j));
}

/** Asserts the columns of an m x c batch matrix are orthonormal. */
function assertOrthonormalColumns(
  x: Float64Array,
  b: number,
  m: number,
  c: number,
  tol: number,
  label: string,
) {
  for (let p = 0; p < c; p++) {
    for (let q = p; q < c; q++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += at(x, b, m, c, i, p) * at(x, b, m, c, i, q);
      assertAllClose(dot, p === q ? 1 : 0, { atol: tol, rtol: 0, label: `${label} columns ${p}, ${q}` });
    }
  }
}

function transposed(x: Float64Array, batch: number, r: number, c: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[b * r * c + j * r + i] = at(x, b, r, c, i, j);
  }
  return out;
}

const rankDeficient = (c: SpectralCase) => /rank|zeros/.test(c.name);

function checkQr(c: SpectralCase, a: Host, [q, r]: Host[], batch: number, m: number, n: number, tol: number) {
  const k = Math.min(m, n);
  assertEquals(q!.shape, [...a.shape.slice(0, -2), m, k], "Q shape");
  assertEquals(r!.shape, [...a.shape.slice(0, -2), k, n], "R shape");
  const expected = c.outputs!.map((s) => (s.data !== undefined ? fromSpec(s) : undefined));
  for (let b = 0; b < batch; b++) {
    const scale = tol * Math.max(1, frobenius(a.re, b * m * n, m * n));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0; l < k; l++) sum += at(q!.re, b, m, k, i, l) * at(r!.re, b, k, n, l, j);
        assertAllClose(sum, at(a.re, b, m, n, i, j), { atol: scale, rtol: 0, label: `QR[${i},${j}]` });
        if (i < k && i > j) assertEquals(at(r!.re, b, k, n, i, j), 0, "R lower triangle");
      }
    }
    assertOrthonormalColumns(q!.re, b, m, k, tol * 10, "Q");
    if (rankDeficient(c) || expected[0] === undefined) continue;
    for (let l = 0; l < k; l++) {
      const sign = alignSign(column(q!.re, b, m, k, l), column(expected[0].re, b, m, k, l));
      const ours = column(q!.re, b, m, k, l).map((x) => sign * x);
      assertAllClose(ours, column(expected[0].re, b, m, k, l), {
        atol: scale * 10,
        rtol: 0,
        label: `Q column ${l}`,
      });
      const rowOurs = rowOf(r!.re, b, k, n, l).map((x) => sign * x);
      assertAllClose(rowOurs, rowOf(expected[1]!.re, b, k, n, l), {
        atol: scale * 10,
        rtol: 0,
        label: `R row ${l}`,
      });
    }
  }
}

function checkSvd(c: SpectralCase, a: Host, outs: Host[], batch: number, m: number, n: number, tol: number) {
  const k = Math.min(m, n);
  const valuesOnly = outs.length === 1;
  const s = valuesOnly ? outs[0]! : outs[1]!;
  assertEquals(s.shape, [...a.shape.slice(0, -2), k], "S shape");
  const expectedS = fromSpec(c.outputs![valuesOnly ? 0 : 1]!);
  for (let b = 0; b < batch; b++) {
    const scale = tol * Math.max(1, frobenius(a.re, b * m * n, m * n));
    const sv = Array.from(s.re.subarray(b * k, b * k + k));
    assertAllClose(sv, Array.from(expectedS.re.subarray(b * k, b * k + k)), {
      atol: scale,
      rtol: 0,
      label: "S",
    });
    for (let l = 1; l < k; l++) assert(sv[l - 1]! >= sv[l]! && sv[l]! >= 0, "S descending, non-negative");
  }
  if (valuesOnly) return;
  const [u, , vt] = outs as [Host, Host, Host];
  assertEquals(u.shape, [...a.shape.slice(0, -2), m, m], "U shape");
  assertEquals(vt.shape, [...a.shape.slice(0, -2), n, n], "Vt shape");
  const expectedU = c.outputs![0]!.data !== undefined ? fromSpec(c.outputs![0]!) : undefined;
  const expectedVt = c.outputs![2]!.data !== undefined ? fromSpec(c.outputs![2]!) : undefined;
  const v = transposed(vt.re, batch, n, n);
  for (let b = 0; b < batch; b++) {
    const scale = tol * Math.max(1, frobenius(a.re, b * m * n, m * n));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0; l < k; l++) {
          sum += at(u.re, b, m, m, i, l) * s.re[b * k + l]! * at(vt.re, b, n, n, l, j);
        }
        assertAllClose(sum, at(a.re, b, m, n, i, j), { atol: scale, rtol: 0, label: `USVt[${i},${j}]` });
      }
    }
    assertOrthonormalColumns(u.re, b, m, m, tol * 10, "U");
    assertOrthonormalColumns(v, b, n, n, tol * 10, "V");
    if (rankDeficient(c) || expectedU === undefined || expectedVt === undefined) continue;
    for (let l = 0; l < k; l++) {
      const sign = alignSign(column(u.re, b, m, m, l), column(expectedU.re, b, m, m, l));
      assertAllClose(column(u.re, b, m, m, l).map((x) => sign * x), column(expectedU.re, b, m, m, l), {
        atol: scale * 10,
        rtol: 0,
        label: `U column ${l}`,
      });
      assertAllClose(rowOf(vt.re, b, n, n, l).map((x) => sign * x), rowOf(expectedVt.re, b, n, n, l), {
        atol: scale * 10,
        rtol: 0,
        label: `Vt row ${l}`,
      });
    }
  }
}

function checkEigh(c: SpectralCase, a: Host, outs: Host[], batch: number, n: number, tol: number) {
  const w = outs[0]!;
  assertEquals(w.shape, a.shape.slice(0, -1), "w shape");
  assertEquals(w.im, undefined, "real eigenvalues");
  const expectedW = fromSpec(c.outputs![0]!);
  const upper = c.params.UPLO === "U";
  const expectedV = outs.length > 1 && c.outputs![1]!.data !== undefined
    ? fromSpec(c.outputs![1]!)
    : undefined;
  const aIm = a.im ?? new Float64Array(a.re.length);
  for (let b = 0; b < batch; b++) {
    // The Hermitian (symmetric) matrix the op reads: one triangle, conjugated across.
    const herm = (i: number, j: number): [number, number] => {
      if (i === j) return [at(a.re, b, n, n, i, i), 0];
      const own = upper ? i < j : i > j;
      const [r, q] = own ? [i, j] : [j, i];
      return [at(a.re, b, n, n, r, q), (own ? 1 : -1) * at(aIm, b, n, n, r, q)];
    };
    let norm = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) norm += Math.hypot(...herm(i, j)) ** 2;
    const scale = tol * Math.max(1, Math.sqrt(norm));
    const values = Array.from(w.re.subarray(b * n, b * n + n));
    assertAllClose(values, Array.from(expectedW.re.subarray(b * n, b * n + n)), {
      atol: scale,
      rtol: 0,
      label: "w",
    });
    for (let l = 1; l < n; l++) assert(values[l - 1]! <= values[l]!, "w ascending");
    if (outs.length === 1) continue;
    const v = outs[1]!;
    const vIm = v.im ?? new Float64Array(v.re.length);
    assertEquals(v.shape, a.shape, "V shape");
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < n; l++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < n; j++) {
          const [hr, hi] = herm(i, j);
          const [vr, vi] = [at(v.re, b, n, n, j, l), at(vIm, b, n, n, j, l)];
          sr += hr * vr - hi * vi;
          si += hr * vi + hi * vr;
        }
        const want = [values[l]! * at(v.re, b, n, n, i, l), values[l]! * at(vIm, b, n, n, i, l)];
        assertAllClose([sr, si], want, { atol: scale, rtol: 0, label: `AV[${i},${l}]` });
      }
    }
    // Orthonormal columns (conjugated inner products), and, for distinct eigenvalues, the
    // same unit vectors as MLX's up to a sign (a complex phase for complex input).
    const inner = (x: Host, xIm: Float64Array, p: number, y: Host, yIm: Float64Array, q: number) => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        const [ar, ai] = [at(x.re, b, n, n, i, p), at(xIm, b, n, n, i, p)];
        const [br, bi] = [at(y.re, b, n, n, i, q), at(yIm, b, n, n, i, q)];
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
      }
      return Math.hypot(re, im);
    };
    for (let p = 0; p < n; p++) {
      for (let q = p; q < n; q++) {
        assertAllClose(inner(v, vIm, p, v, vIm, q), p === q ? 1 : 0, {
          atol: tol * 10,
          rtol: 0,
          label: "V columns",
        });
      }
    }
    if (expectedV === undefined) continue;
    const expectedIm = expectedV.im ?? new Float64Array(expectedV.re.length);
    for (let l = 0; l < n; l++) {
      const gap = Math.min(
        l > 0 ? values[l]! - values[l - 1]! : Infinity,
        l < n - 1 ? values[l + 1]! - values[l]! : Infinity,
      );
      if (gap < 1e-3) continue; // Repeated eigenvalue: its vectors are any basis of the eigenspace.
      assertAllClose(inner(v, vIm, l, expectedV, expectedIm, l), 1, {
        atol: scale * 10,
        rtol: 0,
        label: `V column ${l} vs MLX's`,
      });
    }
  }
}

function checkEig(c: SpectralCase, a: Host, outs: Host[], batch: number, n: number, tol: number) {
  const w = outs[0]!;
  assertEquals(w.shape, a.shape.slice(0, -1), "w shape");
  assertEquals(outs.map((o) => o.im !== undefined), outs.map(() => true), "complex64 outputs");
  const expectedW = fromSpec(c.outputs![0]!);
  const expectedV = outs.length > 1 && c.outputs![1]!.data !== undefined
    ? fromSpec(c.outputs![1]!)
    : undefined;
  if (expectedV !== undefined && c.input.dtype === "complex64") {
    // knownDifference: MLX 0.32's eig of complex64 input returns the conjugates of the right
    // eigenvectors (they do not satisfy A V = V diag(w)); ours do, so compare with conj(V).
    expectedV.im = expectedV.im!.map((x) => -x);
  }
  for (let b = 0; b < batch; b++) {
    const aIm = a.im ?? new Float64Array(a.re.length);
    const norm = Math.hypot(frobenius(a.re, b * n * n, n * n), frobenius(aIm, b * n * n, n * n));
    const scale = tol * 10 * Math.max(1, norm);
    // MLX's order is LAPACK's: match every expected eigenvalue to the nearest unused one.
    const used = new Set<number>();
    const matchOf: number[] = [];
    for (let e = 0; e < n; e++) {
      const er = expectedW.re[b * n + e]!;
      const ei = expectedW.im![b * n + e]!;
      let best = -1;
      let bestDistance = Infinity;
      for (let l = 0; l < n; l++) {
        if (used.has(l)) continue;
        const distance = Math.hypot(w.re[b * n + l]! - er, w.im![b * n + l]! - ei);
        if (distance < bestDistance) [best, bestDistance] = [l, distance];
      }
      used.add(best);
      matchOf.push(best);
      assert(bestDistance <= scale, `eigenvalue ${er}+${ei}i: nearest ours is ${bestDistance} away`);
    }
    if (outs.length === 1) continue;
    const v = outs[1]!;
    assertEquals(v.shape, a.shape, "V shape");
    for (let l = 0; l < n; l++) {
      const wr = w.re[b * n + l]!;
      const wi = w.im![b * n + l]!;
      let norm = 0;
      for (let i = 0; i < n; i++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < n; j++) {
          const [ar, ai] = [at(a.re, b, n, n, i, j), at(aIm, b, n, n, i, j)];
          const [vr, vi] = [at(v.re, b, n, n, j, l), at(v.im!, b, n, n, j, l)];
          sr += ar * vr - ai * vi;
          si += ar * vi + ai * vr;
        }
        const vr = at(v.re, b, n, n, i, l);
        const vi = at(v.im!, b, n, n, i, l);
        norm += vr * vr + vi * vi;
        assertAllClose([sr, si], [wr * vr - wi * vi, wr * vi + wi * vr], {
          atol: scale,
          rtol: 0,
          label: `AV[${i},${l}]`,
        });
      }
      assertAllClose(norm, 1, { atol: tol * 10, rtol: 0, label: `|v${l}|` });
    }
    if (expectedV === undefined) continue;
    for (let e = 0; e < n; e++) {
      const l = matchOf[e]!;
      const distinct = Array.from({ length: n }, (_, o) => o).every((o) =>
        o === e ||
        Math.hypot(
            expectedW.re[b * n + o]! - expectedW.re[b * n + e]!,
            expectedW.im![b * n + o]! - expectedW.im![b * n + e]!,
          ) > 1e-3
      );
      if (!distinct) continue;
      // |<ours, MLX's>| = 1: the same unit vector up to a complex phase.
      let dr = 0;
      let di = 0;
      for (let i = 0; i < n; i++) {
        const [ar, ai] = [at(v.re, b, n, n, i, l), at(v.im!, b, n, n, i, l)];
        const [er, ei] = [at(expectedV.re, b, n, n, i, e), at(expectedV.im!, b, n, n, i, e)];
        dr += ar * er + ai * ei;
        di += ar * ei - ai * er;
      }
      assertAllClose(Math.hypot(dr, di), 1, {
        atol: scale * 10,
        rtol: 0,
        label: `V column ${l} vs MLX's ${e}`,
      });
    }
  }
}

function run(c: SpectralCase, a: mx.MxArray): mx.MxArray[] {
  switch (c.op) {
    case "qr":
      return mx.linalg.qr(a);
    case "svd": {
      const out = mx.linalg.svd(a, { computeUv: c.params.computeUv ?? true });
      return Array.isArray(out) ? out : [out];
    }
    case "eigh":
      return mx.linalg.eigh(a, { UPLO: c.params.UPLO });
    case "eigvalsh":
      return [mx.linalg.eigvalsh(a, { UPLO: c.params.UPLO })];
    case "eig":
      return mx.linalg.eig(a);
    case "eigvals":
      return [mx.linalg.eigvals(a)];
    case "pinv":
      return [mx.linalg.pinv(a)];
  }
}

function checkCase(c: SpectralCase): void {
  using a = makeInput(c.input);
  if (c.error !== undefined) {
    // Our messages are worded differently from MLX's (see the message tests below).
    assertThrows(() => run(c, a).forEach((x) => x.dispose()), mx.MxError, `[linalg.${c.op}]`);
    return;
  }
  const outputs = run(c, a);
  try {
    assertEquals(outputs.map((o) => o.dtype.name), c.outputs!.map((o) => o.dtype), "dtypes");
    assertEquals(outputs.map((o) => o.shape), c.outputs!.map((o) => o.shape), "shapes");
    const host = toHost(a);
    const hosts = outputs.map(toHost);
    const ndim = a.ndim;
    const m = a.shape[ndim - 2]!;
    const n = a.shape[ndim - 1]!;
    const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    // eig's outputs are complex64 whatever the input: float32 accuracy.
    const tol = tolOf(c.op === "eig" || c.op === "eigvals" ? "complex64" : c.input.dtype);
    if (c.op === "qr") checkQr(c, host, hosts, batch, m, n, tol);
    else if (c.op === "svd") checkSvd(c, host, hosts, batch, m, n, tol);
    else if (c.op === "eigh" || c.op === "eigvalsh") checkEigh(c, host, hosts, batch, n, tol);
    else if (c.op === "eig" || c.op === "eigvals") checkEig(c, host, hosts, batch, n, tol);
    else {
      const expected = fromSpec(c.outputs![0]!);
      assertAllClose(Array.from(hosts[0]!.re), Array.from(expected.re), {
        atol: tol * 10,
        rtol: tol * 10,
        label: "pinv",
      });
    }
  } finally {
    for (const x of outputs) x.dispose();
  }
}

testFixtureGroups(cases, {
  title: (op, count) => `linalg.${op}() matches MLX (up to signs) on ${count} fixture cases`,
  check: checkCase,
});

test("linalg decompositions name the op, shape and dtype in their errors", () => {
  using i = mx.array([[1, 2], [3, 4]], mx.int32);
  using wide = mx.zeros([2, 3]);
  using vector = mx.zeros([3]);
  using half = mx.zeros([2, 2], mx.float16);
  const dtypeError = assertThrows(
    () => mx.linalg.qr(i),
    mx.MxError,
    "[linalg.qr] arrays must have type float32 or float64; got int32",
  );
  assertEquals(dtypeError.code, "dtype_mismatch");
  assertThrows(
    () => mx.linalg.svd(half),
    mx.MxError,
    "[linalg.svd] arrays must have type float32 or float64; got float16",
  );
  const square = assertThrows(
    () => mx.linalg.eigh(wide),
    mx.MxError,
    "[linalg.eigh] only defined for square matrices; got shape [2,3]",
  );
  assertEquals(square.code, "shape_mismatch");
  assertThrows(
    () => mx.linalg.eigvals(wide),
    mx.MxError,
    "[linalg.eigvals] only defined for square matrices",
  );
  assertThrows(
    () => mx.linalg.eig(i),
    mx.MxError,
    "[linalg.eig] arrays must have type float32, float64 or complex64; got int32",
  );
  assertThrows(
    () => mx.linalg.eig(vector),
    mx.MxError,
    "[linalg.eig] arrays must have at least 2 dimensions; got shape [3]",
  );
  assertThrows(
    () => mx.linalg.svd(vector, { computeUv: false }),
    mx.MxError,
    "[linalg.svd] arrays must have at least 2",
  );
  assertThrows(
    () => mx.linalg.pinv(i),
    mx.MxError,
    "[linalg.pinv] arrays must have type float32 or float64; got int32",
  );
  assertThrows(
    () => mx.linalg.pinv(vector),
    mx.MxError,
    "[linalg.pinv] arrays must have at least 2 dimensions; got shape [3]",
  );
});

test("linalg.svd() refuses outputs beyond 2^31 - 1 elements with limit_exceeded", () => {
  using one = mx.array([[1]]);
  using big = mx.broadcastTo(one, [65536, 32768]);
  const error = assertThrows(
    () => mx.linalg.svd(big),
    mx.MxError,
    "[linalg.svd] the outputs for an input of shape",
  );
  assertEquals(error.code, "limit_exceeded");
});

test("linalg.eigh() rejects a UPLO other than L and U (knownDifference: MLX reads U for any other string)", () => {
  using a = mx.eye(2);
  const error = assertThrows(
    () => mx.linalg.eigh(a, { UPLO: "X" as "L" }),
    mx.MxError,
    '[linalg.eigh] UPLO must be "L" or "U"; got "X"',
  );
  assertEquals(error.code, "invalid_argument");
  assertThrows(
    () => mx.linalg.eigvalsh(a, { UPLO: "u" as "U" }),
    mx.MxError,
    "[linalg.eigvalsh] UPLO must be",
  );
});

test("linalg.svd() rejects complex64 as unsupported (knownDifference: MLX accepts it)", () => {
  using c = mx.zeros([2, 2], mx.complex64);
  for (const fn of [() => mx.linalg.svd(c), () => mx.linalg.svd(c, { computeUv: false })]) {
    const error = assertThrows(fn, mx.MxError, "complex64 input is not supported yet");
    assertEquals(error.code, "unsupported");
  }
  assertThrows(
    () => mx.linalg.qr(c),
    mx.MxError,
    "[linalg.qr] arrays must have type float32 or float64; got complex64",
  );
});

test("linalg decompositions give NaN for non-finite input instead of failing", () => {
  using a = mx.array([[1, 0], [NaN, 1]]);
  const [w, v] = mx.linalg.eigh(a);
  const s = mx.linalg.svd(a, { computeUv: false });
  const e = mx.linalg.eigvals(a);
  try {
    assert((w.tolist() as number[]).every(Number.isNaN), "eigh values");
    assert((v.tolist() as number[][]).flat().every(Number.isNaN), "eigh vectors");
    assert((s.tolist() as number[]).every(Number.isNaN), "singular values");
    using re = mx.real(e);
    assert((re.tolist() as number[]).every(Number.isNaN), "eig values");
  } finally {
    for (const x of [w, v, s, e]) x.dispose();
  }
});

test("linalg outputs share one computation and outlive each other", () => {
  using a = mx.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]]);
  const [u, s, vt] = mx.linalg.svd(a);
  u.dispose();
  vt.dispose();
  using sum = mx.sum(s);
  s.dispose();
  // Symmetric positive definite: the singular values are the eigenvalues; they sum to the trace.
  assertAllClose(sum.item() as number, 9, { atol: 1e-5, rtol: 0, label: "sum of singular values" });
});

test("linalg.svd() and linalg.qr() of a batch of 96 x 64 matrices reconstruct them", () => {
  const [batch, m, n] = [4, 96, 64];
  const values = lcgValues(batch * m * n, 99);
  using host = fromBytes(values, mx.float64, [batch, m, n]);
  using a = mx.astype(host, mx.float32);
  const [u, s, vt] = mx.linalg.svd(a);
  const [q, r] = mx.linalg.qr(a);
  try {
    const [uh, sh, vth, qh, rh] = [u, s, vt, q, r].map(toHost) as Host[];
    const fa = toHost(a).re;
    let worstSvd = 0;
    let worstQr = 0;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let usv = 0;
          let qrij = 0;
          for (let l = 0; l < n; l++) {
            usv += at(uh!.re, b, m, m, i, l) * sh!.re[b * n + l]! * at(vth!.re, b, n, n, l, j);
            qrij += at(qh!.re, b, m, n, i, l) * at(rh!.re, b, n, n, l, j);
          }
          worstSvd = Math.max(worstSvd, Math.abs(usv - at(fa, b, m, n, i, j)));
          worstQr = Math.max(worstQr, Math.abs(qrij - at(fa, b, m, n, i, j)));
        }
      }
      assertOrthonormalColumns(uh!.re, b, m, m, 1e-5, "U");
    }
    assert(worstSvd < 1e-5, `U S Vt differs from A by ${worstSvd}`);
    assert(worstQr < 1e-5, `Q R differs from A by ${worstQr}`);
  } finally {
    for (const x of [u, s, vt, q, r]) x.dispose();
  }
});

test("linalg ops take a stream option: the CPU runs, the GPU throws naming the op", () => {
  using a = mx.array([[2, 1], [1, 2]]);
  const [w, v] = mx.linalg.eigh(a, { stream: mx.cpu });
  w.dispose();
  v.dispose();
  const ops: [string, () => unknown][] = [
    ["linalg.qr", () => mx.linalg.qr(a, { stream: mx.gpu })],
    ["linalg.svd", () => mx.linalg.svd(a, { stream: mx.gpu })],
    ["linalg.eigh", () => mx.linalg.eigh(a, { stream: mx.gpu })],
    ["linalg.eigvalsh", () => mx.linalg.eigvalsh(a, { stream: mx.gpu })],
    ["linalg.eig", () => mx.linalg.eig(a, { stream: mx.gpu })],
    ["linalg.eigvals", () => mx.linalg.eigvals(a, { stream: mx.gpu })],
    ["linalg.pinv", () => mx.linalg.pinv(a, { stream: mx.gpu })],
  ];
  for (const [name, fn] of ops) assertThrows(fn, mx.MxError, `[${name}] Device(gpu, 0) is not available`);
});

test("linalg decompositions of rank-deficient patterned 64 x 64 matrices converge and reconstruct", () => {
  const n = 64;
  const patterns: [string, (i: number) => number][] = [["ones", () => 1], ["i % 7", (i) => i % 7]];
  for (const [label, fill] of patterns) {
    const values = Float64Array.from({ length: n * n }, (_, i) => fill(i));
    using host = fromBytes(values, mx.float64, [n, n]);
    using a = mx.astype(host, mx.float32);
    const [u, s, vt] = mx.linalg.svd(a);
    const [w, v] = mx.linalg.eigh(a);
    const [ew, ev] = mx.linalg.eig(a);
    try {
      const [uh, sh, vth, wh, vh, ewh, evh] = [u, s, vt, w, v, ew, ev].map(toHost) as Host[];
      const scale = 1e-5 * Math.max(...values) * n;
      const sym = (i: number, j: number) => values[i >= j ? i * n + j : j * n + i]!;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let usv = 0;
          let av = 0;
          let avRe = 0;
          let avIm = 0;
          for (let l = 0; l < n; l++) {
            usv += at(uh!.re, 0, n, n, i, l) * sh!.re[l]! * at(vth!.re, 0, n, n, l, j);
            av += sym(i, l) * at(vh!.re, 0, n, n, l, j);
            avRe += values[i * n + l]! * at(evh!.re, 0, n, n, l, j);
            avIm += values[i * n + l]! * at(evh!.im!, 0, n, n, l, j);
          }
          const [vr, vi] = [at(evh!.re, 0, n, n, i, j), at(evh!.im!, 0, n, n, i, j)];
          const [wr, wi] = [ewh!.re[j]!, ewh!.im![j]!];
          worst = Math.max(
            worst,
            Math.abs(usv - values[i * n + j]!),
            Math.abs(av - wh!.re[j]! * at(vh!.re, 0, n, n, i, j)),
            Math.abs(avRe - (wr * vr - wi * vi)),
            Math.abs(avIm - (wr * vi + wi * vr)),
          );
        }
      }
      assert(worst < scale, `${label}: residual ${worst} exceeds ${scale}`);
      assertOrthonormalColumns(uh!.re, 0, n, n, 1e-5, `${label} U`);
      assertOrthonormalColumns(vh!.re, 0, n, n, 1e-5, `${label} eigh V`);
    } finally {
      for (const x of [u, s, vt, w, v, ew, ev]) x.dispose();
    }
  }
});

test("linalg.svd() allocates one buffer for its three outputs and frees it with the last", () => {
  const values = lcgValues(3 * 10 * 6, 5);
  using host = fromBytes(values, mx.float64, [3, 10, 6]);
  using a = mx.astype(host, mx.float32);
  mx.eval(a);
  const before = mx.memory.activeBytes();
  const [u, s, vt] = mx.linalg.svd(a);
  mx.eval(u, s, vt);
  assertEquals(mx.memory.activeBytes(), before + 3 * (10 * 10 + 6 + 6 * 6) * 4);
  u.dispose();
  s.dispose();
  assertEquals(vt.shape, [3, 6, 6]);
  vt.dispose();
  assertEquals(mx.memory.activeBytes(), before);
});
