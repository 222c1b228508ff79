/**
 * A tour of mlx-ts: build arrays, record a lazy graph, evaluate it, print the results (the
 * README's tour shows this output).
 *
 *   deno run --allow-ffi --allow-read --allow-env scripts/examples/tour.ts      bun scripts/examples/tour.ts
 */

import * as mx from "mlx-ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "Bun" : "Deno";
console.log(`mlx-ts on ${runtime}, native library: ${mx.libraryPath}\n`);

// Arrays from nested lists and typed arrays; numbers default to float32.
using a = mx.array([[1, 2, 3], [4, 5, 6]]);
using b = mx.array(new Int32Array([10, 20, 30]));
console.log("a =", String(a));
console.log("b =", String(b));

// Ops only record a graph: nothing is computed yet.
using c = mx.add(a, b); // broadcasts [2,3] + [3]; int32 + float32 promotes to float32
using d = mx.multiply(c, c);
using rowSums = mx.sum(d, { axis: 1 });
console.log(
  `\nrecorded c = a + b, d = c * c, rowSums = sum(d, axis 1); evaluated yet? ${mx.isEvaluated(rowSums)}`,
);

// eval computes what is asked for (and what it depends on), once.
mx.eval(rowSums);
console.log(`after mx.eval: ${mx.isEvaluated(rowSums)}`);
console.log("c =", String(c));
console.log("rowSums =", String(rowSums), "->", rowSums.tolist());

// Reading a value (item, tolist, printing) evaluates on demand.
using total = mx.sum(d);
console.log("sum(d) =", total.item());

// Integer dtypes wrap like MLX's; astype converts.
using small = mx.array([100, 120, -128], mx.int8);
using doubled = mx.add(small, small);
console.log("\nint8 [100, 120, -128] * 2 =", String(doubled));
using half = mx.astype(doubled, mx.float16);
console.log("as float16:", String(half));

// NumPy-style indexing (views where possible), reductions, sorting.
using grid = mx.reshape(mx.arange(12), [3, 4]);
console.log("\ngrid =", String(grid));
console.log('grid.get(":", "::-2") =', String(grid.get(":", "::-2")));
console.log("grid.get([2, 0], 1) =", String(grid.get([2, 0], 1)));
console.log("softmax(row 0) =", String(mx.softmax(mx.astype(grid.get(0), mx.float32))));
console.log("argsort([3, 1, 2]) =", String(mx.argsort(mx.array([3, 1, 2]))));

// Numerics: random numbers (a given key gives MLX's numbers), linear algebra, FFT, convolution.
using key = mx.random.key(0);
console.log("\nrandom.normal({ shape: [3], key: key(0) }) =", String(mx.random.normal({ shape: [3], key })));
using m = mx.array([[4, 1], [1, 3]]);
console.log("linalg.inv(m) =", String(mx.linalg.inv(m)));
console.log("linalg.eigvalsh(m) =", String(mx.linalg.eigvalsh(m)));
console.log('einsum("ij,j->i", m, [1, 1]) =', String(mx.einsum("ij,j->i", m, mx.array([1, 1]))));
console.log("abs(fft.fft([1, 0, -1, 0])) =", String(mx.abs(mx.fft.fft(mx.array([1, 0, -1, 0])))));
using image = mx.ones([1, 4, 4, 1]);
using kernel = mx.ones([1, 3, 3, 1]);
console.log("conv2d(4x4 ones, 3x3 ones) =", String(mx.squeeze(mx.conv2d(image, kernel))));

// Function transforms: gradients (of gradients), compiled functions.
const cube = (x: mx.MxArray) => mx.sum(mx.power(x, 3));
using at = mx.array([1, 2, 3]);
console.log("\ngrad(sum(x^3)) at [1, 2, 3] =", String(mx.grad(cube)(at)));
console.log("grad(sum(grad(sum(x^3)))) =", String(mx.grad((x: mx.MxArray) => mx.sum(mx.grad(cube)(x)))(at)));
const gelu = mx.compile((x: mx.MxArray) =>
  mx.multiply(mx.multiply(x, 0.5), mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1))
);
console.log("compiled gelu([-1, 0, 1]) =", String(gelu(mx.array([-1, 0, 1]))));

// tidy() disposes every temporary made inside it, keeping what it returns.
const mean = mx.tidy(() => mx.mean(mx.square(mx.subtract(grid, 5.5))));
console.log("mean squared deviation =", mean.item());
mean.dispose();

// Errors explain themselves.
try {
  mx.add(a, mx.array([1, 2]));
} catch (error) {
  console.log(`\n${error}`);
}
console.log(`\nnative memory in use: ${mx.memory.activeBytes()} bytes in ${mx.memory.liveArrays()} arrays`);
