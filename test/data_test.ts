/**
 * mx.data: readers on generated files in the real formats and on the embedded MNIST (checked
 * against NumPy's reading of the same files), batches (MLX's permutations for the seeded
 * shuffle), and the image transforms (MLX's random draws, NumPy's interpolation).
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import process from "node:process";
import * as mx from "mlx-ts";
import { assert, assertAllClose, assertEquals, assertThrows, test } from "./harness.ts";

interface SplitSummary {
  count: number;
  labels: number[];
  labelSum: number;
  pixelSum: number;
  firstImageSum: number;
}
type DatasetSummary = Record<"train" | "test", SplitSummary>;
interface Fixture {
  mnist: DatasetSummary;
  fashion?: DatasetSummary;
  shuffle: { seed: number; n: number; epochs: number[][] };
  flip: { seed: number; shape: number[]; mask: boolean[]; expected: number[] };
  normalize: { x: number[]; mean: number[]; std: number[]; expected: number[] };
  resizedCrop: { x: number[]; boxes: number[][]; size: [number, number]; expected: number[] };
  randomCrop: { x: number[]; seed: number; size: [number, number]; padding: number; expected: number[] };
  randomResizedCrop: {
    x: number[];
    seed: number;
    size: [number, number];
    scale: [number, number];
    ratio: [number, number];
    boxes: number[][];
    expected: number[];
  };
}

const fixture = JSON.parse(
  readFileSync(decodeURIComponent(new URL("./fixtures/data.json", import.meta.url).pathname), "utf8"),
) as Fixture;

const scratch = mkdtempSync(join(tmpdir(), "mlxts-data-"));
let fileCount = 0;
function writeTemp(name: string, bytes: Uint8Array): string {
  const dir = join(scratch, String(fileCount++));
  mkdirp(dir);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** An IDX file: header for `dims`, then `data` as given (already big-endian). */
function idxBytes(typeCode: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

function sumInt(a: mx.MxArray): number {
  return mx.sum(mx.astype(a, mx.int64)).item() as number;
}

// ---------------------------------------------------------------------------------------------
// IDX

test("readIdx() reads uint8 IDX files, plain and gzipped", () => {
  const bytes = idxBytes(0x08, [2, 3], new Uint8Array([1, 2, 3, 250, 251, 252]));
  for (const file of [writeTemp("a-idx2-ubyte", bytes), writeTemp("a-idx2-ubyte.gz", gzipSync(bytes))]) {
    const a = mx.data.readIdx(file);
    assertEquals(a.dtype.name, "uint8");
    assertEquals(a.tolist(), [[1, 2, 3], [250, 251, 252]]);
  }
});

test("readIdx() reads every IDX type, byte-swapping big-endian elements", () => {
  const cases: [number, string, number[], (view: DataView, i: number, v: number) => void, number][] = [
    [0x09, "int8", [-3, 0, 127], (v, i, x) => v.setInt8(i, x), 1],
    [0x0b, "int16", [-300, 2, 30000], (v, i, x) => v.setInt16(i * 2, x, false), 2],
    [0x0c, "int32", [-70000, 1, 2 ** 30], (v, i, x) => v.setInt32(i * 4, x, false), 4],
    [0x0d, "float32", [1.5, -2.25, 1e10], (v, i, x) => v.setFloat32(i * 4, x, false), 4],
    [0x0e, "float64", [0.1, -1e300, 3], (v, i, x) => v.setFloat64(i * 8, x, false), 8],
  ];
  for (const [code, dtype, values, set, size] of cases) {
    const data = new Uint8Array(values.length * size);
    const view = new DataView(data.buffer);
    values.forEach((x, i) => set(view, i, x));
    const a = mx.data.readIdx(writeTemp(`${dtype}.idx`, idxBytes(code, [3], data)));
    assertEquals(a.dtype.name, dtype);
    assertEquals(a.tolist(), values, dtype);
  }
});

test("readIdx() reads empty dimensions", () => {
  const a = mx.data.readIdx(writeTemp("empty.idx", idxBytes(0x08, [0, 28, 28], new Uint8Array(0))));
  assertEquals(a.shape, [0, 28, 28]);
});

test("readIdx() raises MxError naming the file for malformed and hostile files", () => {
  const good = idxBytes(0x08, [2, 2], new Uint8Array([1, 2, 3, 4]));
  const cases: [string, Uint8Array, string][] = [
    ["short", new Uint8Array([0, 0]), "truncated IDX header (2 bytes)"],
    ["magic", new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), "not an IDX file (magic 0x504b0304"],
    ["type", idxBytes(0x07, [1], new Uint8Array(1)), "not an IDX file (magic 0x00000701"],
    ["ndim0", new Uint8Array([0, 0, 8, 0]), "IDX header declares 0 dimensions; expected 1 to 16"],
    ["header", new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), "truncated IDX header (8 bytes)"],
    ["data", good.subarray(0, good.length - 1), "truncated: shape [2,2] of uint8 needs 16 bytes, the file has 15"],
    ["trailing", new Uint8Array([...good, 9]), "has trailing bytes: shape [2,2] of uint8 needs 16 bytes, the file has 17"],
    [
      "hostile",
      idxBytes(0x0e, [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1], new Uint8Array(8)),
      "truncated: shape [2147483647,2147483647,2147483647] of float64 needs more than 24 bytes, the file has 24",
    ],
    ["huge", idxBytes(0x08, [2 ** 32 - 1], new Uint8Array(1)), "IDX dimensions [4294967295] exceed 2147483647"],
    ["gzip", new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]), "corrupt gzip data"],
  ];
  for (const [name, bytes, message] of cases) {
    const path = writeTemp(`${name}.idx`, bytes);
    const error = assertThrows(() => mx.data.readIdx(path), mx.MxError, `[readIdx] ${path}: ${message}`);
    assertEquals(error.code, "invalid_argument", name);
  }
  const missing = join(scratch, "nothing-here");
  assertThrows(() => mx.data.readIdx(missing), mx.MxError, `[readIdx] ${missing}: cannot read the file`);
});

test("readIdx() bounds what a gzipped file may inflate to", () => {
  const bomb = gzipSync(idxBytes(0x08, [1 << 20], new Uint8Array(1 << 20)));
  const path = writeTemp("bomb.gz", bomb);
  const error = assertThrows(
    () => mx.data.readIdx(path, { bytesMax: 65536 }),
    mx.MxError,
    `[readIdx] ${path}: inflates to more than the 65536 bytes allowed`,
  );
  assertEquals(error.code, "limit_exceeded");
  const plain = writeTemp("big.idx", idxBytes(0x08, [100], new Uint8Array(100)));
  assertThrows(() => mx.data.readIdx(plain, { bytesMax: 50 }), mx.MxError, "the file has 108 bytes, more than the 50 allowed");
});

// ---------------------------------------------------------------------------------------------
// MNIST, Fashion-MNIST

function checkSplit(dataset: mx.data.ImageDataset, expected: SplitSummary, label: string): void {
  const { images, labels } = dataset;
  assertEquals(images.shape, [expected.count, 28, 28, 1], label);
  assertEquals(images.dtype.name, "uint8", label);
  assertEquals(labels.shape, [expected.count], label);
  assertEquals(labels.dtype.name, "int32", label);
  assertEquals(mx.index(labels, mx.slice(0, 20)).tolist(), expected.labels, label);
  assertEquals(sumInt(labels), expected.labelSum, label);
  assertEquals(sumInt(images), expected.pixelSum, label);
  assertEquals(sumInt(mx.index(images, 0)), expected.firstImageSum, label);
}

test("mnist() reads the embedded MNIST: 60000 / 10000 images, labels and pixel sums as NumPy reads them", () => {
  checkSplit(mx.data.mnist(), fixture.mnist.train, "train");
  checkSplit(mx.data.mnist({ split: "test" }), fixture.mnist.test, "test");
});

const fashionDir = process.env.FASHION_MNIST_DIR ??
  mx.data.fashionMnistDirectory;

test("fashionMnist() reads Debian's gzipped Fashion-MNIST (skipped when not installed)", () => {
  if (!existsSync(join(fashionDir, "train-images-idx3-ubyte.gz")) || fixture.fashion === undefined) {
    console.log(
      `SKIPPED fashionMnist(): no files in ${fashionDir} (apt-get install dataset-fashion-mnist, ` +
        "or set FASHION_MNIST_DIR to a folder holding them)",
    );
    return;
  }
  checkSplit(mx.data.fashionMnist({ directory: fashionDir }), fixture.fashion.train, "train");
  checkSplit(mx.data.fashionMnist({ directory: fashionDir, split: "test" }), fixture.fashion.test, "test");
});

/** A folder with an MNIST-format split of `n` images (`labelCount` labels), gzipped or not. */
function mnistFolder(n: number, labelCount: number, gzip: boolean): string {
  const dir = join(scratch, `mnist-${fileCount++}`);
  mkdirp(dir);
  const pixels = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => i % 251);
  const labels = Uint8Array.from({ length: labelCount }, (_, i) => (i * 3) % 10);
  const write = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  write("t10k-images-idx3-ubyte", idxBytes(0x08, [n, 28, 28], pixels));
  write("t10k-labels-idx1-ubyte", idxBytes(0x08, [labelCount], labels));
  return dir;
}

test("mnist() and fashionMnist() read a folder of IDX files, plain or gzipped", () => {
  for (const gzip of [false, true]) {
    const dir = mnistFolder(3, 3, gzip);
    for (const read of [mx.data.mnist, mx.data.fashionMnist]) {
      const { images, labels } = read({ directory: dir, split: "test" });
      assertEquals(images.shape, [3, 28, 28, 1]);
      assertEquals(labels.tolist(), [0, 3, 6]);
      assertEquals(mx.index(images, 1, 0, mx.slice(0, 3), 0).tolist(), [784 % 251, 785 % 251, 786 % 251]);
    }
  }
});

test("mnist() raises MxError for mismatched counts, missing files and bad splits", () => {
  const dir = mnistFolder(3, 2, false);
  const error = assertThrows(
    () => mx.data.mnist({ directory: dir, split: "test" }),
    mx.MxError,
    `[mnist] ${join(dir, "t10k-labels-idx1-ubyte")}: 2 labels for the 3 images of ${join(dir, "t10k-images-idx3-ubyte")}`,
  );
  assertEquals(error.code, "shape_mismatch");
  assertThrows(
    () => mx.data.mnist({ directory: dir }),
    mx.MxError,
    `[mnist] ${join(dir, "train-images-idx3-ubyte")}[.gz]: no such file`,
  );
  if (!existsSync(join(mx.data.fashionMnistDirectory, "t10k-images-idx3-ubyte.gz"))) {
    assertThrows(
      () => mx.data.fashionMnist({ split: "test" }),
      mx.MxError,
      `[fashionMnist] ${join(mx.data.fashionMnistDirectory, "t10k-images-idx3-ubyte")}[.gz]: no such file ` +
        "(install Debian's dataset-fashion-mnist package, or pass { directory })",
    );
  }
  assertThrows(
    () => mx.data.fashionMnist({ split: "validation" as "test" }),
    mx.MxError,
    '[fashionMnist] split must be "train" or "test"; got validation',
  );
  const labelsAsImages = mnistFolder(2, 2, false);
  writeFileSync(join(labelsAsImages, "t10k-images-idx3-ubyte"), idxBytes(0x08, [2], new Uint8Array(2)));
  assertThrows(
    () => mx.data.mnist({ directory: labelsAsImages, split: "test" }),
    mx.MxError,
    "expected uint8 images [N, H, W]; the file holds uint8 [2]",
  );
});

// ---------------------------------------------------------------------------------------------
// CIFAR-10

/** `n` CIFAR-10 records: label (start + i) % 10; pixel (c, y, x) of record i = (i + 7c + y + x) % 256. */
function cifarRecords(n: number, start: number): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = (start + i) % 10;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) out[i * 3073 + 1 + c * 1024 + y * 32 + x] = (start + i + 7 * c + y + x) % 256;
      }
    }
  }
  return out;
}

test("readCifar10() turns CHW records into NHWC images, concatenating files in order", () => {
  const a = writeTemp("data_batch_1.bin", cifarRecords(3, 0));
  const b = writeTemp("data_batch_2.bin", cifarRecords(2, 3));
  const { images, labels } = mx.data.readCifar10([a, b]);
  assertEquals(images.shape, [5, 32, 32, 3]);
  assertEquals(images.dtype.name, "uint8");
  assertEquals(labels.dtype.name, "int32");
  assertEquals(labels.tolist(), [0, 1, 2, 3, 4]);
  for (const [i, y, x] of [[0, 0, 0], [4, 31, 2], [2, 5, 30]] as const) {
    assertEquals(mx.index(images, i, y, x).tolist(), [0, 1, 2].map((c) => (i + 7 * c + y + x) % 256));
  }
  const single = mx.data.readCifar10(a);
  assertEquals(single.labels.tolist(), [0, 1, 2]);
});

test("cifar10() reads the five training batches or the test batch from a folder", () => {
  const dir = join(scratch, "cifar-10-batches-bin");
  mkdirp(dir);
  for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `data_batch_${i}.bin`), cifarRecords(2, 2 * i));
  writeFileSync(join(dir, "test_batch.bin"), cifarRecords(1, 9));
  const train = mx.data.cifar10({ directory: dir });
  assertEquals(train.labels.tolist(), [2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  const testSplit = mx.data.cifar10({ directory: dir, split: "test" });
  assertEquals(testSplit.images.shape, [1, 32, 32, 3]);
  assertEquals(mx.data.cifar10Classes[testSplit.labels.item() as number], "truck");
});

test("readCifar10() raises MxError naming the file for wrong sizes and bad labels", () => {
  const records = cifarRecords(2, 0);
  const cases: [string, Uint8Array, string][] = [
    ["empty.bin", new Uint8Array(0), "0 bytes is not a whole number of 3073-byte records"],
    ["cut.bin", records.subarray(0, 3073 + 100), "3173 bytes is not a whole number of 3073-byte records"],
    ["label.bin", Uint8Array.from(records, (v, i) => (i === 3073 ? 10 : v)), "record 1 has label 10; CIFAR-10 labels are 0-9"],
  ];
  for (const [name, bytes, message] of cases) {
    const path = writeTemp(name, bytes);
    assertThrows(() => mx.data.readCifar10(path), mx.MxError, `[readCifar10] ${path}: ${message}`);
  }
  assertThrows(() => mx.data.readCifar10([]), mx.MxError, "[readCifar10] no files given");
  assertThrows(
    () => mx.data.cifar10({ directory: join(scratch, "none") }),
    mx.MxError,
    `[readCifar10] ${join(scratch, "none", "data_batch_1.bin")}: cannot read the file`,
  );
});

// ---------------------------------------------------------------------------------------------
// batches

function epochOrder(loader: Iterable<mx.MxArray>): number[] {
  return [...loader].flatMap((batch) => batch.tolist() as number[]);
}

test("batches() without shuffling gives the rows in order, the last batch short unless dropLast", () => {
  const x = mx.reshape(mx.arange(14), [7, 2]);
  const loader = mx.data.batches(x, { batchSize: 3 });
  assertEquals(loader.size, 7);
  assertEquals(loader.length, 3);
  assertEquals([...loader].map((b) => b.tolist()), [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]], [[12, 13]]]);
  const dropped = mx.data.batches(x, { batchSize: 3, dropLast: true });
  assertEquals(dropped.length, 2);
  assertEquals([...dropped].map((b) => b.shape), [[3, 2], [3, 2]]);
  assertEquals([...mx.data.batches(x, { batchSize: 10, dropLast: true })].length, 0);
  assertEquals([...mx.data.batches(x, { batchSize: 10 })].map((b) => b.shape), [[7, 2]]);
});

test("batches() shuffles with MLX's permutation for the seed and epoch", () => {
  const { seed, n, epochs } = fixture.shuffle;
  const loader = mx.data.batches(mx.arange(n), { batchSize: 4, shuffle: true, seed });
  for (const expected of epochs) assertEquals(epochOrder(loader), expected); // epochs 0, 1, 2 in turn
  assertEquals(epochOrder(loader.epoch(1)), epochs[1]);
  const again = mx.data.batches(mx.arange(n), { batchSize: 3, shuffle: true, seed, dropLast: true });
  assertEquals(epochOrder(again.epoch(2)), epochs[2]!.slice(0, 9));
});

test("batches() without a seed draws from the global key sequence (mx.random.seed repeats it)", () => {
  const orders = [0, 1].map(() => {
    mx.random.seed(42);
    return epochOrder(mx.data.batches(mx.arange(20), { batchSize: 6, shuffle: true }));
  });
  assertEquals(orders[0], orders[1]);
  assertEquals([...orders[0]!].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
});

test("batches() keeps a tree's structure and keeps the arrays' rows together", () => {
  const x = mx.reshape(mx.arange(0, 24, { dtype: mx.uint8 }), [6, 2, 2, 1]);
  const y = mx.arange(0, 6, { dtype: mx.int32 });
  const loader = mx.data.batches({ pair: [x, y], w: { v: mx.multiply(y, 10) } }, { batchSize: 4, shuffle: true, seed: 1 });
  for (const batch of loader) {
    const [bx, by] = batch.pair as [mx.MxArray, mx.MxArray];
    assertEquals(bx.dtype.name, "uint8");
    assertEquals(bx.shape.slice(1), [2, 2, 1]);
    const ys = by.tolist() as number[];
    assertEquals((batch.w as { v: mx.MxArray }).v.tolist(), ys.map((v) => v * 10));
    assertEquals(mx.reshape(bx, [ys.length, 4]).tolist(), ys.map((v) => [0, 1, 2, 3].map((k) => 4 * v + k)));
  }
});

test("batches() with for await (prefetching) gives the same batches as for ... of", async () => {
  for (const prefetch of [true, false]) {
    const loader = mx.data.batches({ x: mx.arange(11) }, { batchSize: 3, shuffle: true, seed: 9, prefetch });
    const seen: number[] = [];
    for await (const { x } of loader.epoch(0)) seen.push(...(x.tolist() as number[]));
    assertEquals(seen, epochOrder(mx.data.batches(mx.arange(11), { batchSize: 3, shuffle: true, seed: 9 }).epoch(0)));
  }
  // Leaving early releases the prefetched batch; the next epoch starts afresh.
  const loader = mx.data.batches(mx.arange(10), { batchSize: 2 });
  for await (const x of loader) {
    assertEquals(x.tolist(), [0, 1]);
    break;
  }
  const rest: number[] = [];
  for await (const x of loader) rest.push(...(x.tolist() as number[]));
  assertEquals(rest, Array.from({ length: 10 }, (_, i) => i));
});

test("batches() with for ... of prefetches evaluated batches on a background job, freed on early exit", () => {
  const x = mx.reshape(mx.arange(0, 40), [10, 2, 2]);
  const lazy = epochOrder(mx.data.batches(mx.arange(10), { batchSize: 3, shuffle: true, seed: 4, prefetch: false }));
  const eager = mx.data.batches(mx.arange(10), { batchSize: 3, shuffle: true, seed: 4 });
  assertEquals(epochOrder(eager), lazy);
  for (const batch of mx.data.batches(x, { batchSize: 4 })) assert(mx.isEvaluated(batch), "prefetched batch is evaluated");
  // 100 abandoned loops: each must free its background job (at most 64 may run at once).
  const loader = mx.data.batches(x, { batchSize: 2, shuffle: true, seed: 0 });
  for (let i = 0; i < 100; i++) {
    for (const batch of loader) {
      assertEquals(batch.shape, [2, 2, 2]);
      break;
    }
  }
});

test("batches() over zero examples yields nothing", async () => {
  const loader = mx.data.batches(mx.zeros([0, 3]), { batchSize: 2, shuffle: true, seed: 0 });
  assertEquals(loader.length, 0);
  assertEquals([...loader].length, 0);
  for await (const _ of loader) throw new Error("no batch expected");
});

test("batches() raises MxError for bad options and data", () => {
  const x = mx.arange(4);
  assertThrows(() => mx.data.batches(x, { batchSize: 0 }), mx.MxError, "[batches] batchSize must be a positive integer; got 0");
  assertThrows(() => mx.data.batches(x, { batchSize: 1.5 }), mx.MxError, "got 1.5");
  assertThrows(
    () => mx.data.batches({ a: x, b: mx.arange(5) }, { batchSize: 2 }),
    mx.MxError,
    "[batches] every array needs the same first dimension; a has 4, b has 5 (shape [5])",
  );
  assertThrows(() => mx.data.batches({ a: mx.array(1) }, { batchSize: 2 }), mx.MxError, "[batches] a is a scalar");
  assertThrows(() => mx.data.batches({ a: 3 } as never, { batchSize: 2 }), mx.MxError, "[batches] every leaf must be an MxArray; a is number");
  assertThrows(() => mx.data.batches({}, { batchSize: 2 }), mx.MxError, "[batches] no arrays given");
  assertThrows(() => mx.data.batches(x, { batchSize: 2 }).epoch(-1), mx.MxError, "[batches] epoch must be a non-negative integer; got -1");
});

// ---------------------------------------------------------------------------------------------
// Transforms

test("toFloat() maps uint8 to float32 in [0, 1] and converts floating images", () => {
  const x = mx.array([0, 1, 128, 255], mx.uint8);
  assertAllClose(mx.data.toFloat(x).tolist(), [0, 1 / 255, 128 / 255, 1], { rtol: 1e-7 });
  assertEquals(mx.data.toFloat(x).dtype.name, "float32");
  for (const dtype of [mx.float16, mx.bfloat16, mx.float32, mx.float64]) {
    const y = mx.data.toFloat(mx.array([0.5, 0.25], dtype));
    assertEquals([y.dtype.name, y.tolist()], ["float32", [0.5, 0.25]], dtype.name);
  }
  assertEquals(mx.data.toFloat(mx.zeros([0, 2, 2, 1], mx.uint8)).shape, [0, 2, 2, 1]);
  const error = assertThrows(() => mx.data.toFloat(mx.array([1], mx.int32)), mx.MxError, "[toFloat] expects uint8 or floating images; got int32 [1]");
  assertEquals(error.code, "dtype_mismatch");
});

test("normalize() subtracts the mean and divides by the std per channel (NumPy float32)", () => {
  const c = fixture.normalize;
  const x = mx.array(c.x as never);
  assertAllClose(mx.data.normalize(x, c.mean, c.std).tolist(), c.expected, { rtol: 1e-6, atol: 1e-6 });
  assertAllClose(mx.data.normalize(x, mx.array(c.mean), mx.array(c.std)).tolist(), c.expected, { rtol: 1e-6, atol: 1e-6 });
  assertEquals(mx.data.normalize(x, 0.5, 0.5).shape, [2, 2, 2, 3]);
  assertEquals(mx.data.normalize(mx.array([[0.5]], mx.float16), [0.5], [1]).dtype.name, "float32");
  assertThrows(() => mx.data.normalize(x, [0.1, 0.2], 1), mx.MxError, "[normalize] mean must have 1 or 3 values (one per channel); got shape [2]");
  assertThrows(() => mx.data.normalize(mx.array([1], mx.uint8), 0, 1), mx.MxError, "[normalize] expects floating images (use toFloat for uint8); got uint8");
});

test("randomHorizontalFlip() flips the images MLX's bernoulli draws for the key", () => {
  const c = fixture.flip;
  const x = mx.reshape(mx.arange(0, 24, { dtype: mx.float32 }), c.shape);
  const y = mx.data.randomHorizontalFlip(x, { key: mx.random.key(c.seed) });
  assertEquals(y.tolist(), c.expected);
  const u8 = mx.data.randomHorizontalFlip(mx.astype(x, mx.uint8), { key: mx.random.key(c.seed) });
  assertEquals(u8.dtype.name, "uint8");
  assertEquals(u8.tolist(), c.expected);
  assertEquals(mx.data.randomHorizontalFlip(x, { p: 0 }).tolist(), x.tolist());
  assertEquals(mx.data.randomHorizontalFlip(mx.zeros([0, 2, 2, 1])).shape, [0, 2, 2, 1]);
  assertThrows(() => mx.data.randomHorizontalFlip(mx.zeros([2, 2])), mx.MxError, "[randomHorizontalFlip] expects a batch of images [N, H, W, C]; got shape [2,2]");
});

test("resizedCrop() crops to each box and resizes bilinearly (NumPy reference)", () => {
  const c = fixture.resizedCrop;
  const x = mx.array(c.x as never);
  const got = mx.data.resizedCrop(x, mx.array(c.boxes), c.size);
  assertEquals(got.shape, [2, 3, 4, 2]);
  assertAllClose(got.tolist(), c.expected, { rtol: 1e-5, atol: 1e-6 });
  // The whole image at its own size is the identity; uint8 interpolates in float32.
  const u8 = mx.reshape(mx.arange(0, 12, { dtype: mx.uint8 }), [1, 3, 4, 1]);
  const same = mx.data.resizedCrop(u8, mx.array([[0, 0, 3, 4]]), [3, 4]);
  assertEquals(same.dtype.name, "float32");
  assertEquals(same.tolist(), mx.astype(u8, mx.float32).tolist());
  assertEquals(mx.data.resizedCrop(mx.astype(x, mx.float16), mx.array(c.boxes), 2).dtype.name, "float16");
  assertThrows(() => mx.data.resizedCrop(x, mx.array([[0, 0, 1, 1]]), 2), mx.MxError, "[resizedCrop] boxes must be [2, 4] (top, left, height, width); got [1,4]");
  assertThrows(() => mx.data.resizedCrop(x, mx.array(c.boxes), [0, 2]), mx.MxError, "[resizedCrop] size must be positive integers [height, width]; got [0,2]");
});

test("randomResizedCrop() draws MLX's boxes for the key and crops them (NumPy reference)", () => {
  const c = fixture.randomResizedCrop;
  const x = mx.array(c.x as never);
  const got = mx.data.randomResizedCrop(x, c.size, { key: mx.random.key(c.seed), scale: c.scale, ratio: c.ratio });
  assertEquals(got.shape, [3, ...c.size, 2]);
  assertAllClose(got.tolist(), c.expected, { rtol: 1e-4, atol: 1e-5 });
  const defaults = mx.data.randomResizedCrop(mx.zeros([2, 32, 32, 3], mx.uint8), 24);
  assertEquals([defaults.shape, defaults.dtype.name], [[2, 24, 24, 3], "float32"]);
  assertThrows(() => mx.data.randomResizedCrop(x, 4, { scale: [0, 1] }), mx.MxError, "[randomResizedCrop] scale must be [low, high] with 0 < low <= high; got [0,1]");
  assertThrows(() => mx.data.randomResizedCrop(x, 4, { ratio: [2, 1] }), mx.MxError, "[randomResizedCrop] ratio must be");
  assertThrows(() => mx.data.randomResizedCrop(mx.zeros([3, 3]), 2), mx.MxError, "[randomResizedCrop] expects a batch of images");
});

test("randomCrop() pads and crops at MLX-drawn whole-pixel offsets, keeping the dtype", () => {
  const c = fixture.randomCrop;
  const x = mx.array(c.x as never, mx.uint8);
  const got = mx.data.randomCrop(x, c.size, { padding: c.padding, key: mx.random.key(c.seed) });
  assertEquals([got.shape, got.dtype.name], [[2, ...c.size, 1], "uint8"]);
  assertEquals(got.tolist(), c.expected);
  const asFloat = mx.data.randomCrop(mx.astype(x, mx.float16), c.size, { padding: c.padding, key: mx.random.key(c.seed) });
  assertEquals([asFloat.dtype.name, asFloat.tolist()], ["float16", c.expected]);
  assertEquals(mx.data.randomCrop(x, [5, 6]).tolist(), x.tolist()); // no padding, full size: the images
  assertThrows(() => mx.data.randomCrop(x, 7), mx.MxError, "[randomCrop] size [7,7] is larger than the padded images [5,6]");
  assertThrows(() => mx.data.randomCrop(x, 2, { padding: -1 }), mx.MxError, "[randomCrop] padding must be a non-negative integer; got -1");
  assertThrows(() => mx.data.randomCrop(mx.zeros([5, 6]), 2), mx.MxError, "[randomCrop] expects a batch of images");
});

test("mx.data pipeline: shuffled MNIST batches through the transforms", () => {
  const { images, labels } = mx.data.mnist({ split: "test" });
  const loader = mx.data.batches({ images, labels }, { batchSize: 2500, shuffle: true, seed: 0 });
  let pixels = 0;
  let count = 0;
  for (const batch of loader) {
    mx.tidy(() => {
      const x = mx.data.randomHorizontalFlip(mx.data.toFloat(batch.images), { key: mx.random.key(count) });
      pixels += mx.sum(x).item() as number;
      count += batch.labels.shape[0]!;
    });
    mx.dispose(batch);
  }
  assertEquals(count, 10000);
  assertAllClose(pixels, fixture.mnist.test.pixelSum / 255, { rtol: 1e-5 });
  assert(loader.length === 4);
});
