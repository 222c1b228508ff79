/**
 * Reads the MLX-generated fixtures (see scripts/fixtures/) into arrays and expected values.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import * as mx from "mlx-ts";
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

export function loadCases(file: string): Case[] {
  const path = decodeURIComponent(new URL(`./fixtures/${file}`, import.meta.url).pathname);
  const text = readFileSync(path, "utf8");
  return (JSON.parse(text) as { cases: Case[] }).cases;
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

/** The array a fixture input describes. */
export function makeArray(spec: TensorSpec): mx.MxArray {
  const dtype = dtypeByName(spec.dtype);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  let values: Float64Array | Uint8Array;
  if (spec.gen) {
    const { scale, offset, mod } = spec.gen;
    values = Float64Array.from({ length: size }, (_, i) => (mod === null ? i : i % mod) * scale + offset);
  } else {
    const flat = [spec.data].flat(Infinity).map((v) => decode(v, false, 0)) as (number | boolean)[];
    // Complex inputs in the fixtures have zero imaginary parts: flat() spread them as pairs.
    const reals = dtype === mx.complex64 ? flat.filter((_, i) => i % 2 === 0) : flat;
    values = dtype === mx.bool
      ? Uint8Array.from(reals, (v) => (v ? 1 : 0))
      : Float64Array.from(reals, Number);
  }
  using host = fromBytes(values, values instanceof Uint8Array ? mx.bool : mx.float64, spec.shape);
  return mx.astype(host, dtype);
}
