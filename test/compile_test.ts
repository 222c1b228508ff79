/** A script importing mlx-ts, packed by `bun build --compile`, runs from another directory
 * with the library embedded in the executable (the prebuilt linux-x64 levels when built, chosen
 * by CPU level). */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { native } from "../ffi/loader.ts";
import { assert, assertEquals, runtimeName, test } from "./harness.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const bun = runtimeName === "bun" ? process.execPath : `${root}node_modules/.bin/bun`;

test("bun build --compile packs the library; the executable runs elsewhere", () => {
  const directory = mkdtempSync(`${tmpdir()}/mlx-ts-compile-`);
  try {
    const executable = `${directory}/app`;
    const build = spawnSync(bun, ["build", "--compile", "test/support/compiled_app.ts", "--outfile", executable], {
      cwd: root,
      encoding: "utf8",
    });
    assertEquals(build.status, 0, build.stderr);
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.MLXTS_LIB;
    const run = spawnSync(executable, [], { cwd: directory, encoding: "utf8", env });
    assertEquals(run.status, 0, run.stderr);
    const match = /^compiled: 12 from (.+)$/.exec(run.stdout.trim());
    assert(match, `unexpected output: ${run.stdout}`);
    // Loaded from the copy unpacked out of the executable, not from this checkout.
    assert(!match[1]!.startsWith(root), `loaded ${match[1]} from the checkout`);
    const dist = `${root}zig-native/dist/linux-x64`;
    if (process.platform !== "linux" || process.arch !== "x64" || !existsSync(`${dist}/libmlxts.so`)) return;
    // The prebuilt levels are packed and chosen first: the best this CPU runs, or a forced one.
    // An unpacked copy is named by the hash of its content.
    const unpackedFrom = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16);
    const level = [4, 3].find((l) => native.cpu_level() >= l && existsSync(`${dist}/libmlxts.x86_64_v${l}.so`));
    const best = level === undefined ? `${dist}/libmlxts.so` : `${dist}/libmlxts.x86_64_v${level}.so`;
    assert(match[1]!.split("/").pop()!.startsWith(unpackedFrom(best)), `expected a copy of ${best}, loaded ${match[1]}`);
    const forced = spawnSync(executable, [], { cwd: directory, encoding: "utf8", env: { ...env, MLXTS_CPU_LEVEL: "v2" } });
    assertEquals(forced.status, 0, forced.stderr);
    const baseline = unpackedFrom(`${dist}/libmlxts.so`);
    assert(forced.stdout.trim().split("/").pop()!.startsWith(baseline), `expected the baseline: ${forced.stdout}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("scripts/generate.ts works as a bun build --compile executable", () => {
  const directory = mkdtempSync(`${tmpdir()}/mlx-ts-generate-`);
  try {
    const executable = `${directory}/generate`;
    const build = spawnSync(bun, ["build", "--compile", "scripts/generate.ts", "--outfile", executable], {
      cwd: root,
      encoding: "utf8",
    });
    assertEquals(build.status, 0, build.stderr);
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.MLXTS_LIB;
    const model = `${root}test/fixtures/models/gemma2-f16`;
    const args = ["--model", model, "--prompt", "Once upon a time the fox", "--ignore-chat-template", "--max-tokens", "6"];
    const run = spawnSync(executable, args, { cwd: directory, encoding: "utf8", env });
    assertEquals(run.status, 0, run.stderr);
    // Gemma 2's fixture continues with "I rem..." (mlx-lm's greedy text).
    assert(run.stdout.includes("I rem"), run.stdout);
    assert(/Generation: 6 tokens, [0-9.]+ tokens-per-sec/.test(run.stdout), run.stdout);
    const bad = spawnSync(executable, ["--model", `${directory}/absent`], { cwd: directory, encoding: "utf8", env });
    assertEquals(bad.status, 1);
    assert(bad.stderr.includes("config.json not found"), bad.stderr);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
