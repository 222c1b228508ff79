/**
 * Which prebuilt library file to open: the loader's choice as a pure function of the
 * platform, the x86-64 level the CPU supports, the files present and `MLXTS_CPU_LEVEL`.
 *
 * `scripts/build --cross` builds x86-64 platforms once per x86-64 level: the baseline
 * `libmlxts.so` (x86-64-v2: SSE4.2, which every machine of the platform runs), and beside it
 * `libmlxts.x86_64_v3.so` (AVX2, FMA) and `libmlxts.x86_64_v4.so` (AVX-512), `.dylib` on
 * macOS. The loader asks the baseline which level this CPU and OS support
 * (`mlxts_cpu_level`) and opens the best file present; `MLXTS_CPU_LEVEL=v2|v3|v4` forces one
 * (an error if the CPU lacks it or the file is missing). aarch64 platforms have the baseline
 * only.
 *
 * @module
 */

/** An operating system and architecture, as the prebuilt folders name them (`linux-x64`). */
export interface Platform {
  readonly os: "linux" | "macos" | "windows";
  readonly arch: "x64" | "arm64";
}

/** The x86-64 level of the baseline file. */
export const baselineLevel = 2;
/** The highest x86-64 level a file may be built for. */
export const levelMax = 4;

/** What each level adds, for messages. */
const levelFeatures: Record<number, string> = {
  2: "SSE4.2, POPCNT",
  3: "AVX2, FMA, F16C, BMI2 with the OS saving AVX state",
  4: "AVX-512F/BW/CD/DQ/VL with the OS saving AVX-512 state",
};

/** `linux-x64`, `macos-arm64`, ...: the prebuilt folder's name. */
export function platformName(platform: Platform): string {
  return `${platform.os}-${platform.arch}`;
}

/** Whether the platform's prebuilt libraries come one file per x86-64 level. */
export function hasLevels(platform: Platform): boolean {
  return platform.arch === "x64";
}

/** The file name of the library on a platform (the baseline, for x86-64). */
export function libraryFileName(platform: Platform): string {
  return platform.os === "macos" ? "libmlxts.dylib" : platform.os === "windows" ? "mlxts.dll" : "libmlxts.so";
}

/** The file name of the prebuilt library for an x86-64 level: the baseline's name for v2,
 * else `libmlxts.x86_64_v<level>.so` (`.dylib`). */
export function levelFileName(platform: Platform, level: number): string {
  const baseline = libraryFileName(platform);
  if (level === baselineLevel) return baseline;
  const dot = baseline.lastIndexOf(".");
  return `${baseline.slice(0, dot)}.x86_64_v${level}${baseline.slice(dot)}`;
}

/** The file names a platform's prebuilt folder may hold, baseline first. */
export function prebuiltFileNames(platform: Platform): string[] {
  if (!hasLevels(platform)) return [libraryFileName(platform)];
  const names: string[] = [];
  for (let level = baselineLevel; level <= levelMax; level++) names.push(levelFileName(platform, level));
  return names;
}

/** `x86-64-v3`. */
export function levelName(level: number): string {
  return `x86-64-v${level}`;
}

/**
 * Parses a level as `MLXTS_CPU_LEVEL` gives it: `v2`, `v3`, `v4` (also `x86_64_v3`,
 * `x86-64-v3`, `3`).
 *
 * @throws Error naming the variable and the values accepted.
 */
export function parseCpuLevel(text: string): number {
  const match = /^(?:x86[-_]64[-_])?v?([0-9])$/i.exec(text.trim());
  const level = match ? Number(match[1]) : NaN;
  if (!(level >= baselineLevel && level <= levelMax)) {
    throw new Error(`mlx-ts: MLXTS_CPU_LEVEL=${text}: expected v2, v3 or v4`);
  }
  return level;
}

/** The inputs of the choice. */
export interface LevelChoiceInput {
  readonly platform: Platform;
  /** The x86-64 level the CPU and OS support (`mlxts_cpu_level` of the baseline); 0 when not
   * asked (platforms without levels). */
  readonly cpuLevel: number;
  /** The library files present, by file name (`libmlxts.x86_64_v3.so`) to the path to open;
   * the baseline among them. */
  readonly files: Readonly<Record<string, string>>;
  /** `MLXTS_CPU_LEVEL`, when set (an empty value counts as unset). */
  readonly forced?: string | undefined;
  /** Where the files are, for messages: `in /path/dist/linux-x64`, `embedded in the executable`. */
  readonly where: string;
}

/** The file chosen and the level it was built for (0 on platforms without levels). */
export interface LevelChoice {
  readonly path: string;
  readonly level: number;
}

/**
 * Chooses the prebuilt file to open: the forced level's, else the highest level present that
 * the CPU supports, else the baseline.
 *
 * @throws Error when the baseline is missing, a forced level is malformed, not supported by
 *   the CPU or not among the files, or the CPU lacks even the baseline's level.
 */
export function chooseLevel(input: LevelChoiceInput): LevelChoice {
  const { platform, cpuLevel, files, where } = input;
  const name = platformName(platform);
  const baseline = files[libraryFileName(platform)];
  if (baseline === undefined) throw new Error(`mlx-ts: no ${libraryFileName(platform)} ${where}`);
  const forced = input.forced ? input.forced : undefined;
  if (!hasLevels(platform)) {
    if (forced !== undefined) {
      throw new Error(`mlx-ts: MLXTS_CPU_LEVEL=${forced} chooses among x86-64 libraries; this is ${name}`);
    }
    return { path: baseline, level: 0 };
  }
  if (cpuLevel < baselineLevel) {
    throw new Error(
      `mlx-ts: this CPU supports ${levelName(cpuLevel)} only; the prebuilt ${name} library needs ` +
        `${levelName(baselineLevel)} (${levelFeatures[baselineLevel]}). Build one for this machine ` +
        "with scripts/setup.",
    );
  }
  if (forced !== undefined) return forcedLevel(input, parseCpuLevel(forced), forced);
  for (let level = Math.min(cpuLevel, levelMax); level > baselineLevel; level--) {
    const path = files[levelFileName(platform, level)];
    if (path !== undefined) return { path, level };
  }
  return { path: baseline, level: baselineLevel };
}

function forcedLevel(input: LevelChoiceInput, level: number, text: string): LevelChoice {
  const { platform, cpuLevel, files, where } = input;
  if (level > cpuLevel) {
    throw new Error(
      `mlx-ts: MLXTS_CPU_LEVEL=${text}: this CPU supports ${levelName(cpuLevel)} at most; ` +
        `${levelName(level)} needs ${levelFeatures[level]}`,
    );
  }
  const fileName = levelFileName(platform, level);
  const path = files[fileName];
  if (path === undefined) {
    throw new Error(
      `mlx-ts: MLXTS_CPU_LEVEL=${text}: no ${fileName} ${where} (present: ` +
        `${Object.keys(files).sort().join(", ")}); scripts/build --cross builds the levels`,
    );
  }
  return { path, level };
}
