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
import type { EmbeddedLibraries, Runtime } from "./runtime.ts";
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

function cpuLevel(path: string): number {
  const name = `${symbolPrefix}cpu_level`;
  const library = dlopen(path, { [name]: { args: [], returns: FFIType.u32 } });
  try {
    return library.symbols[name]!() as number;
  } finally {
    library.close();
  }
}

/** Whether this process is a `bun build --compile` executable. */
const standalone = (globalThis as { Bun?: { isStandaloneExecutable?: boolean } }).Bun?.isStandaloneExecutable === true;

/** The libraries the executable packs (embedded_bun.ts), as `/$bunfs/...` paths. */
const embedded = standalone ? await import("./embedded_bun.ts") : undefined;

function embeddedLibraries(platform: string): EmbeddedLibraries | undefined {
  if (embedded === undefined) return undefined;
  return { host: embedded.hostLibrary, prebuilt: embedded.prebuiltLibraries[platform] ?? {} };
}

/**
 * A library inside the executable (`/$bunfs/...`) cannot be opened by the system loader: it is
 * copied once to the temp directory, under a name made from its content hash, and loaded from
 * there.
 */
function unpacked(path: string): string {
  if (!path.includes("$bunfs")) return path;
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
  cpuLevel,
  view,
  fileExists: (path) => existsSync(path),
  env: (name) => process.env[name],
  embeddedLibraries,
  unpacked,
};
