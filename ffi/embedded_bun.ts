/**
 * Names the library files a `bun build --compile` executable packs: the host build
 * (`zig-native/zig-out/lib`) and the prebuilt Linux x86-64 files, one per x86-64 level
 * (`zig-native/dist/linux-x64`). Bun packs each file a `require` names; a `require` inside a
 * `try` whose file is missing is left to fail at run time, so whichever files exist when the
 * executable is built are packed and the rest are skipped.
 *
 * Bun packs every file named here whatever the target, so the list holds what is worth its
 * size: the three linux-x64 levels (4.5-5.3 MB each), which make an executable run at its best
 * on any x86-64 Linux machine, and the host build, the fallback where those were not built.
 * The other platforms' prebuilt files would add 17 MB to every executable.
 *
 * Imported by bun.ts only inside a compiled executable (from source, `require` would try to
 * parse a library as a module).
 *
 * @module
 */

// The files are packed by the bundler, which needs each path written out literally.
declare const require: (specifier: string) => string;

let host: string | undefined;
try {
  host = require("../zig-native/zig-out/lib/libmlxts.so");
} catch {
  // Not built on the machine that built the executable.
}
try {
  host ??= require("../zig-native/zig-out/lib/libmlxts.dylib");
} catch {
  // Idem.
}

const linuxX64: Record<string, string> = {};
try {
  linuxX64["libmlxts.so"] = require("../zig-native/dist/linux-x64/libmlxts.so");
} catch {
  // scripts/build --cross was not run.
}
try {
  linuxX64["libmlxts.x86_64_v3.so"] = require("../zig-native/dist/linux-x64/libmlxts.x86_64_v3.so");
} catch {
  // Idem.
}
try {
  linuxX64["libmlxts.x86_64_v4.so"] = require("../zig-native/dist/linux-x64/libmlxts.x86_64_v4.so");
} catch {
  // Idem.
}

/** The host build's path inside the executable, if it was packed. */
export const hostLibrary: string | undefined = host;
/** The prebuilt files packed, by platform (`linux-x64`) and file name. */
export const prebuiltLibraries: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "linux-x64": linuxX64,
};
