/**
 * What the loader needs from a JavaScript runtime: open the library with the symbol table,
 * view native memory, and find files and environment variables. One implementation per
 * runtime: `deno.ts`, `bun.ts`.
 *
 * @module
 */

import type { NativeLib, NativePointer } from "./symbols.ts";

export interface Runtime {
  readonly name: "deno" | "bun";
  /** Opens the library at `path`; throws if it cannot be loaded or lacks a symbol. */
  open(path: string): NativeLib;
  /** An ArrayBuffer over `byteLength` bytes of native memory at `pointer` (no copy). */
  view(pointer: NativePointer, byteLength: number): ArrayBuffer;
  fileExists(path: string): boolean;
  env(name: string): string | undefined;
  /** Where a library packed into a single-file executable was unpacked, if any. */
  embeddedLibrary(): string | undefined;
}
