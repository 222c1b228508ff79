/**
 * mx.random: keys, split, bits and every distribution against MLX's values for given keys
 * (scripts/fixtures/gen_random.py), the global key sequence after `seed`, error messages,
 * and memory returning to its baseline.
 *
 * Integer, bool and uniform results must equal MLX's exactly. Results that go through erfinv,
 * log or log1p may differ in the last bits: our float32 erfinv is within 1 ulp of the
 * correctly rounded value where MLX's is a float32 polynomial (about 2 ulp), and our log/log1p
 * differ from MLX's by up to an ulp; those compare within a few ulp of the result dtype.
 */

import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";
import { complexParts, decode, dtypeByName, loadCases, testFixtureGroups } from "./fixtures.ts";

interface ArraySpec {
  array: unknown;
  dtype: mx.DtypeName;
  shape: number[];
}

type Param = number | string | number[] | ArraySpec | null;

interface Expected {
  dtype: mx.DtypeName;
  shape: number[];
  data: unknown;
}

interface RandomCase {
  name: string;
  op: string;
  params: Record<string, Param>;
  expected?: Expected | Expected[];
  result?: { dtype: mx.DtypeName; shape: number[] };
  samples?: [number, number][];
  sum?: number;
  error?: string;
}

const cases = loadCases("random.json") as unknown as RandomCase[];

function isSpec(value: unknown): value is ArraySpec {
  return value !== null && typeof value === "object" && "array" in value;
}

function specArray(spec: ArraySpec): mx.MxArray {
  const data = decode(spec.array, false, spec.shape.length) as mx.NestedList;
  using wide = mx.array(data, mx.float64);
  return mx.astype(wide, dtypeByName(spec.dtype));
}

function keyArray(words: number[]): mx.MxArray {
  return mx.array(Uint32Array.from(words));
}

/** The op's arguments, made from the fixture parameters; `owned` collects arrays to dispose. */
function argument(value: Param | undefined, owned: mx.MxArray[]): unknown {
  if (value === undefined || value === null) return undefined;
  if (isSpec(value)) {
    const a = specArray(value);
    owned.push(a);
    return a;
  }
  return value;
}

function run(c: RandomCase, owned: mx.MxArray[]): mx.MxArray {
  const p = c.params;
  const get = (name: string) => argument(p[name], owned);
  let key: mx.MxArray | undefined;
  if (p.key_array !== undefined) key = get("key_array") as mx.MxArray;
  else if (p.key !== undefined) {
    key = keyArray(p.key as number[]);
    owned.push(key);
  }
  const dtype = typeof p.dtype === "string" ? dtypeByName(p.dtype) : undefined;
  const shape = p.shape as number[] | undefined;
  type A = mx.ArrayLike;
  switch (c.op) {
    case "key":
      return mx.random.key(BigInt(p.seed as string));
    case "split":
      return mx.random.split(key!, (p.num as number | undefined) ?? 2);
    case "bits":
      return mx.random.bits(shape!, { width: p.width as number, key });
    case "uniform":
      return mx.random.uniform({ low: get("low") as A, high: get("high") as A, shape, dtype, key });
    case "normal":
      return mx.random.normal({ shape, dtype, loc: get("loc") as A, scale: get("scale") as A, key });
    case "gumbel":
      return mx.random.gumbel({ shape, dtype, key });
    case "laplace":
      return mx.random.laplace({ shape, dtype, loc: p.loc as number, scale: p.scale as number, key });
    case "truncated_normal":
      return mx.random.truncatedNormal(get("lower") as A, get("upper") as A, { shape, dtype, key });
    case "randint":
      return mx.random.randint(get("low") as A, get("high") as A, { shape, dtype, key });
    case "bernoulli":
      return mx.random.bernoulli({ p: get("p") as A, shape, key });
    case "permutation":
      return mx.random.permutation(get("x") as number | mx.MxArray, {
        axis: p.axis as number | undefined,
        key,
      });
    case "categorical":
      return mx.random.categorical(get("logits") as mx.MxArray, {
        axis: p.axis as number | undefined,
        shape,
        numSamples: p.num_samples as number | undefined,
        key,
      });
    case "multivariate_normal":
      return mx.random.multivariateNormal(get("mean") as mx.MxArray, get("cov") as mx.MxArray, {
        shape,
        dtype,
        key,
      });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

/** Ops whose float results MLX computes through erfinv/log/log1p: compared within ulps. */
const approximateOps = new Set(["normal", "truncated_normal", "gumbel", "laplace", "multivariate_normal"]);

/** The spacing of `dtype` values near `x` (float64 results carry float32 erfinv/log error). */
function ulp(x: number, dtype: string): number {
  const mantissaBits = dtype === "float16" ? 10 : dtype === "bfloat16" ? 7 : 23;
  const minExponent = dtype === "float16" ? -14 : -126;
  const exponent = Math.max(Math.floor(Math.log2(Math.abs(x) || 2 ** minExponent)), minExponent);
  return 2 ** (exponent - mantissaBits);
}

/** Allowed ulps of difference from MLX for an approximate op in `dtype`. */
function allowedUlps(c: RandomCase, dtype: string): number {
  if (dtype === "float16" || dtype === "bfloat16") return 1;
  // The covariance's square root comes from our SVD (MLX: LAPACK's), equal to ~1e-6.
  if (c.op === "multivariate_normal") return 16;
  // gumbel's second log amplifies the first one's rounding near u = 1; truncated_normal's
  // bounds go through erf (MLX's is a float32 polynomial) before erfinv.
  return c.op === "gumbel" || c.op === "truncated_normal" ? 16 : 4;
}

function compareFloats(c: RandomCase, got: number[], want: number[], dtype: string): void {
  assertEquals(got.length, want.length, "element count");
  const exact = !approximateOps.has(c.op);
  for (let i = 0; i < want.length; i++) {
    const [a, e] = [got[i]!, want[i]!];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (exact) throw new Error(`element ${i}: expected exactly ${e}, got ${a}`);
    // multivariate_normal adds the mean to the product: errors scale with the terms, not the sum.
    const magnitude = c.op === "multivariate_normal" ? Math.max(Math.abs(e), 4) : e;
    const tolerance = allowedUlps(c, dtype) * ulp(magnitude, dtype);
    if (!(Math.abs(a - e) <= tolerance)) {
      throw new Error(`element ${i}: expected ${e}, got ${a} (tolerance ${tolerance})`);
    }
  }
}

function flatValues(out: mx.MxArray): number[] {
  if (out.dtype === mx.bool) return Array.from(out.toTypedArray() as Uint8Array);
  using wide = mx.astype(out, out.dtype === mx.complex64 ? mx.complex64 : mx.float64);
  if (out.dtype === mx.complex64) return Array.from(wide.toTypedArray() as Float32Array);
  return Array.from(wide.toTypedArray() as Float64Array);
}

function checkResult(c: RandomCase, out: mx.MxArray, expected: Expected): void {
  assertEquals(out.dtype.name, expected.dtype, "dtype");
  assertEquals(out.shape, expected.shape, "shape");
  const want = decode(expected.data, expected.dtype === "complex64", expected.shape.length);
  const wantFlat = ([complexParts(want)].flat(Infinity) as (number | boolean)[]).map(Number);
  compareFloats(c, flatValues(out), wantFlat, expected.dtype);
}

/** MLX messages we do not reproduce word for word (the op and failure are the same). */
function messageDiffers(message: string): boolean {
  return message.startsWith("[broadcast_shapes]") || !message.startsWith("[") ||
    message.startsWith("[argmax]");
}

function checkCase(c: RandomCase): void {
  const owned: mx.MxArray[] = [];
  try {
    if (c.error !== undefined) {
      const error = assertThrows(() => run(c, owned).dispose(), mx.MxError);
      if (!messageDiffers(c.error)) assertEquals(error.message, c.error, "message");
      else if (c.error.startsWith("[broadcast_shapes]")) {
        assert(error.message.includes("cannot be broadcast"), error.message);
      } else if (c.error.startsWith("[")) {
        assert(error.message.startsWith(c.error.split("]")[0]! + "]"), error.message);
      }
      return;
    }
    using out = run(c, owned);
    if (c.expected !== undefined) {
      checkResult(c, out, c.expected as Expected);
      return;
    }
    assertEquals(out.dtype.name, c.result!.dtype, "dtype");
    assertEquals(out.shape, c.result!.shape, "shape");
    const flat = flatValues(out);
    compareFloats(c, c.samples!.map(([i]) => flat[i]!), c.samples!.map(([, v]) => v), c.result!.dtype);
    const sum = flat.reduce((a, b) => a + b, 0);
    if (approximateOps.has(c.op)) assertAllClose(sum, c.sum!, { rtol: 1e-6, atol: 1e-6 * flat.length });
    else assertEquals(sum, c.sum!, "sum");
  } finally {
    for (const a of owned) a.dispose();
  }
}

testFixtureGroups(cases.filter((c) => c.op !== "sequence"), {
  title: (op, count) => `random.${op}() matches MLX on ${count} fixture cases`,
  check: checkCase,
});

test("random.seed() then calls without a key give MLX's numbers after mx.random.seed()", () => {
  const sequences = cases.filter((c) => c.op === "sequence");
  assert(sequences.length > 0);
  for (const c of sequences) {
    mx.random.seed(BigInt(c.params.seed as string));
    using zeros = mx.zeros([2, 4]);
    const outs = [
      mx.random.uniform({ shape: [4] }),
      mx.random.uniform({ shape: [4] }),
      mx.random.randint(0, 100, { shape: [5] }),
      mx.random.normal({ shape: [3] }),
      mx.random.bernoulli({ p: 0.5, shape: [6] }),
      mx.random.permutation(6),
      mx.random.categorical(zeros),
    ];
    const ops = ["uniform", "uniform", "randint", "normal", "bernoulli", "permutation", "categorical"];
    (c.expected as Expected[]).forEach((expected, i) => {
      checkResult({ ...c, op: ops[i]! }, outs[i]!, expected);
    });
    mx.dispose(outs);
  }
});

test("random.split() of key(0) gives MLX's keys; bits are deterministic and keys independent", () => {
  using k = mx.random.key(0);
  using keys = mx.random.split(k);
  assertEquals(keys.tolist(), [[4146024105, 967050713], [2718843009, 1272950319]]);
  using a = mx.random.bits([1000], { key: k });
  using b = mx.random.bits([1000], { key: k });
  assertEquals(a.tolist(), b.tolist());
  using k1 = mx.random.key(1);
  using c = mx.random.bits([1000], { key: k1 });
  using same = mx.equal(a, c);
  using count = mx.sum(same);
  assert((count.item() as number) < 5, "different keys give different bits");
});

test("random samplers without a key advance the global key; seed() resets it", () => {
  mx.random.seed(11);
  using a = mx.random.uniform({ shape: [4] });
  using b = mx.random.uniform({ shape: [4] });
  assert(JSON.stringify(a.tolist()) !== JSON.stringify(b.tolist()), "two calls differ");
  mx.random.seed(11n);
  using c = mx.random.uniform({ shape: [4] });
  assertEquals(c.tolist(), a.tolist());
  // The global key lives outside tidy scopes.
  const inside = mx.tidy(() => mx.random.uniform({ shape: [4] }));
  mx.random.seed(11);
  using first = mx.random.uniform({ shape: [4] });
  using second = mx.random.uniform({ shape: [4] });
  assertEquals(inside.tolist(), second.tolist());
  assertEquals(first.tolist(), a.tolist());
  inside.dispose();
});

test("random.key() and seed() take 64-bit seeds and reject others", () => {
  using big = mx.random.key(2n ** 64n - 1n);
  assertEquals(big.tolist(), [4294967295, 4294967295]);
  using mid = mx.random.key(2 ** 40 + 5);
  assertEquals(mid.tolist(), [256, 5]);
  assertThrows(() => mx.random.key(-1), mx.MxError, "[key] seed must be an integer in [0, 2^64); got -1");
  assertThrows(() => mx.random.key(1.5), mx.MxError, "[key] seed must be an integer");
  assertThrows(() => mx.random.key(2n ** 64n), mx.MxError, "[key]");
  assertThrows(() => mx.random.seed(-3), mx.MxError, "[seed] seed must be an integer");
});

test("random.bits() rejects widths other than 1, 2, 4 and non-integer shapes", () => {
  using k = mx.random.key(0);
  assertThrows(
    () => mx.random.bits([3], { width: 3, key: k }),
    mx.MxError,
    "[bits] Bit width must be in {1, 2, 4} but got 3.",
  );
  assertThrows(
    () => mx.random.bits([1.5], { key: k }),
    mx.MxError,
    "[bits] shape must be a list of integers",
  );
  assertThrows(() => mx.random.bits([-2], { key: k }), mx.MxError, "[bits] Negative dimensions not allowed.");
});

test("random.categorical() rejects shape and numSamples together, before anything else", () => {
  using logits = mx.zeros([3]);
  using k = mx.random.key(0);
  assertThrows(
    () => mx.random.categorical(logits, { shape: [2], numSamples: 2, key: k }),
    mx.MxError,
    "[categorical] At most one of shape or num_samples can be specified.",
  );
});

test("random samplers with a disposed key name the op", () => {
  const k = mx.random.key(0);
  k.dispose();
  assertThrows(() => mx.random.uniform({ key: k }), mx.MxError, "used after dispose()");
});

test("random samplers given an array where the options object belongs throw (not a scalar)", () => {
  // @ts-expect-error: MLX Python's positional shape, a common slip in TypeScript.
  assertThrows(() => mx.random.normal([4, 4]), mx.MxError, "[normal] takes an options object, e.g. { shape: [2, 3] }; got the array [4,4]");
  // @ts-expect-error: as above.
  assertThrows(() => mx.random.uniform([3]), mx.MxError, "[uniform] takes an options object");
  // @ts-expect-error: as above.
  assertThrows(() => mx.random.randint(0, 5, [2]), mx.MxError, "[randint] takes an options object");
  // An MxArray type-checks as options (every option is optional) and is refused too.
  using x = mx.array(0);
  assertThrows(() => mx.random.gumbel(x), mx.MxError, "[gumbel] takes an options object");
});

test("our bernoulli accepts a number p of 0 or 1 (MLX rejects a Python int p)", () => {
  // knownDifference: JavaScript numbers have no int form; a number p is float32.
  using k = mx.random.key(0);
  using ones = mx.random.bernoulli({ p: 1, shape: [5], key: k });
  assertEquals(ones.tolist(), [true, true, true, true, true]);
  using zeros = mx.random.bernoulli({ p: 0, shape: [5], key: k });
  assertEquals(zeros.tolist(), [false, false, false, false, false]);
});

test("random.bits() of 4M uint32 (threaded) matches the single-key layout and frees its memory", () => {
  using k = mx.random.key(9);
  const before = mx.memory.activeBytes();
  const n = 4 * 1024 * 1024 + 3;
  {
    using big = mx.random.bits([n], { key: k });
    using small = mx.random.bits([n], { width: 1, key: k });
    const words = big.toTypedArray() as Uint32Array;
    const bytes = small.toTypedArray() as Uint8Array;
    // Width 1 gives the first n bytes of the ceil(n / 4)-word stream, not of the n-word one,
    // so compare against bits of ceil(n / 4) words.
    using prefix = mx.random.bits([Math.ceil(n / 4)], { key: k });
    const prefixBytes = new Uint8Array((prefix.toTypedArray() as Uint32Array).buffer).subarray(0, n);
    assertEquals(bytes.length, n);
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (bytes[i] !== prefixBytes[i]) mismatches++;
    assertEquals(mismatches, 0, "width-1 bytes");
    // The counter layout: word j and word j + ceil(n / 2) come from one hash; spot-check
    // the halves are distinct streams (no repeated block).
    assert(words[0] !== words[Math.ceil(n / 2)], "two halves differ");
  }
  assertEquals(mx.memory.activeBytes(), before, "memory returns to its baseline");
});

test("random samplers take a stream option and reject the GPU, naming themselves", () => {
  using k = mx.random.key(0);
  using logits = mx.zeros([3]);
  const gpu = { stream: mx.gpu, key: k };
  const calls: [string, () => unknown][] = [
    ["bits", () => mx.random.bits([2], gpu)],
    ["split", () => mx.random.split(k, 2, { stream: mx.gpu })],
    ["uniform", () => mx.random.uniform(gpu)],
    ["normal", () => mx.random.normal(gpu)],
    ["randint", () => mx.random.randint(0, 3, gpu)],
    ["bernoulli", () => mx.random.bernoulli(gpu)],
    ["truncated_normal", () => mx.random.truncatedNormal(0, 1, gpu)],
    ["gumbel", () => mx.random.gumbel(gpu)],
    ["categorical", () => mx.random.categorical(logits, gpu)],
    ["laplace", () => mx.random.laplace(gpu)],
    ["permutation", () => mx.random.permutation(3, gpu)],
  ];
  for (const [name, call] of calls) {
    assertThrows(call, mx.MxError, `[${name}] Device(gpu, 0) is not available`);
  }
  using ok = mx.random.uniform({ shape: [2], key: k, stream: mx.cpu });
  assertEquals(ok.shape, [2]);
});
