/** A script importing mlx-ts, packed by `bun build --compile`, runs from another directory
 * with the library embedded in the executable. */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
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
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
