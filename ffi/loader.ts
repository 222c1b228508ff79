/**
 * Finds and opens the native library, once, for whichever runtime is running:
 * 1. `MLXTS_LIB`, a path set in the environment;
 * 2. the library packed into a `bun build --compile` executable;
 * 3. the library built on this machine (`zig-native/zig-out/lib`, made by `scripts/setup`);
 * 4. the prebuilt library for this platform (`zig-native/dist/<os>-<arch>`, made by
 *    `scripts/build --cross`).
 *
 * Set `MLXTS_TRACE_FFI=1` to log every native call with its arguments and result.
 *
 * @module
 */

import type { Runtime } from "./runtime.ts";
import type { NativeLib } from "./symbols.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** The running runtime's adapter. */
export const runtime: Runtime = isBun
  ? (await import("./bun.ts")).runtime
  : (await import("./deno.ts")).runtime;

interface Platform {
  readonly os: "linux" | "macos" | "windows";
  readonly arch: "x64" | "arm64";
}

function hostPlatform(): Platform {
  const g = globalThis as {
    Deno?: { build: { os: string; arch: string } };
    process?: { platform: string; arch: string };
  };
  const os = g.Deno?.build.os ?? g.process?.platform ?? "linux";
  const arch = g.Deno?.build.arch ?? g.process?.arch ?? "x64";
  return {
    os: os === "darwin" ? "macos" : os === "windows" || os === "win32" ? "windows" : "linux",
    arch: arch === "aarch64" || arch === "arm64" ? "arm64" : "x64",
  };
}

/** The file name of the library on a platform. */
export function libraryFileName(platform: Platform = hostPlatform()): string {
  return platform.os === "macos" ? "libmlxts.dylib" : platform.os === "windows" ? "mlxts.dll" : "libmlxts.so";
}

function fromHere(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

/** Where the loader looks, in order, with the reason for each place. */
export function libraryCandidates(): { path: string; source: string }[] {
  const platform = hostPlatform();
  const file = libraryFileName(platform);
  const candidates: { path: string; source: string }[] = [];
  const override = runtime.env("MLXTS_LIB");
  if (override) return [{ path: override, source: "MLXTS_LIB" }];
  const embedded = runtime.embeddedLibrary();
  if (embedded) candidates.push({ path: embedded, source: "embedded in the executable" });
  candidates.push({ path: fromHere(`../zig-native/zig-out/lib/${file}`), source: "built here" });
  candidates.push({
    path: fromHere(`../zig-native/dist/${platform.os}-${platform.arch}/${file}`),
    source: "prebuilt",
  });
  return candidates;
}

function load(): { lib: NativeLib; path: string } {
  const candidates = libraryCandidates();
  for (const { path, source } of candidates) {
    if (!runtime.fileExists(path)) {
      if (source === "MLXTS_LIB") throw new Error(`mlx-ts: MLXTS_LIB=${path} does not exist`);
      continue;
    }
    const lib = runtime.open(path);
    return { lib: runtime.env("MLXTS_TRACE_FFI") ? traced(lib) : lib, path };
  }
  throw new Error(
    "mlx-ts: the native library was not found. Looked in:\n" +
      candidates.map((c) => `  ${c.path} (${c.source})`).join("\n") +
      "\nRun scripts/setup to build it, or set MLXTS_LIB to its path.",
  );
}

function traced(lib: NativeLib): NativeLib {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(lib) as [string, (...args: unknown[]) => unknown][]) {
    wrapped[name] = (...args: unknown[]) => {
      const result = fn(...args);
      console.error(`[mlx-ts ffi] ${name}(${args.map(describe).join(", ")}) -> ${describe(result)}`);
      return result;
    };
  }
  return wrapped as NativeLib;
}

function describe(value: unknown): string {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  return String(value);
}

const loaded = load();

/** The native library, opened. */
export const native: NativeLib = loaded.lib;
/** The path it was opened from. */
export const libraryPath: string = loaded.path;
