/**
 * The Deno adapter: `Deno.dlopen` with the table from `symbols.ts`. Buffers pass as
 * `"buffer"` and 64-bit integers as BigInt, both on Deno's fast-call path.
 *
 * @module
 */

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

const denoTypes = {
  i32: "i32",
  u32: "u32",
  u64: "u64",
  f64: "f64",
  buffer: "buffer",
  pointer: "pointer",
  void: "void",
} as const satisfies Record<ArgType | ResultType, Deno.NativeResultType>;

/**
 * Opened libraries, kept reachable for the life of the process: Deno closes (dlclose) a
 * library whose handle is garbage-collected, which would unmap code the native thread pool
 * is running.
 */
const openLibraries: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>[] = [];

function open(path: string): NativeLib {
  const table: Record<string, Deno.ForeignFunction> = {};
  for (const [name, spec] of Object.entries(symbols as Record<string, SymbolSpec>)) {
    table[symbolPrefix + name] = {
      parameters: spec.args.map((arg) => denoTypes[arg]),
      result: denoTypes[spec.result],
    };
  }
  const library = Deno.dlopen(path, table);
  openLibraries.push(library);
  const native: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(symbols as Record<string, SymbolSpec>)) {
    const fn = library.symbols[symbolPrefix + name] as (...args: unknown[]) => unknown;
    // Deno returns a u64 as a number when it fits; the table promises BigInt.
    native[name] = spec.result === "u64" ? (...args: unknown[]) => BigInt(fn(...args) as number) : fn;
  }
  return native as NativeLib;
}

function view(pointer: NativePointer, byteLength: number): ArrayBuffer {
  if (byteLength === 0) return new ArrayBuffer(0);
  return Deno.UnsafePointerView.getArrayBuffer(pointer as unknown as Deno.PointerObject, byteLength);
}

function cpuLevel(path: string): number {
  const library = Deno.dlopen(path, { [`${symbolPrefix}cpu_level`]: { parameters: [], result: "u32" } });
  try {
    return library.symbols[`${symbolPrefix}cpu_level`]() as number;
  } finally {
    library.close();
  }
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

export const runtime: Runtime = {
  name: "deno",
  open,
  cpuLevel,
  view,
  fileExists,
  env: (name) => Deno.env.get(name),
  embeddedLibraries: () => undefined,
  unpacked: (path) => path,
};
