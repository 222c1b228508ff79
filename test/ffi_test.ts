/** The FFI boundary: the symbol table agrees with the library, bad handles and arguments are
 * errors (never crashes), the loader honours MLXTS_LIB and MLXTS_TRACE_FFI. */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { readFileSync } from "node:fs";
import * as mx from "mlx-ts";
import { native } from "../ffi/loader.ts";
import { signatureString } from "../ffi/symbols.ts";
import { assert, assertEquals, runtimeName, test } from "./harness.ts";

function lastError(): { status: number; message: string } {
  const buffer = new Uint8Array(1024);
  const length = native.last_error_copy(buffer, buffer.length);
  return { status: native.last_status(), message: new TextDecoder().decode(buffer.subarray(0, length)) };
}

test("the symbol table matches the signatures the library reports", () => {
  const capacity = native.abi_signatures(null, 0);
  const buffer = new Uint8Array(capacity);
  assertEquals(native.abi_signatures(buffer, capacity), capacity);
  assertEquals(new TextDecoder().decode(buffer), signatureString());
});

test("version() matches package.json", () => {
  const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const v = native.version();
  assertEquals(`${v >> 16}.${(v >> 8) & 0xff}.${v & 0xff}`, packageJson.version);
});

test("zero, forged and stale handles are errors, not crashes", () => {
  assertEquals(native.array_ndim(0), -1);
  assertEquals(lastError(), { status: 1, message: "invalid array handle 0: never issued" });
  assertEquals(native.array_ndim(0xdeadbeef), -1);
  assertEquals(lastError().message, `invalid array handle ${0xdeadbeef}: never issued`);
  const a = mx.array([1, 2]);
  const handle = a.handle("test");
  a.dispose();
  assertEquals(native.array_ndim(handle), -1);
  assertEquals(lastError(), { status: 1, message: `invalid array handle ${handle}: the array was disposed` });
  assertEquals(native.binary(0, handle, handle), 0);
  assertEquals(native.array_free(handle), 1);
  assertEquals(native.eval(new Uint32Array([handle]), 1), 1);
  // A new array may reuse the slot; the old handle still fails.
  using b = mx.array([3]);
  assert(b.handle("test") !== handle);
  assertEquals(native.array_dtype(handle), -1);
});

test("array_from_bytes validates dtype, shape and byte count", () => {
  const bytes = new Uint8Array(8);
  assertEquals(native.array_from_bytes(bytes, 8n, 99, new Int32Array([2]), 1), 0);
  assertEquals(lastError(), { status: 2, message: "[array] unknown dtype code 99" });
  assertEquals(native.array_from_bytes(bytes, 4n, 10, new Int32Array([2]), 1), 0);
  assertEquals(lastError(), {
    status: 3,
    message: "[array] 4 bytes given for shape [2] of float32, which needs 8 bytes",
  });
  assertEquals(native.array_from_bytes(bytes, 8n, 10, new Int32Array([-2]), 1), 0);
  assertEquals(lastError(), { status: 2, message: "negative dimension -2 at axis 0" });
  assertEquals(native.array_from_bytes(bytes, 8n, 10, new Int32Array(17).fill(1), 17), 0);
  assertEquals(lastError(), { status: 6, message: "[array] 17 dimensions exceed the limit of 16" });
  assertEquals(native.array_from_bytes(null, 8n, 10, new Int32Array([2]), 1), 0);
  assertEquals(lastError(), { status: 2, message: "[array] no data pointer for 8 bytes" });
  assertEquals(native.array_from_bytes(bytes, 8n, 10, null, 1), 0);
  assertEquals(lastError().message, "[array] no shape given for 1 dimensions");
  const huge = new Int32Array([1 << 30, 1 << 30]);
  assertEquals(native.array_from_bytes(bytes, 8n, 10, huge, 2), 0);
  assertEquals(lastError().message, "shape [1073741824,1073741824] has more than 140737488355328 elements");
});

test("array_read and array_shape check the destination size", () => {
  using a = mx.array([1, 2, 3]);
  const h = a.handle("test");
  assertEquals(native.array_read(h, new Uint8Array(8), 8n), 2);
  assertEquals(
    lastError().message,
    "[read] the destination holds 8 bytes; the array of shape [3] and dtype float32 has 12",
  );
  assertEquals(native.array_shape(h, new Int32Array(0), 0), 2);
  assertEquals(lastError().message, "[shape] room for 0 dimensions, need 1");
  assertEquals(native.eval(null, 5000), 2);
  assertEquals(lastError().message, "[eval] 5000 arrays given; the limit is 4096");
});

test("a successful call clears the previous error", () => {
  assertEquals(native.array_ndim(0), -1);
  using a = mx.array([1]);
  assertEquals(native.array_ndim(a.handle("test")), 1);
  assertEquals(lastError(), { status: 0, message: "" });
});

function runChild(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script = new URL("./support/print_library.ts", import.meta.url).pathname;
  const args = runtimeName === "deno" ? ["run", "-A", script] : [script];
  const result = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("the loader takes MLXTS_LIB first and says when it is missing", () => {
  const found = runChild({ MLXTS_LIB: mx.libraryPath });
  assertEquals([found.status, found.stdout.trim()], [0, `${mx.libraryPath} 6`]);
  const missing = runChild({ MLXTS_LIB: "/nonexistent/libmlxts.so" });
  assert(missing.status !== 0, "a missing MLXTS_LIB must fail");
  assert(missing.stderr.includes("MLXTS_LIB=/nonexistent/libmlxts.so does not exist"), missing.stderr);
});

test("MLXTS_TRACE_FFI logs each native call", () => {
  const traced = runChild({ MLXTS_TRACE_FFI: "1" });
  assertEquals(traced.status, 0);
  assert(traced.stderr.includes("[mlx-ts ffi] reduce("), traced.stderr.slice(0, 500));
  assert(/\[mlx-ts ffi\] array_from_bytes\(Float32Array\(12 bytes\), 12, 10, Int32Array\(64 bytes\), 1\) -> \d+/.test(traced.stderr));
});
