// Run as a child process by ffi_test.ts: prints where the library was loaded from.
import * as mx from "mlx-ts";
using a = mx.sum(mx.array([1, 2, 3]));
console.log(`${mx.libraryPath} ${a.item()}`);
