/** Printing matches MLX's str() (test/fixtures/printing.json, scripts/fixtures/gen_printing.py):
 * nesting and indentation, %g numbers, elision past 1000 elements, empty arrays, dtypes. */

import * as mx from "mlx-ts";
import { readFileSync } from "node:fs";
import { fromBytes } from "../src/array.ts";
import { assertEquals, test } from "./harness.ts";

const path = decodeURIComponent(new URL("./fixtures/printing.json", import.meta.url).pathname);
const cases = (JSON.parse(readFileSync(path, "utf8")) as { cases: { code: string; expected: string }[] }).cases;

/** The fixture's expressions, evaluated against mx (they only call mx functions). */
function build(code: string): mx.MxArray {
  if (code.startsWith("complex: ")) {
    const parts = JSON.parse(code.slice("complex: ".length)) as number[];
    return fromBytes(new Float32Array(parts), mx.complex64, [parts.length / 2]);
  }
  return new Function("mx", `return ${code};`)(mx) as mx.MxArray;
}

test(`toString() matches MLX's printing on ${cases.length} arrays`, () => {
  for (const c of cases) {
    using a = build(c.code);
    assertEquals(String(a), c.expected, c.code);
  }
});
