/** The loader's choice of prebuilt file (ffi/library_choice.ts): per x86-64 level, with files
 * missing, forced levels (MLXTS_CPU_LEVEL) and their errors; and the level the native library
 * reports. */

import { spawnSync } from "node:child_process";
import process from "node:process";
import * as mx from "mlx-ts";
import { native, runtime } from "../ffi/loader.ts";
import {
  chooseLevel,
  type LevelChoiceInput,
  levelFileName,
  parseCpuLevel,
  type Platform,
  prebuiltFileNames,
} from "../ffi/library_choice.ts";
import { assert, assertEquals, assertThrows, runtimeName, test } from "./harness.ts";

const linux: Platform = { os: "linux", arch: "x64" };
const mac: Platform = { os: "macos", arch: "x64" };
const linuxArm: Platform = { os: "linux", arch: "arm64" };
const dist = "/pkg/zig-native/dist/linux-x64";
const allLinux = {
  "libmlxts.so": `${dist}/libmlxts.so`,
  "libmlxts.x86_64_v3.so": `${dist}/libmlxts.x86_64_v3.so`,
  "libmlxts.x86_64_v4.so": `${dist}/libmlxts.x86_64_v4.so`,
};

function choose(input: Partial<LevelChoiceInput>): { path: string; level: number } {
  return chooseLevel({ platform: linux, cpuLevel: 4, files: allLinux, where: `in ${dist}`, ...input });
}

test("levelFileName() and prebuiltFileNames() name one file per x86-64 level", () => {
  assertEquals(prebuiltFileNames(linux), ["libmlxts.so", "libmlxts.x86_64_v3.so", "libmlxts.x86_64_v4.so"]);
  assertEquals(prebuiltFileNames(mac), [
    "libmlxts.dylib",
    "libmlxts.x86_64_v3.dylib",
    "libmlxts.x86_64_v4.dylib",
  ]);
  assertEquals(prebuiltFileNames(linuxArm), ["libmlxts.so"]);
  assertEquals(levelFileName(linux, 2), "libmlxts.so");
});

test("chooseLevel() takes the highest level the CPU supports among the files present", () => {
  assertEquals(choose({ cpuLevel: 4 }), { path: `${dist}/libmlxts.x86_64_v4.so`, level: 4 });
  assertEquals(choose({ cpuLevel: 3 }), { path: `${dist}/libmlxts.x86_64_v3.so`, level: 3 });
  assertEquals(choose({ cpuLevel: 2 }), { path: `${dist}/libmlxts.so`, level: 2 });
  // Missing files: the next level down that is present.
  const noV4 = {
    "libmlxts.so": allLinux["libmlxts.so"],
    "libmlxts.x86_64_v3.so": allLinux["libmlxts.x86_64_v3.so"],
  };
  assertEquals(choose({ cpuLevel: 4, files: noV4 }), { path: `${dist}/libmlxts.x86_64_v3.so`, level: 3 });
  const noV3 = {
    "libmlxts.so": allLinux["libmlxts.so"],
    "libmlxts.x86_64_v4.so": allLinux["libmlxts.x86_64_v4.so"],
  };
  assertEquals(choose({ cpuLevel: 3, files: noV3 }), { path: `${dist}/libmlxts.so`, level: 2 });
  assertEquals(choose({ cpuLevel: 4, files: { "libmlxts.so": "/b.so" } }), { path: "/b.so", level: 2 });
  // macOS ships v2 and v3: an AVX-512 Mac gets v3.
  const macFiles = {
    "libmlxts.dylib": "/m/libmlxts.dylib",
    "libmlxts.x86_64_v3.dylib": "/m/libmlxts.x86_64_v3.dylib",
  };
  assertEquals(choose({ platform: mac, cpuLevel: 4, files: macFiles }), {
    path: "/m/libmlxts.x86_64_v3.dylib",
    level: 3,
  });
  // aarch64: the one file, no level asked.
  assertEquals(choose({ platform: linuxArm, cpuLevel: 0, files: { "libmlxts.so": "/a.so" } }), {
    path: "/a.so",
    level: 0,
  });
});

test("chooseLevel() opens a forced level (MLXTS_CPU_LEVEL) the CPU supports", () => {
  assertEquals(choose({ forced: "v2" }), { path: `${dist}/libmlxts.so`, level: 2 });
  assertEquals(choose({ forced: "v3" }), { path: `${dist}/libmlxts.x86_64_v3.so`, level: 3 });
  assertEquals(choose({ forced: "x86_64_v4" }), { path: `${dist}/libmlxts.x86_64_v4.so`, level: 4 });
  assertEquals(choose({ forced: "" }), { path: `${dist}/libmlxts.x86_64_v4.so`, level: 4 });
  assertEquals([parseCpuLevel("V3"), parseCpuLevel("x86-64-v4"), parseCpuLevel("2")], [3, 4, 2]);
});

test("chooseLevel() rejects a forced level the CPU lacks, a missing file and a malformed level", () => {
  assertThrows(
    () => choose({ cpuLevel: 3, forced: "v4" }),
    Error,
    "mlx-ts: MLXTS_CPU_LEVEL=v4: this CPU supports x86-64-v3 at most; x86-64-v4 needs AVX-512F/BW/CD/DQ/VL",
  );
  assertThrows(
    () => choose({ cpuLevel: 2, forced: "v3" }),
    Error,
    "this CPU supports x86-64-v2 at most; x86-64-v3 needs AVX2, FMA",
  );
  assertThrows(
    () => choose({ files: { "libmlxts.so": "/b.so" }, forced: "v3" }),
    Error,
    `mlx-ts: MLXTS_CPU_LEVEL=v3: no libmlxts.x86_64_v3.so in ${dist} (present: libmlxts.so); scripts/build --cross builds the levels`,
  );
  assertThrows(() => choose({ forced: "v5" }), Error, "mlx-ts: MLXTS_CPU_LEVEL=v5: expected v2, v3 or v4");
  assertThrows(() => choose({ forced: "avx2" }), Error, "MLXTS_CPU_LEVEL=avx2: expected v2, v3 or v4");
  assertThrows(() => choose({ forced: "v1" }), Error, "MLXTS_CPU_LEVEL=v1: expected v2, v3 or v4");
  assertThrows(
    () => choose({ platform: linuxArm, cpuLevel: 0, files: { "libmlxts.so": "/a.so" }, forced: "v3" }),
    Error,
    "mlx-ts: MLXTS_CPU_LEVEL=v3 chooses among x86-64 libraries; this is linux-arm64",
  );
});

test("chooseLevel() rejects a CPU below the baseline and a missing baseline", () => {
  assertThrows(
    () => choose({ cpuLevel: 1 }),
    Error,
    "mlx-ts: this CPU supports x86-64-v1 only; the prebuilt linux-x64 library needs x86-64-v2 (SSE4.2, POPCNT)",
  );
  assertThrows(
    () => choose({ files: { "libmlxts.x86_64_v3.so": "/v3.so" } }),
    Error,
    `mlx-ts: no libmlxts.so in ${dist}`,
  );
});

test("cpu_level() and cpu_level_built() report x86-64 levels the loaded library can run at", () => {
  const cpu = native.cpu_level();
  const built = native.cpu_level_built();
  if (process.arch !== "x64") {
    assertEquals([cpu, built], [0, 0]);
    return;
  }
  assert(cpu >= 1 && cpu <= 4, `cpu_level ${cpu}`);
  assert(built >= 1 && built <= 4, `cpu_level_built ${built}`);
  assert(cpu >= built, `the library is built for level ${built}, the CPU supports ${cpu}`);
  // The loader's probe (a one-symbol table, closed again) gives the same answer.
  assertEquals(runtime.cpuLevel(mx.libraryPath), cpu);
});

function printLibrary(
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const script = new URL("./support/print_library.ts", import.meta.url).pathname;
  const args = runtimeName === "deno" ? ["run", "-A", script] : [script];
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.MLXTS_LIB;
  const result = spawnSync(process.execPath, args, { env: childEnv, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("MLXTS_CPU_LEVEL opens that level's prebuilt file, and names a malformed level", () => {
  const directory = decodeURIComponent(new URL("../zig-native/dist/linux-x64", import.meta.url).pathname);
  const bad = printLibrary({ MLXTS_CPU_LEVEL: "v7" });
  assert(bad.status !== 0, "MLXTS_CPU_LEVEL=v7 must fail");
  assert(bad.stderr.includes("mlx-ts: MLXTS_CPU_LEVEL=v7: expected v2, v3 or v4"), bad.stderr);
  if (
    process.platform !== "linux" || process.arch !== "x64" || !runtime.fileExists(`${directory}/libmlxts.so`)
  ) {
    return; // scripts/build --cross has not run: no prebuilt files to choose from.
  }
  const baseline = printLibrary({ MLXTS_CPU_LEVEL: "v2" });
  assertEquals([baseline.status, baseline.stdout.trim()], [0, `${directory}/libmlxts.so 6`]);
  for (const level of [3, 4]) {
    const file = `${directory}/libmlxts.x86_64_v${level}.so`;
    if (native.cpu_level() < level || !runtime.fileExists(file)) continue;
    const found = printLibrary({ MLXTS_CPU_LEVEL: `v${level}` });
    assertEquals([found.status, found.stdout.trim()], [0, `${file} 6`]);
  }
});
