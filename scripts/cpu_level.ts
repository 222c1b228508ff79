/**
 * Prints the x86-64 level (1-4; 0 off x86-64) this CPU and OS support, as the library file
 * given reports it (`mlxts_cpu_level`; pass a baseline file, which runs on every machine of
 * its platform). `.ci/run` uses it to pick the level files this machine can run.
 *
 *   deno run --allow-ffi --allow-read --allow-env scripts/cpu_level.ts zig-native/dist/linux-x64/libmlxts.so
 */

import process from "node:process";
import type { Runtime } from "../ffi/runtime.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const runtime: Runtime = isBun
  ? (await import("../ffi/bun.ts")).runtime
  : (await import("../ffi/deno.ts")).runtime;
const path = process.argv[2];
if (path === undefined || !runtime.fileExists(path)) {
  console.error(`usage: cpu_level.ts LIBRARY (a library file; got ${path ?? "nothing"})`);
  process.exit(2);
}
console.log(runtime.cpuLevel(path));
