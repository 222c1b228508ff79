/**
 * Finds and opens the native library, once, for whichever runtime is running. Places, in order:
 * 1. `MLXTS_LIB`, a path set in the environment: that file, nothing chosen;
 * 2. inside a `bun build --compile` executable, the prebuilt files it packs for this
 *    platform, then the host build it packs (ffi/embedded_bun.ts);
 * 3. the library built on this machine (`zig-native/zig-out/lib`, made by `scripts/setup`);
 * 4. the prebuilt library for this platform (`zig-native/dist/<os>-<arch>`, made by
 *    `scripts/build --cross`).
 *
 * Prebuilt x86-64 libraries come one file per x86-64 level: the loader asks the baseline file
 * which level the CPU supports and opens the best file present (ffi/library_choice.ts).
 * `MLXTS_CPU_LEVEL=v2|v3|v4` forces a level: it chooses among the prebuilt files (skipping a
 * host build) and is an error when the CPU lacks it or its file is missing.
 *
 * Set `MLXTS_TRACE_FFI=1` to log every native call with its arguments and result.
 *
 * @module
 */

import type { Runtime } from "./runtime.ts";
import type { NativeLib } from "./symbols.ts";
import {
  chooseLevel,
  hasLevels,
  type LevelChoice,
  libraryFileName,
  parseCpuLevel,
  type Platform,
  platformName,
  prebuiltFileNames,
} from "./library_choice.ts";

export { libraryFileName } from "./library_choice.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** The running runtime's adapter. */
export const runtime: Runtime = isBun
  ? (await import("./bun.ts")).runtime
  : (await import("./deno.ts")).runtime;

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

function fromHere(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

/** A place the loader looks: one file, or a platform's prebuilt files (`path` its baseline). */
export interface LibraryCandidate {
  readonly path: string;
  readonly source: string;
  /** For prebuilt files: the files present, by name; the choice among them is by CPU level. */
  readonly prebuilt?: Readonly<Record<string, string>>;
}

function prebuiltFolder(platform: Platform): LibraryCandidate {
  const directory = fromHere(`../zig-native/dist/${platformName(platform)}`);
  const files: Record<string, string> = {};
  for (const name of prebuiltFileNames(platform)) {
    if (runtime.fileExists(`${directory}/${name}`)) files[name] = `${directory}/${name}`;
  }
  return { path: `${directory}/${libraryFileName(platform)}`, source: "prebuilt", prebuilt: files };
}

/** Where the loader looks, in order, with the reason for each place. */
export function libraryCandidates(): LibraryCandidate[] {
  const platform = hostPlatform();
  const override = runtime.env("MLXTS_LIB");
  if (override) return [{ path: override, source: "MLXTS_LIB" }];
  const candidates: LibraryCandidate[] = [];
  const embedded = runtime.embeddedLibraries(platformName(platform));
  const baseline = embedded?.prebuilt[libraryFileName(platform)];
  if (baseline !== undefined) {
    candidates.push({ path: baseline, source: "embedded in the executable", prebuilt: embedded!.prebuilt });
  }
  if (embedded?.host !== undefined) {
    candidates.push({ path: embedded.host, source: "embedded in the executable (host build)" });
  }
  candidates.push({
    path: fromHere(`../zig-native/zig-out/lib/${libraryFileName(platform)}`),
    source: "built here",
  });
  candidates.push(prebuiltFolder(platform));
  return candidates;
}

/** Chooses among a candidate's prebuilt files, asking the baseline for the CPU's level. */
function choosePrebuilt(candidate: LibraryCandidate, forced: string | undefined): LevelChoice {
  const platform = hostPlatform();
  const files = candidate.prebuilt!;
  const where = candidate.source === "prebuilt"
    ? `in ${candidate.path.slice(0, candidate.path.lastIndexOf("/"))}`
    : candidate.source;
  const baseline = files[libraryFileName(platform)];
  const cpuLevel = hasLevels(platform) && baseline !== undefined
    ? runtime.cpuLevel(runtime.unpacked(baseline))
    : 0;
  const choice = chooseLevel({ platform, cpuLevel, files, forced, where });
  return { path: runtime.unpacked(choice.path), level: choice.level };
}

function load(): { lib: NativeLib; path: string } {
  const candidates = libraryCandidates();
  const forced = runtime.env("MLXTS_CPU_LEVEL") || undefined;
  if (forced !== undefined) parseCpuLevel(forced); // a malformed level fails wherever the files are
  const baselineName = libraryFileName(hostPlatform());
  for (const candidate of candidates) {
    if (candidate.prebuilt !== undefined) {
      if (candidate.prebuilt[baselineName] === undefined) continue;
      return opened(choosePrebuilt(candidate, forced).path);
    }
    // A forced level chooses among prebuilt files: a single file (a host build) is passed over.
    if (forced !== undefined && candidate.source !== "MLXTS_LIB") continue;
    const path = runtime.unpacked(candidate.path);
    if (runtime.fileExists(path)) return opened(path);
    if (candidate.source === "MLXTS_LIB") throw new Error(`mlx-ts: MLXTS_LIB=${path} does not exist`);
  }
  throw new Error(
    "mlx-ts: the native library was not found. Looked in:\n" +
      candidates.map((c) => `  ${c.path} (${c.source})`).join("\n") +
      (forced === undefined ? "" : `\n(MLXTS_CPU_LEVEL=${forced} chooses among prebuilt libraries only)`) +
      "\nRun scripts/setup to build it, or set MLXTS_LIB to its path.",
  );
}

function opened(path: string): { lib: NativeLib; path: string } {
  const lib = runtime.open(path);
  return { lib: runtime.env("MLXTS_TRACE_FFI") ? traced(lib) : lib, path };
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
