/**
 * What the loader needs from a JavaScript runtime: open the library with the symbol table,
 * ask a library file for the CPU's x86-64 level, view native memory, find files, environment
 * variables and the libraries packed into a single-file executable. One implementation per
 * runtime: `deno.ts`, `bun.ts`.
 *
 * @module
 */

import type { NativeLib, NativePointer } from "./symbols.ts";

export interface Runtime {
  readonly name: "deno" | "bun";
  /** Opens the library at `path`; throws if it cannot be loaded or lacks a symbol. */
  open(path: string): NativeLib;
  /**
   * The x86-64 level (1-4) this CPU and OS support, from `mlxts_cpu_level` of the library at
   * `path`, opened with a table of that one symbol and closed again. Ask the baseline file only:
   * a level file is compiled for its level throughout, this function included.
   */
  cpuLevel(path: string): number;
  /** An ArrayBuffer over `byteLength` bytes of native memory at `pointer` (no copy). */
  view(pointer: NativePointer, byteLength: number): ArrayBuffer;
  fileExists(path: string): boolean;
  env(name: string): string | undefined;
  /** The libraries packed into the single-file executable running, if it is one. */
  embeddedLibraries(platform: string): EmbeddedLibraries | undefined;
  /** A path the system loader can open for `path`: itself, or for a file inside a single-file
   * executable, a copy unpacked once to the temp directory. */
  unpacked(path: string): string;
}

/** Libraries inside a single-file executable, as paths inside it (see `Runtime.unpacked`). */
export interface EmbeddedLibraries {
  /** The host build (`zig-native/zig-out/lib`), if it was packed. */
  readonly host: string | undefined;
  /** The running platform's prebuilt files that were packed, by file name. */
  readonly prebuilt: Readonly<Record<string, string>>;
}
