/**
 * Reused argument buffers for native calls. Allocating a small typed array per call costs
 * close to a microsecond on Deno; these are filled instead. Safe because calls are
 * synchronous and the library copies what it reads before returning.
 *
 * @module
 */

import { MxError } from "./errors.ts";

/** Most dimensions an array may have (the native `ndim_max`). */
export const ndimMax = 16;
const dims = new Int32Array(ndimMax);
const handles = new Uint32Array(256);

/** `values` (shape dimensions or axes) in a reused Int32Array; checks the count and range. */
export function int32Arg(op: string, values: readonly number[], what: string): Int32Array {
  if (values.length > ndimMax) {
    throw new MxError("limit_exceeded", `[${op}] ${values.length} ${what} exceed the limit of ${ndimMax}`);
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new MxError("invalid_argument", `[${op}] ${what} must be 32-bit integers; got ${value}`);
    }
    dims[i] = value;
  }
  return dims;
}

const sliceParams = new Int32Array(3 * ndimMax);

/** Slice parameters (ndim starts, then ndim sizes, then ndim steps) in a reused Int32Array. */
export function sliceArg(
  op: string,
  starts: readonly number[],
  sizes: readonly number[],
  steps: readonly number[],
): Int32Array {
  const ndim = starts.length;
  if (sizes.length !== ndim || steps.length !== ndim) {
    throw new MxError(
      "invalid_argument",
      `[${op}] ${ndim} starts, ${sizes.length} sizes and ${steps.length} steps; ` +
        "expected one of each per axis",
    );
  }
  [starts, sizes, steps].forEach((values, part) => {
    const filled = int32Arg(op, values, "slice parameters");
    sliceParams.set(filled.subarray(0, ndim), part * ndim);
  });
  return sliceParams;
}

/** Handles in a reused Uint32Array when they fit, else a new one. */
export function handlesArg(values: readonly number[]): Uint32Array {
  if (values.length > handles.length) return new Uint32Array(values);
  for (let i = 0; i < values.length; i++) handles[i] = values[i]!;
  return handles;
}
