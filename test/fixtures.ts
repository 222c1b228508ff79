/**
 * Reads the MLX-generated fixtures (see scripts/fixtures/) into arrays and expected values.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import * as mx from "mlx-ts";
import { assertEquals, test } from "./harness.ts";
import { fromBytes } from "../src/array.ts";

export interface TensorSpec {
  dtype: mx.DtypeName;
  shape: number[];
  data?: unknown;
  gen?: { scale: number; offset: number; mod: number | null };
}

export interface Case {
  name: string;
  op: string;
  inputs: TensorSpec[];
  expected: TensorSpec;
  axis?: number[] | null;
  keepdims?: boolean;
  dtype?: mx.DtypeName;
}

/** A fixture file's JSON (test/fixtures/<file>). */
export function loadJson<T>(file: string): T {
  const path = decodeURIComponent(new URL(`./fixtures/${file}`, import.meta.url).pathname);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function loadCases(file: string): Case[] {
  return loadJson<{ cases: Case[] }>(file).cases;
}

export function dtypeByName(name: string): mx.Dtype {
  const dtype = mx.dtypes.find((d) => d.name === name);
  if (!dtype) throw new Error(`unknown dtype ${name}`);
  return dtype;
}

/** Decodes fixture values: "nan"/"inf"/"-inf" strings, complex [re, im] pairs. */
export function decode(value: unknown, complex: boolean, depth: number): unknown {
  if (value === "nan") return NaN;
  if (value === "inf") return Infinity;
  if (value === "-inf") return -Infinity;
  if (Array.isArray(value)) {
    if (complex && depth === 0) return { re: decode(value[0], false, 0), im: decode(value[1], false, 0) };
    return value.map((v) => decode(v, complex, depth - 1));
  }
  return value;
}

/** The array a fixture input describes (transposed when the spec says so). */
export function makeArray(spec: TensorSpec & { transpose?: number[] }): mx.MxArray {
  const dtype = dtypeByName(spec.dtype);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  let host: mx.MxArray;
  if (spec.gen) {
    const { scale, offset, mod } = spec.gen;
    const values = Float64Array.from({ length: size }, (_, i) => (mod === null ? i : i % mod) * scale + offset);
    host = fromBytes(values, mx.float64, spec.shape);
  } else {
    const flat = [spec.data].flat(Infinity).map((v) => decode(v, false, 0)) as (number | boolean)[];
    if (dtype === mx.complex64) {
      host = fromBytes(Float32Array.from(flat, Number), mx.complex64, spec.shape); // [re, im] pairs
    } else if (dtype === mx.bool) {
      host = fromBytes(Uint8Array.from(flat, (v) => (v ? 1 : 0)), mx.bool, spec.shape);
    } else {
      host = fromBytes(Float64Array.from(flat, Number), mx.float64, spec.shape);
    }
  }
  using converted = mx.astype(host, dtype);
  host.dispose();
  return spec.transpose ? mx.transpose(converted, { axes: spec.transpose }) : mx.astype(converted, dtype);
}

/** Complex elements (`{ re, im }`) as `[re, im]` pairs, so nested results compare as numbers. */
export function complexParts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(complexParts);
  if (value !== null && typeof value === "object") return [(value as mx.Complex).re, (value as mx.Complex).im];
  return value;
}

/**
 * Registers one test per op over fixture cases: every case of the op is checked, failures
 * are collected (the test lists the first ones), and cases `skip` explains (documented
 * differences from MLX) are counted, at most `maxSkipped` of them.
 */
export function testFixtureGroups<C extends { name: string; op: string }>(
  cases: readonly C[],
  options: {
    title: (op: string, count: number) => string;
    check: (c: C) => void;
    skip?: (c: C) => string | undefined;
    maxSkipped?: number;
  },
): Map<string, C[]> {
  const groups = new Map<string, C[]>();
  for (const c of cases) groups.set(c.op, [...(groups.get(c.op) ?? []), c]);
  for (const [op, group] of groups) {
    test(options.title(op, group.length), () => {
      const failures: string[] = [];
      let skipped = 0;
      for (const c of group) {
        if (options.skip?.(c)) {
          skipped++;
          continue;
        }
        try {
          options.check(c);
        } catch (error) {
          failures.push(`${c.name}: ${(error as Error).message}`);
        }
      }
      assertEquals(failures.slice(0, 6), [], `${failures.length} of ${group.length} cases failed`);
      assertEquals(skipped <= (options.maxSkipped ?? 0) && skipped < group.length, true, `${skipped} cases skipped`);
    });
  }
  return groups;
}
