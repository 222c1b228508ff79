/**
 * The Bun adapter: `bun:ffi` with the table from `symbols.ts`. Typed arrays are passed
 * directly as `ptr` arguments (never a cached `ptr()`, which a moving GC may invalidate for
 * small arrays).
 *
 * @module
 */

import { dlopen, FFIType, toArrayBuffer } from "bun:ffi";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import type { Runtime } from "./runtime.ts";
import {
  type ArgType,
  type NativeLib,
  type NativePointer,
  type ResultType,
  symbolPrefix,
  symbols,
  type SymbolSpec,
} from "./symbols.ts";

const bunTypes: Record<ArgType | ResultType, FFIType> = {
  i32: FFIType.i32,
  u32: FFIType.u32,
  u64: FFIType.u64,
  f64: FFIType.f64,
  buffer: FFIType.ptr,
  pointer: FFIType.ptr,
  void: FFIType.void,
};

/** Opened libraries, kept reachable for the life of the process (see deno.ts). */
const openLibraries: unknown[] = [];

function open(path: string): NativeLib {
  const table: Record<string, { args: FFIType[]; returns: FFIType }> = {};
  for (const [name, spec] of Object.entries(symbols as Record<string, SymbolSpec>)) {
    table[symbolPrefix + name] = {
      args: spec.args.map((arg) => bunTypes[arg]),
      returns: bunTypes[spec.result],
    };
  }
  const library = dlopen(path, table);
  openLibraries.push(library);
  const native: Record<string, unknown> = {};
  for (const name of Object.keys(symbols)) {
    native[name] = library.symbols[symbolPrefix + name];
  }
  return native as NativeLib;
}

function view(pointer: NativePointer, byteLength: number): ArrayBuffer {
  if (byteLength === 0) return new ArrayBuffer(0);
  return toArrayBuffer(pointer as number, 0, byteLength);
}

/**
 * In a `bun build --compile` executable the library is a file inside the executable
 * (`/$bunfs/...`), which the system loader cannot open: it is copied once to the temp
 * directory, under a name made from its content hash, and loaded from there.
 */
let embeddedLibraryPath: string | undefined;
try {
  embeddedLibraryPath = (await import("./embedded_bun.ts")).embeddedLibraryPath;
} catch {
  // Not built on this machine (a prebuilt library is used instead): nothing to embed.
}

function embeddedLibrary(): string | undefined {
  const path = embeddedLibraryPath;
  if (path === undefined || !path.includes("$bunfs")) return undefined;
  const bytes = readFileSync(path);
  const directory = `${tmpdir()}/mlx-ts`;
  const target = `${directory}/${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}-${path.split("/").pop()}`;
  if (!existsSync(target)) {
    mkdirSync(directory, { recursive: true });
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, bytes, { mode: 0o755 });
    renameSync(partial, target);
  }
  return target;
}

export const runtime: Runtime = {
  name: "bun",
  open,
  view,
  fileExists: (path) => existsSync(path),
  env: (name) => process.env[name],
  embeddedLibrary,
};
