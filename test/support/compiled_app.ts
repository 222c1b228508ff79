// Packed by compile_test.ts with `bun build --compile`, then run from another directory.
import * as mx from "mlx-ts";
using a = mx.sum(mx.multiply(mx.array([1, 2, 3]), 2));
console.log(`compiled: ${a.item()} from ${mx.libraryPath}`);
